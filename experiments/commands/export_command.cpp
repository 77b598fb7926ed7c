#include <cstdio>

#include "common/error.h"
#include "common/files.h"
#include "common/sha256.h"
#include "experiments/commands/commands.h"
#include "experiments/run_setup.h"
#include "interop/model_file.h"
#include "interop/onnx_export.h"
#include "watermark/claim.h"

namespace nullmark::commands {

namespace {
// The `data:` section an ONNX file carries: where the data set is and how inputs are normalised.
std::string data_metadata(const DataConfig& d) {
  YAML::Node n;
  n["type"] = d.type;
  n["path"] = d.path;
  n["mean"] = d.mean;
  n["std"] = d.std;
  YAML::Emitter out;
  out << YAML::Flow << n;
  return out.c_str();
}
}  // namespace

int export_model(const ExportArgs& a) {
  check_output_path(a.out, a.force, "--out");
  const std::string bytes = read_file(a.model);
  const Checkpoint ckpt = parse_model_file(bytes, a.model);  // the bytes hashed are the bytes exported
  const auto net = network_from_checkpoint(ckpt, a.model);

  std::map<std::string, std::string> meta;
  meta[onnx_meta::kSource] = to_hex(sha256(bytes));
  const YAML::Node config = YAML::Load(ckpt.config_yaml);
  if (config["model"] && config["model"]["name"]) meta[onnx_meta::kModel] = config["model"]["name"].as<std::string>();
  if (!a.config.empty()) {  // a model trained elsewhere: the data section of a nullmark config
    ConfigMap cfg = ConfigMap::load_file(a.config);
    NM_CHECK(cfg.has("data"), a.config, ": has no data section");
    DataConfig d = DataConfig::read(cfg.section("data"));
    resolve_normalisation(d);
    meta[onnx_meta::kData] = data_metadata(d);
  } else if (config["data"]) {
    DataConfig d = data_config_from_checkpoint(ckpt, a.model);
    resolve_normalisation(d);
    meta[onnx_meta::kData] = data_metadata(d);
  } else {
    std::fprintf(stderr,
                 "note: %s names no data set, so neither does %s; pass --config CFG (a config whose data section "
                 "the model was trained on) so that eval and verify can use it\n",
                 a.model.c_str(), a.out.c_str());
  }
  if (!a.claim.empty()) {
    const Claim c = load_verified_claim(a.claim);
    NM_CHECK(c.input.empty() || (c.input == net->input_shape().dims && c.classes == ckpt.classes), a.claim,
             ": the claim is made for another model shape (", Shape(c.input).str(), ", ", c.classes,
             " classes) than ", a.model, " (", net->input_shape().str(), ", ", ckpt.classes, " classes)");
    meta[onnx_meta::kClaim] = read_file(a.claim);
  }
  const std::string onnx = onnx_export(*net, meta);
  write_file_atomic(a.out, onnx);
  std::printf("wrote %s: %zu parameters, input %s, %d classes%s%s\n", a.out.c_str(), net->param_count(),
              net->input_shape().str().c_str(), ckpt.classes, meta.count(onnx_meta::kData) ? ", with its data section" : "",
              a.claim.empty() ? "" : ", with the claim");
  return 0;
}

}  // namespace nullmark::commands
