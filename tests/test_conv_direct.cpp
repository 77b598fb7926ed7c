// The direct convolution's block programs (kernels/cuda/conv_direct.h), run on the CPU:
// every block, and in it every thread, phase by phase with a barrier wherever the CUDA kernel has one
// (conv2d_direct_cuda.cu), against cpu::conv2d_backward. Shared memory starts as NaN, so a read of
// anything no phase wrote spoils the result; gradients start as NaN where they are to be overwritten.
// Each case runs a second time with the threads of every phase in the opposite order and must give
// the same bits: a phase in which two threads touch the same shared memory (a race on the GPU)
// would not. The chunked forward's staged buffers are also compared with what each chunk should
// hold. This checks the kernels' index arithmetic, staging, partial sums and barrier placement on
// machines without a GPU; the [cuda] parity tests check the same kernels on the card.
#include <catch2/catch.hpp>
#include <cstring>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "conv_reference.h"
#include "cuda_check.h"
#include "dev/cuda/conv_chunked_variants.h"
#include "gradcheck.h"
#include "kernels/conv2d.h"
#include "kernels/cuda/conv_direct.h"
#include "kernels/cuda/conv_direct_chunked.h"

using namespace nullmark;
using cuda::DirectDgrad;
using cuda::DirectFwd;
using cuda::DirectFwdChunked;
using cuda::DirectWgrad;
using cuda::kDirectThreads;
using cuda::kWgradFilters;
using nullmark::test::close;

