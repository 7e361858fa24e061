// Errors as values: Status carries a code and a message; Result<T> is a value or a Status.
// Codes map one-to-one onto the HTTP statuses the admin API answers with, so a failure deep in
// the store or compiler reaches the client with the right status and no translation table.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace edgegate::base {

enum class Code {
  kOk = 0,
  kInvalidArgument,     // 400
  kUnauthenticated,     // 401
  kPermissionDenied,    // 403
  kNotFound,            // 404
  kAlreadyExists,       // 409
  kFailedPrecondition,  // 409
  kTooLarge,            // 413
  kCompileFailed,       // 422
  kUnavailable,         // 503
  kDeadlineExceeded,    // 504
  kBackendError,        // 502: a service backend answered with an error
  kInternal,            // 500
};

// Returns the HTTP status that represents `code` to a client.
int HttpStatusOf(Code code);

// An outcome without a value. Cheap to copy when ok. Thread-compatible.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "field" for validation errors: the name of the offending input, or empty.
  const std::string& field() const { return field_; }
  Status&& WithField(std::string field) && {
    field_ = std::move(field);
    return std::move(*this);
  }

 private:
  Code code_ = Code::kOk;
  std::string message_;
  std::string field_;
};

inline Status OkStatus() { return {}; }
inline Status InvalidArgument(std::string msg) { return {Code::kInvalidArgument, std::move(msg)}; }
inline Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
inline Status AlreadyExists(std::string msg) { return {Code::kAlreadyExists, std::move(msg)}; }
inline Status FailedPrecondition(std::string msg) {
  return {Code::kFailedPrecondition, std::move(msg)};
}
inline Status Unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
inline Status Internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }
inline Status DeadlineExceeded(std::string msg) {
  return {Code::kDeadlineExceeded, std::move(msg)};
}
inline Status BackendError(std::string msg) { return {Code::kBackendError, std::move(msg)}; }
// A validation error naming the offending field.
inline Status FieldError(std::string field, std::string msg) {
  return Status(Code::kInvalidArgument, std::move(msg)).WithField(std::move(field));
}

// A value of type T or a non-ok Status. Thread-compatible.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}                // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}         // NOLINT: implicit by design
  Result() : v_(Status(Code::kInternal, "uninitialised")) {}  // for async result slots

  bool ok() const { return std::holds_alternative<T>(v_); }
  // REQUIRES: !ok() for a meaningful status; returns OkStatus() when ok.
  Status status() const { return ok() ? OkStatus() : std::get<Status>(v_); }
  // REQUIRES: ok().
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace edgegate::base

#define EG_CONCAT_INNER(a, b) a##b
#define EG_CONCAT(a, b) EG_CONCAT_INNER(a, b)

// Returns the status from the enclosing function if `expr` (a Status) is not ok.
#define RETURN_IF_ERROR(expr)                                  \
  do {                                                         \
    ::edgegate::base::Status eg_status_ = (expr);              \
    if (!eg_status_.ok()) return eg_status_;                   \
  } while (0)

// `lhs = value of expr` (a Result<T>), or returns its status from the enclosing function.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(EG_CONCAT(eg_result_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()
