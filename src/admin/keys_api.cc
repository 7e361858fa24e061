// The API key routes of the admin API (see keys_api.h). The rules (scopes, escalation,
// lock-out) live in KeyRing; this file turns JSON into KeySpecs and records into masked JSON.
#include "admin/keys_api.h"

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "store/store.h"

namespace edgegate::admin {
namespace json = boost::json;

namespace {

constexpr FieldSpec kKeyFields[] = {
    {"label", FieldType::kString, true},
    {"scopes", FieldType::kStringArray, true},
    {"expires_at", FieldType::kString},
    {"expires_in_seconds", FieldType::kInt},
};

constexpr int64_t kMaxExpiresInSeconds = int64_t{100} * 365 * 24 * 3600;  // 100 years

// Reads `n` decimal digits of `s` at `pos` into `out`; false if any is missing or not a digit.
bool ReadDigits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) {
    return false;
  }
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') {
      return false;
    }
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// "YYYY-MM-DDTHH:MM:SS" at the start of `s` as milliseconds since the epoch (no offset applied).
std::optional<int64_t> ParseDateTime(std::string_view s) {
  int year, month, day, hour, minute, second;
  bool shaped = s.size() >= 19 && ReadDigits(s, 0, 4, year) && s[4] == '-' &&
                ReadDigits(s, 5, 2, month) && s[7] == '-' && ReadDigits(s, 8, 2, day) &&
                (s[10] == 'T' || s[10] == 't' || s[10] == ' ') && ReadDigits(s, 11, 2, hour) &&
                s[13] == ':' && ReadDigits(s, 14, 2, minute) && s[16] == ':' &&
                ReadDigits(s, 17, 2, second);
  if (!shaped || hour > 23 || minute > 59 || second > 59) {
    return std::nullopt;
  }
  using namespace std::chrono;
  year_month_day date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                      std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) {
    return std::nullopt;
  }
  auto time = sys_days(date) + hours(hour) + minutes(minute) + seconds(second);
  return duration_cast<milliseconds>(time.time_since_epoch()).count();
}

// The fraction (".250") at `pos`, as milliseconds (digits past the third are truncated);
// advances `pos`. 0 if there is none; nullopt if a '.' has no digits.
std::optional<int64_t> ParseFraction(std::string_view s, size_t& pos) {
  if (pos >= s.size() || s[pos] != '.') {
    return 0;
  }
  size_t start = ++pos;
  int64_t millis = 0, scale = 100;
  for (; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos) {
    millis += (s[pos] - '0') * scale;
    scale /= 10;
  }
  return pos == start ? std::nullopt : std::optional<int64_t>(millis);
}

// The rest of `s` from `pos` as an offset east of UTC in minutes: "Z" or "±HH:MM".
std::optional<int64_t> ParseOffset(std::string_view s, size_t pos) {
  std::string_view rest = s.substr(pos);
  if (rest == "Z" || rest == "z") {
    return 0;
  }
  int hours, minutes;
  if (rest.size() != 6 || (rest[0] != '+' && rest[0] != '-') || !ReadDigits(rest, 1, 2, hours) ||
      rest[3] != ':' || !ReadDigits(rest, 4, 2, minutes) || hours > 23 || minutes > 59) {
    return std::nullopt;
  }
  return (rest[0] == '-' ? -1 : 1) * (hours * 60 + minutes);
}

// The expiry a create body asks for: unix ms, or nullopt for none.
base::Result<std::optional<int64_t>> ExpiryOf(const json::object& body, int64_t now_ms) {
  const json::value* at = body.if_contains("expires_at");
  const json::value* in = body.if_contains("expires_in_seconds");
  bool has_at = at != nullptr && !at->is_null();
  bool has_in = in != nullptr && !in->is_null();
  if (has_at && has_in) {
    return base::FieldError("expires_in_seconds",
                            "give expires_at or expires_in_seconds, not both");
  }
  if (has_at) {
    ASSIGN_OR_RETURN(int64_t ms, ParseIsoTimestamp(at->as_string(), "expires_at"));
    return std::optional<int64_t>(ms);
  }
  if (!has_in) {
    return std::optional<int64_t>();
  }
  // A uint64 (not is_int64) is beyond int64, so beyond the maximum.
  bool in_range = in->is_int64() && in->as_int64() >= 1 && in->as_int64() <= kMaxExpiresInSeconds;
  if (!in_range) {
    return base::FieldError("expires_in_seconds",
                            "expires_in_seconds must be between 1 and " +
                                std::to_string(kMaxExpiresInSeconds) + " (100 years)");
  }
  return std::optional<int64_t>(now_ms + in->as_int64() * 1000);
}

