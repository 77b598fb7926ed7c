// Trusted timestamps and disputes: the claim digest against the independent implementation's golden
// vectors, a real RFC 3161 reply (tests/fixtures/timestamp) verified and refused where it must be,
// strict base64, claims carrying tokens, and every branch of the dispute rule.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "common/files.h"
#include "error_of.h"
#include "watermark/claim.h"
#include "watermark/dispute.h"
#include "watermark/keys.h"
#include "watermark/timestamp.h"
#include "watermark_golden_v2.h"

using namespace nullmark;
using nullmark::test::error_of;

namespace {
const std::string kFixtures = NULLMARK_SOURCE_DIR "/tests/fixtures/timestamp/";

Claim golden_claim(const test::GoldenV2& g) {
  return make_claim(keypair_from_seed(parse_hex<32>(g.seed, "seed")), g.verifier, g.n, g.lambda, g.space,
                    {g.c, g.h, g.w}, g.classes);
}
std::string fixture_token() { return token_from_reply(read_file(kFixtures + "vector1.tsr"), "vector1.tsr"); }

DisputeParty party(const std::string& name, bool verifies, int64_t seconds = -1, int64_t accuracy_us = -1) {
  DisputeParty p;
  p.name = name;
  p.verifies = verifies;
  p.why_not = verifies ? "" : "true accuracy too low";
  if (seconds >= 0) {
    TrustedTime t;
    t.seconds = seconds;
    t.accuracy_us = accuracy_us;
    t.utc = std::to_string(seconds);
    p.time = t;
  } else {
    p.no_time = "no timestamp";
  }
  return p;
}
}  // namespace

TEST_CASE("the claim digest a timestamp covers matches the independent implementation", "[watermark][timestamp]") {
  for (const auto& g : test::kGoldenV2) {
    INFO(g.verifier);
    CHECK(to_hex(claim_digest(golden_claim(g))) == g.digest);
  }
  // A token is not part of the digest: attaching one leaves it unchanged.
  Claim c = golden_claim(test::kGoldenV2[0]);
  const Digest before = claim_digest(c);
  c.timestamp = fixture_token();
  CHECK(claim_digest(c) == before);
}

TEST_CASE("an RFC 3161 reply verifies against its TSA's CA and is refused for another claim or TSA",
          "[watermark][timestamp]") {
  const std::string token = fixture_token();
  const Digest digest = claim_digest(golden_claim(test::kGoldenV2[0]));
  const TrustedTime t = verify_timestamp_token(token, digest, kFixtures + "tsa-ca.pem", "vector1");
  CHECK(t.tsa == "CN=fixture test TSA");
  CHECK(t.accuracy_us == 1000);
  CHECK(t.imprint == digest);
  CHECK(t.utc.size() >= 20);
  CHECK(t.utc.back() == 'Z');
  // Unverified inspection reads the same fields.
  const TrustedTime seen = inspect_timestamp_token(token, "vector1");
  CHECK(seen.seconds == t.seconds);
  CHECK(seen.nanos == t.nanos);
  CHECK(seen.serial == t.serial);
  // Another claim's digest: refused before any signature check.
  const Digest other = claim_digest(golden_claim(test::kGoldenV2[1]));
  CHECK_THAT(error_of([&] { verify_timestamp_token(token, other, kFixtures + "tsa-ca.pem", "vector1"); }),
             Catch::Contains("covers another document"));
  // Trusting only some other certificate (here the golden CA is replaced by a file with none).
  CHECK_THAT(error_of([&] { verify_timestamp_token(token, digest, kFixtures + "README.md", "vector1"); }),
             Catch::Contains("no PEM certificate"));
  // A flipped byte either is refused or changes nothing the token states: the certificates a
  // token carries lie outside the TSA's signature, and a damaged copy is passed over for the
  // trusted file's; time, serial, imprint and signer are all signed.
  int refused = 0, tried = 0;
  for (size_t i = 0; i < token.size(); i += 3, ++tried) {
    std::string bad = token;
    bad[i] = static_cast<char>(bad[i] ^ 0x20);
    TrustedTime got;
    const std::string e =
        error_of([&] { got = verify_timestamp_token(bad, digest, kFixtures + "tsa-ca.pem", "flipped"); });
    if (!e.empty()) {
      ++refused;
      continue;
    }
    INFO("byte " << i);
    CHECK(got.utc == t.utc);
    CHECK(got.serial == t.serial);
    CHECK(got.imprint == t.imprint);
    CHECK(got.accuracy_us == t.accuracy_us);
    CHECK(got.tsa == t.tsa);
  }
  CHECK(refused > tried / 2);
}

