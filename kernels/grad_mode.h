// Every backward kernel says explicitly whether it overwrites its gradient outputs or adds into
// them: layers that share an input (or parameters reused across calls) rely on Accumulate.
#pragma once

namespace nullmark {

enum class GradMode { Overwrite, Accumulate };

// beta for a GEMM that writes a gradient: 0 overwrites, 1 accumulates.
inline float grad_beta(GradMode m) { return m == GradMode::Accumulate ? 1.0f : 0.0f; }

}  // namespace nullmark
