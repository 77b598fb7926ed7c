#include <cstdio>
#include <map>
#include <sstream>
#include <utility>

#include "common/error.h"
#include "common/files.h"
#include "common/ranks.h"
#include "common/sha256.h"
#include "common/format.h"
#include "common/yaml_guard.h"
#include "experiments/drivers/experiment.h"
#include "experiments/drivers/seed_summary.h"

namespace nullmark {

namespace {
// Numeric leaves of the findings as "a.b" -> value (decisions become 1 = accepted, 0 = rejected).
void flatten(const nlohmann::json& j, const std::string& prefix, std::map<std::string, double>& out) {
  if (j.is_object()) {
    for (const auto& kv : j.items()) flatten(kv.value(), prefix.empty() ? kv.key() : prefix + "." + kv.key(), out);
  } else if (j.is_number()) {
    out[prefix] = j.get<double>();
  } else if (j.is_string() && (j == "accepted" || j == "rejected")) {
    out[prefix + " (accepted)"] = j == "accepted" ? 1.0 : 0.0;
  }
}
}  // namespace

namespace {
// One point of a sweep: its settings as overrides, its run directory, and its group (the settings
// on the axes other than the seed axes).
struct Point {
  std::string name, group, dir;
  std::vector<std::string> overrides;
};

// What a finished point leaves beside its results: the sweep's config and the point's overrides.
// `--resume` keeps a point whose marker matches, and runs the others again.
constexpr const char* kMarker = "sweep_point.json";
nlohmann::json marker_of(const std::string& config_sha, const Point& p) {
  return {{"config_sha256", config_sha}, {"overrides", p.overrides}};
}

}  // namespace

void run_sweep(const std::string& config_path, const std::vector<std::string>& overrides, bool resume,
               SweepShare share) {
  ranks::check_launch();
  ConfigMap root = ConfigMap::load_file(config_path);
  for (const auto& o : overrides) apply_override(root.node(), o);
  const YAML::Node sweep = root.node()["sweep"];
  if (!sweep || sweep.IsNull()) {
    if (resume || share.count > 1)
      throw fail(config_path, ": ", resume ? "--resume" : "--share", " applies to sweeps; this config has no sweep section");
    if (ranks::size() > 1)
      throw fail(config_path, ": has no sweep section, so there is nothing to spread over ", ranks::size(),
                 " ranks; run it as one process");
    run_experiment(config_path, overrides);
    return;
  }
  if (!sweep.IsMap()) root.error("sweep", "expected a map of key paths to lists of values");
  std::vector<std::pair<std::string, std::vector<YAML::Node>>> axes;
  for (const auto& kv : sweep) {
    if (!kv.second.IsSequence() || kv.second.size() == 0)
      root.error("sweep", "sweep." + kv.first.Scalar() + " must be a non-empty list of values");
    axes.push_back({kv.first.Scalar(), {}});
    for (const auto& v : kv.second) axes.back().second.push_back(v);
  }
  const std::string base = root.node()["output_dir"] ? root.node()["output_dir"].Scalar() : "runs/sweep";
  size_t total = 1;
  for (const auto& a : axes) total *= a.second.size();

  std::vector<Point> points(total);
  for (size_t i = 0; i < total; ++i) {
    Point& p = points[i];
    p.overrides = overrides;
    size_t rest = i;
    for (auto it = axes.rbegin(); it != axes.rend(); ++it) {  // last axis varies fastest
      const YAML::Node& v = it->second[rest % it->second.size()];
      rest /= it->second.size();
      p.overrides.push_back(it->first + "=" + flow_text(v));
      p.name = it->first + "=" + flow_text(v) + (p.name.empty() ? "" : "," + p.name);
      if (!is_seed_axis(it->first)) p.group = it->first + "=" + flow_text(v) + (p.group.empty() ? "" : ", " + p.group);
    }
    p.dir = p.name;
    for (char& c : p.dir)
      if (c == '/' || c == ' ' || c == '[' || c == ']') c = '_';
    p.dir = base + "/" + p.dir;
    p.overrides.push_back("output_dir=" + p.dir);
  }

  // Points go to ranks round robin (point i to rank i mod size), so placement depends only on the
  // point count and the rank count. Each rank runs its points; rank 0 gathers their findings.
  const std::string config_sha = to_hex(sha256(read_file(config_path)));
  // Every rank runs the same code on the same config: compared before any work, so that a job of
  // mixed builds or edited configs stops at once, naming the rank and what differs.
  std::string identity = "build " + ranks::build_id() + "\nconfig sha256 " + config_sha + "\noverrides";
  for (const auto& o : overrides) identity += " " + o;
  ranks::check_agree("sweep", identity);
  if (share.count > 1 && ranks::size() > 1)
    throw fail("sweep: --share divides the points between separate processes; under mpirun the ranks do");
  const bool shared = share.count > 1;
  const int me = shared ? share.index : ranks::rank(), n_ranks = shared ? share.count : ranks::size();
  const std::string who = n_ranks > 1 ? format("%s %d/%d: ", shared ? "share" : "rank", me, n_ranks) : "";
  if (me == 0 || shared)
    std::fprintf(stderr, "sweep: %zu runs into %s/%s\n", total, base.c_str(),
                 n_ranks > 1 ? format(" over %d %s", n_ranks, shared ? "shares" : "ranks").c_str() : "");
  nlohmann::json mine = nlohmann::json::object();
  for (size_t i = static_cast<size_t>(me); i < total; i += static_cast<size_t>(n_ranks)) {
    const Point& p = points[i];
    const nlohmann::json marker = marker_of(config_sha, p);
    const std::string marker_path = p.dir + "/" + kMarker;
    if (resume && file_exists(marker_path) && nlohmann::json::parse(read_file(marker_path), nullptr, false) == marker) {
      const nlohmann::json results = nlohmann::json::parse(read_file(p.dir + "/results.json"), nullptr, false);
      if (results.is_object() && results.contains("findings")) {
        std::fprintf(stderr, "%ssweep run %zu/%zu: %s: complete, kept\n", who.c_str(), i + 1, total, p.name.c_str());
        mine[std::to_string(i)] = results["findings"];
        continue;
      }
    }
    std::fprintf(stderr, "%ssweep run %zu/%zu: %s\n", who.c_str(), i + 1, total, p.name.c_str());
    mine[std::to_string(i)] = run_experiment(config_path, p.overrides);
    write_file_atomic(marker_path, marker.dump(2) + "\n");  // last: the point is complete
  }

  if (shared) {
    std::fprintf(stderr, "%s%zu of %zu points done; once every share has run, `nullmark run %s --resume` (with the "
                 "same --set values) writes the summary\n", who.c_str(), mine.size(), total, config_path.c_str());
    return;
  }
  const std::vector<std::string> gathered = ranks::gather(mine.dump());
  if (me != 0) return;
  std::vector<nlohmann::json> findings(total);
  std::vector<int> seen(total, 0);
  for (const std::string& part : gathered) {
    const nlohmann::json from_rank = nlohmann::json::parse(part);
    for (const auto& kv : from_rank.items()) {
      const size_t i = std::stoul(kv.key());
      NM_CHECK(i < total && seen[i]++ == 0, "sweep: point ", i + 1, " was reported twice");
      findings[i] = kv.value();
    }
  }
  for (size_t i = 0; i < total; ++i) NM_CHECK(seen[i] == 1, "sweep: no findings for point ", i + 1, " (", points[i].name, ")");

  // Runs grouped by their settings on the other axes than the seed axes (is_seed_axis); each group
  // collects one findings map per run, in point order.
  std::map<std::string, std::vector<std::map<std::string, double>>> groups;
  std::vector<std::string> group_order;
  for (size_t i = 0; i < total; ++i) {
    std::map<std::string, double> flat;
    flatten(findings[i], "", flat);
    if (!groups.count(points[i].group)) group_order.push_back(points[i].group);
    groups[points[i].group].push_back(flat);
  }

  std::ostringstream csv, md;
  csv << "setting,finding,mean,std,min,max,runs\n";
  md << "# Sweep of " << config_path << "\n\n"
     << total << " runs; mean ± sample standard deviation, least and greatest value over the seed axes' "
     << "values of each setting (`seed`, `*_seed`; one run: no deviation; sweep_summary.json lists every run's "
        "value).\n\n"
        "| setting | finding | mean | std | min | max | runs |\n|---|---|---|---|---|---|---|\n";
  nlohmann::json summary = nlohmann::json::array();
  for (const auto& g : group_order) {
    const auto& runs = groups[g];
    for (const auto& kv : runs.front()) {
      std::vector<double> values;  // from the runs that report this finding
      for (const auto& r : runs)
        if (r.count(kv.first)) values.push_back(r.at(kv.first));
      const SeedSummary s = summarise_seeds(std::move(values));
      const std::string setting = g.empty() ? "(seeds only)" : g;
      csv << '"' << setting << "\"," << kv.first << "," << s.mean << "," << s.sd << "," << s.min << "," << s.max << ","
          << s.runs() << "\n";
      const std::string buf = format("%.4f | %.4f | %.4f | %.4f | %zu", s.mean, s.sd, s.min, s.max, s.runs());
      md << "| " << setting << " | " << kv.first << " | " << buf << " |\n";
      summary.push_back({{"setting", setting},
                         {"finding", kv.first},
                         {"mean", s.mean},
                         {"std", s.sd},
                         {"min", s.min},
                         {"max", s.max},
                         {"runs", s.runs()},
                         {"values", s.values}});
    }
  }
  make_dirs(base);
  write_file_atomic(base + "/sweep_summary.csv", csv.str());
  write_file_atomic(base + "/sweep_summary.json", summary.dump(2) + "\n");
  write_file_atomic(base + "/report.md", md.str());
  std::printf("sweep summary: %s/report.md (sweep_summary.csv, .json)\n", base.c_str());
}

}  // namespace nullmark
