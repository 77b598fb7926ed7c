// Settling an ownership dispute: two claims on one model. Both are verified on the model; a claim
// that does not verify loses. When both verify, each is a watermark the model carries, and only the
// order in which the claims came into existence tells the owner from the pirate, who embedded a
// second watermark after taking the model (docs/watermark.md, "Registering a claim"). That order
// comes from trusted timestamps (timestamp.h), never from a party's own word.
#pragma once
#include <optional>
#include <string>

#include "watermark/timestamp.h"

namespace nullmark {

struct DisputeParty {
  std::string name;                 // how the claim is named in reports (its file)
  bool verifies = false;            // accepted on the model
  std::string why_not;              // when it does not verify: the reasons
  std::optional<TrustedTime> time;  // a timestamp that verified against the trusted TSA certificates
  std::string no_time;              // when there is none: why ("no timestamp", or the verification failure)
};

struct DisputeOutcome {
  int stands = -1;  // 0 (the first claim), 1 (the second) or -1: the dispute cannot be settled
  std::string reason;
};

// The rule, in order:
//   1. neither claim verifies on the model: nothing to settle;
//   2. exactly one verifies: it stands;
//   3. both verify and both have trusted times: the earlier stands, if the times differ by more
//      than the TSAs' stated accuracies together; otherwise the dispute cannot be settled;
//   4. both verify, one has a trusted time: it stands, since the other cannot show it existed
//      before that time (the protocol asks every owner to timestamp before release);
//   5. both verify, neither has one: the dispute cannot be settled.
DisputeOutcome settle_dispute(const DisputeParty& a, const DisputeParty& b);

}  // namespace nullmark
