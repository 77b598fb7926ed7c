// ONNX export: a network as an ONNX model (opset 13) that ONNX Runtime, PyTorch's tooling and
// nullmark's own importer (interop/onnx_import.h) read back with the same logits.
//
// Layers map one to one onto standard operators: conv2d → Conv, dense → Gemm (transB = 1, the
// weight stays [out, in]), batchnorm → BatchNormalization, maxpool2d → MaxPool, global_avgpool →
// GlobalAveragePool + Flatten, flatten → Flatten, dropout → Dropout (identity at inference),
// relu / leaky_relu → Relu / LeakyRelu, a residual block → its two branches joined by Add (then
// Relu). A fused `activation: relu` becomes a Relu node after its layer. The graph takes
// normalised inputs [batch, C, H, W] named "input" and returns "logits" [batch, classes];
// the data section (with its normalisation) and other context travel as metadata_props.
#pragma once
#include <map>
#include <string>

namespace nullmark {

class Network;

// Metadata keys nullmark writes and reads.
namespace onnx_meta {
constexpr const char* kData = "nullmark.data";      // the `data:` section (type, path, mean, std) as YAML
constexpr const char* kModel = "nullmark.model";    // the model's name
constexpr const char* kClaim = "nullmark.claim";    // an attached claim file (JSON), when exported with one
constexpr const char* kSource = "nullmark.source";  // SHA-256 of the checkpoint the model came from
}  // namespace onnx_meta

// The serialised ModelProto of `net` (its parameters and batch-norm statistics as initializers),
// with `metadata` as its metadata_props.
std::string onnx_export(const Network& net, const std::map<std::string, std::string>& metadata);

}  // namespace nullmark
