#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/files.h"
#include "common/threads.h"
#include "experiments/commands/commands.h"
#include "experiments/evaluate.h"
#include "experiments/run_setup.h"

namespace nullmark::commands {

int eval(const EvalArgs& a) {
  set_threads(a.threads);
  const Checkpoint ckpt = load_checkpoint(a.model);
  auto net = network_from_checkpoint(ckpt, a.model);
  ComputeOptions::of(a.device).place(*net, "--device");
  DataConfig data = data_config_from_checkpoint(ckpt, a.model);
  if (!a.data_path.empty()) data.path = a.data_path;
  data.train_limit = data.test_limit = 0;  // evaluation always uses the whole split
  const Dataset d = load_dataset(data, a.split == "train" ? Split::Train : Split::Test);
  if (d.shape != net->input_shape() || d.classes != ckpt.classes)
    throw nullmark::fail(a.model, ": model expects ", net->input_shape().str(), " inputs and ", ckpt.classes,
                         " classes, data set ", d.name, " has ", d.shape.str(), " and ", d.classes);
  const EvalResult r = evaluate(*net, d);
  std::printf("%s on %s (%ld samples): accuracy %.2f%%, loss %.4f\n", a.model.c_str(), d.name.c_str(), r.samples,
              100 * r.accuracy, r.loss);
  if (!a.json_out.empty()) {
    nlohmann::json j = {
        {"model", a.model}, {"data", d.name}, {"samples", r.samples}, {"accuracy", r.accuracy}, {"loss", r.loss}};
    write_file_atomic(a.json_out, j.dump(2) + "\n");
  }
  return 0;
}

}  // namespace nullmark::commands
