// Expected failures (bad model, unsupported op, bad input, device trouble) are thrown
// as tandem::Error and caught at the API boundary; bugs use assert. Messages name the
// node, the op and the cause so that users can act on them.
#pragma once
#include <stdexcept>
#include <string>

namespace tandem {

enum class ErrorKind {
  InvalidModel,  // corrupt file, missing initializer, bad attribute
  Unsupported,   // op or attribute value tandem does not implement
  InvalidInput,  // wrong input shape or dtype, unreadable input file
  Device,        // a device call failed (names device and op)
  Io,            // file system
  Internal,      // a broken invariant that is not the caller's fault
};

const char* error_kind_name(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

[[noreturn]] void fail(ErrorKind kind, const std::string& message);

}  // namespace tandem
