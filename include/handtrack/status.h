// Errors as values: every fallible handtrack call returns a Status or a Result<T>.
//
// A Status is a code plus a one-line message of the form
// "failed to <verb> <object>: <reason>", naming the file, op or tensor concerned.
// The library never prints and never aborts on bad input; aborting checks are
// reserved for internal bugs.
//
// Threading: Status and Result are plain values; copying and moving them is
// thread-safe as for any value type.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace handtrack {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // a bad option value or an argument out of range
  kNotFound,            // a file or model that does not exist
  kInvalidModel,        // a model file that is corrupt or malformed
  kInvalidImage,        // an image file that is corrupt, truncated or of an unknown type
  kUnsupported,         // valid input that this build or backend cannot handle (drives fallback)
  kUnavailable,         // a backend or device that is missing or was lost
  kResourceExhausted,   // out of memory, or an input above a documented size limit
  kFailedPrecondition,  // a call in the wrong running mode or order
  kInternal,            // a bug in handtrack
};

// Short lower-case name of a code, e.g. "invalid_model".
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "<message>" for errors, "ok" for success.
  std::string ToString() const { return ok() ? std::string("ok") : message_; }

  // Returns a copy whose message is "<prefix>: <message>", keeping the code.
  Status WithPrefix(std::string_view prefix) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgumentError(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFoundError(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status InvalidModelError(std::string m) { return {StatusCode::kInvalidModel, std::move(m)}; }
inline Status InvalidImageError(std::string m) { return {StatusCode::kInvalidImage, std::move(m)}; }
inline Status UnsupportedError(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
inline Status UnavailableError(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status ResourceExhaustedError(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
inline Status FailedPreconditionError(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status InternalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// Either a value or an error Status (never an OK status without a value).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (std::get<Status>(v_).ok()) v_ = Status(StatusCode::kInternal, "Result built from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  // Precondition: ok().
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

}  // namespace handtrack

// Internal helpers for propagating errors; usable by callers too.
#define HT_CONCAT_INNER_(a, b) a##b
#define HT_CONCAT_(a, b) HT_CONCAT_INNER_(a, b)

#define HT_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::handtrack::Status ht_status_ = (expr); \
    if (!ht_status_.ok()) return ht_status_; \
  } while (0)

#define HT_ASSIGN_OR_RETURN(lhs, expr) HT_ASSIGN_OR_RETURN_IMPL_(HT_CONCAT_(ht_result_, __LINE__), lhs, expr)
#define HT_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
