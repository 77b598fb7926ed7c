// A convolution's inputs drawn at random and the CPU kernel's results on them: the reference that
// the CUDA parity tests and the CPU runs of the CUDA block programs compare with.
#pragma once
#include <vector>

#include "gradcheck.h"
#include "kernels/conv2d.h"

namespace nullmark::test {

struct ConvReference {
  std::vector<float> x, w, b, dy;    // inputs, seeds 1-4
  std::vector<float> y, dx, dw, db;  // cpu::conv2d_forward / conv2d_backward (overwriting)
  explicit ConvReference(const Conv2dShape& s)
      : x(random_floats(static_cast<size_t>(s.n) * s.c * s.h * s.w, 1)),
        w(random_floats(static_cast<size_t>(s.f) * s.col_rows(), 2)),
        b(random_floats(s.f, 3)),
        dy(random_floats(static_cast<size_t>(s.n) * s.f * s.oh() * s.ow(), 4)),
        y(dy.size()),
        dx(x.size()),
        dw(w.size()),
        db(s.f) {
    std::vector<float> work(cpu::conv2d_workspace(s));
    cpu::conv2d_forward(s, x.data(), w.data(), b.data(), y.data(), work.data());
    cpu::conv2d_backward(s, x.data(), w.data(), y.data(), dy.data(), dx.data(), dw.data(), db.data(),
                         GradMode::Overwrite, work.data());
  }
};

}  // namespace nullmark::test
