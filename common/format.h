// printf-style formatting into a std::string of whatever length the text needs: report prose and
// table cells without fixed-size buffers that a longer value would silently cut.
#pragma once
#include <string>

namespace nullmark {

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace nullmark
