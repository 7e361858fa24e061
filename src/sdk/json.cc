// edgegate::Json core: lifetime of the tagged union, typed access and container operations.
// Serialisation and equality live in json_dump.cc; building from parser events in
// json_builder.cc. Compiled into libedgegate_sdk.a, i.e. into every handler library.
#include <algorithm>
#include <new>
#include <string>

#include "edgegate/sdk.hpp"

namespace edgegate {
namespace {

constexpr std::uint64_t kInt64Max = 9223372036854775807ull;

const Json kNullJson;
const Json::Array kEmptyArray;
const Json::Object kEmptyObject;

const char* TypeName(Json::Type type) {
  switch (type) {
    case Json::Type::kNull:
      return "null";
    case Json::Type::kBool:
      return "bool";
    case Json::Type::kInt:
      return "int";
    case Json::Type::kDouble:
      return "double";
    case Json::Type::kString:
      return "string";
    case Json::Type::kArray:
      return "array";
    case Json::Type::kObject:
      return "object";
  }
  return "unknown";
}

[[noreturn]] void ThrowTypeError(const char* expected, Json::Type actual) {
  throw std::invalid_argument(std::string("Json: expected ") + expected + ", got " +
                              TypeName(actual));
}

}  // namespace

Json::Json(const char* value) : type_(Type::kNull), int_(0) {
  if (value != nullptr) {
    new (&string_) std::string(value);
    type_ = Type::kString;
  }
}

Json::Json(std::string_view value) : type_(Type::kString), string_(value) {}

Json::Json(std::string value) : type_(Type::kString), string_(std::move(value)) {}

Json::Json(const Json& other) : type_(Type::kNull), int_(0) { CopyFrom(other); }

Json::Json(Json&& other) noexcept : type_(Type::kNull), int_(0) { MoveFrom(other); }

// Both assignments go through a temporary so that assigning a value's own child
// (`j = j["a"]`) does not read it after destroying it.
Json& Json::operator=(const Json& other) {
  if (this != &other) {
    Json copy(other);
    Destroy();
    MoveFrom(copy);
  }
  return *this;
}

Json& Json::operator=(Json&& other) noexcept {
  if (this != &other) {
    Json moved(std::move(other));
    Destroy();
    MoveFrom(moved);
  }
  return *this;
}

Json::~Json() { Destroy(); }

void Json::Destroy() noexcept {
  switch (type_) {
    case Type::kString:
      string_.~basic_string();
      break;
    case Type::kArray:
      array_.~vector();
      break;
    case Type::kObject:
      object_.~vector();
      break;
    default:
      break;
  }
  type_ = Type::kNull;
  int_ = 0;
}

// REQUIRES: *this is null (holds no resource).
void Json::CopyFrom(const Json& other) {
  switch (other.type_) {
    case Type::kString:
      new (&string_) std::string(other.string_);
      break;
    case Type::kArray:
      new (&array_) Array(other.array_);
      break;
    case Type::kObject:
      new (&object_) Object(other.object_);
      break;
    case Type::kBool:
      bool_ = other.bool_;
      break;
    case Type::kDouble:
      double_ = other.double_;
      break;
    default:
      int_ = other.int_;
      break;
  }
  type_ = other.type_;
}

// REQUIRES: *this is null. Leaves `other` null.
void Json::MoveFrom(Json& other) noexcept {
  switch (other.type_) {
    case Type::kString:
      new (&string_) std::string(std::move(other.string_));
      break;
    case Type::kArray:
      new (&array_) Array(std::move(other.array_));
      break;
    case Type::kObject:
      new (&object_) Object(std::move(other.object_));
      break;
    case Type::kBool:
      bool_ = other.bool_;
      break;
    case Type::kDouble:
      double_ = other.double_;
      break;
    default:
      int_ = other.int_;
      break;
  }
  type_ = other.type_;
  other.Destroy();
}

void Json::SetUnsigned(std::uint64_t value) noexcept {
  if (value > kInt64Max) {
    type_ = Type::kDouble;
    double_ = static_cast<double>(value);
  } else {
    type_ = Type::kInt;
    int_ = static_cast<std::int64_t>(value);
  }
}

void Json::ThrowOutOfRange(const char* what) { throw std::out_of_range(what); }

Json Json::array() {
  Json result;
  new (&result.array_) Array();
  result.type_ = Type::kArray;
  return result;
}

Json Json::array(std::initializer_list<Json> items) {
  Json result = array();
  result.array_.assign(items.begin(), items.end());
  return result;
}

Json Json::object() {
  Json result;
  new (&result.object_) Object();
  result.type_ = Type::kObject;
  return result;
}

Json Json::object(std::initializer_list<Member> members) {
  Json result = object();
  result.object_.reserve(members.size());
  for (const Member& member : members) {
    result[member.key] = member.value;
  }
  return result;
}

bool Json::as_bool() const {
  if (!is_bool()) {
    ThrowTypeError("bool", type_);
  }
  return bool_;
}

std::int64_t Json::as_int() const {
  if (!is_int()) {
    ThrowTypeError("int", type_);
  }
  return int_;
}

double Json::as_double() const {
  if (is_int()) {
    return static_cast<double>(int_);
  }
  if (!is_double()) {
    ThrowTypeError("number", type_);
  }
  return double_;
}

const std::string& Json::as_string() const {
  if (!is_string()) {
    ThrowTypeError("string", type_);
  }
  return string_;
}

Json& Json::operator[](std::string_view key) {
  if (is_null()) {
    *this = object();
  }
  if (!is_object()) {
    ThrowTypeError("object", type_);
  }
  for (Member& member : object_) {
    if (member.key == key) {
      return member.value;
    }
  }
  object_.push_back(Member{std::string(key), Json()});
  return object_.back().value;
}

const Json& Json::operator[](std::string_view key) const {
  const Json* value = find(key);
  return value != nullptr ? *value : kNullJson;
}

Json& Json::at(std::string_view key) {
  return const_cast<Json&>(static_cast<const Json&>(*this).at(key));
}

const Json& Json::at(std::string_view key) const {
  const Json* value = find(key);
  if (value == nullptr) {
    throw std::out_of_range("Json: no member '" + std::string(key) + "'");
  }
  return *value;
}

const Json* Json::find(std::string_view key) const {
  if (!is_object()) {
    return nullptr;
  }
  for (const Member& member : object_) {
    if (member.key == key) {
      return &member.value;
    }
  }
  return nullptr;
}

bool Json::erase(std::string_view key) {
  if (!is_object()) {
    return false;
  }
  auto it = std::find_if(object_.begin(), object_.end(),
                         [key](const Member& member) { return member.key == key; });
  if (it == object_.end()) {
    return false;
  }
  object_.erase(it);
  return true;
}

Json& Json::at(std::size_t index) {
  return const_cast<Json&>(static_cast<const Json&>(*this).at(index));
}

const Json& Json::at(std::size_t index) const {
  if (!is_array()) {
    ThrowTypeError("array", type_);
  }
  if (index >= array_.size()) {
    ThrowOutOfRange("Json: array index out of range");
  }
  return array_[index];
}

void Json::push_back(Json item) {
  if (is_null()) {
    *this = array();
  }
  if (!is_array()) {
    ThrowTypeError("array", type_);
  }
  array_.push_back(std::move(item));
}

const Json::Array& Json::items() const {
  if (is_null()) {
    return kEmptyArray;
  }
  if (!is_array()) {
    ThrowTypeError("array", type_);
  }
  return array_;
}

Json::Array& Json::items() {
  if (is_null()) {
    *this = array();
  }
  if (!is_array()) {
    ThrowTypeError("array", type_);
  }
  return array_;
}

const Json::Object& Json::members() const {
  if (is_null()) {
    return kEmptyObject;
  }
  if (!is_object()) {
    ThrowTypeError("object", type_);
  }
  return object_;
}

Json::Object& Json::members() {
  if (is_null()) {
    *this = object();
  }
  if (!is_object()) {
    ThrowTypeError("object", type_);
  }
  return object_;
}

std::size_t Json::size() const noexcept {
  if (is_array()) {
    return array_.size();
  }
  if (is_object()) {
    return object_.size();
  }
  return 0;
}

}  // namespace edgegate
