#include "nn/tensor.h"

namespace nullmark {

const char* device_name(Device d) { return d == Device::CPU ? "cpu" : "cuda"; }

size_t Shape::numel() const {
  size_t n = 1;
  for (int d : dims) n *= static_cast<size_t>(d);
  return n;
}

std::string Shape::str() const {
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? "x" : "") + std::to_string(dims[i]);
  return s;
}

}  // namespace nullmark
