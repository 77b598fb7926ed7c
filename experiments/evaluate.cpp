#include "experiments/evaluate.h"

#include "datasets/batcher.h"
#include "kernels/softmax_xent.h"
#include <cstdint>

namespace nullmark {

EvalResult evaluate(Network& net, const Dataset& data, int batch_size) {
  Batcher batches(data, batch_size, 0, false);
  batches.start_epoch(0);
  std::vector<float> x(static_cast<size_t>(batch_size) * data.shape.numel());
  std::vector<int32_t> y(batch_size);
  LayerContext ctx;
  ctx.training = false;
  double loss = 0.0;
  long correct = 0;
  for (long b = 0; b < batches.batches(); ++b) {
    const int n = batches.gather(b, x.data(), y.data());
    const float* logits = net.forward_host(x.data(), n, ctx);
    const XentResult r = cpu::softmax_xent<float>(n, data.classes, logits, y.data(), nullptr, 0.0f, nullptr, nullptr);
    loss += r.loss_sum;
    correct += r.correct;
  }
  EvalResult out;
  out.samples = static_cast<long>(data.size());
  if (out.samples) out.loss = loss / out.samples, out.accuracy = static_cast<double>(correct) / out.samples;
  return out;
}

}  // namespace nullmark
