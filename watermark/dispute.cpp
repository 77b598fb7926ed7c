#include "watermark/dispute.h"

#include <cstdio>

namespace nullmark {

namespace {
// Seconds between two trusted times, as text ("2.000137 s").
std::string seconds_between(const TrustedTime& early, const TrustedTime& late) {
  const double s =
      static_cast<double>(late.seconds - early.seconds) + 1e-9 * static_cast<double>(late.nanos - early.nanos);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6f s", s);
  return buf;
}

// Nanoseconds since the epoch, and the stated accuracy in nanoseconds (0 when the TSA states none).
long double at(const TrustedTime& t) { return static_cast<long double>(t.seconds) * 1e9L + t.nanos; }
long double slack(const TrustedTime& t) {
  return t.accuracy_us > 0 ? static_cast<long double>(t.accuracy_us) * 1e3L : 0;
}
}  // namespace

DisputeOutcome settle_dispute(const DisputeParty& a, const DisputeParty& b) {
  const DisputeParty* p[2] = {&a, &b};
  if (!a.verifies && !b.verifies)
    return {-1, "neither claim verifies on the model (" + a.name + ": " + a.why_not + "; " + b.name + ": " + b.why_not +
                    ")"};
  if (a.verifies != b.verifies) {
    const int w = a.verifies ? 0 : 1;
    return {w, "only " + p[w]->name + " verifies on the model; " + p[1 - w]->name + " does not (" + p[1 - w]->why_not +
                   ")"};
  }
  if (a.time && b.time) {
    const bool a_first = at(*a.time) + slack(*a.time) < at(*b.time) - slack(*b.time);
    const bool b_first = at(*b.time) + slack(*b.time) < at(*a.time) - slack(*a.time);
    if (!a_first && !b_first)
      return {-1, "both claims verify on the model, and their trusted times (" + a.time->utc + ", " + b.time->utc +
                      ") cannot be ordered within the TSAs' stated accuracy"};
    const int w = a_first ? 0 : 1;
    const TrustedTime &early = *p[w]->time, &late = *p[1 - w]->time;
    return {w, "both claims verify on the model; " + p[w]->name + " was timestamped at " + early.utc + ", " +
                   seconds_between(early, late) + " before " + p[1 - w]->name + " (" + late.utc +
                   "), so the later claim's watermark was added to a model that already carried the earlier one"};
  }
  if (a.time || b.time) {
    const int w = a.time ? 0 : 1;
    return {w, "both claims verify on the model; only " + p[w]->name + " has a trusted time (" + p[w]->time->utc +
                   "), and " + p[1 - w]->name + " cannot show it existed before then (" + p[1 - w]->no_time + ")"};
  }
  return {-1, "both claims verify on the model and neither has a trusted timestamp (" + a.name + ": " + a.no_time +
                  "; " + b.name + ": " + b.no_time + "): nothing orders them"};
}

}  // namespace nullmark
