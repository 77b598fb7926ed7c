#include <cstdint>
#include <vector>

#include "common/error.h"
#include "kernels/maxpool2d.h"
#include "nn/device_array.h"
#include "nn/layers/factories.h"

namespace nullmark::layers {

namespace {
class MaxPool2d : public Layer {
 public:
  MaxPool2d(int k, int stride) : k_(k), stride_(stride) {}
  YAML::Node config() const override {
    YAML::Node c = layer_config("maxpool2d");
    c["size"] = k_;
    c["stride"] = stride_;
    return c;
  }
  std::string type() const override { return "maxpool2d"; }
  std::string describe() const override {
    return std::to_string(k_) + "x" + std::to_string(k_) + " s" + std::to_string(stride_);
  }

 protected:
  Shape infer(const Shape& in) override {
    NM_CHECK(in.rank() == 3, "maxpool2d needs a CxHxW input, got ", in.str());
    NM_CHECK(in[1] >= k_ && in[2] >= k_, "maxpool2d: window ", k_, " is larger than the input ", in.str());
    in_ = in;
    const MaxPool2dShape s = shape(1);
    return Shape{in[0], s.oh(), s.ow()};
  }
  void do_forward(const Tensor& x, Tensor& y, const LayerContext&) override {
    argmax_.ensure(y.numel());  // the layer's only state: where each maximum came from
    last_count_ = y.numel();
    if (on_gpu())
      NM_GPU(cuda::maxpool2d_forward(gpu(), shape(x.n), x.data, y.data, argmax_.data()));
    else
      cpu::maxpool2d_forward(shape(x.n), x.data, y.data, argmax_.data());
  }
  void do_backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx, GradMode mode,
                   const LayerContext&) override {
    NM_CHECK(last_count_ == y.numel(), "maxpool2d: backward without a matching forward");
    if (!dx) return;
    if (on_gpu())
      NM_GPU(cuda::maxpool2d_backward(gpu(), shape(x.n), argmax_.data(), dy.data, dx->data, mode));
    else
      cpu::maxpool2d_backward(shape(x.n), argmax_.data(), dy.data, dx->data, mode);
  }

 private:
  MaxPool2dShape shape(int n) const {
    MaxPool2dShape s;
    s.n = n, s.c = in_[0], s.h = in_[1], s.w = in_[2], s.k = k_, s.stride = stride_;
    return s;
  }
  void moved() override { argmax_ = DeviceArray<int32_t>(device_); }
  int k_, stride_;
  DeviceArray<int32_t> argmax_;
  size_t last_count_ = 0;
};
}  // namespace

std::unique_ptr<Layer> make_maxpool2d(ConfigMap& cfg) {
  const int k = static_cast<int>(cfg.integer("size", 2, 1, 64));
  const int stride = static_cast<int>(cfg.integer("stride", k, 1, 64));
  return std::make_unique<MaxPool2d>(k, stride);
}

}  // namespace nullmark::layers
