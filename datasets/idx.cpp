#include "datasets/idx.h"

#include <cstdint>
#include <zlib.h>

#include <algorithm>
#include <cstdio>

#include "common/error.h"

namespace nullmark {

std::string read_maybe_gzip(const std::string& path, size_t max_bytes, const std::string& limit) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw fail(path, ": cannot open data file");
  std::string out;
  char buf[1 << 16];
  for (;;) {
    // Never more than max_bytes + 1 inflated: a small file that inflates to gigabytes stops here.
    const size_t room = max_bytes - std::min(max_bytes, out.size()) + 1;
    const int n = gzread(f, buf, static_cast<unsigned>(std::min(sizeof buf, room)));
    if (n < 0) {
      int code = 0;
      std::string msg = gzerror(f, &code);
      gzclose(f);
      throw fail(path, ": damaged gzip data (", msg, ")");
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_bytes) {
      gzclose(f);
      throw fail(path, ": holds more than ", max_bytes, " bytes once inflated, more than ", limit,
                 " (a decompression bomb or the wrong file)");
    }
  }
  int code = 0;
  const char* msg = gzerror(f, &code);
  // A gzip stream cut short reads as a short file with Z_BUF_ERROR: report it as truncation.
  if (code != Z_OK && code != Z_STREAM_END) {
    std::string m = msg;
    gzclose(f);
    throw fail(path, ": truncated or damaged gzip data (", m, ")");
  }
  gzclose(f);
  return out;
}

namespace {
// Up to n bytes from the start of a (possibly gzip-compressed) file.
std::string read_prefix(const std::string& path, size_t n) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw fail(path, ": cannot open data file");
  std::string b(n, '\0');
  const int got = gzread(f, b.data(), static_cast<unsigned>(n));
  gzclose(f);
  if (got < 0) throw fail(path, ": damaged gzip data");
  b.resize(static_cast<size_t>(got));
  return b;
}

uint32_t be32(const std::string& b, size_t off) {
  return (uint32_t(uint8_t(b[off])) << 24) | (uint32_t(uint8_t(b[off + 1])) << 16) |
         (uint32_t(uint8_t(b[off + 2])) << 8) | uint32_t(uint8_t(b[off + 3]));
}
}  // namespace

IdxArray read_idx(const std::string& path, int rank) {
  // The header first: its dimensions say how many bytes the file may inflate to, so a small file
  // that inflates to gigabytes is refused after reading what its header promises.
  const size_t header = 4 + 4 * static_cast<size_t>(rank);
  const std::string h = read_prefix(path, header);
  const uint32_t want_magic = 0x00000800u | static_cast<uint32_t>(rank);
  if (h.size() < 4) throw fail(path, ": truncated IDX file (", h.size(), " bytes, no header)");
  const uint32_t magic = be32(h, 0);
  if (magic != want_magic) {
    char m[16], w[16];
    std::snprintf(m, sizeof m, "0x%08x", magic);
    std::snprintf(w, sizeof w, "0x%08x", want_magic);
    throw fail(path, ": wrong IDX magic number ", m, ", expected ", w,
               rank == 3 ? " (an image file)" : " (a label file)");
  }
  if (h.size() < header) throw fail(path, ": truncated IDX header");
  IdxArray a;
  uint64_t count = 1;
  for (int i = 0; i < rank; ++i) {
    const uint32_t d = be32(h, 4 + 4 * static_cast<size_t>(i));
    if (d == 0 || d > (1u << 28)) throw fail(path, ": implausible IDX dimension ", i, " = ", d);
    a.dims.push_back(static_cast<int>(d));
    count *= d;
    if (count > kMaxIdxBytes)
      throw fail(path, ": IDX header promises more than ", kMaxIdxBytes, " bytes of data (dimensions so far: ",
                 count, "); nullmark reads at most that");
  }
  // A margin of a few bytes past the promise, so that trailing bytes are told apart from a bomb.
  const size_t margin = 16;
  const std::string b = read_maybe_gzip(path, header + count + margin,
                                        "the " + std::to_string(count) + " bytes of data its IDX header promises");
  const size_t have = b.size() - std::min(b.size(), header);
  if (have < count) throw fail(path, ": truncated IDX file: header promises ", count, " bytes of data, found ", have);
  if (have > count)
    throw fail(path, ": IDX file has ", have - count, " unexpected trailing bytes after ", count, " bytes of data");
  a.data.assign(b.begin() + static_cast<long>(header), b.end());
  return a;
}

}  // namespace nullmark
