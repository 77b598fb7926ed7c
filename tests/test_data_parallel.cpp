// Data-parallel training in one process: batch shards cover every batch exactly once, in order; a
// one-rank data-parallel trainer is bitwise the plain one; the settings are checked. The MPI
// equivalence (2 ranks x 64 against 1 x 128) is tests/cli/mpi_train.sh.
#include <algorithm>
#include <catch2/catch.hpp>

#include "datasets/batcher.h"
#include "error_of.h"
#include "nn/network.h"
#include "synthetic_data.h"
#include "train/data_parallel.h"
#include "train/trainer.h"

using namespace nullmark;

TEST_CASE("batch shards split each batch into contiguous near-equal parts, in order", "[parallel]") {
  const Dataset d = test::synthetic_bands(103);
  const size_t per = d.shape.numel();
  for (int batch : {1, 8, 16, 103}) {
    for (int parts : {1, 2, 3, 5}) {
      if (parts > batch) continue;
      INFO("batch " << batch << ", " << parts << " shards");
      Batcher whole(d, batch, 9, true);
      whole.start_epoch(2);
      std::vector<Batcher> shards;
      for (int r = 0; r < parts; ++r) {
        shards.emplace_back(d, batch, 9, true);
        shards.back().set_shard(r, parts);
        shards.back().start_epoch(2);
      }
      std::vector<float> xw(per * batch), xs(per * batch);
      std::vector<int32_t> yw(batch), ys(batch);
      for (long b = 0; b < whole.batches(); ++b) {
        const int n = whole.gather(b, xw.data(), yw.data());
        int at = 0, smallest = n, largest = 0;
        for (int r = 0; r < parts; ++r) {
          CHECK(shards[r].batch_samples(b) == n);
          CHECK(shards[r].shard_begin(b) == at);
          const int k = shards[r].gather(b, xs.data() + per * at, ys.data() + at);
          smallest = std::min(smallest, k);
          largest = std::max(largest, k);
          at += k;
        }
        REQUIRE(at == n);
        CHECK(largest - smallest <= 1);
        CHECK(std::equal(yw.begin(), yw.begin() + n, ys.begin()));
        CHECK(std::equal(xw.begin(), xw.begin() + per * n, xs.begin()));
      }
    }
  }
  Batcher b(d, 4, 1, false);
  CHECK(test::error_of([&] { b.set_shard(0, 5); }).find("leave some empty") != std::string::npos);
  CHECK(test::error_of([&] { b.set_shard(2, 2); }).find("shard 2 of 2") != std::string::npos);
}

namespace {
Network small_net() {
  ConfigMap root = ConfigMap::load_string(
      "model: {name: s, layers: [{type: conv2d, filters: 4, kernel: 3}, {type: batchnorm}, {type: relu},"
      " {type: flatten}, {type: dense, units: 5}]}",
      "s.yaml");
  Network net = Network::from_config(root.section("model"), Shape{1, 12, 12}, 5);
  net.init_params(5);
  return net;
}
TrainParams small_params(int parallel) {
  ConfigMap cfg = ConfigMap::load_string(
      "{epochs: 2, batch_size: 16, optimizer: {type: adam, lr: 0.01}, augment: {crop_padding: 2, flip: true}" +
          std::string(parallel ? ", parallel: {ranks: " + std::to_string(parallel) + "}" : "") + "}",
      "train.yaml");
  return TrainParams::read(cfg);
}
}  // namespace

TEST_CASE("a batch's rows are the samples gather copies, shard by shard", "[parallel][batcher]") {
  // What a device-resident feed gathers on the GPU (train/device_feed.h) from the same rows.
  const Dataset d = test::synthetic_bands(37);
  const size_t per = d.shape.numel();
  for (int parts : {1, 3}) {
    Batcher b(d, 8, 4, true);
    b.set_shard(parts - 1, parts);
    b.start_epoch(1);
    std::vector<float> x(per * 8);
    std::vector<int32_t> y(8);
    std::vector<int> seen(d.size(), 0);
    for (long i = 0; i < b.batches(); ++i) {
      const auto [rows, n] = b.rows(i);
      REQUIRE(b.gather(i, x.data(), y.data()) == n);
      for (int k = 0; k < n; ++k) {
        CHECK(std::equal(x.begin() + per * k, x.begin() + per * (k + 1), d.image(rows[k])));
        CHECK(y[k] == d.labels[rows[k]]);
        ++seen[rows[k]];
      }
    }
    if (parts == 1) CHECK(std::all_of(seen.begin(), seen.end(), [](int c) { return c == 1; }));  // each once
  }
}

TEST_CASE("a one-rank data-parallel trainer is bitwise the plain one", "[parallel]") {
  const Dataset d = test::synthetic_bands(70);
  std::vector<std::vector<float>> params, buffers;
  std::vector<double> losses;
  for (int parallel : {0, 1}) {
    Network net = small_net();
    const TrainParams p = small_params(parallel);
    Optimizer opt(p.optimizer, net.param_slices());
    Trainer t(net, opt, p, 3);
    DataParallel dp(1, Device::CPU);
    if (parallel) t.set_data_parallel(&dp);
    long step = 0;
    for (long e = 0; e < p.epochs; ++e) losses.push_back(t.run_epoch(d, e, step, nullptr).loss);
    params.push_back(net.host_params());
    buffers.push_back(net.host_buffers());
  }
  CHECK(losses[0] == losses[2]);
  CHECK(losses[1] == losses[3]);
  CHECK(params[0] == params[1]);
  CHECK(buffers[0] == buffers[1]);
}

TEST_CASE("data-parallel settings are checked", "[parallel]") {
  CHECK(small_params(2).parallel_ranks == 2);
  CHECK(small_params(0).parallel_ranks == 0);
  CHECK(test::error_of([] { small_params(17); }).find("exceeds train.batch_size") != std::string::npos);
  CHECK(test::error_of([] {
          TrainParams::read(ConfigMap::load_string("{parallel: {ranks: 0}}", "t.yaml"));
        }).find("ranks") != std::string::npos);
  CHECK(test::error_of([] {
          TrainParams::read(ConfigMap::load_string("{parallel: {ranks: 2, nodes: 1}}", "t.yaml"));
        }).find("nodes") != std::string::npos);
  // This process is one rank: a job of two cannot be joined.
  CHECK(test::error_of([] { DataParallel(2, Device::CPU); }).find("this job has 1 process") != std::string::npos);
  // Other commands than `nullmark train` (which joins the ranks) refuse a parallel section.
  Network net = small_net();
  const TrainParams p = small_params(1);
  Optimizer opt(p.optimizer, net.param_slices());
  Trainer t(net, opt, p, 3);
  long step = 0;
  CHECK(test::error_of([&] { t.run_epoch(test::synthetic_bands(32), 0, step, nullptr); })
            .find("honoured by `nullmark train` only") != std::string::npos);
}
