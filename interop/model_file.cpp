#include "interop/model_file.h"

#include "common/files.h"
#include "interop/onnx_import.h"

namespace nullmark {

Checkpoint load_model_file(const std::string& path) { return parse_model_file(read_file(path), path); }

Checkpoint parse_model_file(const std::string& bytes, const std::string& path) {
  if (is_checkpoint_bytes(bytes)) return parse_checkpoint(bytes, path);
  return onnx_import(bytes, path);
}

}  // namespace nullmark
