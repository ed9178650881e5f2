// File-system checks (see files.h).
#include "core/files.h"

#include <filesystem>
#include <fstream>

#include "tandem/error.h"

namespace tandem {

void check_writable(const std::string& path, const std::string& what) {
  std::error_code ignored;
  bool existed = std::filesystem::exists(path, ignored);
  if (!std::ofstream(path, std::ios::app)) fail(ErrorKind::Io, "cannot write " + what + " '" + path + "'");
  if (!existed) std::filesystem::remove(path, ignored);
}

}  // namespace tandem
