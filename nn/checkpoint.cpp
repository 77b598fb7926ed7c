#include "nn/checkpoint.h"

#include <algorithm>
#include <cstdint>
#include <cmath>
#include <cstring>
#include <limits>

#include "common/error.h"
#include "common/json_integer.h"
#include "common/files.h"
#include "common/sha256.h"
#include "nn/network.h"

namespace nullmark {

namespace {
constexpr char kMagic[8] = {'N', 'U', 'L', 'L', 'M', 'A', 'R', 'K'};

template <class T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

void put_floats(std::string& out, const std::vector<float>& v) {
  put<uint64_t>(out, v.size());
  out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

// Bounds-checked reader over the file's bytes.
struct Reader {
  const std::string& bytes;
  const std::string& path;
  size_t pos = 0;
  size_t end;
  void need(size_t n, const char* what) {
    if (end - pos < n) throw fail(path, ": checkpoint truncated while reading ", what);
  }
  template <class T>
  T get(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, bytes.data() + pos, sizeof v);
    pos += sizeof v;
    return v;
  }
  std::vector<float> floats(const char* what) {
    const uint64_t n = get<uint64_t>(what);
    if (n > (end - pos) / sizeof(float)) throw fail(path, ": checkpoint truncated while reading ", what);
    std::vector<float> v(n);
    if (n > 0) std::memcpy(v.data(), bytes.data() + pos, n * sizeof(float));  // an empty vector's data() may be null
    pos += n * sizeof(float);
    return v;
  }
};
}  // namespace

void save_checkpoint(const std::string& path, const Checkpoint& c) {
  nlohmann::json h;
  h["format"] = "nullmark-checkpoint";
  h["config"] = c.config_yaml;
  h["input_shape"] = c.input_shape;
  h["classes"] = c.classes;
  h["epoch"] = c.epoch;
  h["global_step"] = c.global_step;
  h["optimizer"] = {{"type", c.optimizer_type}, {"steps", c.optimizer_steps}};
  h["extra"] = c.extra;
  const std::string header = h.dump();

  std::string out(kMagic, sizeof kMagic);
  put<uint32_t>(out, kCheckpointVersion);
  put<uint32_t>(out, 0);
  put<uint64_t>(out, header.size());
  out += header;
  put_floats(out, c.params);
  put_floats(out, c.optimizer_state);
  put_floats(out, c.buffers);
  const Digest d = sha256(out);
  out.append(reinterpret_cast<const char*>(d.data()), d.size());
  write_file_atomic(path, out);
}

Checkpoint load_checkpoint(const std::string& path) { return parse_checkpoint(read_file(path), path); }

Checkpoint parse_checkpoint(const std::string& bytes, const std::string& path) {
  if (bytes.size() < sizeof kMagic + 16 + 32) throw fail(path, ": not a nullmark checkpoint (file too short)");
  if (std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    throw fail(path, ": not a nullmark checkpoint (wrong magic bytes)");
  Reader r{bytes, path, sizeof kMagic, bytes.size() - 32};
  const uint32_t version = r.get<uint32_t>("version");
  if (version < 1 || version > kCheckpointVersion)
    throw fail(path, ": checkpoint format version ", version, " is not supported (this build reads versions 1 to ",
               kCheckpointVersion, ")");
  const Digest want = sha256(bytes.data(), bytes.size() - 32);
  if (std::memcmp(want.data(), bytes.data() + bytes.size() - 32, 32) != 0)
    throw fail(path, ": checkpoint is corrupt (SHA-256 checksum mismatch)");
  r.get<uint32_t>("reserved");
  const uint64_t hlen = r.get<uint64_t>("header length");
  r.need(hlen, "header");
  nlohmann::json h;
  try {
    h = nlohmann::json::parse(bytes.substr(r.pos, hlen));
  } catch (const nlohmann::json::exception& e) {
    throw fail(path, ": checkpoint header is not valid JSON (", e.what(), ")");
  }
  r.pos += hlen;
  Checkpoint c;
  try {
    c.config_yaml = h.at("config").get<std::string>();
    const nlohmann::json& shape = h.at("input_shape");
    if (!shape.is_array() || shape.size() > 8) throw fail(path, ": checkpoint header's input_shape is not a short list");
    for (const auto& d : shape) c.input_shape.push_back(static_cast<int>(json_integer(d, 1, 1 << 20, path + ": input shape entry")));
    c.classes = static_cast<int>(json_integer(h.at("classes"), 1, 1 << 20, path + ": checkpoint header's classes"));
    const long most = std::numeric_limits<long>::max();
    c.epoch = json_integer(h.at("epoch"), 0, most, path + ": checkpoint header's epoch");
    c.global_step = json_integer(h.at("global_step"), 0, most, path + ": checkpoint header's global_step");
    c.optimizer_type = h.at("optimizer").at("type").get<std::string>();
    c.optimizer_steps = json_integer(h.at("optimizer").at("steps"), 0, most, path + ": checkpoint header's optimizer steps");
    c.extra = h.value("extra", nlohmann::json::object());
  } catch (const nlohmann::json::exception& e) {
    throw fail(path, ": checkpoint header is missing a field (", e.what(), ")");
  }
  if (c.epoch < 0 || c.global_step < 0 || c.optimizer_steps < 0)
    throw fail(path, ": checkpoint header has a negative count (epoch ", c.epoch, ", global_step ", c.global_step,
               ", optimizer steps ", c.optimizer_steps, ")");
  if (c.classes < 1) throw fail(path, ": checkpoint header has ", c.classes, " classes");
  for (int d : c.input_shape)
    if (d < 1) throw fail(path, ": checkpoint header has input shape entry ", d);
  c.params = r.floats("parameters");
  c.optimizer_state = r.floats("optimizer state");
  if (version >= 2) c.buffers = r.floats("buffers");
  if (r.pos != r.end) throw fail(path, ": checkpoint has ", r.end - r.pos, " unexpected trailing bytes");
  // A model with NaN or infinite weights answers nothing meaningful: refuse it by name.
  for (size_t i = 0; i < c.params.size(); ++i)
    if (!std::isfinite(c.params[i]))
      throw fail(path, ": parameter ", i, " of ", c.params.size(), " is ", c.params[i],
                 " (non-finite weights: the training diverged or the file was altered)");
  for (size_t i = 0; i < c.buffers.size(); ++i)
    if (!std::isfinite(c.buffers[i]))
      throw fail(path, ": buffer value ", i, " of ", c.buffers.size(), " is ", c.buffers[i], " (non-finite)");
  return c;
}

void store_network(const Network& net, Checkpoint& c) {
  c.params = net.host_params();
  c.buffers = net.host_buffers();
}

void load_network(const Checkpoint& c, Network& net, const std::string& path) {
  if (c.params.size() != net.param_count())
    throw fail(path, ": checkpoint holds ", c.params.size(), " parameters but its model needs ", net.param_count());
  if (c.buffers.size() != net.buffer_count())
    throw fail(path, ": checkpoint holds ", c.buffers.size(), " buffer values (batch-norm statistics) but its model needs ",
               net.buffer_count());
  net.set_params(c.params);
  net.set_buffers(c.buffers);
}

}  // namespace nullmark
