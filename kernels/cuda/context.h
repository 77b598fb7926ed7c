// A CUDA context as nullmark uses it: the stream a run's kernels and copies are queued on, the
// run's implementation choices (precision, the native convolution's form, how the chunked convolution
// picks its tiling), and the library handles and measured choices that belong to them (cuBLAS and
// cuDNN handles, cuDNN's algorithms, the chunked convolution's tilings). Every CUDA kernel call takes
// one as its first argument; nothing about how a kernel computes lives in a process global.
//
// Who owns it: a run creates one (ComputeOptions::activate) and the networks it places on the GPU
// share it (Network::to), so its stream and memo tables live exactly as long as the work that uses
// them. Tests and benchmarks make their own. Destroying a context waits for its stream first.
//
// Built without the CUDA backend, constructing one throws "built without the CUDA backend".
#pragma once
#include <cstdint>
#include <memory>

#include "kernels/kernel_impl.h"
#include "kernels/precision.h"

namespace nullmark::cuda {

// How the channel-chunked forward convolution picks its tiling (kernels/cuda/conv_chunked_tiling.h):
// Measured, the fastest of its candidate tilings as timed on the card the first time a shape runs
// outside a graph capture, then kept by the context (like cuDNN's benchmark mode; every tiling gives
// the same bits); Model, the tiling its model rates fastest, with no timing.
enum class ConvTiling { Measured, Model };

// What a run chooses about how its kernels compute; fixed for the context's life.
struct ContextOptions {
  // Synchronise (and check) after every launch, so an asynchronous fault is reported at the launch
  // that caused it.
  bool debug_sync = false;
  // How matrix products round their operands (kernels/precision.h): fp32 by default, so results
  // compare with the CPU at float tolerance. tf32 and bf16 run the native convolutions and dense
  // layers on tensor cores (kernels/cuda/gemm_mma.cuh), cuBLAS with the matching compute type, and
  // cuDNN in TF32, or in bf16 on bfloat16 copies of the operands (its results rounded to bfloat16).
  // A card without the tensor cores is refused where the context is made.
  Precision precision = Precision::Fp32;
  // Which form a convolution's `native` kernels take (kernels/conv2d.h): Native, the direct kernel
  // wherever its block fits in 80 KiB of shared memory and keeps half its threads busy, else the
  // implicit GEMM; Gemm, the GEMM throughout; Direct, the direct kernel wherever the card has the
  // memory. Library and Auto are not forms of the native kernels and are refused. In tf32 and bf16
  // the native convolution is the tensor-core GEMM: Direct is refused there.
  KernelImpl conv_form = KernelImpl::Native;
  ConvTiling conv_tiling = ConvTiling::Measured;

  // The defaults with the environment's debugging switches applied: NULLMARK_CUDA_SYNC=1 sets
  // debug_sync, NULLMARK_CONV_TILING=model sets the model's tilings (what a compute-sanitizer run
  // wants: no timing launches). Read once, where a context is made.
  static ContextOptions from_environment();
};

// The scalars that change from one training step to the next, for CUDA graphs: a captured kernel
// keeps the arguments it was launched with, so while a device copy of this struct is registered with
// the context, the kernels that use these values (dropout, augmentation, optimizers) read them from
// it instead.
struct StepScalars {
  uint64_t step = 0;          // global step (dropout masks)
  uint64_t first = 0;         // training position of the batch's first image (augmentation)
  float lr = 0.0f;            // learning rate (optimizers)
  float step_size = 0.0f;     // Adam: lr / (1 - beta1^t)
  float inv_sqrt_bc2 = 0.0f;  // Adam: 1 / sqrt(1 - beta2^t)
};

class Context {
 public:
  // Creates the context's own (non-blocking) stream on the current device.
  explicit Context(const ContextOptions& options = ContextOptions::from_environment());
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  void* stream() const { return stream_; }  // an opaque cudaStream_t
  const ContextOptions& options() const { return options_; }

  // Memo tables and library handles, each made and read only by the .cu file that needs it (as a
  // type of its own behind the void), on the first call that needs it, and released with the context.
  struct Caches {
    std::shared_ptr<void> cublas;      // kernels/cuda/blas_handle.cu
    std::shared_ptr<void> cudnn;       // kernels/cuda/conv_cudnn.cu
    std::shared_ptr<void> conv_plans;  // kernels/conv2d_cuda.cu
    std::shared_ptr<void> xent_scratch;  // kernels/softmax_xent_cuda.cu: per-sample losses and hits
  };
  Caches& caches() const { return caches_; }

  // The registered device copy of the step scalars, or null (kernels use their launch arguments).
  const StepScalars* step_scalars() const { return scalars_; }
  void set_step_scalars(const StepScalars* device_copy) { scalars_ = device_copy; }

  void synchronize() const;  // waits for the context's stream
  bool capturing() const;    // whether the stream is capturing a graph (work is recorded, not run)

 private:
  ContextOptions options_;
  void* stream_ = nullptr;
  mutable Caches caches_;
  const StepScalars* scalars_ = nullptr;
};

}  // namespace nullmark::cuda
