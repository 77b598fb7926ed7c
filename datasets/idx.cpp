#include "datasets/idx.h"

#include <cstdint>
#include <zlib.h>

#include <cstdio>

#include "common/error.h"

namespace nullmark {

std::string read_maybe_gzip(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw fail(path, ": cannot open data file");
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const int n = gzread(f, buf, sizeof buf);
    if (n < 0) {
      int code = 0;
      std::string msg = gzerror(f, &code);
      gzclose(f);
      throw fail(path, ": damaged gzip data (", msg, ")");
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
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

IdxArray read_idx(const std::string& path, int rank) {
  const std::string b = read_maybe_gzip(path);
  const uint32_t want_magic = 0x00000800u | static_cast<uint32_t>(rank);
  auto be32 = [&](size_t off) {
    return (uint32_t(uint8_t(b[off])) << 24) | (uint32_t(uint8_t(b[off + 1])) << 16) |
           (uint32_t(uint8_t(b[off + 2])) << 8) | uint32_t(uint8_t(b[off + 3]));
  };
  if (b.size() < 4) throw fail(path, ": truncated IDX file (", b.size(), " bytes, no header)");
  const uint32_t magic = be32(0);
  if (magic != want_magic) {
    char m[16], w[16];
    std::snprintf(m, sizeof m, "0x%08x", magic);
    std::snprintf(w, sizeof w, "0x%08x", want_magic);
    throw fail(path, ": wrong IDX magic number ", m, ", expected ", w,
               rank == 3 ? " (an image file)" : " (a label file)");
  }
  const size_t header = 4 + 4 * static_cast<size_t>(rank);
  if (b.size() < header) throw fail(path, ": truncated IDX header");
  IdxArray a;
  size_t count = 1;
  for (int i = 0; i < rank; ++i) {
    const uint32_t d = be32(4 + 4 * i);
    if (d == 0 || d > (1u << 28)) throw fail(path, ": implausible IDX dimension ", i, " = ", d);
    a.dims.push_back(static_cast<int>(d));
    count *= d;
  }
  const size_t have = b.size() - header;
  if (have < count) throw fail(path, ": truncated IDX file: header promises ", count, " bytes of data, found ", have);
  if (have > count)
    throw fail(path, ": IDX file has ", have - count, " unexpected trailing bytes after ", count, " bytes of data");
  a.data.assign(b.begin() + static_cast<long>(header), b.end());
  return a;
}

}  // namespace nullmark