// A key as every answer but creation shows it: never the key, never its hash.
json::object KeyToJson(const store::ApiKeyRecord& key, const KeyRing& keys) {
  json::array scopes;
  for (const std::string& scope : key.scopes) {
    scopes.emplace_back(scope);
  }
  json::value expires_at = nullptr;
  if (key.expires_at) {
    expires_at = store::FormatTimestamp(*key.expires_at);
  }
  return json::object{{"id", key.id},
                      {"label", key.label},
                      {"prefix", key.prefix},
                      {"scopes", std::move(scopes)},
                      {"enabled", key.enabled},
                      {"expired", keys.Expired(key)},
                      {"created_at", store::FormatTimestamp(key.created_at)},
                      {"expires_at", std::move(expires_at)}};
}

// Route handlers; they borrow the key ring. Every route is authenticated, so call.principal is
// set.
class KeyRoutes {
 public:
  explicit KeyRoutes(KeyRing& keys) : keys_(keys) {}

  Reply List(AdminCall&) {
    auto list = keys_.List();
    if (!list.ok()) return Error(list.status());
    json::array out;
    for (const store::ApiKeyRecord& key : *list) out.push_back(KeyToJson(key, keys_));
    return Ok(std::move(out));
  }

  Reply Create(AdminCall& call) {
    auto body = ParseBody(call.request.body, kKeyFields);
    if (!body.ok()) return Error(body.status());
    auto expires_at = ExpiryOf(*body, keys_.NowMs());
    if (!expires_at.ok()) return Error(expires_at.status());
    KeySpec spec{*GetString(*body, "label"), *GetStringArray(*body, "scopes"), *expires_at};
    auto created = keys_.Create(spec, *call.principal);
    if (!created.ok()) return Error(created.status());
    json::object out = KeyToJson(created->record, keys_);
    out["key"] = created->key;  // the only time the key is ever shown
    return Ok(std::move(out), 201);
  }

  Reply Get(AdminCall& call) {
    auto key = keys_.Get(call.param("id"));
    return key.ok() ? Ok(KeyToJson(*key, keys_)) : Error(key.status());
  }

  Reply Enable(AdminCall& call) { return SetEnabled(call, true); }
  Reply Disable(AdminCall& call) { return SetEnabled(call, false); }

  Reply Delete(AdminCall& call) {
    base::Status deleted = keys_.Delete(call.param("id"), *call.principal);
    if (!deleted.ok()) return Error(deleted);
    return Ok(json::object{{"id", call.param("id")}, {"deleted", true}});
  }

 private:
  Reply SetEnabled(AdminCall& call, bool enabled) {
    auto key = keys_.SetEnabled(call.param("id"), enabled, *call.principal);
    return key.ok() ? Ok(KeyToJson(*key, keys_)) : Error(key.status());
  }

  KeyRing& keys_;
};

}  // namespace

base::Result<int64_t> ParseIsoTimestamp(std::string_view text, std::string_view field) {
  auto invalid = [&] {
    return base::FieldError(std::string(field),
                            std::string(field) + " must be an ISO 8601 date-time with Z or an "
                                                 "offset, e.g. 2026-01-31T12:00:00Z");
  };
  std::optional<int64_t> local = ParseDateTime(text);
  size_t pos = 19;
  std::optional<int64_t> millis = local ? ParseFraction(text, pos) : std::nullopt;
  std::optional<int64_t> offset = millis ? ParseOffset(text, pos) : std::nullopt;
  if (!offset) {
    return invalid();
  }
  return *local + *millis - *offset * 60 * 1000;
}

void AddKeyRoutes(AdminRoutes& routes, KeyRing& keys) {
  auto r = std::make_shared<KeyRoutes>(keys);
  auto bind = [r](Reply (KeyRoutes::*fn)(AdminCall&)) {
    return [r, fn](AdminCall& call) { return ((*r).*fn)(call); };
  };
  const std::string read = "keys:read", write = "keys:write";
  routes.Add("GET", "/api/keys", read, bind(&KeyRoutes::List));
  routes.Add("POST", "/api/keys", write, bind(&KeyRoutes::Create));
  routes.Add("GET", "/api/keys/{id}", read, bind(&KeyRoutes::Get));
  routes.Add("POST", "/api/keys/{id}/enable", write, bind(&KeyRoutes::Enable));
  routes.Add("POST", "/api/keys/{id}/disable", write, bind(&KeyRoutes::Disable));
  routes.Add("DELETE", "/api/keys/{id}", write, bind(&KeyRoutes::Delete));
}

}  // namespace edgegate::admin
