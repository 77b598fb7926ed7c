// Shared by the libFuzzer harnesses: the input as text, or as a file for the parsers that read one,
// and the rule every harness checks: a parser may refuse input only with a nullmark::Error (a clear
// message); any other exception, a crash or a sanitizer report is a finding.
#pragma once
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include "common/error.h"

namespace nullmark::fuzz {

inline std::string text(const uint8_t* data, size_t size) { return std::string(reinterpret_cast<const char*>(data), size); }

// Writes the input to a per-process file (mode 0600, as a secret key must be) and returns its path.
inline std::string as_file(const uint8_t* data, size_t size, const char* suffix = "") {
  const std::string path = "/tmp/nullmark-fuzz-" + std::to_string(::getpid()) + suffix;
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  ::chmod(path.c_str(), 0600);
  return path;
}

// Runs a parser on the input; nullmark::Error is the expected way to refuse it.
template <class F>
int refuse_cleanly(F f) {
  try {
    f();
  } catch (const Error&) {
  }
  return 0;
}

}  // namespace nullmark::fuzz
