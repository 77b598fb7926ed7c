#include "common/files.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace nullmark {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw fail(path, ": cannot open for reading (", std::strerror(errno), ")");
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) throw fail(path, ": read error");
  return s.str();
}

namespace {
// Temp files of earlier writes of `path` whose process is gone (killed mid-save) are removed, so
// they do not pile up beside checkpoints; a live process's temp file is left alone.
void remove_stale_temps(const std::string& path) {
  const std::filesystem::path p(path);
  const std::filesystem::path dir = p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
  const std::string prefix = p.filename().string() + ".tmp.";
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string pid_text = name.substr(prefix.size());
    if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos || pid_text.size() > 9)
      continue;
    const pid_t pid = static_cast<pid_t>(std::stol(pid_text));
    if (pid == ::getpid() || (::kill(pid, 0) != 0 && errno == ESRCH)) std::filesystem::remove(e.path(), ec);
  }
}
}  // namespace

void write_file_atomic(const std::string& path, const std::string& bytes, unsigned mode) {
  remove_stale_temps(path);
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd < 0) throw fail(tmp, ": cannot create (", std::strerror(errno), ")");
  ::fchmod(fd, mode);  // the umask must not widen or narrow what the caller asked for
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw fail(tmp, ": write failed (", std::strerror(e), ")");
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    throw fail(tmp, ": cannot flush to disk");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    throw fail(path, ": cannot rename temp file into place (", std::strerror(e), ")");
  }
}

bool file_exists(const std::string& path) { return std::filesystem::exists(path); }

void check_output_path(const std::string& path, bool force, const std::string& option) {
  if (!std::filesystem::exists(path)) return;
  if (std::filesystem::is_directory(path)) throw fail(option, " ", path, ": is a directory");
  std::ifstream in(path, std::ios::binary);
  char magic[8] = {};
  in.read(magic, sizeof magic);
  if (in.gcount() == sizeof magic && std::memcmp(magic, "NULLMARK", sizeof magic) == 0)
    throw fail(option, " ", path, ": is a nullmark checkpoint; outputs never replace one");
  // Keys, claims and trust files are small JSON documents with a top-level format tag.
  if (std::filesystem::file_size(path) <= (1u << 20)) {
    const nlohmann::json j = nlohmann::json::parse(read_file(path), nullptr, false);
    if (j.is_object() && j.contains("format") && j.at("format").is_string()) {
      const std::string f = j.at("format").get<std::string>();
      for (const char* p : {"nullmark-secret-key", "nullmark-public-key", "nullmark-claim", "nullmark-trust"})
        if (f == p) throw fail(option, " ", path, ": is a ", f, " file; outputs never replace one");
    }
  }
  if (!force) throw fail(option, " ", path, ": exists; pass --force to replace it");
}

void make_dirs(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) throw fail(path, ": cannot create directory (", ec.message(), ")");
}

}  // namespace nullmark
