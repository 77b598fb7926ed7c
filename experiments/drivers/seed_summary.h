// One finding of a sweep summarised over the seeds of a setting. Besides mean ± sample standard
// deviation it keeps the extremes and every run's value, in seed order: attack outcomes can split
// by seed (the MNIST piracy sweep: a pirate's training left the watermarked model at 22 % for some
// keys and 96 % for others), and a mean of such runs is a figure no run had.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace nullmark {

struct SeedSummary {
  double mean = 0, sd = 0;  // sd: sample standard deviation (n - 1); 0 for a single run
  double min = 0, max = 0;
  std::vector<double> values;
  size_t runs() const { return values.size(); }
};

// Whether a sweep axis repeats a setting rather than defining one: a key whose last part is `seed`
// or ends in `_seed` (`seed`, `piracy.key_seed`). A sweep pools the runs of all such axes into one summary
// per setting of the others, so that a sweep over the pirate's key alone, with `seed` fixed,
// summarises over the keys.
bool is_seed_axis(const std::string& key);

// values: one per run, in the order the runs were made (at least one).
SeedSummary summarise_seeds(std::vector<double> values);

}  // namespace nullmark
