// Spec v2 claims: the signature binds every parameter that shapes the watermark; the golden
// vectors (from an independent implementation) hold bit for bit; edited or malformed claims are
// refused with the field named; v1 claims still load.
#include <catch2/catch.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "common/files.h"
#include "error_of.h"
#include "watermark/claim.h"
#include "watermark/claim_message.h"
#include "watermark/derivation.h"
#include "watermark/embedding.h"
#include "watermark_golden_v2.h"

using namespace nullmark;
using nullmark::test::error_of;

namespace {
Claim owner_claim() {
  Seed s;
  s.fill(9);
  return make_claim(keypair_from_seed(s), "acme/digit/2026-12-06", 6, 10.0, "normalized", {1, 28, 28}, 10);
}
nlohmann::json as_json(const Claim& c) { return nlohmann::json::parse(claim_to_json(c)); }
// The error that loading (and signature-checking) a claim file with this content gives.
std::string load_error(const nlohmann::json& j) {
  return error_of([&] {
    const Claim c = claim_from_json(j.dump(), "claim.json");
    if (!c.signature_valid()) throw fail("claim.json: the signature does not verify");
  });
}
}  // namespace

TEST_CASE("spec v2 golden vectors: message, signature and watermark, bit for bit", "[watermark][spec][claims]") {
  for (const auto& g : test::kGoldenV2) {
    INFO(g.verifier);
    const KeyPair k = keypair_from_seed(parse_hex<32>(g.seed, "seed"));
    CHECK(hex(k.public_key) == g.pk);
    const Claim c = make_claim(k, g.verifier, g.n, g.lambda, g.space, {g.c, g.h, g.w}, g.classes);
    const std::string m = claim_message(c);
    CHECK(hex(reinterpret_cast<const uint8_t*>(m.data()), m.size()) == g.message);
    CHECK(hex(c.signature) == g.sig);
    CHECK(c.signature_valid());
    const Watermark w = watermark_pattern(c, Shape{g.c, g.h, g.w}, g.classes);
    CHECK(w.label == g.label);
    CHECK(w.row == g.row);
    CHECK(w.col == g.col);
    CHECK(bit_string(w) == g.bits);
    const Claim back = claim_from_json(claim_to_json(c), "round-trip.json");
    CHECK(back.version == 2);
    CHECK(back.signature_valid());
    CHECK(claim_to_json(back) == claim_to_json(c));
  }
}

TEST_CASE("a v2 claim whose lambda, n, space, input shape, class count or verifier was edited is refused",
          "[watermark][claims]") {
  const nlohmann::json good = as_json(owner_claim());
  CHECK(load_error(good) == "");
  const std::vector<std::function<void(nlohmann::json&)>> edits = {
      [](nlohmann::json& j) { j["lambda"] = 20.0; },
      [](nlohmann::json& j) { j["n"] = 8; },
      [](nlohmann::json& j) { j["space"] = "raw"; },
      [](nlohmann::json& j) { j["input_shape"] = {1, 32, 32}; },
      [](nlohmann::json& j) { j["classes"] = 11; },
      [](nlohmann::json& j) { j["verifier"] = "acme/digit/2026-12-07"; },
  };
  for (size_t i = 0; i < edits.size(); ++i) {
    INFO("edit " << i);
    nlohmann::json j = good;
    edits[i](j);
    CHECK_THAT(load_error(j), Catch::Contains("signature does not verify"));
  }
  // Through the file loader the message names what a v2 signature covers.
  const std::string path = "/tmp/nullmark-claim-v2-edited.json";
  nlohmann::json j = good;
  j["lambda"] = 20.0;
  write_file_atomic(path, j.dump(2));
  CHECK_THAT(error_of([&] { load_verified_claim(path); }),
             Catch::Contains("the signature does not verify against the public key for the signed parameters"));
}

TEST_CASE("a v2 claim is refused on a model of another input shape or class count", "[watermark][claims]") {
  const Claim c = owner_claim();
  CHECK_NOTHROW(watermark_pattern(c, Shape{1, 28, 28}, 10));
  CHECK_THAT(error_of([&] { watermark_pattern(c, Shape{3, 28, 28}, 10); }),
             Catch::Contains("the claim was signed for a model with 1x28x28 inputs and 10 classes; this model has "
                             "3x28x28 inputs and 10 classes"));
  CHECK_THAT(error_of([&] { watermark_pattern(c, Shape{1, 28, 28}, 43); }), Catch::Contains("this model has"));
}

