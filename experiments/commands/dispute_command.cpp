// nullmark dispute: two claims on one model, verified alike and ordered by trusted time
// (watermark/dispute.h has the rule).
#include <cstdio>

#include "common/error.h"
#include "common/threads.h"
#include "experiments/commands/commands.h"
#include "experiments/commands/model_and_data.h"
#include "watermark/claim.h"
#include "watermark/dispute.h"
#include "watermark/verification.h"

namespace nullmark::commands {

namespace {
std::string joined(const std::vector<std::string>& reasons) {
  std::string out;
  for (const std::string& r : reasons) out += (out.empty() ? "" : "; ") + r;
  return out.empty() ? "rejected" : out;
}

// One side of the dispute: the claim verified on the model, and its timestamp checked.
DisputeParty examine(const std::string& path, const Claim& c, ModelAndData& l, const DisputeArgs& a) {
  DisputeParty p;
  p.name = path;
  // A claim that does not parse is an error; one whose signature fails is a claim that loses.
  if (!c.signature_valid()) {
    p.why_not = "its signature does not verify";
    p.no_time = "not examined";
    return p;
  }
  // A v2 claim signed for another model shape or class count defines no watermark on this one.
  if (c.version == 2 && (Shape(c.input) != l.net->input_shape() || c.classes != l.ckpt.classes)) {
    p.why_not = "it was signed for a model with " + Shape(c.input).str() + " inputs and " + std::to_string(c.classes) +
                " classes";
    p.no_time = "not examined";
    std::printf("%-10s %s (%s)\n           does not verify: %s\n", "claim", path.c_str(), c.binding().c_str(),
                p.why_not.c_str());
    return p;
  }
  const Verification v = verify_claim(*l.net, l.d, c, verify_options(a.verify, l.data));
  p.verifies = v.accepted;
  p.why_not = v.accepted ? "" : joined(v.reasons);
  std::printf("%-10s %s (%s)\n           clean %.2f%%  null %.2f%%  true %.2f%%  p = %.4g: %s\n", "claim", path.c_str(),
              c.binding().c_str(), 100 * v.owner.clean, 100 * v.owner.null, 100 * v.owner.true_, v.keys.p_value(),
              v.accepted ? "verifies" : ("does not verify: " + p.why_not).c_str());
  if (c.timestamp.empty()) {
    p.no_time = "no timestamp";
  } else if (a.tsa_cert.empty()) {
    p.no_time = "a timestamp, but no --tsa-cert to check it against";
  } else {
    try {
      p.time = verify_timestamp_token(c.timestamp, claim_digest(c), a.tsa_cert, path);
    } catch (const Error& e) {
      p.no_time = std::string("a timestamp that does not verify: ") + e.what();
    }
  }
  if (p.time)
    std::printf("           trusted time %s (TSA %s)\n", p.time->utc.c_str(), p.time->tsa.c_str());
  else
    std::printf("           no trusted time: %s\n", p.no_time.c_str());
  return p;
}
}  // namespace

int dispute(const DisputeArgs& a) {
  NM_CHECK(a.claims.size() == 2, "dispute takes exactly two --claim files, got ", a.claims.size());
  set_threads(a.verify.threads);
  // Both claims must parse before any model runs.
  const Claim first_claim = load_claim(a.claims[0]), second_claim = load_claim(a.claims[1]);
  if (claim_digest(first_claim) == claim_digest(second_claim))
    throw fail(a.claims[0], " and ", a.claims[1], " are the same claim: there is nothing to dispute");
  ModelAndData l = load_model_and_data(a.verify.model, a.verify.data_path, a.verify.split, a.verify.device);
  std::printf("model      %s, %s data: %zu samples\n", a.verify.model.c_str(), l.d.name.c_str(), l.d.size());
  const DisputeParty first = examine(a.claims[0], first_claim, l, a), second = examine(a.claims[1], second_claim, l, a);
  const DisputeOutcome o = settle_dispute(first, second);
  if (o.stands < 0) {
    std::printf("decision   CANNOT BE SETTLED: %s\n", o.reason.c_str());
    return 2;
  }
  std::printf("decision   %s STANDS: %s\n", a.claims[static_cast<size_t>(o.stands)].c_str(), o.reason.c_str());
  return 0;
}

}  // namespace nullmark::commands
