// IDX reader on good and broken files: truncated, wrong magic, count mismatch, label out of range.
#include <cstdint>
#include <zlib.h>

#include <catch2/catch.hpp>

#include "common/error.h"
#include "datasets/dataset.h"
#include "datasets/idx.h"
#include "error_of.h"
#include "temp_dir.h"

using namespace nullmark;
using nullmark::test::error_of;
using nullmark::test::TempDir;

namespace {
std::string be32(uint32_t v) {
  return std::string{char(v >> 24), char((v >> 16) & 255), char((v >> 8) & 255), char(v & 255)};
}
std::string images(uint32_t n, uint32_t h, uint32_t w, uint32_t magic = 0x803) {
  std::string s = be32(magic) + be32(n) + be32(h) + be32(w);
  for (uint32_t i = 0; i < n * h * w; ++i) s += char(i % 251);
  return s;
}
std::string labels(uint32_t n, int max_label = 9) {
  std::string s = be32(0x801) + be32(n);
  for (uint32_t i = 0; i < n; ++i) s += char(i % (max_label + 1));
  return s;
}
std::string gzip(const std::string& raw) {
  uLongf len = compressBound(raw.size()) + 32;
  std::string out(len, '\0');
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // 15+16: gzip wrapper
  z.next_in = (Bytef*)raw.data();
  z.avail_in = raw.size();
  z.next_out = (Bytef*)out.data();
  z.avail_out = out.size();
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}
}  // namespace

TEST_CASE("IDX reader reads raw and gzip files", "[idx]") {
  TempDir d;
  const std::string raw = images(3, 4, 5);
  for (const auto& path : {d.write("a-idx3", raw), d.write("a-idx3.gz", gzip(raw))}) {
    IdxArray a = read_idx(path, 3);
    CHECK(a.dims == std::vector<int>{3, 4, 5});
    REQUIRE(a.data.size() == 60);
    CHECK(a.data[59] == 59);
  }
}

TEST_CASE("IDX reader names the file and the problem", "[idx]") {
  TempDir d;
  const std::string raw = images(3, 4, 5);
  const std::string trunc = d.write("trunc", raw.substr(0, raw.size() - 7));
  CHECK_THAT(error_of([&] { read_idx(trunc, 3); }), Catch::Contains(trunc) && Catch::Contains("truncated"));
  const std::string gz = gzip(raw);
  const std::string trunc_gz = d.write("trunc.gz", gz.substr(0, gz.size() / 2));
  CHECK_THAT(error_of([&] { read_idx(trunc_gz, 3); }), Catch::Contains(trunc_gz) && Catch::Contains("truncated"));
  const std::string magic = d.write("magic", images(3, 4, 5, 0x801));
  CHECK_THAT(error_of([&] { read_idx(magic, 3); }), Catch::Contains("wrong IDX magic number 0x00000801"));
  const std::string trailing = d.write("trailing", raw + "xx");
  CHECK_THAT(error_of([&] { read_idx(trailing, 3); }), Catch::Contains("trailing bytes"));
  CHECK_THAT(error_of([&] { read_idx(d.file("missing"), 3); }), Catch::Contains("cannot open"));
  const std::string empty = d.write("empty", "");
  CHECK_THAT(error_of([&] { read_idx(empty, 1); }), Catch::Contains("truncated"));
}

TEST_CASE("MNIST-style data sets are validated as pairs", "[idx][dataset]") {
  TempDir d;
  DataConfig cfg;
  cfg.path = d.path.string();
  cfg.mean = {0.5};
  cfg.std = {0.25};
  d.write("t10k-images-idx3-ubyte", images(10, 28, 28));
  d.write("t10k-labels-idx1-ubyte.gz", gzip(labels(10)));
  Dataset ok = load_dataset(cfg, Split::Test);
  CHECK(ok.size() == 10);
  CHECK(ok.shape == Shape{1, 28, 28});
  CHECK(ok.labels[9] == 9);
  CHECK(ok.images[0] == Approx((0.0f - 0.5f) / 0.25f));  // pixel 0 normalised
  CHECK(ok.images[1] == Approx((1.0f / 255 - 0.5f) / 0.25f));

  d.write("t10k-labels-idx1-ubyte.gz", gzip(labels(9)));
  CHECK_THAT(error_of([&] { load_dataset(cfg, Split::Test); }),
             Catch::Contains("10 images") && Catch::Contains("9 labels"));

  std::string bad = labels(10);
  bad[8 + 4] = char(10);  // record 4 gets label 10 of 10 classes
  d.write("t10k-labels-idx1-ubyte.gz", gzip(bad));
  CHECK_THAT(error_of([&] { load_dataset(cfg, Split::Test); }),
             Catch::Contains("label 10 of record 4") && Catch::Contains("t10k-labels-idx1-ubyte.gz"));
}

TEST_CASE("a small gzip file that inflates far past its IDX header's promise is refused early", "[idx][hostile]") {
  test::TempDir d;
  // A header for 2x2x2 images followed by 64 MiB of zeros: 64 KiB of gzip.
  std::string raw("\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00\x02", 16);
  raw += std::string(64 << 20, '\0');
  const std::string path = d.file("bomb-images-idx3-ubyte.gz");
  gzFile f = gzopen(path.c_str(), "wb9");
  REQUIRE(f);
  REQUIRE(gzwrite(f, raw.data(), static_cast<unsigned>(raw.size())) == static_cast<int>(raw.size()));
  gzclose(f);
  CHECK_THAT(error_of([&] { read_idx(path, 3); }),
             Catch::Contains("more than the 8 bytes of data its IDX header promises"));
  // A header that promises more than nullmark reads is refused before any data is read.
  const std::string huge = d.write("huge", std::string("\x00\x00\x08\x03\x00\x10\x00\x00\x00\x10\x00\x00\x00\x10\x00\x00", 16));
  CHECK_THAT(error_of([&] { read_idx(huge, 3); }), Catch::Contains("IDX header promises more than 1073741824 bytes"));
  CHECK_THAT(error_of([&] { read_maybe_gzip(path, 1000, "the test's limit"); }),
             Catch::Contains("holds more than 1000 bytes once inflated, more than the test's limit"));
}
