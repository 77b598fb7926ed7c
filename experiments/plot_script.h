// Figures are drawn by small matplotlib scripts in experiments/plots/ from the files a run has
// written (results.json, metrics.json), so they can be re-made or restyled without re-running.
#pragma once
#include <string>
#include <vector>

namespace nullmark {

// Runs experiments/plots/SCRIPT on `args` (each passed as one argument), with its output in
// LOG_PATH. Debian's interpreter carries python3-matplotlib; a python3 earlier on PATH (a
// virtualenv, pyenv) may not, so /usr/bin/python3 is preferred and NULLMARK_PYTHON overrides.
// Returns whether the figure was made; when not, prints the command that re-makes it.
bool run_plot_script(const std::string& script, const std::vector<std::string>& args, const std::string& log_path);

}  // namespace nullmark
