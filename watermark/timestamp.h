// Trusted timestamps (RFC 3161) for claims. A timestamp authority (TSA) signs the claim's digest
// together with the time it saw it; the token proves the claim existed at that time, which is what
// orders two valid claims in a dispute (docs/watermark.md, "Registering a claim").
//
// The digest a token covers (the "claim digest"):
//   SHA-256( "nullmark-claim-digest-v1" 0x00  BE32(len) message  signature(64)  public_key(32) )
// where message is the claim's signed message (claim_message.h). The digest binds the parameters,
// the signature (which the watermark is derived from) and the owner's key; the token itself is not
// part of it, so attaching a token leaves the digest unchanged.
//
// Parsing and verification use OpenSSL's TS API. Verification checks the TSA's signature, that the
// token's message imprint is the claim digest (SHA-256), and that the signing certificate chains to
// one of the certificates the verifier trusts (a TSA certificate or its CA, given in a PEM file; a
// certificate in that file is a trust anchor even if it is not self-signed).
#pragma once
#include <cstdint>
#include <string>

#include "common/sha256.h"

namespace nullmark {

struct Claim;

Digest claim_digest(const Claim& c);

// An RFC 3161 request (DER) for the claim digest: SHA-256 imprint, a random nonce, and the TSA's
// certificate asked for in the reply so that the token carries it.
std::string timestamp_request(const Claim& c);

// The token (DER, a CMS SignedData) in a TSA's reply (DER). A reply that is not "granted" is refused
// with the TSA's status and text; so is anything that does not parse.
std::string token_from_reply(const std::string& reply_der, const std::string& source);

// What a token states, read without checking its signature (inspect_timestamp_token) or after it
// (verify_timestamp_token).
struct TrustedTime {
  std::string utc;           // the TSA's time, ISO 8601 with the token's fraction ("2026-12-06T10:12:33.123456Z")
  int64_t seconds = 0;       // the same, Unix seconds ...
  int64_t nanos = 0;         // ... and nanoseconds
  int64_t accuracy_us = -1;  // the TSA's stated accuracy in microseconds; -1: not stated
  std::string tsa;           // subject of the signing certificate (verify) or the token's tsa name (inspect)
  std::string serial;        // the token's serial number (hex)
  Digest imprint{};          // the hashed message the token covers
};

// Parses a token and reads its fields; the signature is not checked. Refuses a malformed token,
// one that is not a timestamp token, or one whose imprint is not SHA-256.
TrustedTime inspect_timestamp_token(const std::string& token_der, const std::string& source);

// Checks the token against the claim digest and the TSA certificates in `tsa_certs_pem` (a PEM file
// of one or more certificates); throws, naming `source` and OpenSSL's reason, when it does not verify.
TrustedTime verify_timestamp_token(const std::string& token_der, const Digest& digest, const std::string& tsa_certs_pem,
                                   const std::string& source);

// Base64 (RFC 4648, with padding) for the token inside a claim file; decoding is strict.
std::string to_base64(const std::string& bytes);
std::string from_base64(const std::string& text, const std::string& what);

}  // namespace nullmark
