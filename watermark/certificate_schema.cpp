#include "watermark/certificate_schema.h"

#include <cmath>
#include <initializer_list>
#include <regex>

namespace nullmark {

namespace {
struct Problem {
  std::string what;
};

const nlohmann::json& field(const nlohmann::json& obj, const char* key, const std::string& where) {
  if (!obj.is_object() || !obj.contains(key)) throw Problem{where + "." + key + " is missing"};
  return obj.at(key);
}

void exact_keys(const nlohmann::json& obj, std::initializer_list<const char*> keys, const std::string& where) {
  if (!obj.is_object()) throw Problem{where + " is not an object"};
  for (const char* k : keys) field(obj, k, where);
  if (obj.size() != keys.size())
    for (const auto& kv : obj.items()) {
      bool known = false;
      for (const char* k : keys) known = known || kv.key() == k;
      if (!known) throw Problem{where + "." + kv.key() + " is not a field of a certificate"};
    }
}

double share(const nlohmann::json& v, const std::string& where) {
  if (!v.is_number() || !(v.get<double>() >= 0 && v.get<double>() <= 1))
    throw Problem{where + " must be a number in [0, 1], got " + v.dump()};
  return v.get<double>();
}

long integer(const nlohmann::json& v, long lo, long hi, const std::string& where) {
  if (!v.is_number_integer() || v.get<long>() < lo || v.get<long>() > hi)
    throw Problem{where + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                  v.dump()};
  return v.get<long>();
}

void text(const nlohmann::json& v, const std::string& where, const char* pattern = nullptr) {
  if (!v.is_string()) throw Problem{where + " must be text, got " + v.dump()};
  if (pattern && !std::regex_match(v.get<std::string>(), std::regex(pattern)))
    throw Problem{where + " is not of the form " + pattern + ": " + v.dump()};
}

// A share measured over n samples is k / n for a whole k.
void counted(double s, long n, const std::string& where) {
  if (n > 0 && std::fabs(s * n - std::round(s * n)) > 1e-6)
    throw Problem{where + " is not a count over " + std::to_string(n) + " samples"};
}

void shares(const nlohmann::json& v, const std::string& where) {
  if (!v.is_array()) throw Problem{where + " must be a list"};
  for (size_t i = 0; i < v.size(); ++i) share(v[i], where + "[" + std::to_string(i) + "]");
}

const char* kSha256 = "[0-9a-f]{64}";
}  // namespace

std::string certificate_body_problem(const nlohmann::json& b) {
  try {
    exact_keys(b,
               {"nullmark_version", "created", "claim", "model", "data", "watermark", "measurements", "intervals",
                "null_keys", "thresholds", "decision", "reasons"},
               "body");
    text(b.at("nullmark_version"), "body.nullmark_version");
    text(b.at("created"), "body.created", "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z");
    const auto& model = b.at("model");
    exact_keys(model, {"file", "sha256", "input_shape", "classes"}, "body.model");
    text(model.at("file"), "body.model.file");
    text(model.at("sha256"), "body.model.sha256", kSha256);
    if (!model.at("input_shape").is_array() || model.at("input_shape").size() != 3)
      throw Problem{"body.model.input_shape must be [C, H, W]"};
    for (const auto& d : model.at("input_shape")) integer(d, 1, 65536, "body.model.input_shape");
    integer(model.at("classes"), 2, 1 << 20, "body.model.classes");
    const auto& data = b.at("data");
    exact_keys(data, {"name", "split", "samples", "sha256"}, "body.data");
    text(data.at("name"), "body.data.name");
    text(data.at("split"), "body.data.split", "train|test");
    const long data_samples = integer(data.at("samples"), 1, 1L << 40, "body.data.samples");
    text(data.at("sha256"), "body.data.sha256", kSha256);
    exact_keys(b.at("watermark"), {"label", "row", "col", "n", "lambda", "space", "bits"}, "body.watermark");
    const auto& m = b.at("measurements");
    exact_keys(m, {"clean", "null", "true", "samples", "true_samples"}, "body.measurements");
    const long samples = integer(m.at("samples"), 1, data_samples, "body.measurements.samples");
    const long true_samples = integer(m.at("true_samples"), 0, samples, "body.measurements.true_samples");
    counted(share(m.at("clean"), "body.measurements.clean"), samples, "body.measurements.clean");
    counted(share(m.at("null"), "body.measurements.null"), samples, "body.measurements.null");
    counted(share(m.at("true"), "body.measurements.true"), true_samples, "body.measurements.true");
    exact_keys(b.at("intervals"), {"method", "clean", "null", "true"}, "body.intervals");
    text(b.at("intervals").at("method"), "body.intervals.method");
    const auto& k = b.at("null_keys");
    exact_keys(k,
               {"method", "samples", "seed", "clean_on_subset", "owner_true_on_subset", "owner_null_on_subset",
                "false_acceptance_rate", "p_value", "random", "blind"},
               "body.null_keys");
    text(k.at("method"), "body.null_keys.method");
    integer(k.at("samples"), 1, 1L << 30, "body.null_keys.samples");
    if (!k.at("seed").is_number_unsigned() && !k.at("seed").is_number_integer())
      throw Problem{"body.null_keys.seed must be an integer"};
    for (const char* s : {"clean_on_subset", "owner_true_on_subset", "owner_null_on_subset", "p_value"})
      share(k.at(s), std::string("body.null_keys.") + s);
    for (const char* kind : {"random", "blind"}) {
      const std::string where = std::string("body.null_keys.") + kind;
      exact_keys(k.at(kind), {"count", "null", "true", "passing", "reaching", "true_mean", "true_max", "p_value"}, where);
      shares(k.at(kind).at("null"), where + ".null");
      shares(k.at(kind).at("true"), where + ".true");
    }
    const auto& t = b.at("thresholds");
    exact_keys(t, {"min_true_accuracy", "max_null_drop", "min_clean_accuracy"}, "body.thresholds");
    for (const auto& kv : t.items()) share(kv.value(), "body.thresholds." + kv.key());
    text(b.at("decision"), "body.decision", "accepted|rejected");
    if (!b.at("reasons").is_array()) throw Problem{"body.reasons must be a list"};
    for (const auto& r : b.at("reasons")) text(r, "body.reasons");
  } catch (const Problem& p) {
    return p.what;
  }
  return "";
}

}  // namespace nullmark
