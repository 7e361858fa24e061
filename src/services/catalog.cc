// The type list and config validation.
#include "services/catalog.h"

#include <array>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "base/strings.h"
#include "services/backends/backends.h"

namespace edgegate::services {
namespace json = boost::json;
namespace {

// Keys every service accepts.
constexpr ConfigKey kCommonKeys[] = {
    {.name = "pool_size", .type = KeyType::kInt, .min = 1, .max = 64},
    {.name = "timeout_ms", .type = KeyType::kInt, .min = 1, .max = 600000},
    {.name = "queue_size", .type = KeyType::kInt, .min = 1, .max = 100000},
};

// Each backend adds its line here (definitions in services/backends/*.cc).
const ServiceType* const kTypes[] = {
    &backends::SqliteType(),
    &backends::MemoryType(),
    &backends::FilesType(),
    &backends::OutboxType(),
    &backends::PostgresType(),
    &backends::MysqlType(),
    &backends::RedisType(),
    &backends::MemcachedType(),
    &backends::S3Type(),
    &backends::EmailType(),
    &backends::FtpType(),
};

struct Alias {
  std::string_view alias;
  std::string_view name;
};
constexpr Alias kAliases[] = {{"minio", "s3"}, {"mariadb", "mysql"}, {"smtp", "email"}};

const ConfigKey* FindKey(const ServiceType& type, std::string_view name) {
  for (const ConfigKey& k : type.keys) {
    if (k.name == name) {
      return &k;
    }
  }
  for (const ConfigKey& k : kCommonKeys) {
    if (k.name == name) {
      return &k;
    }
  }
  return nullptr;
}

std::string_view TypeName(KeyType t) {
  switch (t) {
    case KeyType::kString: return "a string";
    case KeyType::kInt: return "an integer";
    case KeyType::kBool: return "a boolean";
    case KeyType::kStringList: return "an array of strings";
  }
  return "?";
}

bool InChoices(std::string_view choices, std::string_view value) {
  while (!choices.empty()) {
    size_t bar = choices.find('|');
    if (choices.substr(0, bar) == value) {
      return true;
    }
    if (bar == std::string_view::npos) {
      break;
    }
    choices.remove_prefix(bar + 1);
  }
  return false;
}

base::Status CheckValue(const ConfigKey& key, const json::value& v) {
  std::string field = "config." + std::string(key.name);
  auto wrong = [&] {
    return base::FieldError(field, field + " must be " + std::string(TypeName(key.type)));
  };
  switch (key.type) {
    case KeyType::kString:
      if (!v.is_string()) {
        return wrong();
      }
      if (!key.choices.empty() && !InChoices(key.choices, v.get_string())) {
        return base::FieldError(field, field + " must be one of " + std::string(key.choices));
      }
      return base::OkStatus();
    case KeyType::kInt: {
      if (!v.is_int64() && !v.is_uint64()) {
        return wrong();
      }
      bool in_range = v.is_int64() ? v.get_int64() >= key.min && v.get_int64() <= key.max
                                   : v.get_uint64() <= static_cast<uint64_t>(key.max);
      if ((key.min != 0 || key.max != 0) && !in_range) {
        return base::FieldError(field, field + " must be between " + std::to_string(key.min) +
                                           " and " + std::to_string(key.max));
      }
      return base::OkStatus();
    }
    case KeyType::kBool:
      return v.is_bool() ? base::OkStatus() : wrong();
    case KeyType::kStringList:
      if (!v.is_array()) {
        return wrong();
      }
      for (const json::value& e : v.get_array()) {
        if (!e.is_string()) {
          return wrong();
        }
      }
      return base::OkStatus();
  }
  return wrong();
}

}  // namespace

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kDatabase: return "database";
    case Kind::kCache: return "cache";
    case Kind::kStorage: return "storage";
    case Kind::kEmail: return "email";
    case Kind::kFtp: return "ftp";
  }
  return "?";
}

std::span<const ServiceType* const> AllTypes() { return kTypes; }

const ServiceType* FindType(std::string_view name) {
  for (const Alias& a : kAliases) {
    if (a.alias == name) {
      name = a.name;
    }
  }
  for (const ServiceType* t : kTypes) {
    if (t->name == name) {
      return t;
    }
  }
  return nullptr;
}

base::Result<json::object> ValidateConfig(const ServiceType& type, const json::value& config) {
  if (config.is_null()) {
    return ValidateConfig(type, json::object{});
  }
  if (!config.is_object()) {
    return base::FieldError("config", "config must be an object");
  }
  const json::object& obj = config.get_object();
  for (const auto& [name, value] : obj) {
    const ConfigKey* key = FindKey(type, name);
    if (key == nullptr) {
      std::string field = "config." + std::string(name);
      return base::FieldError(field, "unknown key " + field + " for service type " +
                                         std::string(type.name));
    }
    if (value.is_null()) {
      continue;  // null = unset: the default applies
    }
    RETURN_IF_ERROR(CheckValue(*key, value));
  }
  for (const ConfigKey& key : type.keys) {
    auto it = obj.find(key.name);
    if (key.required && (it == obj.end() || it->value().is_null())) {
      std::string field = "config." + std::string(key.name);
      return base::FieldError(field, field + " is required for service type " +
                                         std::string(type.name));
    }
  }
  if (type.validate != nullptr) {
    RETURN_IF_ERROR(type.validate(obj));
  }
  return obj;
}

