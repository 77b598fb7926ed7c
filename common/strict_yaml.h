// Strict reading of YAML configs. Every key a reader asks for is recorded; finish() turns any key
// that was never asked for into an error naming file, line, key path and the valid keys. Values are
// type- and range-checked, and each reader records the value it used (defaults included) into a
// "resolved" tree that runs write next to their results.
#pragma once
#include <yaml-cpp/yaml.h>

#include <memory>
#include <string>
#include <vector>

namespace nullmark {

class ConfigMap {
 public:
  // Parses a YAML file; a syntax error names the file and line.
  static ConfigMap load_file(const std::string& path);
  static ConfigMap load_string(const std::string& text, const std::string& name);

  ConfigMap(YAML::Node node, std::string file, std::string path, YAML::Node resolved);

  bool has(const std::string& key) const;
  double number(const std::string& key, double def, double lo, double hi);
  double number(const std::string& key, double lo, double hi);  // required
  long integer(const std::string& key, long def, long lo, long hi);
  long integer(const std::string& key, long lo, long hi);  // required
  bool boolean(const std::string& key, bool def);
  std::string string(const std::string& key, const std::string& def);
  std::string string(const std::string& key);  // required
  std::string choice(const std::string& key, const std::string& def, const std::vector<std::string>& allowed);
  std::string choice(const std::string& key, const std::vector<std::string>& allowed);  // required
  std::vector<double> numbers(const std::string& key, std::vector<double> def, double lo, double hi);
  // A list whose every entry must be one of `allowed`.
  std::vector<std::string> choices(const std::string& key, std::vector<std::string> def,
                                   const std::vector<std::string>& allowed);
  // The raw node of a key that another reader interprets (marked as read, copied to resolved).
  YAML::Node raw(const std::string& key);
  // A nested map; an absent optional section reads as an empty map (all defaults).
  ConfigMap section(const std::string& key);
  // A sequence of maps (e.g. the model's layers).
  std::vector<ConfigMap> list(const std::string& key);

  // Throws if the map holds any key that no reader asked for.
  void finish() const;
  // Error at this map's (or a key's) position: "file:line:col: path.key: message".
  [[noreturn]] void error(const std::string& key, const std::string& message) const;

  const YAML::Node& resolved() const { return resolved_; }
  const YAML::Node& node() const { return node_; }
  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }

 private:
  YAML::Node value(const std::string& key) const;
  void mark_read(const std::string& key);
  std::string where(const YAML::Mark& m) const;
  std::string key_path(const std::string& key) const;

  YAML::Node node_;
  std::string file_;
  std::string path_;
  YAML::Node resolved_;
  std::shared_ptr<std::vector<std::string>> valid_;  // keys asked for, in order (shared by copies)
};

}  // namespace nullmark

namespace nullmark {
// Applies a command-line override "a.b.c=value" to a parsed config before it is read strictly
// (the value is parsed as YAML, so numbers, booleans and lists keep their types).
void apply_override(YAML::Node root, const std::string& assignment);
}  // namespace nullmark
