#include "experiments/drivers/seed_summary.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace nullmark {

bool is_seed_axis(const std::string& key) {
  const std::string last = key.substr(key.rfind('.') + 1);  // npos + 1 == 0: the whole key
  const std::string suffix = "_seed";
  return last == "seed" ||
         (last.size() > suffix.size() && last.compare(last.size() - suffix.size(), suffix.size(), suffix) == 0);
}

SeedSummary summarise_seeds(std::vector<double> values) {
  NM_CHECK(!values.empty(), "sweep: a finding with no runs to summarise");
  SeedSummary s;
  double sum = 0;
  for (double v : values) sum += v;
  s.mean = sum / values.size();
  double sq = 0;
  for (double v : values) sq += (v - s.mean) * (v - s.mean);
  s.sd = values.size() > 1 ? std::sqrt(sq / (values.size() - 1)) : 0.0;
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  s.min = *lo, s.max = *hi;
  s.values = std::move(values);
  return s;
}

}  // namespace nullmark