namespace {
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

struct Acc {
  float v[kWgradFilters] = {};
};

// The order in which the emulation runs the threads of a phase. The kernels' __syncthreads() make
// every order equivalent, so results that change with the order mean that threads of one phase
// touch the same shared memory: a race on the GPU, which the tests find by running both orders.
enum class Order { Up, Down };
template <class F>
void each_thread(Order order, F&& f, int threads = kDirectThreads) {
  for (int i = 0; i < threads; ++i) f(order == Order::Up ? i : threads - 1 - i);
}

// direct_wgrad_kernel, then the block partials added in block order.
void emulate_wgrad(const Conv2dShape& s, const float* x, const float* y, const float* dy, float* dw, float* db,
                   bool accumulate, Order order = Order::Up) {
  DirectWgrad d = DirectWgrad::plan(s, db != nullptr);
  std::vector<float> partial(d.partial_floats(), kNaN);
  d.x = x, d.dy = dy, d.y = s.relu ? y : nullptr, d.partial = partial.data();
  std::vector<float> sm(d.smem_floats());
  for (int by = 0; by < d.blocks_y; ++by)
    for (int bx = 0; bx < d.blocks_x; ++bx) {
      std::fill(sm.begin(), sm.end(), kNaN);
      each_thread(order, [&](int t) { d.clear(t, sm.data()); });
      std::vector<Acc> acc(kDirectThreads);
      for (int unit = d.first_unit(bx); unit < d.end_unit(bx); ++unit) {
        each_thread(order, [&](int t) { d.load(unit, t, sm.data()); });
        each_thread(order, [&](int t) { d.accumulate(t, by, sm.data(), acc[t].v); });
      }
      each_thread(order, [&](int t) { d.stash(t, sm.data(), acc[t].v); });
      each_thread(order, [&](int t) { d.write(t, bx, by, sm.data(), acc[t].v); });
    }
  for (int fi = 0; fi < s.f; ++fi)
    for (int col = 0; col < d.cols; ++col) {
      float sum = 0.0f;
      for (int b = 0; b < d.blocks_x; ++b) sum += partial[(static_cast<size_t>(b) * s.f + fi) * d.cols + col];
      float* out = col < d.taps ? (dw ? dw + static_cast<size_t>(fi) * d.taps + col : nullptr) : db + fi;
      if (out) *out = (accumulate ? *out : 0.0f) + sum;
    }
}

// direct_bank_kernel: the forward pass and the input gradient. The bank and the first unit are
// staged in one phase, as in the kernel (no barrier between them).
template <class Program>
void emulate_bank_then_units(const Program& d, Order order) {
  std::vector<float> sm(d.smem_floats());
  for (int by = 0; by < d.slices; ++by)
    for (int bx = 0; bx < d.blocks; ++bx) {
      std::fill(sm.begin(), sm.end(), kNaN);
      for (int unit = d.first_unit(bx); unit < d.end_unit(bx); ++unit) {
        each_thread(order, [&](int t) {
          if (unit == d.first_unit(bx)) d.load_weights(t, by, sm.data());
          d.load_unit(unit, t, sm.data());
        });
        each_thread(order, [&](int t) { d.compute(unit, t, by, sm.data()); });
      }
    }
}

void emulate_forward(const Conv2dShape& s, const float* x, const float* w, const float* b, float* y,
                     Order order = Order::Up) {
  DirectFwd d = DirectFwd::plan(s);
  d.x = x, d.wt = w, d.b = b, d.y = y;
  if (d.per_thread == cuda::kFwdFilters)
    emulate_bank_then_units(cuda::DirectFwdBy<cuda::kFwdFilters>{d}, order);
  else
    emulate_bank_then_units(cuda::DirectFwdBy<cuda::kFwdFilters / 2>{d}, order);
}

// When the chunked kernel's asynchronous copies land in shared memory: as they are issued, or only
// when the kernel waits for their group. A copy may land anywhere between the two on the GPU, so a
// kernel correct at both extremes is correct between: Early finds a copy into the buffer being
// summed (a missing barrier or a wrong buffer), Late finds sums of a chunk not yet waited for.
enum class Landing { Early, Late };

// AsyncCopy (conv2d_direct_cuda.cu) on the CPU: each copy lands at once, or is kept in `pending`.
struct EmulatedCopy {
  struct Copy {
    float* to;
    const float* from;
  };
  std::vector<Copy>* pending;  // null: Landing::Early
  void take(float* buf, int, int to, const float* from, bool read) const {
    if (to < 0) return;
    if (pending)
      pending->push_back({buf + to, read ? from : nullptr});
    else
      buf[to] = read ? *from : 0.0f;
  }
  void store(float*) const {}
};

// What load() must leave in a buffer for chunk `chunk` of block (bx, by), checked after the
// chunk's copies have landed: the tile's weights as [tap][filter] and the block's images as
// [image][channel][row][column], zero past the layer's last channel, filter and image and in the
// padding. A read past the layer's filters or images (into a filter the block never writes out)
// shows here rather than only under a memory checker.
void check_staged(const DirectFwdChunked& d, int chunk, int bx, int by, const float* buf) {
  const int area = d.kh * d.kw, taps = d.c * area, ch0 = chunk * d.cc, f0 = by * d.tile_f;
  int wrong = 0;
  for (int tap = 0; tap < d.cc * area; ++tap)
    for (int fl = 0; fl < d.tile_f; ++fl) {
      const int at = ch0 * area + tap, fi = f0 + fl;
      const float want = at < taps && fi < d.f ? d.wt[static_cast<size_t>(fi) * taps + at] : 0.0f;
      wrong += std::memcmp(&want, &buf[tap * d.wstride + fl], sizeof(float)) != 0;
    }
  for (int il = 0; il < d.imgs; ++il)
    for (int chl = 0; chl < d.cc; ++chl)
      for (int r = 0; r < d.xrows; ++r)
        for (int col = 0; col < d.xcols; ++col) {
          const int img = bx * d.imgs + il, ch = ch0 + chl, iy = r - d.pad, ix = col - d.pad;
          const float want = img < d.n && ch < d.c && iy >= 0 && iy < d.h && ix >= 0 && ix < d.w
                                 ? d.x[((static_cast<size_t>(img) * d.c + ch) * d.h + iy) * d.w + ix]
                                 : 0.0f;
          wrong += std::memcmp(&want, &buf[d.wfloats + il * d.istride + (chl * d.xrows + r) * d.xcols + col],
                               sizeof(float)) != 0;
        }
  INFO("chunk " << chunk << " of block (" << bx << ", " << by << ")");
  CHECK(wrong == 0);
}

struct ChunkedRun {
  std::optional<DirectFwdChunked> plan = std::nullopt;  // none: the product's plan of the shape
  Order order = Order::Up;
  Landing landing = Landing::Late;
};

// direct_chunked_forward_kernel: chunk by chunk, each thread's sums kept between the phases. With
// two buffers, the phase before the sums of chunk k copies chunk k + 1 (and, at k = 0, chunk 0),
// and chunk k's copies have all landed when it ends (every thread's wait, then the barrier).
void emulate_forward_chunked(const Conv2dShape& s, const float* x, const float* w, const float* b, float* y,
                             const ChunkedRun& run = {}) {
  DirectFwdChunked d = run.plan ? *run.plan : DirectFwdChunked::plan(s);
  REQUIRE(d.fits_threads());
  d.x = x, d.wt = w, d.b = b, d.y = y;
  std::vector<float> sm(d.smem_floats());
  struct Sums {
    float v[cuda::kChunkAcc] = {};
  };
  auto compute = [&](int chunk, int t, const float* buf, Sums& acc) {
    switch (d.unrolled_width()) {  // as conv2d_direct_forward_chunked launches it
      case 3:
        d.compute<3>(chunk, t, buf, acc.v);
        break;
      case 5:
        d.compute<5>(chunk, t, buf, acc.v);
        break;
      default:
        d.compute<0>(chunk, t, buf, acc.v);
        break;
    }
  };
  for (int by = 0; by < d.slices; ++by)
    for (int bx = 0; bx < d.blocks; ++bx) {
      std::fill(sm.begin(), sm.end(), kNaN);
      std::vector<Sums> acc(d.threads);
      std::vector<std::vector<EmulatedCopy::Copy>> groups(d.chunks);
      for (int chunk = 0; chunk < d.chunks; ++chunk) {
        if (d.buffers == 1) {
          each_thread(
              run.order,
              [&](int t) { d.load(chunk, t, bx, by, sm.data(), cuda::LoadThenStore<DirectFwdChunked::kStageBatch>{}); },
              d.threads);
        } else {
          auto copies = [&](int k) { return EmulatedCopy{run.landing == Landing::Late ? &groups[k] : nullptr}; };
          each_thread(
              run.order,
              [&](int t) {
                if (chunk == 0) d.load(0, t, bx, by, d.buffer(sm.data(), 0), copies(0));
                if (chunk + 1 < d.chunks) d.load(chunk + 1, t, bx, by, d.buffer(sm.data(), chunk + 1), copies(chunk + 1));
              },
              d.threads);
          for (const EmulatedCopy::Copy& c : groups[chunk]) *c.to = c.from ? *c.from : 0.0f;
        }
        check_staged(d, chunk, bx, by, d.buffer(sm.data(), chunk));
        each_thread(
            run.order, [&](int t) { compute(chunk, t, d.buffer(sm.data(), chunk), acc[t]); }, d.threads);
      }
      each_thread(
          run.order, [&](int t) { d.write(t, bx, by, acc[t].v); }, d.threads);
    }
}

void emulate_dgrad(const Conv2dShape& s, const float* w, const float* y, const float* dy, float* dx, bool accumulate,
                   Order order = Order::Up) {
  DirectDgrad d = DirectDgrad::plan(s, accumulate);
  d.wt = w, d.dy = dy, d.y = s.relu ? y : nullptr, d.dx = dx;
  emulate_bank_then_units(d, order);
}
}  // namespace

