// Row readers and list encoding for the store.
#include "store/internal/rows.h"

namespace edgegate::store::internal {

EndpointRecord ReadEndpoint(const Statement& row) {
  EndpointRecord e;
  e.id = row.Text(0);
  e.name = row.Text(1);
  e.path = row.Text(2);
  e.method = row.Text(3);
  e.domain = row.Text(4);
  e.route_shape = row.Text(5);
  e.collection_id = row.OptText(6);
  e.description = row.Text(7);
  e.code = row.Text(8);
  e.dependencies = SplitList(row.Text(9));
  e.enabled = row.Bool(10);
  e.status = row.Text(11);
  e.active_version = row.OptInt(12);
  e.created_at = row.Int(13);
  e.updated_at = row.Int(14);
  return e;
}

VersionRecord ReadVersion(const Statement& row) {
  VersionRecord v;
  v.endpoint_id = row.Text(0);
  v.version = row.Int(1);
  v.hash = row.Text(2);
  v.source = row.Text(3);
  v.dependencies = SplitList(row.Text(4));
  v.library_path = row.Text(5);
  v.state = row.Text(6);
  v.created_at = row.Int(7);
  return v;
}

ApiKeyRecord ReadApiKey(const Statement& row) {
  ApiKeyRecord k;
  k.id = row.Text(0);
  k.label = row.Text(1);
  k.key_hash = row.Text(2);
  k.prefix = row.Text(3);
  k.scopes = SplitList(row.Text(4));
  k.enabled = row.Bool(5);
  k.created_at = row.Int(6);
  k.expires_at = row.OptInt(7);
  return k;
}

std::string JoinList(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) {
      out += '\n';
    }
    out += item;
  }
  return out;
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    out.emplace_back(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  }
  return out;
}

Status CheckList(const std::vector<std::string>& items, const char* field) {
  for (const std::string& item : items) {
    if (item.empty() || item.find('\n') != std::string::npos) {
      return base::FieldError(
          field, std::string(field) + " entries must be non-empty and contain no newline");
    }
  }
  return base::OkStatus();
}

Status CheckOneOf(const std::string& value, std::span<const char* const> allowed,
                  const char* field) {
  std::string expected;
  for (const char* candidate : allowed) {
    if (value == candidate) {
      return base::OkStatus();
    }
    expected += expected.empty() ? "" : ", ";
    expected += candidate;
  }
  return base::FieldError(field, "invalid " + std::string(field) + " \"" + value +
                                     "\" (expected one of: " + expected + ")");
}

void BindMutableEndpointFields(Statement& stmt, const EndpointRecord& e) {
  stmt.Bind(1, e.name).Bind(2, e.path).Bind(3, e.method).Bind(4, e.domain);
  stmt.Bind(5, e.route_shape).Bind(6, e.collection_id).Bind(7, e.description).Bind(8, e.code);
  stmt.Bind(9, JoinList(e.dependencies)).Bind(10, e.enabled);
}

Status CheckEndpoint(const EndpointRecord& e) {
  if (e.id.empty()) {
    return base::FieldError("id", "endpoint id must not be empty");
  }
  RETURN_IF_ERROR(CheckOneOf(e.status, kEndpointStatuses, "status"));
  return CheckList(e.dependencies, "dependencies");
}

}  // namespace edgegate::store::internal
