#include <sstream>

#include "common/error.h"
#include "experiments/commands/commands.h"
#include "experiments/drivers/experiment.h"

namespace nullmark::commands {

int run(const RunArgs& a) {
  std::vector<std::string> overrides = a.overrides;
  if (!a.output_dir.empty()) overrides.push_back("output_dir=" + a.output_dir);
  SweepShare share;
  if (!a.share.empty()) {
    char slash = 0;
    std::istringstream in(a.share);
    if (!(in >> share.index >> slash >> share.count) || slash != '/' || !in.eof() || share.count < 1 ||
        share.index < 0 || share.index >= share.count)
      throw fail("--share ", a.share, ": expected K/N with 0 <= K < N, e.g. 3/10");
  }
  run_sweep(a.config, overrides, a.resume, share);
  return 0;
}

}  // namespace nullmark::commands