void same_bits(const char* what, const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  size_t i = 0;
  while (i < a.size() && std::memcmp(&a[i], &b[i], sizeof(float)) == 0) ++i;
  INFO(what << ": first difference at " << i << " of " << a.size());
  CHECK(i == a.size());
}

// Every direct program on shape s against the CPU kernels: forward with and without bias, input
// and weight gradients overwriting and accumulating, the weight gradient without a bias.
void check_against_cpu(const Conv2dShape& s) {
  test::ConvReference ref(s);
  const std::vector<float>&x = ref.x, &w = ref.w, &b = ref.b, &dy = ref.dy, &y = ref.y;
  std::vector<float>&dx = ref.dx, &dw = ref.dw, &db = ref.db;
  const size_t nx = x.size(), nw = w.size(), ny = y.size();
  std::vector<float> work(cpu::conv2d_workspace(s));

  std::vector<float> ey(ny, kNaN), ey_nobias(ny, kNaN), y_nobias(ny);
  emulate_forward(s, x.data(), w.data(), b.data(), ey.data());
  close("y", y, ey);
  cpu::conv2d_forward(s, x.data(), w.data(), static_cast<const float*>(nullptr), y_nobias.data(), work.data());
  emulate_forward(s, x.data(), w.data(), nullptr, ey_nobias.data());
  close("y without bias", y_nobias, ey_nobias);
  // The forward pass by channel chunks, wherever its tasks fit a block's threads.
  // Every plan adds each sum's products in the same order (channel by channel), so all give the same bits.
  if (DirectFwdChunked::plan(s).fits_threads()) {
    std::vector<float> cy(ny, kNaN), cy_nobias(ny, kNaN);
    emulate_forward_chunked(s, x.data(), w.data(), b.data(), cy.data());
    close("y by channel chunks", y, cy);
    emulate_forward_chunked(s, x.data(), w.data(), nullptr, cy_nobias.data());
    close("y by channel chunks without bias", y_nobias, cy_nobias);
    std::vector<float> other(ny, kNaN);
    emulate_forward_chunked(s, x.data(), w.data(), b.data(), other.data(), {std::nullopt, Order::Down, Landing::Early});
    same_bits("y by channel chunks, copies landing early, threads in the other order", cy, other);
    // The forms kept for comparison (dev/cuda/conv_chunked_variants.h), each also with its threads
    // in the other order and its copies landing early.
    for (const dev::ChunkedVariant& v : dev::chunked_variants(s)) {
      for (const ChunkedRun& run : {ChunkedRun{v.plan, Order::Up, Landing::Late}, ChunkedRun{v.plan, Order::Down, Landing::Early}}) {
        if (!v.plan.fits_threads()) continue;
        emulate_forward_chunked(s, x.data(), w.data(), b.data(), other.data(), run);
        same_bits(("y by channel chunks, " + v.name).c_str(), cy, other);
      }
    }
  }

  std::vector<float> ex(nx, kNaN), ew(nw, kNaN), eb(s.f, kNaN);
  emulate_dgrad(s, w.data(), y.data(), dy.data(), ex.data(), false);
  emulate_wgrad(s, x.data(), y.data(), dy.data(), ew.data(), eb.data(), false);
  close("dx", dx, ex);
  close("dw", dw, ew);
  close("db", db, eb);

  // The threads of each phase in the other order: the same bits, or two threads of a phase share memory.
  std::vector<float> y_down(ny, kNaN), dx_down(nx, kNaN), dw_down(nw, kNaN), db_down(s.f, kNaN);
  emulate_forward(s, x.data(), w.data(), b.data(), y_down.data(), Order::Down);
  emulate_dgrad(s, w.data(), y.data(), dy.data(), dx_down.data(), false, Order::Down);
  emulate_wgrad(s, x.data(), y.data(), dy.data(), dw_down.data(), db_down.data(), false, Order::Down);
  same_bits("y, threads in the other order", ey, y_down);
  same_bits("dx, threads in the other order", ex, dx_down);
  same_bits("dw, threads in the other order", ew, dw_down);
  same_bits("db, threads in the other order", eb, db_down);

  // Accumulate mode adds onto what is there.
  emulate_dgrad(s, w.data(), y.data(), dy.data(), ex.data(), true);
  emulate_wgrad(s, x.data(), y.data(), dy.data(), ew.data(), eb.data(), true);
  for (auto* v : {&dx, &dw, &db})
    for (float& e : *v) e *= 2;
  close("dx accumulated", dx, ex);
  close("dw accumulated", dw, ew);
  close("db accumulated", db, eb);

  // Weight gradient without a bias: no bias column, the same weights.
  std::vector<float> nobias(nw, kNaN);
  emulate_wgrad(s, x.data(), y.data(), dy.data(), nobias.data(), nullptr, false);
  for (float& e : dw) e /= 2;
  close("dw without bias", dw, nobias);
}

