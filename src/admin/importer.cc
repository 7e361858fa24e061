// Import planning: target resolution, operation ↔ endpoint matching, validation, one write.
#include "admin/importer.h"

#include <cstdio>

#include "base/random.h"
#include "router/pattern.h"

namespace edgegate::admin {
namespace json = boost::json;

namespace {

constexpr size_t kMaxCommentBytes = 160;

base::Status FromLookup(const base::Status& status, const std::string& field) {
  return status.code() == base::Code::kNotFound ? base::FieldError(field, status.message())
                                                : status;
}

// The domain's host; `domain` (if given) must agree with it.
base::Result<std::string> HostOfDomain(store::Store& store, const std::string& domain_id,
                                       const ImportScope& scope, const std::string& field) {
  base::Result<store::DomainRecord> domain = store.GetDomain(domain_id);
  if (!domain.ok()) return FromLookup(domain.status(), field);
  if (scope.domain && router::NormalizeHostPattern(*scope.domain) != domain->host) {
    return base::FieldError("domain", "domain '" + *scope.domain + "' contradicts the host '" +
                                          domain->host + "' of domain " + domain_id);
  }
  return domain->host;
}

base::Result<ImportTarget> ResolveCollection(store::Store& store, const ImportScope& scope) {
  base::Result<store::CollectionRecord> c = store.GetCollection(*scope.collection_id);
  if (!c.ok()) return FromLookup(c.status(), "collection_id");
  if (scope.domain_id && *scope.domain_id != c->domain_id) {
    return base::FieldError("collection_id", "collection " + c->id + " belongs to domain " +
                                                 c->domain_id + ", not to " + *scope.domain_id);
  }
  ImportTarget target;
  ASSIGN_OR_RETURN(target.domain, HostOfDomain(store, c->domain_id, scope, "collection_id"));
  target.collection_id = c->id;
  return target;
}

// create_collection: the domain's collection named scope.collection_name, or a new one.
base::Result<ImportTarget> ResolveNewCollection(store::Store& store, const ImportScope& scope) {
  std::optional<std::string> domain_id = scope.domain_id;
  if (!domain_id) {
    std::string host = router::NormalizeHostPattern(scope.domain.value_or("*"));
    ASSIGN_OR_RETURN(std::vector<store::DomainRecord> domains, store.ListDomains());
    for (const auto& d : domains) {
      if (d.host == host) domain_id = d.id;
    }
    if (!domain_id) {
      return base::FieldError("domain_id",
                              "create_collection needs a domain: give domain_id, "
                              "or a domain whose host '" +
                                  host + "' is registered");
    }
  }
  ImportTarget target;
  ASSIGN_OR_RETURN(target.domain, HostOfDomain(store, *domain_id, scope, "domain_id"));
  std::string name = scope.collection_name.empty() ? "imported" : scope.collection_name;
  ASSIGN_OR_RETURN(std::vector<store::CollectionRecord> existing, store.ListCollections(domain_id));
  for (const auto& c : existing) {
    if (c.name == name) {
      target.collection_id = c.id;  // re-import: the collection made the first time
      return target;
    }
  }
  store::CollectionRecord c;
  c.id = base::NewUuid();
  c.domain_id = *domain_id;
  c.name = name;
  c.description = scope.collection_description;
  target.collection_id = c.id;
  target.new_collection = std::move(c);
  return target;
}

// Spec text made safe for one `//` comment line: no control characters, no trailing backslash
// (a line splice), bounded, cut on a UTF-8 character boundary.
std::string CommentText(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, kMaxCommentBytes)) {
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  }
  if (text.size() > kMaxCommentBytes) {
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
    if (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0xC0) out.pop_back();
    out += "...";
  }
  while (!out.empty() && (out.back() == '\\' || out.back() == ' ')) out.pop_back();
  return out;
}

