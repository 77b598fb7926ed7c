// ONNX import: an ONNX model built from the operators nullmark has layers for becomes a nullmark
// model (a Checkpoint holding the model config, parameters and batch-norm statistics), so verify,
// eval, training from it (`train --init`) and every attack driver take .onnx files as they take
// checkpoints.
//
// Supported: Conv (square kernel, equal strides, symmetric padding, no groups or dilation), Gemm,
// MatMul (+ Add of a constant bias), Relu, LeakyRelu, MaxPool (no padding), AveragePool over the
// whole input, GlobalAveragePool, BatchNormalization (inference form), Add joining the two branches
// of a residual block, Flatten, Reshape to [batch, -1], Dropout, Identity, and Constant inputs. The
// graph has one float input [batch, C, H, W] (or [batch, features]) and one output, the logits.
// Anything else is refused, naming the operator and the node; so is a model whose parameters are
// not float32 initializers or whose shapes do not fit together. Data layout and values match
// PyTorch's, so `torch.onnx.export` output of such models imports as is.
#pragma once
#include <string>

#include "nn/checkpoint.h"

namespace nullmark {

// True when `bytes` start like a nullmark checkpoint rather than an ONNX file.
bool is_checkpoint_bytes(const std::string& bytes);

// The nullmark model of the serialised ONNX model `bytes` (read from `path`, for messages). Its
// config holds `model:` and the `data:` section from the nullmark.data metadata; without that
// metadata the model still imports, but commands that need its data set refuse it, saying so.
Checkpoint onnx_import(const std::string& bytes, const std::string& path);

}  // namespace nullmark
