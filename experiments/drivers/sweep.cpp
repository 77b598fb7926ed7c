#include <cstdio>
#include <map>
#include <sstream>
#include <utility>

#include "common/error.h"
#include "common/files.h"
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

void run_sweep(const std::string& config_path, const std::vector<std::string>& overrides) {
  ConfigMap root = ConfigMap::load_file(config_path);
  for (const auto& o : overrides) apply_override(root.node(), o);
  const YAML::Node sweep = root.node()["sweep"];
  if (!sweep || sweep.IsNull()) {
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
  std::fprintf(stderr, "sweep: %zu runs into %s/\n", total, base.c_str());

  // Runs grouped by their settings on the other axes than the seed axes (is_seed_axis); each group
  // collects one findings map per run, in the order the runs were made.
  std::map<std::string, std::vector<std::map<std::string, double>>> groups;
  std::vector<std::string> group_order;
  for (size_t i = 0; i < total; ++i) {
    std::vector<std::string> o = overrides;
    std::string name, group;
    size_t rest = i;
    for (auto it = axes.rbegin(); it != axes.rend(); ++it) {  // last axis varies fastest
      const YAML::Node& v = it->second[rest % it->second.size()];
      rest /= it->second.size();
      o.push_back(it->first + "=" + flow_text(v));
      name = it->first + "=" + flow_text(v) + (name.empty() ? "" : "," + name);
      if (!is_seed_axis(it->first)) group = it->first + "=" + flow_text(v) + (group.empty() ? "" : ", " + group);
    }
    std::string dir = name;
    for (char& c : dir)
      if (c == '/' || c == ' ' || c == '[' || c == ']') c = '_';
    o.push_back("output_dir=" + base + "/" + dir);
    std::fprintf(stderr, "sweep run %zu/%zu: %s\n", i + 1, total, name.c_str());
    const nlohmann::json findings = run_experiment(config_path, o);
    std::map<std::string, double> flat;
    flatten(findings, "", flat);
    if (!groups.count(group)) group_order.push_back(group);
    groups[group].push_back(flat);
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