// A C++ string literal holding `text` exactly (octal escapes for anything not printable ASCII).
std::string CppString(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f || c == '?') {  // '?' too: no "??" digraph surprises
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03o", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// The record an operation asks for, on top of `base` (an existing endpoint or a new one).
store::EndpointRecord Desired(store::EndpointRecord base, const ImportItem& item,
                              const ImportTarget& target) {
  const SpecOperation& op = *item.operation;
  base.name = op.name;
  base.method = op.method;
  base.path = op.path;
  base.domain = target.domain;
  base.collection_id = target.new_collection ? std::nullopt : target.collection_id;
  base.description = op.summary;
  if (!op.description.empty() && op.description != op.summary) {
    base.description += (base.description.empty() ? "" : "\n\n") + op.description;
  }
  if (item.code) {
    base.code = *item.code;
    base.dependencies = item.dependencies;
  } else if (base.code.empty()) {
    base.code = StubHandlerSource(op);
  }
  return base;
}

bool SameFields(const store::EndpointRecord& a, const store::EndpointRecord& b) {
  return a.name == b.name && a.method == b.method && a.path == b.path && a.domain == b.domain &&
         a.route_shape == b.route_shape && a.collection_id == b.collection_id &&
         a.description == b.description && a.code == b.code && a.dependencies == b.dependencies;
}

json::object ItemError(const ImportItem& item, const base::Status& status) {
  json::object e{{"location", item.operation->location},
                 {"operation", item.operation->name},
                 {"message", status.message()}};
  if (!status.field().empty()) e["field"] = status.field();
  if (!item.handler_file.empty()) e["handler"] = item.handler_file;
  return e;
}

// Plans all items: fills `batch`, `report.endpoints` and `report.errors`.
class Planner {
 public:
  Planner(EndpointService& service, const ImportTarget& target, ImportReport& report)
      : service_(service), target_(target), report_(report) {}

  base::Status LoadExisting() {
    if (target_.new_collection) return base::OkStatus();  // a new collection holds nothing
    store::EndpointFilter filter;
    filter.domain = target_.domain;
    filter.collection_id = target_.collection_id;
    filter.include_code = true;
    ASSIGN_OR_RETURN(existing_, service_.store().ListEndpoints(filter));
    std::erase_if(existing_,
                  [&](const auto& e) { return e.collection_id != target_.collection_id; });
    used_.assign(existing_.size(), false);
    return base::OkStatus();
  }

  void Plan(const ImportItem& item) {
    store::EndpointRecord fresh = Desired(store::EndpointRecord{}, item, target_);
    fresh.id = base::NewUuid();
    if (base::Status valid = service_.ValidateForImport(fresh); !valid.ok()) {
      return Fail(item, valid);
    }
    std::optional<size_t> match = Match(fresh);
    if (!match) {
      batch_.create.push_back(WithNewCollection(std::move(fresh)));
      report_.endpoints.push_back({batch_.create.back().id, &item, ImportAction::kCreated});
      return;
    }
    used_[*match] = true;
    const store::EndpointRecord& old = existing_[*match];
    store::EndpointRecord updated = Desired(old, item, target_);
    if (base::Status valid = service_.ValidateForImport(updated); !valid.ok()) {
      return Fail(item, valid);
    }
    bool same = SameFields(updated, old);
    report_.endpoints.push_back(
        {old.id, &item, same ? ImportAction::kUnchanged : ImportAction::kUpdated});
    if (!same) batch_.update.push_back(std::move(updated));
  }

  store::ImportBatch& batch() { return batch_; }

  void Fail(const ImportItem& item, const base::Status& status) {
    if (report_.errors.empty()) report_.http_status = base::HttpStatusOf(status.code());
    report_.errors.push_back(ItemError(item, status));
  }

 private:
  // By name first (operationId), then by route (method + route shape), each endpoint once.
  std::optional<size_t> Match(const store::EndpointRecord& want) const {
    for (int pass = 0; pass < 2; ++pass) {
      for (size_t i = 0; i < existing_.size(); ++i) {
        const auto& e = existing_[i];
        bool hit = pass == 0 ? e.name == want.name
                             : e.method == want.method && e.route_shape == want.route_shape;
        if (hit && !used_[i]) return i;
      }
    }
    return std::nullopt;
  }

  store::EndpointRecord WithNewCollection(store::EndpointRecord r) const {
    if (target_.new_collection) r.collection_id = target_.new_collection->id;
    return r;
  }

  EndpointService& service_;
  const ImportTarget& target_;
  ImportReport& report_;
  std::vector<store::EndpointRecord> existing_;
  std::vector<bool> used_;
  store::ImportBatch batch_;
};

// The item whose create/update has batch index `index`.
const ImportItem* ItemOfWrite(const ImportReport& report, const store::ImportBatch& batch,
                              int64_t index) {
  const std::string& id = static_cast<size_t>(index) < batch.create.size()
                              ? batch.create[index].id
                              : batch.update[index - batch.create.size()].id;
  for (const auto& e : report.endpoints) {
    if (e.id == id) return e.item;
  }
  return nullptr;
}

void ReportFailures(const std::vector<store::ImportFailure>& failures,
                    const store::ImportBatch& batch, Planner& planner, ImportReport& report) {
  for (const store::ImportFailure& f : failures) {
    const ImportItem* item = f.index < 0 ? nullptr : ItemOfWrite(report, batch, f.index);
    if (item != nullptr) {
      planner.Fail(*item, f.error);
      continue;
    }
    if (report.errors.empty()) report.http_status = base::HttpStatusOf(f.error.code());
    json::object e{{"location", "collection"}, {"message", f.error.message()}};
    if (!f.error.field().empty()) e["field"] = f.error.field();
    report.errors.push_back(std::move(e));
  }
}

}  // namespace

