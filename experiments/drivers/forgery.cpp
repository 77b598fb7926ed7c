// The forgery attack: what it costs a forger who knows the owner's public claim to make a claim of
// its own that verifies on the owner's model. It grinds real signatures on every core (measuring
// the signing rate and finding blind forgeries: the owner's label and position with random bits),
// builds forged watermarks at controlled levels of agreement with the owner's bits, and verifies
// each on the owner's model and on a clean model with the run's thresholds. The cost of each level
// follows from the derivation (watermark/forgery.h) and the measured rate.
#include "watermark/forgery.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include "common/binomial.h"
#include "common/error.h"
#include "common/files.h"
#include "common/format.h"
#include "experiments/drivers/experiment.h"
#include "interop/model_file.h"

namespace nullmark {

namespace {
struct Group {
  int passed = 0, claims = 0;
  double true_sum = 0, agree_sum = 0;
  void add(const Measurement& m, int agree) {
    ++claims;
    passed += m.accepted;
    true_sum += m.acc.true_;
    agree_sum += agree;
  }
  double rate() const { return claims ? double(passed) / claims : 0; }
  double true_mean() const { return claims ? true_sum / claims : 0; }
  Interval interval() const { return clopper_pearson(passed, claims); }
};

// log2 of the expected signatures per accepted forgery at a level: the level's cost over its pass
// rate; with no passes, a lower bound from the rate's 95 % upper limit.
double log2_per_success(double log2_cost, const Group& g) {
  if (g.passed) return log2_cost - std::log2(g.rate());
  return log2_cost - std::log2(g.interval().hi);
}

// The smallest pattern size whose forgery at `share` of the bits costs at least 2^target
// signatures, if the same share is needed at every size; -1 when none fits the input.
int smallest_n(const Watermark& owner, int classes, double share, double target) {
  for (int n = 1; n <= std::min(owner.shape.h, owner.shape.w); ++n) {
    Watermark w = owner;
    w.n = n;
    if (log2_forgery_cost(w, classes, static_cast<int>(std::ceil(share * n * n - 1e-9))) >= target) return n;
  }
  return -1;
}

nlohmann::json n_json(int n) { return n < 0 ? nlohmann::json(nullptr) : nlohmann::json(n); }

std::string cpu_time(double seconds) {
  char buf[64];
  const double year = 365.25 * 86400;
  if (seconds < 120)
    std::snprintf(buf, sizeof buf, "%.3g s", seconds);
  else if (seconds < 2 * 86400)
    std::snprintf(buf, sizeof buf, "%.3g h", seconds / 3600);
  else if (seconds < year)
    std::snprintf(buf, sizeof buf, "%.3g days", seconds / 86400);
  else
    std::snprintf(buf, sizeof buf, "%.3g years", seconds / year);
  return buf;
}
}  // namespace

Runner forgery_driver(ConfigMap& cfg) {
  const std::string control_path = cfg.string("control_model", "");
  const std::vector<double> levels = cfg.numbers("levels", {0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0}, 0.0, 1.0);
  const int per_level = static_cast<int>(cfg.integer("claims_per_level", 20, 1, 100000));
  const long grind_signatures = cfg.integer("grind_signatures", 1000000, 0, 1L << 40);
  // The passing agreement: the lowest level at which at least this share of forged claims passes
  // on the owner's model; the pattern size that puts it out of reach is computed from it.
  const double pass_share = cfg.number("pass_share", 0.5, 1e-6, 1.0);
  const double target_bits = cfg.number("target_log2_signatures", 80.0, 1.0, 1024.0);
  cfg.finish();
  if (!control_path.empty() && !file_exists(control_path))
    cfg.error("control_model", "model file " + control_path + " does not exist");
  return [=](ExperimentContext& ctx) {
    const Watermark& owner = ctx.owner_wm;
    const int classes = ctx.model.classes, n2 = owner.n * owner.n;
    auto net = load_network(ctx);
    to_run_device(ctx, *net);
    std::unique_ptr<Network> control;
    if (!control_path.empty()) {
      const Checkpoint c = load_model_file(control_path);
      NM_CHECK(c.input_shape == ctx.model.input_shape && c.classes == classes, control_path,
               ": the control model's input shape or class count differs from the owner's model");
      control = load_network(c, control_path);
      to_run_device(ctx, *control);
    }

    // Real grinding: the signing rate, and blind forgeries actually found.
    std::fprintf(stderr, "forgery: grinding %ld claims on every core...\n", grind_signatures);
    const GrindResult g = grind_claims(ctx.owner, owner, classes, grind_signatures, ctx.seed, per_level);
    const double odds = placement_odds(owner, classes);
    std::fprintf(stderr,
                 "forgery: %ld claims signed and derived in %.1f s on %d threads (%.0f a second); %ld match the "
                 "owner's label and position (expected %.1f: one in %.0f), %zu kept\n",
                 g.signatures, g.seconds, g.threads, g.rate(), g.found, g.signatures / odds, odds, g.matches.size());
    nlohmann::json& f = ctx.results.findings;
    f["signing"] = {{"signatures", g.signatures}, {"seconds", g.seconds},   {"threads", g.threads},
                    {"per_second", g.rate()},     {"blind_found", g.found}, {"blind_expected", g.signatures / odds}};
    f["placement_odds"] = odds;
    f["pattern_bits"] = n2;
    make_dirs(ctx.output_dir + "/ground-claims");
    for (size_t i = 0; i < g.matches.size(); ++i)
      save_claim(g.matches[i], ctx.output_dir + "/ground-claims/claim-" + std::to_string(i + 1) + ".json");

    Table& t = ctx.results.table(
        "forgery", "Forged claims on the owner's model and on a clean model (decisions with the run's thresholds)",
        {"kind", "agreement", "bits", "claims", "owner_pass", "owner_pass_lo", "owner_pass_hi", "owner_true",
         "control_pass", "control_true", "log2_signatures", "log2_per_accepted", "cpu_time"});
    Table& curve = ctx.results.table("forgery_curve", "Forged claims accepted against their bit agreement",
                                     {"model", "agreement", "pass_rate", "true_accuracy"});
    ctx.results.figures.push_back("forgery_curve.png");
    const auto verify_group = [&](const std::string& kind, const std::vector<Watermark>& ws, double log2_cost,
                                  const char* key) {
      Group own, ctl;
      for (const Watermark& w : ws) {
        const int agree = bit_agreement(w, owner);
        own.add(measure(*net, ctx, w), agree);
        if (control) ctl.add(measure(*control, ctx, w), agree);
      }
      const double agreement = own.claims ? own.agree_sum / own.claims / n2 : 0;
      const Interval ci = own.interval();
      const double per = log2_per_success(log2_cost, own);
      t.add({kind, agreement, own.claims ? own.agree_sum / own.claims : 0, own.claims, own.rate(), ci.lo, ci.hi,
             own.true_mean(), control ? nlohmann::json(ctl.rate()) : nlohmann::json(nullptr),
             control ? nlohmann::json(ctl.true_mean()) : nlohmann::json(nullptr), log2_cost, per,
             cpu_time(std::exp2(log2_cost) / std::max(g.rate(), 1e-9))});
      nlohmann::json j = {{"claims", own.claims},
                          {"agreement", agreement},
                          {"owner_pass", own.rate()},
                          {"owner_pass_ci", {ci.lo, ci.hi}},
                          {"owner_passed", own.passed},
                          {"owner_true", own.true_mean()},
                          {"log2_signatures", log2_cost},
                          {"log2_per_accepted", per},
                          {"cpu_seconds", std::exp2(log2_cost) / std::max(g.rate(), 1e-9)}};
      if (control)
        j["control_pass"] = ctl.rate(), j["control_passed"] = ctl.passed, j["control_true"] = ctl.true_mean();
      f[key] = j;
      std::fprintf(stderr,
                   "  %-12s agreement %5.1f%%: %d of %d accepted on the owner's model (true %.1f%%)%s; "
                   "2^%.1f signatures (%s)\n",
                   kind.c_str(), 100 * agreement, own.passed, own.claims, 100 * own.true_mean(),
                   control ? (", " + std::to_string(ctl.passed) + " on the clean model").c_str() : "", log2_cost,
                   cpu_time(std::exp2(log2_cost) / std::max(g.rate(), 1e-9)).c_str());
      return own;
    };

    std::mt19937_64 rng(ctx.seed * 0x9E3779B97F4A7C15ull + 17);
    // Uniformly random keys: the control, what a claim costs that was never aimed at this model.
    std::vector<Watermark> random;
    for (int i = 0; i < per_level; ++i)
      random.push_back(never_embedded_key("nullmark-forgery-random", ctx.seed, i, ctx.owner, owner, classes));
    verify_group("random", random, 0.0, "random");
    // Blind forgeries: the owner's label and position, random bits. Those ground for real come first.
    std::vector<Watermark> blind;
    for (const Claim& c : g.matches)
      blind.push_back(watermark_for(c, Shape(ctx.model.input_shape), classes, ctx.data.mean, ctx.data.std));
    for (size_t i = blind.size(); i < static_cast<size_t>(per_level); ++i) {
      std::bernoulli_distribution coin(0.5);
      Watermark w = owner;
      for (auto& b : w.bits) b = coin(rng);
      blind.push_back(w);
    }
    verify_group("blind", blind, std::log2(odds), "blind");
    // Controlled levels of agreement: what a forger who grinds longer reaches.
    int passing_bits = -1;
    Group best;
    double cheapest = INFINITY, cheapest_level = -1;
    for (double level : levels) {
      const int agree = static_cast<int>(std::lround(level * n2));
      std::vector<Watermark> ws;
      for (int i = 0; i < per_level; ++i) ws.push_back(forged_watermark(owner, agree, rng));
      const double cost = log2_forgery_cost(owner, classes, agree);
      const Group own = verify_group("agreement", ws, cost, ("agreement_" + percent_key(level)).c_str());
      curve.add({"owner model", double(agree) / n2, own.rate(), own.true_mean()});
      if (passing_bits < 0 && own.rate() >= pass_share) passing_bits = agree;
      const double per = log2_per_success(cost, own);
      if (own.passed && per < cheapest) cheapest = per, cheapest_level = double(agree) / n2;
    }
    if (control)
      for (const auto& row : t.rows)
        if (row[0] == "agreement") curve.add({"clean model", row[1], row[8], row[9]});

    // The pattern size that puts the passing agreement out of reach, if the same share of the
    // pattern's bits is needed at every size.
    Table& sizes = ctx.results.table("pattern_size",
                                     "Signatures to reach the passing agreement, by pattern size (same share of bits)",
                                     {"n", "bits_needed", "log2_signatures"});
    nlohmann::json passing = nullptr;
    if (passing_bits >= 0) {
      const double share = double(passing_bits) / n2;
      for (int n = 1; n <= std::min(owner.shape.h, owner.shape.w); ++n) {
        Watermark w = owner;
        w.n = n;
        const int need = static_cast<int>(std::ceil(share * n * n - 1e-9));
        sizes.add({n, need, log2_forgery_cost(w, classes, need)});
      }
      passing = {{"agreement", share},
                 {"bits", passing_bits},
                 {"log2_signatures", log2_forgery_cost(owner, classes, passing_bits)},
                 {"smallest_n_for_target", n_json(smallest_n(owner, classes, share, target_bits))},
                 {"target_log2_signatures", target_bits}};
    }
    f["passing_agreement"] = passing;
    // The cheapest route to one accepted forgery: a lower level accepted rarely can beat the passing
    // agreement. Its share, carried to other sizes, gives the conservative pattern size.
    f["cheapest_accepted"] = cheapest_level < 0
                                 ? nlohmann::json(nullptr)
                                 : nlohmann::json{{"agreement", cheapest_level},
                                                  {"log2_signatures", cheapest},
                                                  {"smallest_n_for_target",
                                                   n_json(smallest_n(owner, classes, cheapest_level, target_bits))}};
    ctx.results.report.push_back(format(
        "A forger signs claims with the owner's parameters under its own keys and derives each one's watermark for "
        "this model: %ld claims in %.1f s on %d threads (%.0f a second). One in %.0f has the owner's label and "
        "position (K (H-n+1) (W-n+1)); %ld were found, and the first %zu are saved under ground-claims/ and verified "
        "as the first blind forgeries. A claim that also agrees with k of the owner's %d bits costs that many "
        "signatures over P[Bin(%d, 1/2) >= k]. Forged watermarks at each level (the owner's label and position, "
        "exactly k bits agreeing, the others drawn at random) are verified with the run's thresholds on the owner's "
        "model%s. log2_per_accepted divides the cost by the pass rate (with no pass: by its 95 %% upper limit, a "
        "lower bound).",
        g.signatures, g.seconds, g.threads, g.rate(), odds, g.found, g.matches.size(), n2, n2,
        control ? " and on the clean model" : ""));
    const std::string passing_text =
        passing_bits >= 0
            ? format(
                  "Passing agreement (the lowest level with at least %.0f %% of forged claims accepted): %d of %d "
                  "bits, 2^%.1f signatures. If the same share of bits is needed at every pattern size, the smallest "
                  "n that costs at least 2^%.0f signatures is %s (table pattern_size).",
                  100 * pass_share, passing_bits, n2, log2_forgery_cost(owner, classes, passing_bits), target_bits,
                  passing["smallest_n_for_target"].is_null()
                      ? "none that fits the input"
                      : std::to_string(passing["smallest_n_for_target"].get<int>()).c_str())
            : format("No level reached a %.0f %% pass rate on the owner's model.", 100 * pass_share);
    ctx.results.report.push_back(passing_text);
    std::fprintf(stderr, "forgery: %s\n", passing_text.c_str());
  };
}

}  // namespace nullmark
