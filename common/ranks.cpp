#include "common/ranks.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "common/error.h"
#include "common/format.h"

#if NULLMARK_WITH_MPI
#include <mpi.h>
#endif

namespace nullmark::ranks {

namespace {
// Launchers announce the job size in the environment: Open MPI's mpirun, PMI (MPICH, Slurm's srun
// with --mpi=pmi2) and PMIx.
bool launched_as_job() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"}) {
    const char* s = std::getenv(v);
    if (s && std::atoi(s) > 1) return true;
  }
  return false;
}

#if NULLMARK_WITH_MPI
struct Job {
  bool active = false;
  int rank = 0, size = 1;
  Job() {
    if (!launched_as_job()) return;
    int ok = 0;
    MPI_Initialized(&ok);
    if (!ok) MPI_Init(nullptr, nullptr);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    active = true;
  }
  ~Job() {
    int done = 0;
    if (active && (MPI_Finalized(&done), !done)) MPI_Finalize();
  }
};
Job& job() {
  static Job j;
  return j;
}
#endif
}  // namespace

bool with_mpi() { return NULLMARK_WITH_MPI != 0; }

void check_launch() {
  // A launcher started several copies of a build without MPI: each would run the whole job.
  NM_CHECK(with_mpi() || !launched_as_job(), "started as one of several processes (mpirun or srun), but this "
           "nullmark was built without MPI: rebuild with libopenmpi-dev installed (docs/clusters.md)");
}
int local_rank() {
  for (const char* v : {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "MPI_LOCALRANKID", "PMIX_LOCAL_RANK"})
    if (const char* s = std::getenv(v)) return std::atoi(s);
  return rank();
}

void check_agree(const std::string& what, const std::string& mine) {
  const std::vector<std::string> all = gather(mine);
  std::string verdict;
  for (size_t r = 1; r < all.size() && verdict.empty(); ++r)
    if (all[r] != all[0]) {
      std::istringstream a(all[0]), b(all[r]);
      std::string la, lb;
      while (std::getline(a, la) && std::getline(b, lb) && la == lb) {
      }
      verdict = format("rank %zu differs from rank 0: \"%s\" against \"%s\"", r, lb.c_str(), la.c_str());
    }
  verdict = broadcast(verdict);
  if (!verdict.empty()) throw fail(what, ": ", verdict);
}

int local_size() {
  for (const char* v : {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE", "PMIX_LOCAL_SIZE"})
    if (const char* s = std::getenv(v)) return std::max(1, std::atoi(s));
  return 1;
}

std::string build_id() { return std::string(NULLMARK_VERSION) + " (" + NULLMARK_SOURCE_REV + ")"; }

#if NULLMARK_WITH_MPI
int rank() { return job().rank; }
int size() { return job().size; }

std::vector<std::string> gather(const std::string& mine) {
  if (!job().active) return {mine};
  const int n = static_cast<int>(mine.size());
  std::vector<int> sizes(rank() == 0 ? size() : 0), offsets(sizes.size());
  MPI_Gather(&n, 1, MPI_INT, sizes.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::vector<char> all;
  if (rank() == 0) {
    size_t total = 0;
    for (int r = 0; r < size(); ++r) {
      offsets[r] = static_cast<int>(total);
      total += static_cast<size_t>(sizes[r]);
    }
    NM_CHECK(total < (size_t{1} << 31), "gather: over 2 GB from the ranks");
    all.resize(total);
  }
  MPI_Gatherv(mine.data(), n, MPI_CHAR, all.data(), sizes.data(), offsets.data(), MPI_CHAR, 0, MPI_COMM_WORLD);
  std::vector<std::string> out;
  for (size_t r = 0; r < sizes.size(); ++r) out.emplace_back(all.data() + offsets[r], static_cast<size_t>(sizes[r]));
  return out;
}

std::string broadcast(const std::string& from_root) {
  if (!job().active) return from_root;
  int n = static_cast<int>(from_root.size());
  MPI_Bcast(&n, 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::string s = rank() == 0 ? from_root : std::string(static_cast<size_t>(n), '\0');
  MPI_Bcast(s.data(), n, MPI_CHAR, 0, MPI_COMM_WORLD);
  return s;
}

void barrier() {
  if (job().active) MPI_Barrier(MPI_COMM_WORLD);
}

namespace {
template <typename T>
void sum_in_place(T* data, size_t n, MPI_Datatype type) {
  if (!job().active) return;
  constexpr size_t kChunk = size_t{1} << 30;  // MPI counts are ints
  for (size_t at = 0; at < n; at += kChunk)
    MPI_Allreduce(MPI_IN_PLACE, data + at, static_cast<int>(std::min(kChunk, n - at)), type, MPI_SUM, MPI_COMM_WORLD);
}
}  // namespace
void allreduce_sum(float* data, size_t n) { sum_in_place(data, n, MPI_FLOAT); }
void allreduce_sum(double* data, size_t n) { sum_in_place(data, n, MPI_DOUBLE); }

void abort_job(int code) {
  if (job().active) MPI_Abort(MPI_COMM_WORLD, code);
}
#else
int rank() { return 0; }
int size() { return 1; }
std::vector<std::string> gather(const std::string& mine) { return {mine}; }
std::string broadcast(const std::string& from_root) { return from_root; }
void barrier() {}
void allreduce_sum(float*, size_t) {}
void allreduce_sum(double*, size_t) {}
void abort_job(int) {}
#endif

}  // namespace nullmark::ranks