base::Result<ImportTarget> ResolveTarget(store::Store& store, const ImportScope& scope) {
  if (scope.domain) {
    base::Status valid = router::ValidateHostPattern(*scope.domain);
    if (!valid.ok()) return base::FieldError("domain", valid.message());
  }
  if (scope.collection_id && scope.create_collection) {
    return base::FieldError("create_collection",
                            "give collection_id or create_collection, not both");
  }
  if (scope.collection_id) return ResolveCollection(store, scope);
  if (scope.create_collection) return ResolveNewCollection(store, scope);
  ImportTarget target;
  if (scope.domain_id) {
    ASSIGN_OR_RETURN(target.domain, HostOfDomain(store, *scope.domain_id, scope, "domain_id"));
  } else if (scope.domain) {
    target.domain = router::NormalizeHostPattern(*scope.domain);
  }
  return target;
}

ImportReport RunImport(EndpointService& service, const ImportTarget& target,
                       const std::vector<ImportItem>& items) {
  ImportReport report;
  Planner planner(service, target, report);
  if (base::Status loaded = planner.LoadExisting(); !loaded.ok()) {
    report.http_status = base::HttpStatusOf(loaded.code());
    report.errors.push_back(json::object{{"message", loaded.message()}});
    return report;
  }
  for (const ImportItem& item : items) planner.Plan(item);
  if (report.errors.empty()) {
    store::ImportBatch& batch = planner.batch();
    batch.new_collection = target.new_collection;
    base::Result<std::vector<store::ImportFailure>> failures = service.ApplyImport(batch);
    if (!failures.ok()) {
      report.http_status = base::HttpStatusOf(failures.status().code());
      report.errors.push_back(json::object{{"message", failures.status().message()}});
    } else {
      ReportFailures(*failures, batch, planner, report);
    }
  }
  if (!report.errors.empty()) report.endpoints.clear();
  return report;
}

json::object ReportToJson(const ImportReport& report) {
  json::array lists[3];
  for (const ImportedEndpoint& e : report.endpoints) {
    const SpecOperation& op = *e.item->operation;
    json::object o{{"id", e.id},
                   {"name", op.name},
                   {"operation_id", op.operation_id},
                   {"method", op.method},
                   {"path", op.path}};
    if (!e.item->handler_file.empty()) o["handler"] = e.item->handler_file;
    lists[static_cast<int>(e.action)].push_back(std::move(o));
  }
  json::object counts{{"operations", report.endpoints.size()},
                      {"created", lists[0].size()},
                      {"updated", lists[1].size()},
                      {"unchanged", lists[2].size()},
                      {"errors", report.errors.size()}};
  return json::object{{"created", std::move(lists[0])},
                      {"updated", std::move(lists[1])},
                      {"unchanged", std::move(lists[2])},
                      {"errors", report.errors},
                      {"counts", std::move(counts)}};
}

std::string StubHandlerSource(const SpecOperation& op) {
  std::string out = "#include <edgegate/sdk.hpp>\n\n";
  out += "// " + CommentText(op.name + ": " + op.method + " " + op.path) + "\n";
  if (!op.summary.empty()) out += "// " + CommentText(op.summary) + "\n";
  if (!op.parameters.empty()) {
    std::string params;
    for (const SpecParameter& p : op.parameters) {
      params += (params.empty() ? "" : ", ") + p.name + " (" + p.in + ")";
    }
    out += "// Parameters: " + CommentText(params) + "\n";
  }
  out +=
      "// Generated by the Edgegate OpenAPI import: it answers 501 until you replace it.\n"
      "// Re-importing the spec keeps the code an endpoint has.\n"
      "using namespace edgegate;\n\n"
      "Response handle(Context& ctx, const Request& req) {\n"
      "  (void)ctx;\n"
      "  (void)req;\n"
      "  return Response::json(501, Json::object({{\"error\", \"not implemented\"},\n"
      "                                           {\"operation\", " +
      CppString(op.name) +
      "}}));\n"
      "}\n"
      "EDGEGATE_HANDLER(handle)\n";
  return out;
}

}  // namespace edgegate::admin