TEST_CASE("conv2d direct kernels: the CUDA block programs, run on the CPU, match the CPU kernels",
          "[conv2d][cuda-emulated]") {
  struct Case {
    int n, c, h, w, f, k, stride, pad;
    const char* why;
  };
  const Case cases[] = {
      {3, 1, 28, 28, 16, 5, 1, 0, "digit conv1: few tasks, threads split the positions"},
      {3, 16, 12, 12, 32, 5, 1, 0, "digit conv2: more tasks than threads, several block rows"},
      {1, 3, 7, 7, 5, 3, 1, 1, "one image, three channels, padding"},
      {3, 3, 7, 7, 4, 3, 2, 1, "stride 2 with padding"},
      {2, 16, 9, 11, 70, 3, 1, 1, "70 filters: a part-filled filter group; not square"},
      {4, 8, 13, 13, 65, 3, 2, 0, "stride 2, odd size"},
      {5, 4, 8, 6, 3, 1, 1, 0, "1x1 kernel"},
      {300, 2, 5, 5, 3, 3, 1, 1, "more images than blocks: several images per block"},
      {2, 64, 6, 6, 70, 3, 1, 1, "a filter bank in forward slices"},
      {2, 70, 6, 6, 64, 3, 1, 1, "a filter bank in input-gradient slices, the last part full"},
      {2, 16, 32, 32, 16, 3, 1, 1, "object stage 1: every product in bands of rows"},
      {2, 8, 63, 20, 64, 3, 2, 1, "input gradient in bands at stride 2, the last band part full"},
      {2, 16, 30, 32, 32, 3, 2, 1, "stride 2 in bands, the last band part full"},
      {3, 64, 8, 8, 64, 3, 1, 1, "object stage 3: the forward pass by channel chunks, two images a block"},
      {2, 67, 5, 5, 20, 3, 2, 1, "67 channels: the last chunk part full; filters past the last"},
  };
  for (const Case& t : cases)
    for (int relu = 0; relu < 2; ++relu) {
      Conv2dShape s;
      s.n = t.n, s.c = t.c, s.h = t.h, s.w = t.w, s.f = t.f, s.kh = s.kw = t.k, s.stride = t.stride, s.pad = t.pad;
      s.relu = relu;
      INFO(t.why << ", relu " << relu);
      check_against_cpu(s);
    }
}

