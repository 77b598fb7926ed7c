#include "train/progress.h"

#include <unistd.h>

#include <cstdio>

namespace nullmark {

Progress::Progress(bool enabled) : enabled_(enabled), tty_(isatty(STDERR_FILENO)) {}

void Progress::start(const std::string& label, long total_steps) {
  label_ = label;
  total_ = total_steps;
  last_bucket_ = -1;
  t0_ = last_draw_ = std::chrono::steady_clock::now();
}

void Progress::update(long step, double loss, double accuracy, long images) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const long bucket = total_ ? step * 10 / total_ : 0;
  const bool due =
      tty_ ? (now - last_draw_ > std::chrono::milliseconds(250) || step == total_) : bucket != last_bucket_;
  if (!due) return;
  last_draw_ = now;
  last_bucket_ = bucket;
  const double secs = std::chrono::duration<double>(now - t0_).count();
  const double rate = secs > 0 ? images / secs : 0.0;
  const double eta = step > 0 ? secs * (total_ - step) / step : 0.0;
  std::fprintf(stderr, "%s%s step %ld/%ld  loss %.4f  acc %.2f%%  %.0f img/s  ETA %.0fs%s", tty_ ? "\r" : "",
               label_.c_str(), step, total_, loss, 100.0 * accuracy, rate, eta, tty_ ? "\033[K" : "\n");
  std::fflush(stderr);
}

void Progress::finish() {
  if (enabled_ && tty_) std::fprintf(stderr, "\n");
}

}  // namespace nullmark
