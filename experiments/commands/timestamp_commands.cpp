// nullmark timestamp: an RFC 3161 timestamp for a claim. The owner writes a request, sends it to a
// timestamp authority of their choice (any RFC 3161 TSA; this program makes no network calls),
// and attaches the reply to a copy of the claim.
#include <cstdio>

#include "common/error.h"
#include "common/files.h"
#include "experiments/commands/commands.h"
#include "watermark/claim.h"
#include "watermark/timestamp.h"

namespace nullmark::commands {

namespace {
// A TSA's reply or request is a few KiB; larger files are refused before they are read.
constexpr long kMaxTimestampFile = 1 << 20;

std::string read_small(const std::string& path) {
  const std::string bytes = read_file(path);
  if (static_cast<long>(bytes.size()) > kMaxTimestampFile)
    throw fail(path, ": ", bytes.size(), " bytes; a timestamp reply is at most ", kMaxTimestampFile);
  return bytes;
}

void print_time(const TrustedTime& t, const char* trust) {
  std::printf("time       %s (%s)\n", t.utc.c_str(), trust);
  std::printf("tsa        %s\n", t.tsa.empty() ? "(the token carries no certificate)" : t.tsa.c_str());
  std::printf("serial     %s\n", t.serial.c_str());
  if (t.accuracy_us >= 0) std::printf("accuracy   %.6f s\n", 1e-6 * static_cast<double>(t.accuracy_us));
}
}  // namespace

int timestamp_request(const TimestampArgs& a) {
  check_output_path(a.out, a.force, "--out");
  const Claim c = load_verified_claim(a.claim);
  write_file_atomic(a.out, nullmark::timestamp_request(c));
  std::printf(
      "wrote %s: an RFC 3161 request for claim digest %s (SHA-256); send it to a timestamp authority, "
      "then attach the reply with `nullmark timestamp attach`\n",
      a.out.c_str(), to_hex(claim_digest(c)).c_str());
  return 0;
}

int timestamp_attach(const TimestampArgs& a) {
  check_output_path(a.out, a.force, "--out");
  Claim c = load_verified_claim(a.claim);
  if (!c.timestamp.empty())
    throw fail(a.claim, ": the claim already carries a timestamp (", inspect_timestamp_token(c.timestamp, a.claim).utc,
               "); a claim holds one, the earliest");
  const std::string token = token_from_reply(read_small(a.reply), a.reply);
  // Only a token that verifies is attached: a claim file never carries a timestamp nobody checked.
  const TrustedTime t = verify_timestamp_token(token, claim_digest(c), a.tsa_cert, a.reply);
  c.timestamp = token;
  save_claim(c, a.out);
  std::printf("wrote %s: claim %s with its timestamp\n", a.out.c_str(), a.claim.c_str());
  print_time(t, "verified against the TSA certificates in --tsa-cert");
  return 0;
}

int timestamp_show(const TimestampArgs& a) {
  const Claim c = load_verified_claim(a.claim);
  if (c.timestamp.empty()) {
    std::printf("%s: no timestamp (claim digest %s)\n", a.claim.c_str(), to_hex(claim_digest(c)).c_str());
    return 0;
  }
  if (a.tsa_cert.empty()) {
    print_time(inspect_timestamp_token(c.timestamp, a.claim),
               "NOT verified: pass --tsa-cert with the TSA certificate you trust");
    return 0;
  }
  print_time(verify_timestamp_token(c.timestamp, claim_digest(c), a.tsa_cert, a.claim),
             "trusted: verified against the TSA certificates in --tsa-cert");
  return 0;
}

}  // namespace nullmark::commands
