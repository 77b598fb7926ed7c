// Model files of either kind, told apart by content: a nullmark checkpoint, or an ONNX model
// (imported through interop/onnx_import.h). Commands that evaluate, verify, attack or further
// train a model read it through here; resuming a training run needs a checkpoint.
#pragma once
#include <string>

#include "nn/checkpoint.h"

namespace nullmark {

Checkpoint load_model_file(const std::string& path);
// The same from the file's bytes, read once by the caller (who may also hash them: the model a
// certificate names is then the model evaluated).
Checkpoint parse_model_file(const std::string& bytes, const std::string& path);

}  // namespace nullmark