TEST_CASE("claim files are parsed strictly: each bad field is named", "[watermark][claims][hostile]") {
  const nlohmann::json v2 = as_json(owner_claim());
  struct Case {
    const char* what;
    std::function<void(nlohmann::json&)> edit;
    const char* error;
  };
  const std::vector<Case> cases = {
      {"fractional n", [](nlohmann::json& j) { j["n"] = 6.5; }, "n: must be an integer in [1, 1024], got 6.5"},
      {"n that wraps a 32-bit int", [](nlohmann::json& j) { j["n"] = 4294967316ull; },
       "n: must be an integer in [1, 1024], got 4294967316"},
      {"n as text", [](nlohmann::json& j) { j["n"] = "6"; }, "n: must be an integer"},
      {"negative n", [](nlohmann::json& j) { j["n"] = -6; }, "n: must be an integer in [1, 1024], got -6"},
      {"lambda below float32", [](nlohmann::json& j) { j["lambda"] = 1e-50; }, "lambda: must be a positive number"},
      {"lambda above float32", [](nlohmann::json& j) { j["lambda"] = 1e300; }, "lambda: must be a positive number"},
      {"negative lambda", [](nlohmann::json& j) { j["lambda"] = -10.0; }, "lambda: must be a positive number"},
      {"lambda as text", [](nlohmann::json& j) { j["lambda"] = "10"; }, "lambda: must be a number"},
      {"lambda not a float32 value", [](nlohmann::json& j) { j["lambda"] = 0.1; },
       "lambda: a v2 claim holds the exact float32 value"},
      {"short input shape", [](nlohmann::json& j) { j["input_shape"] = {28, 28}; }, "input_shape: must be [C, H, W]"},
      {"zero in the input shape", [](nlohmann::json& j) { j["input_shape"] = {1, 0, 28}; },
       "input_shape[1]: must be an integer in [1, 65536], got 0"},
      {"fractional input size", [](nlohmann::json& j) { j["input_shape"] = {1, 28.5, 28}; }, "input_shape[1]"},
      {"one class", [](nlohmann::json& j) { j["classes"] = 1; }, "classes: must be an integer in [2, 1048576], got 1"},
      {"missing classes", [](nlohmann::json& j) { j.erase("classes"); }, "claim field missing or of the wrong type"},
      {"pattern larger than the input", [](nlohmann::json& j) { j["n"] = 29; }, "n: the 29x29 pattern does not fit"},
      {"unknown field", [](nlohmann::json& j) { j["note"] = "x"; }, "unexpected field \"note\" in a version-2 claim"},
      {"unknown version", [](nlohmann::json& j) { j["version"] = 3; }, "unsupported claim version"},
      {"v2 fields in a v1 claim",
       [](nlohmann::json& j) {
         j["version"] = 1;
         j["spec"] = "nullmark-v1";
       },
       "in a version-1 claim"},
      {"bad space", [](nlohmann::json& j) { j["space"] = "pixels"; }, "space: must be \"normalized\" or \"raw\""},
      {"empty verifier", [](nlohmann::json& j) { j["verifier"] = ""; }, "verifier: must not be empty"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    nlohmann::json j = v2;
    c.edit(j);
    CHECK_THAT(load_error(j), Catch::Contains(c.error));
  }
  CHECK_THAT(error_of([] { claim_from_json("{\"format\": \"nullmark-claim\", \"lambda\": 1e400}", "c.json"); }),
             Catch::Contains("c.json: not a nullmark claim (not JSON, or a number out of range)"));
  CHECK_THAT(error_of([] { claim_from_json("[1, 2]", "c.json"); }), Catch::Contains("not a nullmark claim file"));
}

TEST_CASE("v1 claims still load and verify, reported as parameters unsigned", "[watermark][claims]") {
  const Claim demo = load_verified_claim(NULLMARK_SOURCE_DIR "/experiments/claims/demo-digit-lambda10.json");
  CHECK(demo.version == 1);
  CHECK(demo.binding() == "v1: parameters unsigned");
  CHECK(owner_claim().binding() == "v2: verifier, n, lambda, space, input shape and classes signed");
  // What v2 closes: a v1 claim's lambda can be edited and it still verifies.
  nlohmann::json j = as_json(demo);
  j["lambda"] = 20.0;
  CHECK(load_error(j) == "");
  // A v1 claim fits any model shape.
  CHECK_NOTHROW(watermark_pattern(demo, Shape{3, 32, 32}, 43));
}
