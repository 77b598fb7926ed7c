#include "train/data_parallel.h"

#include <chrono>

#include "common/error.h"
#include "common/ranks.h"
#include "common/sha256.h"
#include "kernels/cuda/device.h"
#include "kernels/cuda/nccl_comm.h"

namespace nullmark {

DataParallel::DataParallel(int ranks, Device device) : ranks_(ranks), device_(device) {
  ranks::check_launch();
  if (ranks::size() != ranks)
    throw fail("train.parallel.ranks is ", ranks, ", but this job has ", ranks::size(), " process(es): start it as ",
               ranks > 1 ? "mpirun -np " + std::to_string(ranks) + " nullmark train ..." : "one process",
               " (docs/clusters.md)");
  rank_ = ranks::rank();
  if (device_ == Device::CUDA) {
    const std::string id = ranks::broadcast(rank_ == 0 ? cuda::nccl_unique_id() : std::string());
    nccl_ = cuda::nccl_join(id, rank_, ranks_);
  }
}

DataParallel::~DataParallel() { cuda::nccl_leave(nccl_); }

void DataParallel::choose_device() {
  const int count = cuda::device_count();
  if (count > 1) cuda::use_device(ranks::local_rank() % count);
}

void DataParallel::sum_gradients(Network& net, size_t first) {
  float* grads = net.grads() + first;
  const size_t n = net.param_count() - first;
  if (device_ == Device::CUDA) {
    cuda::nccl_allreduce_sum(net.gpu(), nccl_, grads, n);
    return;
  }
  const auto t0 = std::chrono::steady_clock::now();
  ranks::allreduce_sum(grads, n);
  gradient_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void DataParallel::sum_totals(double* values, size_t n) { ranks::allreduce_sum(values, n); }

void DataParallel::average_buffers(Network& net) {
  if (ranks_ == 1 || net.buffer_count() == 0) return;
  std::vector<float> b = net.host_buffers();
  ranks::allreduce_sum(b.data(), b.size());
  for (float& v : b) v /= static_cast<float>(ranks_);
  net.set_buffers(b);
}

void DataParallel::check_in_step(const Network& net, const std::string& when) {
  if (ranks_ == 1) return;
  const std::vector<float> p = net.host_params(), b = net.host_buffers();
  const std::string digest = to_hex(sha256(p.data(), p.size() * sizeof(float))) + " " +
                             to_hex(sha256(b.data(), b.size() * sizeof(float)));
  ranks::check_agree("data-parallel training: the ranks' parameters diverged " + when,
                     "parameters and buffers sha256 " + digest);
}

}  // namespace nullmark
