// Live progress line for long runs: epoch, step/total, loss, running accuracy, images/s, ETA.
// On a terminal it redraws one line; in a log (not a tty) it prints a line every 10 % of the epoch.
#pragma once
#include <chrono>
#include <string>

namespace nullmark {

class Progress {
 public:
  explicit Progress(bool enabled = true);
  void start(const std::string& label, long total_steps);
  void update(long step, double loss, double accuracy, long images);
  void finish();

 private:
  bool enabled_, tty_;
  std::string label_;
  long total_ = 0, last_bucket_ = -1;
  std::chrono::steady_clock::time_point t0_, last_draw_;
};

}  // namespace nullmark
