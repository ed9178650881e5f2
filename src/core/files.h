// Small file-system checks shared by commands that write results after long
// measurements, so that a bad output path fails before any measuring.
#pragma once
#include <string>

namespace tandem {

// Throws Error(Io) naming `what` when `path` cannot be written (checked by opening it
// for appending; a file that did not exist is removed again).
void check_writable(const std::string& path, const std::string& what);

}  // namespace tandem
