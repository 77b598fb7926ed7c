// OpenBLAS picks its kernels at load time from the CPU model. Releases that predate a CPU (0.3.21,
// Debian 12's, does not know recent Xeons) fall back to the generic "Prescott" SSE3 kernels, 3-6x
// slower than the AVX2/AVX-512 ones the CPU supports. The core type can only be chosen through
// OPENBLAS_CORETYPE before the library loads, so programs call ensure_blas_core(argv) first: when
// OpenBLAS fell back to Prescott on a CPU with AVX2 or AVX-512 and the user set no core type, the
// program re-executes itself once with the matching core type. Set OPENBLAS_CORETYPE yourself to
// override; NULLMARK_NO_BLAS_REEXEC=1 disables the mechanism.
#pragma once

namespace nullmark {

void ensure_blas_core(char** argv);
// The OpenBLAS kernel family in use, e.g. "SkylakeX" or "Haswell".
const char* blas_core_name();

}  // namespace nullmark
