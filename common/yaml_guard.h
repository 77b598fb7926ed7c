// Loads YAML text from outside (configs, --set values, configs embedded in checkpoints) after
// checking its event stream, so that hostile text fails with a message instead of crashing or
// exhausting memory inside yaml-cpp's node builder:
//   - anchors (&a) and aliases (*a) are refused: a self-referencing anchor overflows the stack and
//     nested aliases grow without bound, and configs never need them;
//   - duplicate keys in a map are refused, naming both lines (yaml-cpp keeps the first silently);
//   - a second document is refused (yaml-cpp ignores it silently);
//   - nesting deeper than kMaxYamlDepth and text longer than kMaxYamlBytes are refused.
#pragma once
#include <cstddef>
#include <string>

#include <yaml-cpp/yaml.h>

namespace nullmark {

constexpr int kMaxYamlDepth = 64;
constexpr size_t kMaxYamlBytes = 1 << 20;

// Throws an Error naming `name`, the line and column, and the problem; returns the root node.
YAML::Node load_yaml(const std::string& text, const std::string& name);

// A node as one line of flow-style YAML ("[0.05, 0.2]", "{type: adam}"), for names and messages.
std::string flow_text(const YAML::Node& n);

}  // namespace nullmark