TEST_CASE("conv2d direct kernels: every busy tiling of the chunked forward gives the same bits", "[conv2d][cuda-emulated]") {
  // bench_kernels_cuda times each of them on the card; a tiling that summed wrongly would time a wrong kernel.
  struct Case {
    int n, c, h, f, k, stride, pad;
  };
  for (const Case& t : {Case{7, 12, 8, 64, 3, 1, 1}, Case{9, 5, 12, 40, 5, 1, 0}, Case{20, 6, 9, 20, 3, 2, 1}}) {
    Conv2dShape s;
    s.n = t.n, s.c = t.c, s.h = s.w = t.h, s.f = t.f, s.kh = s.kw = t.k, s.stride = t.stride, s.pad = t.pad, s.relu = true;
    INFO(test::conv_shape_name(s));
    test::ConvReference ref(s);
    const size_t ny = ref.y.size();
    std::vector<float> planned(ny, kNaN);
    emulate_forward_chunked(s, ref.x.data(), ref.w.data(), ref.b.data(), planned.data());
    close("y by channel chunks", ref.y, planned);
    const std::vector<cuda::ChunkTiling> all = cuda::chunk_busy_tilings(s);
    CHECK(all.size() >= 3);
    for (const cuda::ChunkTiling& tiling : all) {
      INFO(tiling.fgroups << " filter groups a tile, " << tiling.slices << " tiles, " << tiling.imgs << " images a block");
      ChunkedRun run;
      run.plan = DirectFwdChunked::plan(s, tiling);
      std::vector<float> y(ny, kNaN);
      emulate_forward_chunked(s, ref.x.data(), ref.w.data(), ref.b.data(), y.data(), run);
      same_bits("y, this tiling", planned, y);
    }
  }
}

TEST_CASE("conv2d direct kernels: random shapes, run on the CPU, match the CPU kernels", "[conv2d][cuda-emulated]") {
  // Sizes the table above does not pick: strides up to 3, kernels as wide as the padded image,
  // single rows and columns, odd channel and filter counts.
  std::mt19937 rng(20261126);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (int i = 0; i < 40; ++i) {
    Conv2dShape s;
    s.n = pick(1, 4), s.c = pick(1, 9), s.f = pick(1, 37), s.kh = s.kw = pick(1, 5), s.stride = pick(1, 3);
    s.pad = pick(0, std::min(2, s.kh - 1)), s.relu = pick(0, 1) == 1;
    s.h = pick(std::max(1, s.kh - 2 * s.pad), 19), s.w = pick(std::max(1, s.kw - 2 * s.pad), 19);
    INFO(test::conv_shape_name(s));
    check_against_cpu(s);
  }
}

TEST_CASE("conv2d direct kernels: every small shape, run on the CPU, matches the CPU kernels",
          "[conv2d][cuda-emulated]") {
  CHECK(test::for_each_small_conv_shape([](Conv2dShape s) {
          INFO(test::conv_shape_name(s));
          check_against_cpu(s);
        }) > 1000);
}

TEST_CASE("the thread-order check finds threads of one phase sharing memory", "[cuda-emulated]") {
  // Each thread writes its slot and reads its neighbour's: with a barrier between, any order gives the
  // same; in one phase (a race on the GPU), the two orders differ.
  auto run = [](Order order, bool barrier) {
    std::vector<float> sm(kDirectThreads, 0.0f), out(kDirectThreads);
    auto write = [&](int t) { sm[t] = static_cast<float>(t + 1); };
    auto read = [&](int t) { out[t] = sm[(t + 1) % kDirectThreads]; };
    if (barrier) {
      each_thread(order, write);
      each_thread(order, read);
    } else {
      each_thread(order, [&](int t) { write(t), read(t); });
    }
    return out;
  };
  CHECK(run(Order::Up, true) == run(Order::Down, true));
  CHECK(run(Order::Up, false) != run(Order::Down, false));
}

