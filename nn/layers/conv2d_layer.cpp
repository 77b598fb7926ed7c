#include <algorithm>
#include <optional>
#include <vector>

#include "common/error.h"
#include "kernels/conv2d.h"
#include "kernels/cuda/conv_cudnn.h"
#include "kernels/cuda/runtime.h"
#include "nn/init.h"
#include "nn/layers/impl_choice.h"
#include "nn/layers/factories.h"

namespace nullmark::layers {

namespace {
class Conv2d : public Layer {
 public:
  Conv2d(int filters, int kernel, int stride, int pad, bool bias, bool relu, ImplChoice impl,
         std::optional<ConvAlgorithm> algorithm)
      : filters_(filters), kernel_(kernel), stride_(stride), pad_(pad), bias_(bias), relu_(relu), impl_(impl),
        algorithm_(algorithm.value_or(ConvAlgorithm::Direct)), algorithm_named_(algorithm.has_value()) {}
  std::string type() const override { return relu_ ? "conv2d+relu" : "conv2d"; }
  YAML::Node config() const override {
    YAML::Node c = layer_config("conv2d");
    c["filters"] = filters_;
    c["kernel"] = kernel_;
    c["stride"] = stride_;
    c["padding"] = pad_;
    c["bias"] = bias_;
    c["activation"] = relu_ ? "relu" : "none";
    if (winograd()) c["cpu_algorithm"] = "winograd";  // only where it runs: direct configs stay as they were
    return c;
  }
  std::string describe() const override {
    return std::to_string(filters_) + "@" + std::to_string(kernel_) + "x" + std::to_string(kernel_) + " s" +
           std::to_string(stride_) + " p" + std::to_string(pad_) +
           (on_gpu() ? " " + impl_.name("cudnn") : winograd() ? " winograd" : "");
  }
  void set_default_impl(KernelImpl impl) override { impl_.network_default(impl); }
  void set_default_cpu_algorithm(ConvAlgorithm algorithm) override {
    if (!algorithm_named_) algorithm_ = algorithm;
  }
  size_t param_count() const override { return weight_count() + (bias_ ? filters_ : 0); }
  Weights weights() const override { return {weight_count(), filters_}; }
  void init_params(std::mt19937_64& rng) override {
    fan_in_uniform(params_, weight_count(), static_cast<size_t>(in_[0]) * kernel_ * kernel_, rng);
    if (bias_) fan_in_uniform(params_ + weight_count(), filters_, static_cast<size_t>(in_[0]) * kernel_ * kernel_, rng);
  }
  size_t workspace_floats(int batch) const override {
    if (!on_gpu()) return cpu::conv2d_workspace(shape(batch));
    size_t ws = 0;
#if NULLMARK_WITH_CUDA
    if (impl_.may_use(KernelImpl::Native)) ws = cuda::conv2d_workspace(gpu(), shape(batch), KernelImpl::Native);
    if (impl_.may_use(KernelImpl::Library)) ws = std::max(ws, cuda::conv2d_workspace(gpu(), shape(batch), KernelImpl::Library));
#endif
    return ws;
  }
  double flops() const override { return 2.0 * out_.numel() * in_[0] * kernel_ * kernel_; }

