// The processes a job runs as: MPI ranks when nullmark is started by mpirun (or srun) in a build
// with MPI, otherwise one process. Sweeps spread their points over the ranks; everything else runs
// on each rank as it would alone. MPI is initialised on first use, and only when a launcher's
// environment says there are several processes, so a plain run never touches it.
#pragma once
#include <string>
#include <vector>

namespace nullmark::ranks {

int rank();  // 0 .. size() - 1
int size();
bool with_mpi();  // built with MPI (whether or not this job uses it)
// Refuses a build without MPI started as one of several processes (each would run the whole job).
void check_launch();
// The version and commit this binary was built from (at configure time), which ranks compare.
std::string build_id();

// Every rank's string, on rank 0 (in rank order); other ranks get an empty list.
std::vector<std::string> gather(const std::string& mine);
// Rank 0's string, on every rank.
std::string broadcast(const std::string& from_root);
// Stops every rank (throws on each) unless all ranks hold the same `mine`, a few lines such as
// "build ..." / "config sha256 ...": the message names `what`, the first rank that differs from
// rank 0 and its first differing line.
void check_agree(const std::string& what, const std::string& mine);
// Element-wise sum over the ranks, in place on every rank (host memory). For two ranks the sum is
// one addition, so every rank holds the same bits; for more, MPI's reduction order is fixed for a
// given job size and message length.
void allreduce_sum(float* data, size_t n);
void allreduce_sum(double* data, size_t n);
// This process's rank among the ranks on its node (from the launcher), which picks its GPU, and
// how many ranks share the node (1 where the launcher does not say).
int local_rank();
int local_size();
void barrier();
// After an error on this rank: stops every rank of the job (MPI_Abort) with exit code `code`; in
// a single process, does nothing (the caller exits).
void abort_job(int code);

}  // namespace nullmark::ranks
