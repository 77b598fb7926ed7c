#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/files.h"
#include "common/threads.h"
#include "experiments/commands/commands.h"
#include "experiments/commands/model_and_data.h"
#include "experiments/evaluate.h"

namespace nullmark::commands {

int eval(const EvalArgs& a) {
  set_threads(a.threads);
  const ModelAndData m = load_model_and_data(a.model, a.data_path, a.split, a.device);
  const EvalResult r = evaluate(*m.net, m.d);
  std::printf("%s on %s (%ld samples): accuracy %.2f%%, loss %.4f\n", a.model.c_str(), m.d.name.c_str(), r.samples,
              100 * r.accuracy, r.loss);
  if (!a.json_out.empty()) {
    nlohmann::json j = {
        {"model", a.model}, {"data", m.d.name}, {"samples", r.samples}, {"accuracy", r.accuracy}, {"loss", r.loss}};
    write_file_atomic(a.json_out, j.dump(2) + "\n");
  }
  return 0;
}

}  // namespace nullmark::commands
