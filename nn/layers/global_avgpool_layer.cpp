#include "common/error.h"
#include "kernels/cuda/runtime.h"
#include "kernels/global_avgpool.h"
#include "nn/layers/factories.h"

namespace nullmark::layers {

namespace {
class GlobalAvgPool : public Layer {
 public:
  std::string type() const override { return "global_avgpool"; }
  YAML::Node config() const override { return layer_config("global_avgpool"); }

 protected:
  Shape infer(const Shape& in) override {
    NM_CHECK(in.rank() == 3, "global_avgpool needs a CxHxW input, got ", in.str());
    return Shape{in[0]};
  }
  void do_forward(const Tensor& x, Tensor& y, const LayerContext&) override {
    if (on_gpu())
      NM_GPU(cuda::global_avgpool_forward(gpu(), x.n, in_[0], in_[1] * in_[2], x.data, y.data));
    else
      cpu::global_avgpool_forward(x.n, in_[0], in_[1] * in_[2], x.data, y.data);
  }
  void do_backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx, GradMode mode,
                   const LayerContext&) override {
    if (!dx) return;
    if (on_gpu())
      NM_GPU(cuda::global_avgpool_backward(gpu(), x.n, in_[0], in_[1] * in_[2], dy.data, dx->data, mode));
    else
      cpu::global_avgpool_backward(x.n, in_[0], in_[1] * in_[2], dy.data, dx->data, mode);
  }
};
}  // namespace

std::unique_ptr<Layer> make_global_avgpool(ConfigMap&) { return std::make_unique<GlobalAvgPool>(); }

}  // namespace nullmark::layers
