#include "common/ranks.h"

#include <cstdlib>
#include <cstring>

#include "common/error.h"

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

void abort_job(int code) {
  if (job().active) MPI_Abort(MPI_COMM_WORLD, code);
}
#else
int rank() { return 0; }
int size() { return 1; }
std::vector<std::string> gather(const std::string& mine) { return {mine}; }
std::string broadcast(const std::string& from_root) { return from_root; }
void barrier() {}
void abort_job(int) {}
#endif

}  // namespace nullmark::ranks
