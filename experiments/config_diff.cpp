#include "experiments/config_diff.h"

#include <filesystem>
#include <map>

#include "common/yaml_guard.h"

namespace nullmark {

namespace {
void flatten(const YAML::Node& n, const std::string& prefix, std::map<std::string, std::string>& out) {
  if (n.IsMap()) {
    for (const auto& kv : n)
      flatten(kv.second, prefix.empty() ? kv.first.Scalar() : prefix + "." + kv.first.Scalar(), out);
    return;
  }
  out[prefix] = flow_text(n);
}
}  // namespace

std::vector<ConfigDifference> config_differences(const std::string& before_yaml, const std::string& after_yaml) {
  std::map<std::string, std::string> a, b;
  flatten(load_yaml(before_yaml, "the checkpoint's config"), "", a);
  flatten(load_yaml(after_yaml, "the config"), "", b);
  std::vector<ConfigDifference> out;
  for (const auto& [k, v] : a) {
    const auto it = b.find(k);
    if (it == b.end())
      out.push_back({k, v, "(absent)"});
    else if (it->second != v)
      out.push_back({k, v, it->second});
  }
  for (const auto& [k, v] : b)
    if (!a.count(k)) out.push_back({k, "(absent)", v});
  return out;
}

namespace {
// Whether two data paths (as flow YAML text) name one existing file system entry: the same data set
// spelled relative in one config and absolute in the other (reproduce.py --data gives absolute paths).
bool same_data_set(const std::string& a, const std::string& b) {
  try {
    std::error_code ec;
    const bool same = std::filesystem::equivalent(YAML::Load(a).as<std::string>(), YAML::Load(b).as<std::string>(), ec);
    return same && !ec;
  } catch (const std::exception&) {  // not a path (a sequence, say): a plain difference
    return false;
  }
}
}  // namespace

std::vector<ConfigDifference> resume_conflicts(const std::string& checkpoint_yaml, const std::string& config_yaml) {
  std::vector<ConfigDifference> out;
  for (const ConfigDifference& d : config_differences(checkpoint_yaml, config_yaml)) {
    if (d.key == "data.path" && same_data_set(d.before, d.after)) continue;
    if (d.key == "output_dir" || d.key == "threads" || d.key == "device" || d.key.rfind("cuda.", 0) == 0 ||
        d.key == "cuda")
      continue;
    if (d.key == "train.epochs") {
      try {
        if (std::stol(d.after) >= std::stol(d.before)) continue;  // a longer schedule
      } catch (const std::exception&) {
      }
    }
    out.push_back(d);
  }
  return out;
}

}  // namespace nullmark
