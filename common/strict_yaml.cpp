#include "common/strict_yaml.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/yaml_guard.h"

namespace nullmark {

namespace {
// yaml-cpp stores numbers as text with 17 significant digits (0.13070000000000001); 15 keep
// every value a config can express and read back as written.
YAML::Node number_node(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return YAML::Node(std::string(buf));
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
  return out;
}
}  // namespace

ConfigMap ConfigMap::load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw fail(path, ": cannot open config file");
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxYamlBytes) break;  // load_yaml refuses it with the size
  }
  const YAML::Node root = load_yaml(text, path);
  if (!root.IsMap()) throw fail(path, ": a config must be a YAML map of sections at top level");
  return ConfigMap(root, path, "", YAML::Node(YAML::NodeType::Map));
}

ConfigMap ConfigMap::load_string(const std::string& text, const std::string& name) {
  const YAML::Node root = load_yaml(text, name);
  if (!root.IsMap()) throw fail(name, ": expected a YAML map");
  return ConfigMap(root, name, "", YAML::Node(YAML::NodeType::Map));
}

ConfigMap::ConfigMap(YAML::Node node, std::string file, std::string path, YAML::Node resolved)
    : node_(node),
      file_(std::move(file)),
      path_(std::move(path)),
      resolved_(resolved),
      valid_(std::make_shared<std::vector<std::string>>()) {}

std::string ConfigMap::where(const YAML::Mark& m) const {
  std::ostringstream s;
  s << file_;
  if (m.line >= 0) s << ":" << m.line + 1 << ":" << m.column + 1;
  return s.str();
}

std::string ConfigMap::key_path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

void ConfigMap::error(const std::string& key, const std::string& message) const {
  YAML::Mark mark = node_.Mark();
  if (node_.IsMap())
    for (const auto& kv : node_)
      if (kv.first.Scalar() == key) mark = kv.second.Mark();
  throw fail(where(mark), ": ", key.empty() ? path_ : key_path(key), ": ", message);
}

bool ConfigMap::has(const std::string& key) const { return node_.IsMap() && node_[key] && !node_[key].IsNull(); }

YAML::Node ConfigMap::value(const std::string& key) const { return node_.IsMap() ? node_[key] : YAML::Node(); }

void ConfigMap::mark_read(const std::string& key) {
  if (std::find(valid_->begin(), valid_->end(), key) == valid_->end()) valid_->push_back(key);
}

double ConfigMap::number(const std::string& key, double def, double lo, double hi) {
  mark_read(key);
  double v = def;
  if (has(key)) {
    YAML::Node n = value(key);
    if (!n.IsScalar()) error(key, "expected a number");
    try {
      v = n.as<double>();
    } catch (const YAML::Exception&) {
      error(key, "expected a number, got \"" + n.Scalar() + "\"");
    }
    if (!std::isfinite(v)) error(key, "must be a finite number");
  }
  if (v < lo || v > hi) {
    std::ostringstream s;
    s << "must be in [" << lo << ", " << hi << "], got " << v;
    error(key, s.str());
  }
  resolved_[key] = number_node(v);
  return v;
}

double ConfigMap::number(const std::string& key, double lo, double hi) {
  if (!has(key)) mark_read(key), error(key, "required key is missing");
  return number(key, 0.0, lo, hi);
}

long ConfigMap::integer(const std::string& key, long def, long lo, long hi) {
  mark_read(key);
  long v = def;
  if (has(key)) {
    YAML::Node n = value(key);
    if (!n.IsScalar()) error(key, "expected an integer");
    try {
      v = n.as<long>();
    } catch (const YAML::Exception&) {
      error(key, "expected an integer, got \"" + n.Scalar() + "\"");
    }
  }
  if (v < lo || v > hi)
    error(key, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + std::to_string(v));
  resolved_[key] = v;
  return v;
}

long ConfigMap::integer(const std::string& key, long lo, long hi) {
  if (!has(key)) mark_read(key), error(key, "required key is missing");
  return integer(key, 0, lo, hi);
}

bool ConfigMap::boolean(const std::string& key, bool def) {
  mark_read(key);
  bool v = def;
  if (has(key)) {
    YAML::Node n = value(key);
    try {
      v = n.as<bool>();
    } catch (const YAML::Exception&) {
      error(key, "expected true or false, got \"" + (n.IsScalar() ? n.Scalar() : std::string("a non-scalar")) + "\"");
    }
  }
  resolved_[key] = v;
  return v;
}

std::string ConfigMap::string(const std::string& key, const std::string& def) {
  mark_read(key);
  std::string v = def;
  if (has(key)) {
    YAML::Node n = value(key);
    if (!n.IsScalar()) error(key, "expected a string");
    v = n.Scalar();
  }
  resolved_[key] = v;
  return v;
}

std::string ConfigMap::string(const std::string& key) {
  if (!has(key)) mark_read(key), error(key, "required key is missing");
  return string(key, "");
}

std::string ConfigMap::choice(const std::string& key, const std::string& def, const std::vector<std::string>& allowed) {
  std::string v = string(key, def);
  if (std::find(allowed.begin(), allowed.end(), v) == allowed.end())
    error(key, "unknown value \"" + v + "\"; valid values: " + join(allowed));
  return v;
}

