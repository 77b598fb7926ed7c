#include "experiments/plot_script.h"

#include <cstdio>
#include <cstdlib>

#include "common/files.h"

namespace nullmark {

namespace {
std::string quoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}
}  // namespace

bool run_plot_script(const std::string& script, const std::vector<std::string>& args, const std::string& log_path) {
  const char* env = std::getenv("NULLMARK_PYTHON");
  const std::string python = env ? env : (file_exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
  std::string cmd = python + " " + quoted(std::string(NULLMARK_SOURCE_DIR) + "/experiments/plots/" + script);
  for (const auto& a : args) cmd += " " + quoted(a);
  // Sweeps of hundreds of short runs (the frontier) read only results.json: starting matplotlib would
  // cost each run about a second.
  const char* figures = std::getenv("NULLMARK_FIGURES");
  if (figures && std::string(figures) == "off") {
    std::fprintf(stderr, "note: figures not made (NULLMARK_FIGURES=off); make them with: %s\n", cmd.c_str());
    return false;
  }
  if (figures && std::string(figures) != "on")
    std::fprintf(stderr, "note: NULLMARK_FIGURES=%s is neither on nor off; figures made\n", figures);
  const bool made = std::system((cmd + " > " + quoted(log_path) + " 2>&1").c_str()) == 0;
  if (!made)
    std::fprintf(stderr, "note: figures not made (needs python3-matplotlib; see %s); re-run: %s\n", log_path.c_str(),
                 cmd.c_str());
  return made;
}

}  // namespace nullmark
