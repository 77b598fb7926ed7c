#include <algorithm>
#include <vector>

#include "common/error.h"
#include "kernels/batchnorm.h"
#include "kernels/cuda/runtime.h"
#include "nn/device_array.h"
#include "nn/layers/factories.h"

namespace nullmark::layers {

namespace {
// Parameters: gamma[C] then beta[C] (group "norm"). Buffers: running mean[C] then running variance[C].
// `activation: relu` fuses the ReLU that follows batch norm in most networks: the backward pass
// reads the output once to mask the gradient, instead of a separate layer's pass each way.
class BatchNorm : public Layer {
 public:
  BatchNorm(double eps, double momentum, bool relu) : eps_(eps), momentum_(momentum), relu_(relu) {}
  std::string type() const override { return relu_ ? "batchnorm+relu" : "batchnorm"; }
  YAML::Node config() const override {
    YAML::Node c = layer_config("batchnorm");
    c["eps"] = eps_;
    c["momentum"] = momentum_;
    c["activation"] = relu_ ? "relu" : "none";
    return c;
  }
  std::string describe() const override { return std::to_string(channels()) + " channels"; }
  size_t param_count() const override { return 2 * static_cast<size_t>(channels()); }
  std::vector<ParamSlice> param_slices() const override { return {{0, param_count(), 0, "norm"}}; }
  size_t buffer_count() const override { return 2 * static_cast<size_t>(channels()); }
  void init_params(std::mt19937_64&) override {
    std::fill(params_, params_ + channels(), 1.0f);
    std::fill(params_ + channels(), params_ + 2 * channels(), 0.0f);
  }
  void init_buffers() override {
    std::fill(buffers_, buffers_ + channels(), 0.0f);
    std::fill(buffers_ + channels(), buffers_ + 2 * channels(), 1.0f);
  }
  double flops() const override { return (relu_ ? 3.0 : 2.0) * in_.numel(); }
  void hold_statistics(bool held) override { held_ = held; }

 protected:
  Shape infer(const Shape& in) override {
    NM_CHECK(in.rank() == 3 || in.rank() == 1, "batchnorm needs a CxHxW or flat input, got ", in.str());
    in_ = in;
    moved();
    return in;
  }
  void do_forward(const Tensor& x, Tensor& y, const LayerContext& ctx) override {
    BatchNormShape s = shape(x.n);
    trained_forward_ = ctx.training && !held_;
    stat_n_ = trained_forward_ ? ctx.stat_samples : 0;
    s.stat_n = stat_n_;
    if (trained_forward_ && on_gpu())
      NM_GPU(cuda::batchnorm_forward_train(gpu(), s, x.data, gamma(), beta(), y.data, mean_.data(), invstd_.data(),
                                           running_mean(), running_var()));
    else if (trained_forward_)
      cpu::batchnorm_forward_train(s, x.data, gamma(), beta(), y.data, mean_.data(), invstd_.data(), running_mean(),
                                   running_var());
    else if (on_gpu())
      NM_GPU(cuda::batchnorm_forward_eval(gpu(), s, x.data, gamma(), beta(), running_mean(), running_var(), y.data));
    else
      cpu::batchnorm_forward_eval(s, x.data, gamma(), beta(), running_mean(), running_var(), y.data);
  }
  void do_backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx, GradMode mode,
                   const LayerContext& ctx) override {
    // The gradient follows the statistics the last forward used, whatever the caller's context says.
    BatchNormShape s = shape(x.n);
    s.stat_n = stat_n_;
    float* dx_data = dx ? dx->data : nullptr;
    float* dgamma = ctx.param_grads ? grads_ : nullptr;
    float* dbeta = ctx.param_grads ? grads_ + channels() : nullptr;
    if (trained_forward_ && on_gpu())
      NM_GPU(cuda::batchnorm_backward_train(gpu(), s, x.data, gamma(), mean_.data(), invstd_.data(), y.data, dy.data, dx_data,
                                            dgamma, dbeta, mode));
    else if (trained_forward_)
      cpu::batchnorm_backward_train(s, x.data, gamma(), mean_.data(), invstd_.data(), y.data, dy.data, dx_data, dgamma,
                                    dbeta, mode);
    else if (on_gpu())
      NM_GPU(cuda::batchnorm_backward_eval(gpu(), s, x.data, gamma(), running_mean(), running_var(), y.data, dy.data, dx_data,
                                           dgamma, dbeta, mode));
    else
      cpu::batchnorm_backward_eval(s, x.data, gamma(), running_mean(), running_var(), y.data, dy.data, dx_data, dgamma,
                                   dbeta, mode);
  }

 private:
  int channels() const { return in_.rank() ? in_[0] : 0; }
  int plane() const { return in_.rank() == 3 ? in_[1] * in_[2] : 1; }
  BatchNormShape shape(int n) const {
    BatchNormShape s;
    s.n = n, s.c = channels(), s.plane = plane(), s.eps = eps_, s.momentum = momentum_, s.relu = relu_;
    return s;
  }
  const float* gamma() const { return params_; }
  const float* beta() const { return params_ + channels(); }
  float* running_mean() { return buffers_; }
  float* running_var() { return buffers_ + channels(); }

  void moved() override {
    mean_ = DeviceArray<float>(device_, channels());
    invstd_ = DeviceArray<float>(device_, channels());
  }

  double eps_, momentum_;
  bool relu_;
  bool held_ = false;            // hold_statistics()
  bool trained_forward_ = false;  // the last forward used (and updated) batch statistics
  int stat_n_ = 0;                // the samples those statistics came from (BatchNormShape::stat_n)
  DeviceArray<float> mean_, invstd_;  // batch statistics of the last training forward
};
}  // namespace

std::unique_ptr<Layer> make_batchnorm(ConfigMap& cfg) {
  const double eps = cfg.number("eps", 1e-5, 1e-12, 1.0);
  const double momentum = cfg.number("momentum", 0.1, 0.0, 1.0);
  const bool relu = cfg.choice("activation", "none", {"none", "relu"}) == "relu";
  return std::make_unique<BatchNorm>(eps, momentum, relu);
}

}  // namespace nullmark::layers