TEST_CASE("conv2d direct kernels: launch plans cover every image and task once", "[conv2d][cuda-emulated]") {
  Conv2dShape s;
  s.n = 384, s.c = 16, s.h = s.w = 12, s.f = 32, s.kh = s.kw = 5;
  const DirectWgrad wg = DirectWgrad::plan(s, true);
  CHECK(wg.cols == 16 * 25 + 1);
  CHECK(wg.tasks == wg.cols * 2);
  CHECK(wg.blocks_y * wg.chunk >= wg.tasks);
  CHECK(wg.blocks_x * wg.blocks_y <= cuda::kFillBlocks + wg.blocks_y);  // about two blocks per SM
  CHECK(wg.bands == 1);                                                 // digit conv2 is staged whole
  CHECK(wg.end_unit(wg.blocks_x - 1) == s.n);
  CHECK(wg.first_unit(wg.blocks_x - 1) < s.n);  // no block without an image
  const DirectFwd fw = DirectFwd::plan(s);
  CHECK(fw.fslice == 32);
  CHECK(fw.per_thread == 8);
  CHECK(fw.slices == 1);
  CHECK(fw.bands == 1);
  CHECK(fw.end_unit(fw.blocks - 1) == s.n);
  CHECK(fw.first_unit(fw.blocks - 1) < s.n);
  const DirectDgrad dg = DirectDgrad::plan(s, false);
  CHECK(dg.cslice == 16);
  CHECK(dg.slices == 1);
  CHECK(dg.end_unit(dg.blocks - 1) == s.n);
  CHECK(dg.first_unit(dg.blocks - 1) < s.n);
  // object's first stage (16 channels of 32x32): the weight gradient in bands of 8 output rows.
  Conv2dShape big = s;
  big.c = big.f = 16, big.h = big.w = 32, big.kh = big.kw = 3, big.pad = 1;
  const DirectWgrad banded = DirectWgrad::plan(big, true);
  CHECK(banded.rows == 8);
  CHECK(banded.bands == 4);
  CHECK(banded.xrows == 10);
  CHECK(banded.smem_floats() * sizeof(float) <= 64 * 1024);
  CHECK(banded.end_unit(banded.blocks_x - 1) == big.n * banded.bands);
  // ... and its forward pass in two bands of 16 rows (34x18 padded input rows of 16 channels).
  const DirectDgrad banded_dx = DirectDgrad::plan(big, false);
  CHECK(banded_dx.bands == 2);
  CHECK(banded_dx.grows == 18);  // 16 input rows read 16 + 3 - 1 gradient rows
  const DirectFwd banded_fw = DirectFwd::plan(big);
  CHECK(banded_fw.slices == 1);
  CHECK(banded_fw.bands == 2);
  CHECK(banded_fw.xcols == 34);
  CHECK(banded_fw.smem_floats() * sizeof(float) <= 64 * 1024);
  // object's 64-channel layer: the bank (147 KiB) in slices of 16 filters, two blocks per SM again.
  Conv2dShape wide = s;
  wide.c = wide.f = 64, wide.h = wide.w = 8, wide.kh = wide.kw = 3, wide.pad = 1;
  const DirectFwd sliced = DirectFwd::plan(wide);
  CHECK(sliced.fslice == 16);
  CHECK(sliced.slices == 4);
  CHECK(sliced.smem_floats() * sizeof(float) <= 64 * 1024);
  CHECK(sliced.blocks * sliced.slices <= cuda::kFillBlocks);
  CHECK(sliced.per_thread == 4);  // 64 pixels x 4 groups of 4 filters: every thread busy
  // ... which the forward pass walks by channel chunks instead. Its model (chunk_spread_tiling) takes
  // three images and 32 filters a block: 2 x 128 blocks of 192 threads, two an SM, staging 196
  // floats a task, where one image and all 64 filters (3 blocks an SM of 128 threads) would stage
  // 338, and the Fill tiling (two images, 64 filters) deals 192 blocks of 256 threads unevenly.
  using cuda::ChunkTiling;
  const DirectFwdChunked chunked = DirectFwdChunked::plan(wide);
  CHECK(chunked.tile_f == 32);
  CHECK(chunked.slices == 2);
  CHECK(chunked.imgs == 3);
  CHECK(chunked.tasks == 192);
  CHECK(chunked.threads == 192);
  CHECK(chunked.blocks == s.n / 3);
  CHECK(chunked.buffers == 2);  // two buffers of 4 channels in 32 KiB
  CHECK(chunked.cc == 4);
  CHECK(chunked.chunks == 16);
  CHECK(chunked.buffer_floats % 4 == 0);  // the second buffer's weights are float4-aligned too
  CHECK(chunked.wstride % 32 == 8);
  CHECK(chunked.smem_floats() <= cuda::kChunkSmemFloats);
  CHECK(chunked.busy());
  const double chosen = cuda::chunk_model_cost(wide, {4, 2, 3});
  CHECK(chosen < cuda::chunk_model_cost(wide, {8, 1, 1}));
  CHECK(chosen < cuda::chunk_model_cost(wide, {4, 2, 2}));  // the same rounds, more staged
  CHECK(chosen < cuda::chunk_model_cost(wide, cuda::chunk_fill_tiling(wide)));
  // The candidates: every tile width once, every block with 128 to 256 tasks, and the plan among them.
  const std::vector<ChunkTiling> all = cuda::chunk_busy_tilings(wide);
  CHECK(all.size() > 10);
  bool seen = false;
  for (const ChunkTiling& t : all) {
    const int tasks = t.imgs * cuda::chunk_pixel_groups(wide) * t.fgroups;
    CHECK(tasks >= kDirectThreads / 2);
    CHECK(tasks <= kDirectThreads);
    CHECK(t.fgroups * t.slices >= cuda::chunk_filter_groups(wide));
    CHECK((t.fgroups - 1) * t.slices < cuda::chunk_filter_groups(wide));  // no narrower tile would do
    CHECK(cuda::chunk_model_cost(wide, t) >= chosen);
    seen = seen || t == ChunkTiling{4, 2, 3};
  }
  CHECK(seen);
  // One buffer: chunks of 8 channels in the same 32 KiB.
  const DirectFwdChunked blocking = DirectFwdChunked::plan(wide, cuda::chunk_spread_tiling(wide), 1);
  CHECK(blocking.buffers == 1);
  CHECK(blocking.cc == 8);
  CHECK(blocking.chunks == 8);
  CHECK(blocking.smem_floats() <= cuda::kChunkSmemFloats);
  const DirectFwdChunked full = DirectFwdChunked::plan(wide, cuda::chunk_fill_tiling(wide));  // 256 threads a block
  CHECK(full.imgs == 2);
  CHECK(full.tile_f == 64);
  CHECK(full.threads == kDirectThreads);
  CHECK(full.blocks == s.n / 2);
  // Where all channels fit one chunk there is nothing to overlap: one buffer (digit conv1).
  Conv2dShape one = s;
  one.c = 1;
  CHECK(DirectFwdChunked::plan(one).buffers == 1);
  CHECK(DirectFwdChunked::plan(one).chunks == 1);
  // digit conv2 (8x8 outputs of 32 filters): 128 blocks of three images, one an SM, rather than 96
  // blocks of four images (36 SMs idle) or 192 of two (some SMs two blocks).
  const DirectFwdChunked digit = DirectFwdChunked::plan(s);
  CHECK(digit.imgs == 3);
  CHECK(digit.tile_f == 32);
  CHECK(digit.tasks == 192);
  CHECK(digit.blocks * digit.slices == 128);
  CHECK(digit.istride % 32 == 16);  // two images of a warp read different banks
  // However few the images, a block keeps at least 128 tasks.
  Conv2dShape few = s;
  few.n = 8;
  CHECK(DirectFwdChunked::plan(few).tasks >= kDirectThreads / 2);
  CHECK(DirectFwdChunked::plan(few).busy());
  // Where no tiling keeps 128 tasks (one image of 8x8 outputs: 64), the Fill tiling.
  few.n = 1;
  CHECK(cuda::chunk_busy_tilings(few).empty());
  CHECK(DirectFwdChunked::plan(few).tile_f == 32);
  CHECK(DirectFwdChunked::plan(few).tasks == 64);
  // Images of more than 1024 output pixels have more pixel groups than a block has threads.
  Conv2dShape large = wide;
  large.h = large.w = 34;
  CHECK_FALSE(DirectFwdChunked::plan(large).fits_threads());
  const DirectDgrad sliced_dx = DirectDgrad::plan(wide, false);
  CHECK(sliced_dx.cslice == 16);
  CHECK(sliced_dx.slices == 4);
  CHECK(sliced_dx.smem_floats() * sizeof(float) <= 64 * 1024);
  // Which plans keep a block busy: the digit and object layers do; the input gradient of a 128-channel
  // 8x8 layer (GTSRB's last) would cut its bank into 4-channel slices, 64 tasks for 256 threads.
  CHECK(fw.busy());
  CHECK(dg.busy());
  CHECK(wg.busy());
  CHECK(sliced.busy());
  CHECK(sliced_dx.busy());
  Conv2dShape deep = wide;
  deep.c = deep.f = 128;
  CHECK_FALSE(DirectDgrad::plan(deep, false).busy());
  // digit conv1 at a watermarked batch: 26 tasks, nine threads on each.
  s.c = 1, s.h = s.w = 28, s.f = 16;
  const DirectWgrad first = DirectWgrad::plan(s, true);
  CHECK(first.tasks == 26);
  CHECK(first.splits == kDirectThreads / 26);
  CHECK(first.blocks_y == 1);
}

