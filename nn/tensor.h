// Shapes, device tags and tensor views. A Tensor is a non-owning view (data, batch, per-sample
// shape, device); memory belongs to the network's arenas, so views are cheap to pass around.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace nullmark {

enum class Device { CPU, CUDA };
const char* device_name(Device d);

// Per-sample shape, batch excluded: {C, H, W} for images, {features} after flatten or dense.
struct Shape {
  std::vector<int> dims;
  Shape() = default;
  Shape(std::initializer_list<int> d) : dims(d) {}
  explicit Shape(std::vector<int> d) : dims(std::move(d)) {}
  size_t numel() const;
  size_t rank() const { return dims.size(); }
  int operator[](size_t i) const { return dims.at(i); }
  bool operator==(const Shape& o) const { return dims == o.dims; }
  bool operator!=(const Shape& o) const { return dims != o.dims; }
  std::string str() const;  // "1x28x28"
};

struct Tensor {
  float* data = nullptr;
  int n = 0;  // batch size
  Shape shape;
  Device device = Device::CPU;
  size_t numel() const { return static_cast<size_t>(n) * shape.numel(); }
};

}  // namespace nullmark
