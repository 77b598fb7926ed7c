#include "common/yaml_guard.h"

#include <map>
#include <sstream>
#include <vector>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include "common/error.h"

namespace nullmark {

namespace {
class Guard : public YAML::EventHandler {
 public:
  explicit Guard(std::string name) : name_(std::move(name)) {}

  void OnDocumentStart(const YAML::Mark& m) override {
    if (++documents_ > 1) throw at(m, "a second YAML document; a config is one document");
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t a) override { node(m, a, ""); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override {
    throw at(m, "YAML aliases (*name) are not allowed in nullmark files");
  }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t a, const std::string& value) override {
    node(m, a, value);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t a, YAML::EmitterStyle::value) override {
    node(m, a, "", true);
    open(m, false);
  }
  void OnSequenceEnd() override { stack_.pop_back(); }
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t a, YAML::EmitterStyle::value) override {
    node(m, a, "", true);
    open(m, true);
  }
  void OnMapEnd() override { stack_.pop_back(); }
  void OnAnchor(const YAML::Mark& m, const std::string&) override {
    throw at(m, "YAML anchors (&name) are not allowed in nullmark files");
  }

 private:
  struct Container {
    bool map = false;
    bool expect_key = true;             // maps alternate key, value
    std::map<std::string, int> lines;   // key -> line (1-based) where it was first given
  };

  Error at(const YAML::Mark& m, const std::string& what) const {
    return fail(name_, ":", m.line + 1, ":", m.column + 1, ": ", what);
  }
  void open(const YAML::Mark& m, bool map) {
    if (static_cast<int>(stack_.size()) >= kMaxYamlDepth)
      throw at(m, "nesting deeper than " + std::to_string(kMaxYamlDepth) + " levels");
    Container c;
    c.map = map;
    stack_.push_back(std::move(c));
  }
  // Every node: no anchor; in a map, keys alternate with values and must be distinct scalars.
  void node(const YAML::Mark& m, YAML::anchor_t anchor, const std::string& scalar, bool collection = false) {
    if (anchor != YAML::NullAnchor) throw at(m, "YAML anchors (&name) are not allowed in nullmark files");
    if (stack_.empty() || !stack_.back().map) return;
    Container& c = stack_.back();
    const bool is_key = c.expect_key;
    c.expect_key = !c.expect_key;
    if (!is_key) return;
    if (collection) throw at(m, "a map key must be a plain value, not a map or a list");
    const auto [it, fresh] = c.lines.emplace(scalar, m.line + 1);
    if (!fresh)
      throw at(m, "duplicate key '" + scalar + "' (first given on line " + std::to_string(it->second) + ")");
  }

  std::string name_;
  int documents_ = 0;
  std::vector<Container> stack_;
};
}  // namespace

YAML::Node load_yaml(const std::string& text, const std::string& name) {
  if (text.size() > kMaxYamlBytes)
    throw fail(name, ": ", text.size(), " bytes of YAML; nullmark reads at most ", kMaxYamlBytes);
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    Guard guard(name);
    while (parser.HandleNextDocument(guard)) {
    }
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw fail(name, ":", e.mark.line + 1, ":", e.mark.column + 1, ": YAML syntax error: ", e.msg);
  } catch (const YAML::Exception& e) {
    throw fail(name, ": not valid YAML (", e.what(), ")");
  }
}

std::string flow_text(const YAML::Node& n) {
  YAML::Emitter e;
  e << YAML::Flow << n;
  return e.c_str();
}

}  // namespace nullmark