TEST_CASE("timestamp replies and tokens that are not what they say are refused", "[watermark][timestamp]") {
  const std::string reply = read_file(kFixtures + "vector1.tsr");
  CHECK_THAT(error_of([&] { token_from_reply(reply.substr(0, reply.size() / 2), "half.tsr"); }),
             Catch::Contains("half.tsr: not a timestamp reply"));
  CHECK_THAT(error_of([&] { token_from_reply(reply + "x", "trailing.tsr"); }),
             Catch::Contains("trailing.tsr: not a timestamp reply"));
  CHECK_THAT(error_of([&] { inspect_timestamp_token("", "empty"); }), Catch::Contains("empty: not a timestamp token"));
  CHECK_THAT(error_of([&] { inspect_timestamp_token(std::string("\x30\x03\x02\x01\x01", 5), "int"); }),
             Catch::Contains("int: not a timestamp token"));
  // A whole reply is not a token.
  CHECK_THAT(error_of([&] { inspect_timestamp_token(reply, "reply"); }),
             Catch::Contains("reply: not a timestamp token"));
}

TEST_CASE("base64 for tokens in claim files is strict", "[watermark][timestamp]") {
  const std::string bytes("\x00\x01\xfe\xff nullmark", 13);
  CHECK(from_base64(to_base64(bytes), "t") == bytes);
  CHECK(to_base64("ab") == "YWI=");
  for (const char* bad : {"YWI", "YW I=", "YWI=x", "%%%%", "YWI==="})
    CHECK_THAT(error_of([&] { from_base64(bad, "field"); }), Catch::Contains("field: not base64"));
}

TEST_CASE("a claim carries its timestamp through its file, and refuses one for another claim",
          "[watermark][timestamp][claims]") {
  Claim c = golden_claim(test::kGoldenV2[0]);
  c.timestamp = fixture_token();
  const Claim back = claim_from_json(claim_to_json(c), "stamped.json");
  CHECK(back.timestamp == c.timestamp);
  CHECK(back.signature_valid());
  Claim other = golden_claim(test::kGoldenV2[1]);
  nlohmann::json j = nlohmann::json::parse(claim_to_json(other));
  j["timestamp"] = to_base64(c.timestamp);
  CHECK_THAT(error_of([&] { claim_from_json(j.dump(), "moved.json"); }),
             Catch::Contains("moved.json: timestamp: the token covers another claim"));
}

TEST_CASE("the dispute rule: verification first, then trusted time", "[watermark][dispute]") {
  const DisputeParty owner = party("owner", true, 1000), pirate = party("pirate", true, 2000);
  SECTION("both verify: the earlier trusted time stands, whichever side it is on") {
    CHECK(settle_dispute(owner, pirate).stands == 0);
    CHECK(settle_dispute(pirate, owner).stands == 1);
    CHECK_THAT(settle_dispute(pirate, owner).reason,
               Catch::Contains("owner was timestamped at 1000, 1000.000000 s before pirate"));
  }
  SECTION("times within the stated accuracies cannot be ordered") {
    CHECK(settle_dispute(party("a", true, 1000, 600000000), party("b", true, 2000, 600000000)).stands == -1);
    CHECK(settle_dispute(party("a", true, 1000, 400000000), party("b", true, 2000, 400000000)).stands == 0);
    CHECK(settle_dispute(party("a", true, 1000), party("b", true, 1000)).stands == -1);
  }
  SECTION("a claim that does not verify loses, timestamp or not") {
    const DisputeOutcome o = settle_dispute(party("owner", true), party("pirate", false, 1));
    CHECK(o.stands == 0);
    CHECK_THAT(o.reason, Catch::Contains("only owner verifies on the model; pirate does not (true accuracy too low)"));
    CHECK(settle_dispute(party("a", false, 1), party("b", false, 2)).stands == -1);
  }
  SECTION("one trusted time: it stands; none: nothing orders the claims") {
    CHECK(settle_dispute(party("a", true), party("b", true, 5)).stands == 1);
    const DisputeOutcome none = settle_dispute(party("a", true), party("b", true));
    CHECK(none.stands == -1);
    CHECK_THAT(none.reason, Catch::Contains("neither has a trusted timestamp"));
  }
}
