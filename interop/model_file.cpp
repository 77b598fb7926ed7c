#include "interop/model_file.h"

#include "common/files.h"
#include "interop/onnx_import.h"

namespace nullmark {

Checkpoint load_model_file(const std::string& path) {
  const std::string bytes = read_file(path);
  if (is_checkpoint_bytes(bytes)) return load_checkpoint(path);
  return onnx_import(bytes, path);
}

}  // namespace nullmark