json::object RedactSecrets(const ServiceType& type, const json::object& config) {
  json::object out = config;
  for (const ConfigKey& key : type.keys) {
    auto it = out.find(key.name);
    if (key.secret && it != out.end() && !it->value().is_null()) {
      it->value() = json::string(kRedacted);
    }
  }
  return out;
}

void KeepRedactedSecrets(const ServiceType& type, const json::object& old_config,
                         json::object& new_config) {
  for (const ConfigKey& key : type.keys) {
    auto it = new_config.find(key.name);
    if (!key.secret || it == new_config.end() || !it->value().is_string() ||
        it->value().get_string() != kRedacted) {
      continue;
    }
    auto old = old_config.find(key.name);
    if (old != old_config.end()) {
      it->value() = old->value();
    } else {
      new_config.erase(it);
    }
  }
}

ActorOptions ActorOptionsOf(const ServiceType& type, const json::object& config) {
  ActorOptions o;
  o.pool_size = static_cast<int>(ConfigInt(config, "pool_size", type.default_pool_size));
  o.call_timeout = std::chrono::milliseconds(ConfigInt(config, "timeout_ms", 5000));
  o.inbox_capacity = static_cast<size_t>(ConfigInt(config, "queue_size", 1024));
  return o;
}

// ---- connection.h helpers ----

namespace {

base::Status ArgError(std::string_view op, size_t i, std::string_view what,
                      std::string_view must_be) {
  return base::InvalidArgument(std::string(op) + ": argument " + std::to_string(i + 1) + " (" +
                               std::string(what) + ") must be " + std::string(must_be));
}

}  // namespace

void Connection::CallBatch(std::span<const BatchCall> calls,
                           std::span<base::Result<json::value>> results) {
  for (size_t i = 0; i < calls.size(); ++i) {
    results[i] = Call(calls[i].op, *calls[i].args);
    if (!results[i].ok() && results[i].status().code() == base::Code::kUnavailable) {
      for (size_t j = i + 1; j < calls.size(); ++j) {
        results[j] = results[i].status();  // the connection is broken: nothing else was sent
      }
      return;
    }
  }
}

base::Result<ScalarReply> Connection::CallScalar(std::string_view op,
                                                 std::span<const ArgView> args) {
  ASSIGN_OR_RETURN(json::array array, ToJsonArgs(args));
  ASSIGN_OR_RETURN(json::value reply, Call(op, array));
  switch (reply.kind()) {
    case json::kind::null: return ScalarReply::Null();
    case json::kind::bool_: return ScalarReply::Bool(reply.get_bool());
    case json::kind::int64: return ScalarReply::Int(reply.get_int64());
    case json::kind::string: return ScalarReply::String(std::string(reply.get_string()));
    default:
      return base::Internal(std::string(op) + ": the reply is not a scalar");
  }
}

void ToArgViews(const json::array& args, std::vector<ArgView>& out,
                std::vector<std::string>& json_texts) {
  out.clear();
  json_texts.clear();
  json_texts.reserve(args.size());  // views of its strings must not move
  for (const json::value& v : args) {
    ArgView a;
    switch (v.kind()) {
      case json::kind::null: break;
      case json::kind::bool_: a.type = ArgView::Type::kBool; a.boolean = v.get_bool(); break;
      case json::kind::int64: a.type = ArgView::Type::kInt; a.integer = v.get_int64(); break;
      case json::kind::uint64:
        if (v.get_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
          a.type = ArgView::Type::kInt;
          a.integer = static_cast<int64_t>(v.get_uint64());
        } else {
          a.type = ArgView::Type::kDouble;
          a.number = static_cast<double>(v.get_uint64());
        }
        break;
      case json::kind::double_: a.type = ArgView::Type::kDouble; a.number = v.get_double(); break;
      case json::kind::string:
        a.type = ArgView::Type::kString;
        a.text = std::string_view(v.get_string().data(), v.get_string().size());
        break;
      case json::kind::array:
      case json::kind::object:
        json_texts.push_back(json::serialize(v));
        a.type = ArgView::Type::kJson;
        a.text = json_texts.back();
        break;
    }
    out.push_back(a);
  }
}

