// Checkpoint file: everything needed to evaluate a model or resume its training.
//
// Layout (little-endian):
//   "NULLMARK"  8-byte magic
//   u32 format version (2), u32 reserved (0)
//   u64 length of the JSON header, then the header (config, shapes, progress, counts)
//   u64 parameter count, then the float32 parameters
//   u64 optimizer-state count, then the float32 state
//   u64 buffer count, then the float32 buffers (batch-norm running statistics)   [version 2 on]
//   32-byte SHA-256 of every byte before it
// Files are written atomically (temp file + rename); loading verifies the checksum before
// anything else and names the problem (truncated, wrong magic, version, checksum, counts).
// Version 1 files (no buffers section) still load, with no buffers.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace nullmark {

constexpr uint32_t kCheckpointVersion = 2;

struct Checkpoint {
  std::string config_yaml;  // the run's fully resolved config (model, data, train, ...)
  std::vector<int> input_shape;
  int classes = 0;
  long epoch = 0;        // completed epochs
  long global_step = 0;  // completed optimizer steps
  std::string optimizer_type;
  long optimizer_steps = 0;
  std::vector<float> params;
  std::vector<float> optimizer_state;
  std::vector<float> buffers;  // non-trainable state (Network::buffers())
  nlohmann::json extra = nlohmann::json::object();  // e.g. the per-epoch metrics so far
};

void save_checkpoint(const std::string& path, const Checkpoint& ckpt);
Checkpoint load_checkpoint(const std::string& path);
// A checkpoint from the bytes of a file already read (errors name `path`).
Checkpoint parse_checkpoint(const std::string& bytes, const std::string& path);

class Network;
// Copies the network's parameters and buffers into the checkpoint.
void store_network(const Network& net, Checkpoint& ckpt);
// Loads the checkpoint's parameters and buffers into `net`; a count that does not match the model
// is an error naming `path`.
void load_network(const Checkpoint& ckpt, Network& net, const std::string& path);

}  // namespace nullmark
