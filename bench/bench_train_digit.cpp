// Training throughput of a model config: images/s over timed optimizer steps at a fixed batch size,
// after warm-up, on the config's real data, on the CPU or (--device cuda) the GPU. The PyTorch twin
// is bench/pytorch_train.py.
//
//   build/bench_train_digit [--config experiments/configs/digit-clean.yaml] [--batch 128]
//                           [--steps 200] [--threads 0] [--device cpu|cuda] [--cuda-graph]
//                           [--conv-native auto|gemm|direct] [--profile] [--json OUT]
// With --config experiments/configs/digit-watermark.yaml every step trains the clean batch plus its
// null- and true-stamped copies; images/s then counts clean images (the epoch's progress), so the
// ratio of the two figures is the cost of watermarking per epoch.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/blas_core.h"
#include "common/files.h"
#include "experiments/run_setup.h"
#include "kernels/cuda/device.h"
#include "kernels/cuda/runtime.h"
#include "train/trainer.h"

int main(int argc, char** argv) {
  using namespace nullmark;
  ensure_blas_core(argv);
  CLI::App app{"nullmark CPU training throughput"};
  std::string config = "experiments/configs/digit-clean.yaml", json_out, device = "cpu";
  int batch = 128, steps = 200, warmup = 20, threads = 0;
  bool profile = false;
  app.add_option("--config", config, "Training config whose model and data are measured");
  app.add_option("--batch", batch, "Batch size");
  app.add_option("--steps", steps, "Timed steps");
  app.add_option("--warmup", warmup, "Untimed steps first");
  app.add_option("--threads", threads, "CPU threads (0 = all cores)");
  app.add_option("--device", device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  bool graph = false;
  app.add_flag("--cuda-graph", graph, "Replay the training step as a CUDA graph");
  std::string conv_native = "auto";
  app.add_option("--conv-native", conv_native, "Form of the native convolutions on the GPU (cuda.conv_native)")
      ->check(CLI::IsMember({"auto", "gemm", "direct"}));
  std::string precision = "fp32";
  app.add_option("--precision", precision, "How GPU matrix products round their operands (cuda.precision)")
      ->check(CLI::IsMember({"fp32", "tf32", "bf16"}));
  app.add_flag("--profile", profile, "Print per-layer forward/backward times (on the GPU each layer is waited for)");
  app.add_option("--json", json_out, "Write the result as JSON");
  std::vector<std::string> overrides;
  app.add_option("--set", overrides, "KEY=VALUE over the config, as nullmark train --set (e.g. data.path=DIR)");
  CLI11_PARSE(app, argc, argv);
  try {
    std::vector<std::string> settings = {"threads=" + std::to_string(threads), "data.test_limit=1",
                                         "train.batch_size=" + std::to_string(batch), "device=" + device,
                                         std::string("cuda.graph=") + (graph ? "true" : "false"),
                                         "cuda.conv_native=" + conv_native, "cuda.precision=" + precision};
    settings.insert(settings.end(), overrides.begin(), overrides.end());
    RunSetup s = load_run_setup(config, settings);
    Network& net = *s.net;
    Optimizer opt(s.train_params.optimizer, net.param_slices());
    place_on_device(s, opt);
    net.init_params(s.seed);
    const bool gpu = s.compute.device == Device::CUDA;
    Trainer trainer(net, opt, s.train_params, s.seed);
    if (s.watermark) trainer.set_watermark(s.wm, *s.watermark);
    Batcher batches(s.train, batch, s.seed, true);
    batches.start_epoch(0);
    s.compute.configure(trainer);
    auto run = [&](int count, long first) {
      for (int i = 0; i < count; ++i) {
        const long b = (first + i) % batches.batches();
        trainer.train_batch(batches, b, first + i, first + i, opt.config().lr());
      }
      if (gpu) s.net->gpu().synchronize();
    };
    run(warmup, 0);
    net.set_profiling(profile);
    const auto t0 = std::chrono::steady_clock::now();
    run(steps, warmup);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double ips = static_cast<double>(steps) * batch / secs;
    const std::string where = gpu ? cuda::query_device().description : std::string("cpu (OpenBLAS ") + blas_core_name() + ")";
    std::printf("nullmark %s  model %s%s  batch %d  threads %d  %s  steps %d  %.3f s  %.0f clean images/s\n",
                where.c_str(), s.model_name.c_str(), s.watermark ? " + watermark" : "", batch, s.threads,
                gpu ? precision.c_str() : "fp32", steps, secs, ips);
    if (profile) std::printf("%s", net.profile_report().c_str());
    if (!json_out.empty()) {
      nlohmann::json j = {{"framework", "nullmark " NULLMARK_VERSION},
                          {"device", gpu ? cuda::query_device().description : "cpu"},
                          {"threads", s.threads},
                          {"batch", batch},
                          {"steps", steps},
                          {"seconds", secs},
                          {"images_per_s", ips},
                          {"model", s.model_name},
                          {"blas_core", blas_core_name()},
                          {"watermark", static_cast<bool>(s.watermark)},
                          {"cuda_graph", s.compute.graph},
                          {"conv_native", s.compute.conv_native},
                          {"precision", gpu ? precision : "fp32"}};
      if (profile) {
        j["profile"] = nlohmann::json::array();
        for (const Network::ProfileRow& r : net.profile())
          j["profile"].push_back({{"layer", r.layer}, {"settings", r.settings}, {"forward_ms", r.forward_ms},
                                  {"backward_ms", r.backward_ms}});
      }
      write_file_atomic(json_out, j.dump(2) + "\n");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
