// Data-parallel training (`train.parallel: {ranks: N}`, under mpirun or srun): each rank trains on
// its shard of every batch (datasets/batcher.h), and the ranks sum their gradients before each
// optimizer step, over MPI on CPUs and NCCL on GPUs. Every rank then takes the same step from the
// same parameters, so the ranks stay identical without exchanging weights; the check at the end of
// each epoch makes sure of it. Batch-norm statistics are each rank's own (its shard of the batch),
// and the running statistics are averaged over the ranks at the end of each epoch.
#pragma once
#include <cstddef>
#include <string>

#include "nn/network.h"

namespace nullmark {

class DataParallel {
 public:
  // Joins the job as this process's rank: `ranks` must be the job's size (it names the config's
  // number). On CUDA every rank joins one NCCL job, with a communicator even for one rank, so a
  // single GPU measures what the all-reduce costs.
  DataParallel(int ranks, Device device);
  ~DataParallel();
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  int rank() const { return rank_; }
  int ranks() const { return ranks_; }
  // Picks this rank's GPU (its rank on the node, modulo the GPUs it sees): before any CUDA work.
  static void choose_device();

  // Sums the network's gradients from parameter `first` on over the ranks, in place, in the
  // network's memory (on CUDA, queued on its context's stream).
  void sum_gradients(Network& net, size_t first);
  // CPU: seconds spent in sum_gradients so far, waiting for the slowest rank included (on CUDA the
  // sum is queued on the stream and not timed: 0).
  double gradient_seconds() const { return gradient_s_; }
  // Sums n host values over the ranks, in place (loss and accuracy totals).
  void sum_totals(double* values, size_t n);
  // Replaces every rank's non-trainable buffers (batch-norm running statistics) by their mean.
  void average_buffers(Network& net);
  // Stops the job unless every rank holds the same parameters and buffers; `when` goes into the
  // message ("after epoch 3").
  void check_in_step(const Network& net, const std::string& when);

 private:
  int rank_ = 0, ranks_ = 1;
  Device device_;
  void* nccl_ = nullptr;  // the NCCL communicator on CUDA
  double gradient_s_ = 0.0;
};

}  // namespace nullmark
