#include "experiments/commands/commands.h"
#include "experiments/drivers/experiment.h"

namespace nullmark::commands {

int run(const RunArgs& a) {
  std::vector<std::string> overrides = a.overrides;
  if (!a.output_dir.empty()) overrides.push_back("output_dir=" + a.output_dir);
  run_sweep(a.config, overrides);
  return 0;
}

}  // namespace nullmark::commands
