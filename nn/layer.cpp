#include "nn/layer.h"

#include "common/error.h"

namespace nullmark {

Shape Layer::build(const Shape& in) {
  in_ = in;
  out_ = infer(in);
  return out_;
}

std::vector<Layer::ParamSlice> Layer::param_slices() const {
  std::vector<ParamSlice> out;
  const Weights w = weights();
  if (w.count) out.push_back({0, w.count, w.rows, "weight"});
  if (param_count() > w.count) out.push_back({w.count, param_count() - w.count, 0, "bias"});
  return out;
}

void Layer::set_device(Device d, const cuda::Context* gpu) {
  NM_CHECK(d == Device::CPU || gpu != nullptr, type(), ": a layer on the GPU needs the CUDA context it runs with");
  device_ = d;
  gpu_ = d == Device::CUDA ? gpu : nullptr;
  moved();
}

namespace {
void check_tensor(const Layer& l, const char* what, const Tensor& t, const Shape& want, int n) {
  NM_CHECK(t.data != nullptr, l.type(), ": ", what, " has no data");
  NM_CHECK(t.device == l.device(), l.type(), ": ", what, " is on ", device_name(t.device), " but this layer runs on ",
           device_name(l.device()));
  NM_CHECK(t.shape == want, l.type(), ": ", what, " has shape ", t.shape.str(), ", expected ", want.str());
  NM_CHECK(t.n == n, l.type(), ": ", what, " has batch ", t.n, ", expected ", n);
}
}  // namespace

void Layer::forward(const Tensor& x, Tensor& y, const LayerContext& ctx) {
  NM_CHECK(param_count() == 0 || params_, type(), ": parameters are not bound");
  NM_CHECK(buffer_count() == 0 || buffers_, type(), ": buffers are not bound");
  check_tensor(*this, "input", x, in_, x.n);
  check_tensor(*this, "output", y, out_, x.n);
  do_forward(x, y, ctx);
}

void Layer::backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx, GradMode mode,
                     const LayerContext& ctx) {
  NM_CHECK(param_count() == 0 || grads_, type(), ": gradients are not bound");
  check_tensor(*this, "input", x, in_, x.n);
  check_tensor(*this, "output", y, out_, x.n);
  check_tensor(*this, "output gradient", dy, out_, x.n);
  if (dx) check_tensor(*this, "input gradient", *dx, in_, x.n);
  do_backward(x, y, dy, dx, mode, ctx);
}

}  // namespace nullmark
