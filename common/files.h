// Whole-file reads and atomic writes (temp file + rename), so a failed run never leaves a
// half-written result or checkpoint where a good one was.
#pragma once
#include <string>

namespace nullmark {

std::string read_file(const std::string& path);
// Writes `bytes` to `path` atomically: a temp file beside it is written, flushed and renamed.
void write_file_atomic(const std::string& path, const std::string& bytes, unsigned mode = 0644);
bool file_exists(const std::string& path);
// Checks a command's output path before any work: an existing file is refused unless `force`, and a
// nullmark secret or public key, claim, trust file or checkpoint is never replaced, `force` or not
// (an output path that names an input by mistake must not destroy it). `option` names the flag.
void check_output_path(const std::string& path, bool force, const std::string& option);
// Creates a directory and its parents; an existing directory is fine.
void make_dirs(const std::string& path);

}  // namespace nullmark
