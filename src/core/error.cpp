// Error kinds and the throw helper.
#include "tandem/error.h"

namespace tandem {

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::InvalidModel: return "invalid model";
    case ErrorKind::Unsupported: return "unsupported";
    case ErrorKind::InvalidInput: return "invalid input";
    case ErrorKind::Device: return "device error";
    case ErrorKind::Io: return "i/o error";
    case ErrorKind::Internal: return "internal error";
  }
  return "error";
}

void fail(ErrorKind kind, const std::string& message) { throw Error(kind, message); }

}  // namespace tandem