std::string ConfigMap::choice(const std::string& key, const std::vector<std::string>& allowed) {
  if (!has(key)) mark_read(key), error(key, "required key is missing; valid values: " + join(allowed));
  return choice(key, "", allowed);
}

std::vector<double> ConfigMap::numbers(const std::string& key, std::vector<double> def, double lo, double hi) {
  mark_read(key);
  std::vector<double> v = def;
  if (has(key)) {
    YAML::Node n = value(key);
    if (!n.IsSequence()) error(key, "expected a list of numbers");
    v.clear();
    for (const auto& e : n) {
      try {
        v.push_back(e.as<double>());
      } catch (const YAML::Exception&) {
        error(key, "expected a list of numbers, found \"" + (e.IsScalar() ? e.Scalar() : std::string("?")) + "\"");
      }
    }
  }
  for (double x : v)
    if (!(x >= lo && x <= hi)) {
      std::ostringstream s;
      s << "every value must be in [" << lo << ", " << hi << "], got " << x;
      error(key, s.str());
    }
  resolved_[key] = YAML::Node(YAML::NodeType::Sequence);
  for (double x : v) resolved_[key].push_back(number_node(x));
  return v;
}

std::vector<std::string> ConfigMap::choices(const std::string& key, std::vector<std::string> def,
                                            const std::vector<std::string>& allowed) {
  mark_read(key);
  std::vector<std::string> v = def;
  if (has(key)) {
    YAML::Node n = value(key);
    if (!n.IsSequence()) error(key, "expected a list; valid entries: " + join(allowed));
    v.clear();
    for (const auto& e : n) v.push_back(e.IsScalar() ? e.Scalar() : std::string("?"));
  }
  for (const auto& s : v)
    if (std::find(allowed.begin(), allowed.end(), s) == allowed.end())
      error(key, "unknown entry \"" + s + "\"; valid entries: " + join(allowed));
  resolved_[key] = v;
  return v;
}

YAML::Node ConfigMap::raw(const std::string& key) {
  mark_read(key);
  YAML::Node n = value(key);
  if (n) resolved_[key] = YAML::Clone(n);
  return n;
}

ConfigMap ConfigMap::section(const std::string& key) {
  mark_read(key);
  YAML::Node n = value(key);
  if (n && !n.IsNull() && !n.IsMap()) error(key, "expected a map of settings");
  resolved_[key] = YAML::Node(YAML::NodeType::Map);
  return ConfigMap(n && n.IsMap() ? n : YAML::Node(YAML::NodeType::Map), file_, key_path(key), resolved_[key]);
}

std::vector<ConfigMap> ConfigMap::list(const std::string& key) {
  mark_read(key);
  YAML::Node n = value(key);
  if (!n || n.IsNull()) error(key, "required list is missing");
  if (!n.IsSequence()) error(key, "expected a list");
  resolved_[key] = YAML::Node(YAML::NodeType::Sequence);
  std::vector<ConfigMap> out;
  for (size_t i = 0; i < n.size(); ++i) {
    if (!n[i].IsMap()) throw fail(where(n[i].Mark()), ": ", key_path(key), "[", i, "]: expected a map");
    resolved_[key].push_back(YAML::Node(YAML::NodeType::Map));
    out.emplace_back(n[i], file_, key_path(key) + "[" + std::to_string(i) + "]", resolved_[key][i]);
  }
  return out;
}

void ConfigMap::finish() const {
  if (!node_.IsMap()) return;
  for (const auto& kv : node_) {
    const std::string k = kv.first.Scalar();
    if (std::find(valid_->begin(), valid_->end(), k) == valid_->end())
      throw fail(where(kv.first.Mark()), ": ", key_path(k), ": unknown key; valid keys",
                 path_.empty() ? "" : " in " + path_, ": ", join(*valid_));
  }
}

}  // namespace nullmark

namespace nullmark {

void apply_override(YAML::Node root, const std::string& assignment) {
  const size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) throw fail("--set ", assignment, ": expected KEY.PATH=VALUE");
  const std::string path = assignment.substr(0, eq);
  const YAML::Node value = load_yaml(assignment.substr(eq + 1), "--set " + assignment);
  std::vector<std::string> keys;
  size_t start = 0;
  for (size_t dot; (dot = path.find('.', start)) != std::string::npos; start = dot + 1)
    keys.push_back(path.substr(start, dot - start));
  keys.push_back(path.substr(start));
  // yaml-cpp's operator[] returns proxies; walk with reset() so each step rebinds, not assigns.
  YAML::Node cur;
  cur.reset(root);
  for (size_t i = 0; i + 1 < keys.size(); ++i) {
    if (cur[keys[i]] && !cur[keys[i]].IsMap()) throw fail("--set ", path, ": '", keys[i], "' is not a section");
    if (!cur[keys[i]]) cur[keys[i]] = YAML::Node(YAML::NodeType::Map);
    YAML::Node next = cur[keys[i]];
    cur.reset(next);
  }
  cur[keys.back()] = value;
}

}  // namespace nullmark
