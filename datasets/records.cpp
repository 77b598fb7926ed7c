#include "datasets/records.h"

#include <cstdint>
#include <fstream>

#include "common/error.h"
#include "datasets/idx.h"

namespace nullmark {

namespace {
std::string existing(const std::string& base) {
  if (std::ifstream(base + ".gz").good()) return base + ".gz";
  if (std::ifstream(base).good()) return base;
  return "";
}
}  // namespace

void read_records(const std::string& path, const DataFormat& f, RawImages& out) {
  const std::string b = read_maybe_gzip(path, kMaxRecordFileBytes, "a record file may hold");
  const size_t per = static_cast<size_t>(f.c) * f.h * f.w, rec = per + 1;
  if (b.empty() || b.size() % rec != 0)
    throw fail(path, ": ", b.size(), " bytes is not a whole number of ", rec, "-byte records (", f.type,
               ": 1 label byte + ", f.c, "x", f.h, "x", f.w, " pixels); truncated or not a ", f.type, " file");
  const size_t n = b.size() / rec;
  for (size_t r = 0; r < n; ++r) {
    const uint8_t label = static_cast<uint8_t>(b[r * rec]);
    if (label >= f.classes)
      throw fail(path, ": label ", int(label), " of record ", r, " is outside the ", f.classes, " classes of ", f.type);
    out.labels.push_back(label);
    out.pixels.insert(out.pixels.end(), b.begin() + static_cast<long>(r * rec + 1),
                      b.begin() + static_cast<long>((r + 1) * rec));
  }
}

RawImages load_record_split(const std::string& dir, const DataFormat& f, bool train) {
  RawImages all;
  if (f.type == "cifar-10") {
    if (train) {
      // The official set has data_batch_1 ... 5; the shared copy may hold only the first.
      for (int i = 1; i <= 5; ++i) {
        const std::string p = existing(dir + "/data_batch_" + std::to_string(i) + ".bin");
        if (!p.empty())
          read_records(p, f, all);
        else if (i == 1)
          throw fail(dir, "/data_batch_1.bin(.gz): cannot open CIFAR-10 training data");
      }
    } else {
      const std::string p = existing(dir + "/test_batch.bin");
      if (p.empty()) throw fail(dir, "/test_batch.bin(.gz): cannot open CIFAR-10 test data");
      read_records(p, f, all);
    }
    return all;
  }
  if (f.type == "gtsrb") {
    const std::string p = existing(dir + (train ? "/train.bin" : "/test.bin"));
    if (p.empty()) throw fail(dir, train ? "/train.bin(.gz)" : "/test.bin(.gz)", ": cannot open GTSRB data");
    read_records(p, f, all);
    return all;
  }
  // orl-faces: 40 people x 10 images in one file, ordered by person then image.
  const std::string p = existing(dir + "/faces.bin");
  if (p.empty()) throw fail(dir, "/faces.bin(.gz): cannot open the faces data");
  read_records(p, f, all);
  if (all.labels.size() != 400)
    throw fail(p, ": expected 400 records (40 people x 10 images), found ", all.labels.size());
  RawImages split;
  const size_t per = static_cast<size_t>(f.c) * f.h * f.w;
  for (size_t r = 0; r < all.labels.size(); ++r)
    if ((r % 10 < 7) == train) {
      split.labels.push_back(all.labels[r]);
      split.pixels.insert(split.pixels.end(), all.pixels.begin() + static_cast<long>(r * per),
                          all.pixels.begin() + static_cast<long>((r + 1) * per));
    }
  return split;
}

}  // namespace nullmark