TEST_CASE("conv2d direct kernels: the chunked forward lays its warps out by shared-memory banks",
          "[conv2d][cuda-emulated]") {
  // The bank model (kernels/cuda/shared_banks.h): 32 consecutive floats take one pass, two floats 32
  // apart (one bank) two, one float read by every lane one; 32 consecutive float4s take four (8
  // sixteen-byte slots a pass), one float4 read by every lane one.
  std::vector<int> floats(32), float4s(32);
  for (int i = 0; i < 32; ++i) floats[i] = i, float4s[i] = 4 * i;
  CHECK(cuda::shared_load_wavefronts(floats, 1) == 1);
  CHECK(cuda::shared_load_wavefronts({0, 32}, 1) == 2);
  CHECK(cuda::shared_load_wavefronts(std::vector<int>(32, 5), 1) == 1);
  CHECK(cuda::shared_load_wavefronts(float4s, 4) == 4);
  CHECK(cuda::shared_load_wavefronts(std::vector<int>(32, 8), 4) == 1);

  // Two images of 8x8 outputs (3x3 kernel, padding 1: staged rows of 10 floats), two filter groups:
  // 64 tasks in 2 warps; pixel group g of an image takes pixels g, g + 16, g + 32, g + 48.
  Conv2dShape s;
  s.n = 2, s.c = 4, s.h = s.w = 8, s.f = 16, s.kh = s.kw = 3, s.stride = 1, s.pad = 1;
  const cuda::ChunkTiling two_by_two{2, 1, 2};
  const DirectFwdChunked by_images = dev::warps_across(DirectFwdChunked::plan(s, two_by_two), false);
  const DirectFwdChunked by_filters = dev::warps_across(DirectFwdChunked::plan(s, two_by_two), true);
  // Across images, a warp is one filter group of both images. Its input load j reads rows 2j and
  // 2j + 1 of each image (floats 20j + 0..7 and 20j + 10..17: 16 banks), the second image 16 banks on
  // (istride = 16 modulo 32), so 4 banks hold two addresses: 2 passes. Its weights are one float4
  // (1 pass each). 4 x 2 + 2 = 10 a warp.
  REQUIRE(by_images.istride % 32 == 16);
  CHECK(by_images.tap_wavefronts() == 2 * 10);
  // Across filter groups, a warp is both filter groups of one image: its half-warps read the same 16
  // inputs (1 pass) and float4s 8 floats apart (1 pass). 4 + 2 = 6 a warp.
  CHECK(by_filters.tap_wavefronts() == 2 * 6);
  CHECK(DirectFwdChunked::plan(s, two_by_two).warps_by_filters);
  // With one image a block the two spans are one layout, and the plan keeps the measured one.
  const DirectFwdChunked one_image = DirectFwdChunked::plan(s, cuda::ChunkTiling{2, 1, 1});
  CHECK_FALSE(one_image.warps_by_filters);
  CHECK(one_image.tap_wavefronts() ==
        dev::warps_across(DirectFwdChunked::plan(s, cuda::ChunkTiling{2, 1, 1}), true).tap_wavefronts());

  // The object model's 64-channel layer as the model tiles it (3 images x 32 filters, 6 warps):
  // 36 passes a tap across filter groups against 60 across images.
  Conv2dShape obj;
  obj.n = 384, obj.c = obj.f = 64, obj.h = obj.w = 8, obj.kh = obj.kw = 3, obj.stride = 1, obj.pad = 1;
  const DirectFwdChunked planned = DirectFwdChunked::plan(obj);
  CHECK(planned.warps_by_filters);
  CHECK(planned.tap_wavefronts() == 36);
  CHECK(dev::warps_across(DirectFwdChunked::plan(obj), false).tap_wavefronts() == 60);
}