base::Result<json::array> ToJsonArgs(std::span<const ArgView> args) {
  json::array array;
  array.reserve(args.size());
  for (size_t i = 0; i < args.size(); ++i) {
    const ArgView& a = args[i];
    switch (a.type) {
      case ArgView::Type::kNull: array.emplace_back(nullptr); break;
      case ArgView::Type::kBool: array.emplace_back(a.boolean); break;
      case ArgView::Type::kInt: array.emplace_back(a.integer); break;
      case ArgView::Type::kDouble: array.emplace_back(a.number); break;
      case ArgView::Type::kString: array.emplace_back(json::string_view(a.text)); break;
      case ArgView::Type::kJson: {
        boost::system::error_code ec;
        json::value v = json::parse(json::string_view(a.text), ec);
        if (ec) {
          return base::InvalidArgument("argument " + std::to_string(i + 1) +
                                       " is not valid JSON: " + ec.message());
        }
        array.push_back(std::move(v));
        break;
      }
    }
  }
  return array;
}

json::value ToJson(const ScalarReply& reply) {
  switch (reply.type) {
    case ScalarReply::Type::kBool: return json::value(reply.boolean);
    case ScalarReply::Type::kInt: return json::value(reply.integer);
    case ScalarReply::Type::kString: return json::value(json::string(reply.text));
    case ScalarReply::Type::kNull: break;
  }
  return json::value(nullptr);
}

base::Result<std::string_view> StringArg(std::span<const ArgView> args, size_t i,
                                         std::string_view op, std::string_view what) {
  if (i >= args.size() || args[i].type != ArgView::Type::kString) {
    return ArgError(op, i, what, "a string");
  }
  return args[i].text;
}

base::Result<int64_t> IntArg(std::span<const ArgView> args, size_t i, std::string_view op,
                             std::string_view what, std::optional<int64_t> fallback) {
  if ((i >= args.size() || args[i].type == ArgView::Type::kNull) && fallback) {
    return *fallback;
  }
  if (i < args.size() && args[i].type == ArgView::Type::kInt) {
    return args[i].integer;
  }
  return ArgError(op, i, what, "an integer");
}

base::Result<std::string_view> StringArg(const json::array& args, size_t i, std::string_view op,
                                         std::string_view what) {
  if (i >= args.size() || !args[i].is_string()) {
    return ArgError(op, i, what, "a string");
  }
  const json::string& s = args[i].get_string();
  return std::string_view(s.data(), s.size());
}

base::Result<int64_t> IntArg(const json::array& args, size_t i, std::string_view op,
                             std::string_view what, std::optional<int64_t> fallback) {
  if ((i >= args.size() || args[i].is_null()) && fallback) {
    return *fallback;
  }
  if (i < args.size() && args[i].is_int64()) {
    return args[i].get_int64();
  }
  if (i < args.size() && args[i].is_uint64() && args[i].get_uint64() <= INT64_MAX) {
    return static_cast<int64_t>(args[i].get_uint64());
  }
  return ArgError(op, i, what, "an integer");
}

base::Status TestConnection(const ServiceType& type, const json::object& config) {
  auto conn = type.connect(config);
  return conn.ok() ? conn.value()->Ping() : conn.status();
}

base::Status CheckRelativeKey(std::string_view key, std::string_view what) {
  auto bad = [&](std::string_view why) {
    return base::InvalidArgument(std::string(what) + " '" + std::string(key.substr(0, 200)) +
                                 "' " + std::string(why));
  };
  if (key.empty()) {
    return base::InvalidArgument(std::string(what) + " must not be empty");
  }
  if (key.size() > 1024) {
    return bad("is longer than 1024 bytes");
  }
  if (key.front() == '/') {
    return bad("must be relative (no leading '/')");
  }
  for (char c : key) {
    if (c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return bad("contains a backslash or a control character");
    }
  }
  size_t start = 0;
  while (start <= key.size()) {
    size_t slash = key.find('/', start);
    std::string_view segment =
        key.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (segment == "..") {
      return bad("leaves the root ('..' segment)");
    }
    if (slash == std::string_view::npos) {
      break;
    }
    start = slash + 1;
  }
  return base::OkStatus();
}

std::string ConfigString(const json::object& config, std::string_view key,
                         std::string_view fallback) {
  auto it = config.find(key);
  if (it == config.end() || !it->value().is_string()) {
    return std::string(fallback);
  }
  return std::string(it->value().get_string());
}

int64_t ConfigInt(const json::object& config, std::string_view key, int64_t fallback) {
  auto it = config.find(key);
  if (it == config.end()) {
    return fallback;
  }
  if (it->value().is_int64()) {
    return it->value().get_int64();
  }
  if (it->value().is_uint64()) {
    return static_cast<int64_t>(it->value().get_uint64());
  }
  return fallback;
}

bool ConfigBool(const json::object& config, std::string_view key, bool fallback) {
  auto it = config.find(key);
  return it != config.end() && it->value().is_bool() ? it->value().get_bool() : fallback;
}

}  // namespace edgegate::services
