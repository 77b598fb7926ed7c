// Errors carry their context (file, key, record) in the message; only main() catches them.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace nullmark {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Concatenates any streamable arguments into an Error: throw fail("file ", path, ": truncated").
template <class... Args>
Error fail(const Args&... args) {
  std::ostringstream s;
  (s << ... << args);
  return Error(s.str());
}

// Checks a precondition of a public API call; the message names what was violated.
#define NM_CHECK(cond, ...)                           \
  do {                                                \
    if (!(cond)) throw ::nullmark::fail(__VA_ARGS__); \
  } while (0)

}  // namespace nullmark
