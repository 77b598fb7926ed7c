// nullmark pattern: the watermark a claim defines for a model's input shape and class count, without
// a model: its label, position and bits. Researchers choose claims by what their patterns look like
// (docs/research-leads.md: how many of a pattern's bits are 1 shapes the piracy attack).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/files.h"
#include "experiments/commands/commands.h"
#include "watermark/claim.h"
#include "watermark/embedding.h"

namespace nullmark::commands {

int pattern(const PatternArgs& a) {  // --input has three values: the parser checks the count
  const Claim claim = load_verified_claim(a.claim);
  NM_CHECK(a.input[0] >= 1 && a.input[1] >= 1 && a.input[2] >= 1, "--input ", a.input[0], ",", a.input[1], ",",
           a.input[2], ": every size must be at least 1");
  const Watermark wm = watermark_pattern(claim, Shape{a.input[0], a.input[1], a.input[2]}, a.classes);
  const std::string bits = bit_string(wm);
  const int ones = wm.ones();
  std::printf("claim      %s (verifier \"%s\")\n", a.claim.c_str(), claim.verifier.c_str());
  std::printf("watermark  y_W = %d, %dx%d at (%d, %d), lambda %g (%s space), %d of %zu bits 1\n", wm.label, wm.n, wm.n,
              wm.row, wm.col, wm.lambda, wm.space.c_str(), ones, bits.size());
  // The null stamp, row by row: '+' where it writes +lambda (bit 1), '-' where -lambda; the true
  // stamp is the same square inverted.
  for (int i = 0; i < wm.n; ++i) {
    std::string row;
    for (int j = 0; j < wm.n; ++j) row += bits[static_cast<size_t>(i) * wm.n + j] == '1' ? '+' : '-';
    std::printf("null stamp %s\n", row.c_str());
  }
  if (!a.json_out.empty()) {
    const nlohmann::json j = {{"label", wm.label},   {"row", wm.row},       {"col", wm.col}, {"n", wm.n},
                              {"lambda", wm.lambda}, {"space", wm.space},   {"ones", ones},  {"bits", bits},
                              {"input", a.input},    {"classes", a.classes}};
    write_file_atomic(a.json_out, j.dump(2) + "\n");
  }
  return 0;
}

}  // namespace nullmark::commands
