// Shared by the store's .cc files: the column lists each SELECT uses, the readers that turn a
// row into a record, and the text encoding of string lists (newline-joined: list entries such
// as dependency names and scopes cannot contain a newline, and the store refuses any that do).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/internal/sqlite.h"
#include "store/records.h"

namespace edgegate::store::internal {

// Column order read by ReadEndpoint. The second list leaves the (possibly large) code out.
inline constexpr char kEndpointColumns[] =
    "id, name, path, method, domain, route_shape, collection_id, description, code, "
    "dependencies, enabled, status, active_version, created_at, updated_at";
inline constexpr char kEndpointColumnsWithoutCode[] =
    "id, name, path, method, domain, route_shape, collection_id, description, '' AS code, "
    "dependencies, enabled, status, active_version, created_at, updated_at";
inline constexpr char kVersionColumns[] =
    "endpoint_id, version, hash, source, dependencies, library_path, state, created_at";
inline constexpr char kApiKeyColumns[] =
    "id, label, key_hash, prefix, scopes, enabled, created_at, expires_at";

// REQUIRES: `row` is positioned on a row selected with the matching column list.
// Writing endpoints (CreateEndpoint, UpdateEndpoint and imports share these). The mutable fields
// bind at ?1 .. ?10 (BindMutableEndpointFields); the insert adds id, status, active_version,
// created_at, updated_at at ?11 .. ?15; the update adds updated_at, id at ?11, ?12.
inline constexpr char kInsertEndpointSql[] =
    "INSERT INTO endpoints(name, path, method, domain, route_shape, collection_id, description, "
    "code, dependencies, enabled, id, status, active_version, created_at, updated_at) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
inline constexpr char kUpdateEndpointSql[] =
    "UPDATE endpoints SET name = ?1, path = ?2, method = ?3, domain = ?4, route_shape = ?5, "
    "collection_id = ?6, description = ?7, code = ?8, dependencies = ?9, enabled = ?10, "
    "updated_at = ?11 WHERE id = ?12";
void BindMutableEndpointFields(Statement& stmt, const EndpointRecord& e);
// InvalidArgument naming the field for what the store cannot hold (empty id, bad status, bad
// dependency entries).
Status CheckEndpoint(const EndpointRecord& e);

// Steps `stmt` to the end, turning each row into a T with `read`.
template <typename T>
Result<std::vector<T>> ReadAll(Statement& stmt, T (*read)(const Statement&)) {
  std::vector<T> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) {
      return out;
    }
    out.push_back(read(stmt));
  }
}

// The first row of `stmt` as a T, or `not_found` when there is none.
template <typename T>
Result<T> ReadOne(Statement& stmt, T (*read)(const Statement&), Status not_found) {
  ASSIGN_OR_RETURN(bool found, stmt.Step());
  if (!found) {
    return not_found;
  }
  return read(stmt);
}

EndpointRecord ReadEndpoint(const Statement& row);
VersionRecord ReadVersion(const Statement& row);
ApiKeyRecord ReadApiKey(const Statement& row);

// Joins entries with '\n'. REQUIRES: CheckList(items, ...) is ok.
std::string JoinList(const std::vector<std::string>& items);
// Inverse of JoinList; "" is the empty list.
std::vector<std::string> SplitList(std::string_view text);
// InvalidArgument naming `field` if an entry is empty or contains '\n'.
Status CheckList(const std::vector<std::string>& items, const char* field);
// InvalidArgument naming `field` unless `value` is one of `allowed`.
Status CheckOneOf(const std::string& value, std::span<const char* const> allowed,
                  const char* field);

}  // namespace edgegate::store::internal
