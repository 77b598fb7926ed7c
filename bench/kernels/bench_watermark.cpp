// The watermark batch kernel: reads B images once, writes 3B (clean, null, true) and the labels;
// compared with the card's measured copy bandwidth and with the same traffic without stamping
// (bench/fanout_copy.cu).
#include <array>
#include <cstdio>

#include "bench/fanout_copy.h"
#include "bench/kernels/kernel_bench.h"
#include "common/format.h"
#include "kernels/cuda/timing.h"
#include "kernels/watermark_batch.h"

namespace nullmark::bench {

void bench_watermark_batch(KernelBench& bench) {
  for (auto [b, c, h] : {std::array<int, 3>{128, 1, 28}, {128, 3, 32}, {4096, 3, 32}}) {
    const ImageShape s{c, h, h};
    const size_t per = s.size();
    auto x = filled(per * b);
    DeviceArray<float> out(Device::CUDA, 3 * per * b);
    DeviceArray<int32_t> labels(Device::CUDA, b), out_labels(Device::CUDA, 3 * b);
    DeviceArray<uint8_t> bits(Device::CUDA, 36);
    WatermarkPattern p;
    p.row = 3, p.col = 5, p.n = 6, p.bits = bits.data(), p.lambda = 10, p.label = 1;
    const double ms = cuda::time_ms(bench.gpu(), 
        [&] { cuda::watermark_batch(bench.gpu(), s, p, b, b, b, x.data(), labels.data(), out.data(), out_labels.data()); },
        bench.reps);
    const double bytes = 4.0 * per * b * sizeof(float) + 4.0 * b * sizeof(int32_t);
    const std::string shape = format("%d x %dx%dx%d", b, c, h, h);
    bench.report("watermark batch", shape, "native", ms, 0, bytes);
    const size_t row = bench.rows.size() - 1;  // an index: the rows below may move the array
    bench.rows[row]["share_of_copy_bandwidth"] = bytes / ms / 1e6 / bench.copy_gbps;
    // The same traffic without stamping: what this access pattern reaches on the card.
    double plain_ms = 0;
    for (bool streaming : {false, true}) {
      const double t = cuda::time_ms(bench.gpu(), [&] { fanout_copy(bench.gpu(), x.data(), out.data(), per * b, streaming); }, bench.reps);
      bench.report("watermark traffic, copies only", shape, streaming ? "stream" : "plain", t, 0, bytes);
      if (!streaming) plain_ms = t;
    }
    bench.rows[row]["share_of_plain_copies"] = plain_ms / ms;
    std::printf("%-26s %-30s %-7s %s %.1f%% of the measured copy, %.1f%% of the same traffic without stamping\n",
                "watermark batch", shape.c_str(), "native", "reaches", 100 * bytes / ms / 1e6 / bench.copy_gbps,
                100 * plain_ms / ms);
  }
}

}  // namespace nullmark::bench
