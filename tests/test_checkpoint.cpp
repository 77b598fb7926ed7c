// Checkpoint round trip, and detection of every kind of damage before anything is used.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/files.h"
#include "common/sha256.h"
#include "nn/checkpoint.h"
#include "temp_dir.h"

using namespace nullmark;

namespace {
Checkpoint sample() {
  Checkpoint c;
  c.config_yaml = "model: {name: x}\n";
  c.input_shape = {1, 28, 28};
  c.classes = 10;
  c.epoch = 3;
  c.global_step = 1407;
  c.optimizer_type = "adam";
  c.optimizer_steps = 1407;
  c.params = {1.5f, -2.25f, 3.0f};
  c.optimizer_state = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f};
  c.buffers = {0.25f, 4.0f};
  c.extra = {{"epochs", {{{"epoch", 1}}}}};
  return c;
}
std::string error_of(const std::string& path) {
  try {
    load_checkpoint(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("checkpoint round trip", "[checkpoint]") {
  test::TempDir d;
  const Checkpoint c = sample();
  save_checkpoint(d.file("m.ckpt"), c);
  const Checkpoint r = load_checkpoint(d.file("m.ckpt"));
  CHECK(r.config_yaml == c.config_yaml);
  CHECK(r.input_shape == c.input_shape);
  CHECK(r.classes == 10);
  CHECK(r.epoch == 3);
  CHECK(r.global_step == 1407);
  CHECK(r.optimizer_type == "adam");
  CHECK(r.params == c.params);
  CHECK(r.optimizer_state == c.optimizer_state);
  CHECK(r.buffers == c.buffers);
  CHECK(r.extra == c.extra);
  // No temp file is left behind.
  size_t files = 0;
  for (auto& e : std::filesystem::directory_iterator(d.path)) files += e.is_regular_file();
  CHECK(files == 1);
}

TEST_CASE("corrupt checkpoints are detected and named", "[checkpoint]") {
  test::TempDir d;
  save_checkpoint(d.file("m.ckpt"), sample());
  const std::string good = read_file(d.file("m.ckpt"));
  // Any single flipped byte fails the checksum (or, in the magic, the magic check).
  for (size_t pos : {size_t(20), good.size() / 2, good.size() - 40, good.size() - 1}) {
    std::string bad = good;
    bad[pos] ^= 0x40;
    const std::string p = d.write("flip.ckpt", bad);
    CHECK_THAT(error_of(p), Catch::Contains(p) && Catch::Contains("corrupt"));
  }
  std::string magic = good;
  magic[0] = 'X';
  CHECK_THAT(error_of(d.write("magic.ckpt", magic)), Catch::Contains("wrong magic"));
  CHECK_THAT(error_of(d.write("short.ckpt", good.substr(0, 30))), Catch::Contains("too short"));
  CHECK_THAT(error_of(d.write("cut.ckpt", good.substr(0, good.size() - 10))), Catch::Contains("corrupt"));
  std::string version = good;
  version[8] = 9;
  CHECK_THAT(error_of(d.write("v.ckpt", version)), Catch::Contains("version 9 is not supported"));
}

TEST_CASE("a failed save leaves the previous checkpoint intact", "[checkpoint]") {
  test::TempDir d;
  save_checkpoint(d.file("m.ckpt"), sample());
  const std::string before = read_file(d.file("m.ckpt"));
  CHECK_THROWS_AS(save_checkpoint(d.file("missing-dir/m.ckpt"), sample()), Error);
  CHECK(read_file(d.file("m.ckpt")) == before);
}

TEST_CASE("version 1 checkpoints (before buffers) still load", "[checkpoint]") {
  test::TempDir d;
  Checkpoint c = sample();
  c.buffers.clear();
  save_checkpoint(d.file("v2.ckpt"), c);
  // A version-1 file is the same bytes without the buffer section (an empty one is its u64 count).
  std::string v1 = read_file(d.file("v2.ckpt"));
  v1.resize(v1.size() - 32 - 8);
  v1[8] = 1;
  const Digest digest = sha256(v1);
  v1.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  const Checkpoint r = load_checkpoint(d.write("v1.ckpt", v1));
  CHECK(r.params == c.params);
  CHECK(r.optimizer_state == c.optimizer_state);
  CHECK(r.buffers.empty());
}

TEST_CASE("checkpoints with negative counts or non-finite weights are refused", "[checkpoint][hostile]") {
  test::TempDir d;
  Checkpoint c = sample();
  c.epoch = -5;
  save_checkpoint(d.file("epoch.ckpt"), c);
  CHECK_THAT(error_of(d.file("epoch.ckpt")), Catch::Contains("epoch must be an integer in [0, ") &&
                                                 Catch::Contains("got -5"));
  c = sample();
  c.params[1] = std::nanf("");
  save_checkpoint(d.file("nan.ckpt"), c);
  CHECK_THAT(error_of(d.file("nan.ckpt")), Catch::Contains("parameter 1 of 3 is nan (non-finite weights"));
  c = sample();
  c.buffers[0] = INFINITY;
  save_checkpoint(d.file("inf.ckpt"), c);
  CHECK_THAT(error_of(d.file("inf.ckpt")), Catch::Contains("buffer value 0 of 2 is inf"));
  c = sample();
  c.input_shape = {1, 0, 28};
  save_checkpoint(d.file("shape.ckpt"), c);
  CHECK_THAT(error_of(d.file("shape.ckpt")), Catch::Contains("input shape entry must be an integer in [1, 1048576], got 0"));
}

TEST_CASE("checkpoint headers with fractional or huge numbers are refused, checksum or not", "[checkpoint][hostile]") {
  // A hostile file can carry a valid checksum: the header is rewritten and the file re-summed.
  test::TempDir d;
  save_checkpoint(d.file("good.ckpt"), sample());
  const std::string bytes = read_file(d.file("good.ckpt"));
  uint64_t hlen = 0;
  std::memcpy(&hlen, bytes.data() + 16, 8);
  const nlohmann::json header = nlohmann::json::parse(bytes.substr(24, hlen));
  auto with = [&](const char* key, const nlohmann::json& value) {
    nlohmann::json h = header;
    h[key] = value;
    const std::string text = h.dump();
    const uint64_t n = text.size();
    std::string out = bytes.substr(0, 16) + std::string(reinterpret_cast<const char*>(&n), 8) + text +
                      bytes.substr(24 + hlen, bytes.size() - 32 - 24 - hlen);
    const Digest digest = sha256(out);
    out.append(reinterpret_cast<const char*>(digest.data()), digest.size());
    return d.write(std::string(key) + ".ckpt", out);
  };
  CHECK_THAT(error_of(with("classes", 2.5)), Catch::Contains("classes must be an integer") && Catch::Contains("got 2.5"));
  CHECK_THAT(error_of(with("classes", 4.4e92)), Catch::Contains("classes must be an integer"));
  CHECK_THAT(error_of(with("epoch", 1e300)), Catch::Contains("epoch must be an integer"));
  CHECK_THAT(error_of(with("global_step", "7")), Catch::Contains("global_step must be an integer"));
  CHECK_THAT(error_of(with("input_shape", nlohmann::json::array({1, 28.5, 28}))),
             Catch::Contains("input shape entry must be an integer"));
  CHECK_THAT(error_of(with("classes", nlohmann::json(uint64_t{1} << 63))), Catch::Contains("classes must be an integer"));
}

TEST_CASE("a save removes temp files that a killed save left behind, not a live process's", "[checkpoint]") {
  test::TempDir d;
  const std::string dead = d.write("m.ckpt.tmp.999999999", "half a checkpoint");  // above any pid_max
  const std::string live = d.write("m.ckpt.tmp.1", "init's");                      // pid 1 is alive
  const std::string other = d.write("other.ckpt.tmp.999999999", "another file's");
  save_checkpoint(d.file("m.ckpt"), sample());
  CHECK_FALSE(std::filesystem::exists(dead));
  CHECK(std::filesystem::exists(live));
  CHECK(std::filesystem::exists(other));
  CHECK(load_checkpoint(d.file("m.ckpt")).epoch == 3);
}