 protected:
  Shape infer(const Shape& in) override {
    NM_CHECK(in.rank() == 3, "conv2d needs a CxHxW input, got ", in.str());
    NM_CHECK(in[1] + 2 * pad_ >= kernel_ && in[2] + 2 * pad_ >= kernel_, "conv2d: kernel ", kernel_,
             " is larger than the padded input ", in.str());
    in_ = in;
    Conv2dShape s = shape(1);
    NM_CHECK(!algorithm_named_ || algorithm_ == ConvAlgorithm::Direct || cpu::conv2d_winograd_applies(s),
             "conv2d: cpu_algorithm: winograd needs a 3x3 kernel, stride 1, padding 1 and at least 16 input and output "
             "channels on an input of even height and a width that is a multiple of 8; this layer has kernel ",
             kernel_, ", stride ", stride_, ", padding ", pad_, " and ", filters_, " filters on ", in.str());
    return Shape{filters_, s.oh(), s.ow()};
  }
  void do_forward(const Tensor& x, Tensor& y, const LayerContext& ctx) override {
    const float* b = bias_ ? params_ + weight_count() : nullptr;
    if (on_gpu()) {
#if NULLMARK_WITH_CUDA
      auto run = [&](bool library) {
        cuda::conv2d_forward(gpu(), shape(x.n), x.data, params_, b, y.data, ctx.workspace, conv_impl(library));
      };
      run(impl_.forward_library(&gpu(), run));
#else
      NM_GPU(cuda::conv2d_forward);  // the CPU-only build's one message
#endif
      return;
    }
    cpu::conv2d_forward(shape(x.n), x.data, params_, b, y.data, ctx.workspace);
  }
  void do_backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx, GradMode mode,
                   const LayerContext& ctx) override {
    float* dw = ctx.param_grads ? grads_ : nullptr;
    float* db = bias_ && ctx.param_grads ? grads_ + weight_count() : nullptr;
    if (on_gpu()) {
#if NULLMARK_WITH_CUDA
      auto run = [&](bool library) {
        cuda::conv2d_backward(gpu(), shape(x.n), x.data, params_, y.data, dy.data, dx ? dx->data : nullptr, dw, db, mode,
                              ctx.workspace, conv_impl(library));
      };
      run(impl_.backward_library(&gpu(), mode, run));
#else
      NM_GPU(cuda::conv2d_backward);
#endif
      return;
    }
    cpu::conv2d_backward(shape(x.n), x.data, params_, y.data, dy.data, dx ? dx->data : nullptr, dw, db, mode,
                         ctx.workspace);
  }

 private:
  size_t weight_count() const { return static_cast<size_t>(filters_) * in_[0] * kernel_ * kernel_; }
  Conv2dShape shape(int n) const {
    Conv2dShape s;
    s.n = n, s.c = in_[0], s.h = in_[1], s.w = in_[2];
    s.f = filters_, s.kh = s.kw = kernel_, s.stride = stride_, s.pad = pad_, s.relu = relu_;
    s.winograd = algorithm_ == ConvAlgorithm::Winograd && cpu::conv2d_winograd_applies(s);
    return s;
  }
  // Whether the CPU runs this layer in the Winograd form (a network default applies where the shape allows).
  bool winograd() const { return in_.rank() == 3 && shape(1).winograd; }
  static KernelImpl conv_impl(bool library) { return library ? KernelImpl::Library : KernelImpl::Native; }
  void moved() override {
#if NULLMARK_WITH_CUDA
    // Nothing to compare with: no cuDNN in this build, or bf16, where cuDNN's results are rounded to
    // bfloat16 and the native kernels' are not (auto chooses between two forms of one computation):
    // `auto` means native. A layer may still name cudnn.
    if (on_gpu() && (!cuda::cudnn_available() || gpu().options().precision == Precision::Bf16)) impl_.without_library();
#endif
  }
  int filters_, kernel_, stride_, pad_;
  bool bias_, relu_;
  ImplChoice impl_;
  ConvAlgorithm algorithm_;
  bool algorithm_named_;  // the layer's config names it, so the network's default does not replace it
};
}  // namespace

std::unique_ptr<Layer> make_conv2d(ConfigMap& cfg) {
  const int filters = static_cast<int>(cfg.integer("filters", 1, 65536));
  const int kernel = static_cast<int>(cfg.integer("kernel", 1, 64));
  const int stride = static_cast<int>(cfg.integer("stride", 1, 1, 64));
  const int pad = static_cast<int>(cfg.integer("padding", 0, 0, 64));
  const bool bias = cfg.boolean("bias", true);
  const bool relu = cfg.choice("activation", "none", {"none", "relu"}) == "relu";
  std::optional<ConvAlgorithm> algorithm;
  if (cfg.has("cpu_algorithm"))
    algorithm = cfg.choice("cpu_algorithm", "direct", {"direct", "winograd"}) == "winograd" ? ConvAlgorithm::Winograd
                                                                                            : ConvAlgorithm::Direct;
  return std::make_unique<Conv2d>(filters, kernel, stride, pad, bias, relu, read_impl(cfg, "cudnn"), algorithm);
}

}  // namespace nullmark::layers
