// printf-style formatting into a std::string of whatever length the text needs: report prose and
// table cells without fixed-size buffers that a longer value would silently cut.
#pragma once
#include <string>

namespace nullmark {

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// The shortest decimal that reads back as the float v, as a double (0.3f → 0.3, not
// 0.30000001192...): settings held in float, or read from float32 files, written into configs.
double float_decimal(float v);

}  // namespace nullmark
