// Differences between two resolved configs, key path by key path: what `train --resume` compares,
// so that a checkpoint is never continued under a config it was not trained with.
#pragma once
#include <string>
#include <vector>

namespace nullmark {

struct ConfigDifference {
  std::string key;     // dotted path, e.g. train.optimizer.lr
  std::string before;  // the value in the first config ("(absent)" when missing), as YAML text
  std::string after;
};

// Every key path whose value differs between the two YAML texts (sequences compare as wholes).
std::vector<ConfigDifference> config_differences(const std::string& before_yaml, const std::string& after_yaml);

// The differences a resumed training may not have: all but where and how it runs (output_dir,
// threads, device, cuda.*), a longer schedule (train.epochs no smaller than the checkpoint's) and
// the same data set named by another path (data.path, where both name one existing directory).
std::vector<ConfigDifference> resume_conflicts(const std::string& checkpoint_yaml, const std::string& config_yaml);

}  // namespace nullmark
