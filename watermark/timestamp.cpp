#include "watermark/timestamp.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <sodium.h>

#include <cctype>
#include <cstring>
#include <ctime>
#include <memory>

#include "common/error.h"
#include "common/files.h"
#include "watermark/claim.h"
#include "watermark/claim_message.h"

namespace nullmark {

namespace {
// Owning pointers for OpenSSL objects, freed on every path out.
template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
template <class T, void (*Free)(T*)>
using Owned = std::unique_ptr<T, Deleter<T, Free>>;
using Req = Owned<TS_REQ, TS_REQ_free>;
using Resp = Owned<TS_RESP, TS_RESP_free>;
using Pkcs7 = Owned<PKCS7, PKCS7_free>;
using TstInfo = Owned<TS_TST_INFO, TS_TST_INFO_free>;
using VerifyCtx = Owned<TS_VERIFY_CTX, TS_VERIFY_CTX_free>;
using Bio = Owned<BIO, BIO_free_all>;
using Imprint = Owned<TS_MSG_IMPRINT, TS_MSG_IMPRINT_free>;
using Algor = Owned<X509_ALGOR, X509_ALGOR_free>;
using Bignum = Owned<BIGNUM, BN_free>;
using Integer = Owned<ASN1_INTEGER, ASN1_INTEGER_free>;
void free_certs(STACK_OF(X509) * s) { sk_X509_pop_free(s, X509_free); }
using Certs = Owned<STACK_OF(X509), free_certs>;

// OpenSSL's queued reasons, oldest first, and the queue cleared.
std::string openssl_errors() {
  std::string out;
  const char* data = nullptr;
  int flags = 0;
  while (const unsigned long e = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) {
    const char* reason = ERR_reason_error_string(e);
    out += (out.empty() ? "" : "; ") + std::string(reason ? reason : "unknown error");
    // The detail, e.g. the certificate check that failed ("Verify error:unable to get local issuer certificate").
    if ((flags & ERR_TXT_STRING) && data && *data) out += std::string(" (") + data + ")";
  }
  return out.empty() ? "no reason given" : out;
}

std::string der_of_token(PKCS7* p7) {
  unsigned char* buf = nullptr;
  const int len = i2d_PKCS7(p7, &buf);
  NM_CHECK(len > 0, "cannot encode the timestamp token: ", openssl_errors());
  std::string out(reinterpret_cast<char*>(buf), static_cast<size_t>(len));
  OPENSSL_free(buf);
  return out;
}

Pkcs7 parse_token(const std::string& der, const std::string& source) {
  ERR_clear_error();
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  Pkcs7 p7(d2i_PKCS7(nullptr, &p, static_cast<long>(der.size())));
  if (!p7 || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size())
    throw fail(source, ": not a timestamp token (not one DER-encoded CMS structure)");
  return p7;
}

std::string subject_of(X509* cert) {
  Bio bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

// The signer's certificate subject, looked up in `certs` first (may be null), then among the
// certificates the token carries ("" when found in neither).
std::string signer_subject(PKCS7* p7, STACK_OF(X509) * certs) {
  STACK_OF(X509)* signers = PKCS7_get0_signers(p7, certs, 0);
  ERR_clear_error();
  if (!signers) return "";
  const std::string s = sk_X509_num(signers) > 0 ? subject_of(sk_X509_value(signers, 0)) : "";
  sk_X509_free(signers);  // the certificates belong to the token
  return s;
}

// GeneralizedTime as RFC 3161 requires it: YYYYMMDDhhmmss[.f...]Z, UTC, no trailing zeros in the fraction.
void read_time(const ASN1_GENERALIZEDTIME* t, TrustedTime& out, const std::string& source) {
  const std::string s(reinterpret_cast<const char*>(ASN1_STRING_get0_data(t)),
                      static_cast<size_t>(ASN1_STRING_length(t)));
  const auto bad = [&] { return fail(source, ": timestamp token: malformed time \"", s, "\""); };
  if (s.size() < 15 || s.back() != 'Z') throw bad();
  for (size_t i = 0; i < 14; ++i)
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) throw bad();
  std::string fraction;
  if (s.size() > 15) {
    if (s[14] != '.' || s.size() < 17 || s.size() > 25) throw bad();
    fraction = s.substr(15, s.size() - 16);
    for (char c : fraction)
      if (!std::isdigit(static_cast<unsigned char>(c))) throw bad();
  }
  const auto num = [&](size_t at, size_t len) { return std::stoi(s.substr(at, len)); };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(8, 2);
  tm.tm_min = num(10, 2);
  tm.tm_sec = num(12, 2);
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
    throw bad();
  out.seconds = static_cast<int64_t>(timegm(&tm));
  out.nanos = 0;
  for (size_t i = 0; i < 9; ++i) out.nanos = out.nanos * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  out.utc = s.substr(0, 4) + "-" + s.substr(4, 2) + "-" + s.substr(6, 2) + "T" + s.substr(8, 2) + ":" +
            s.substr(10, 2) + ":" + s.substr(12, 2) + (fraction.empty() ? "" : "." + fraction) + "Z";
}

int64_t integer_or(const ASN1_INTEGER* v, int64_t none) {
  if (!v) return none;
  int64_t out = 0;
  return ASN1_INTEGER_get_int64(&out, v) == 1 ? out : none;
}

// The fields of a parsed token; the signature is not looked at here.
TrustedTime read_token(PKCS7* p7, const std::string& source) {
  TstInfo info(PKCS7_to_TS_TST_INFO(p7));
  if (!info) throw fail(source, ": not a timestamp token (", openssl_errors(), ")");
  TrustedTime t;
  const ASN1_GENERALIZEDTIME* when = TS_TST_INFO_get_time(info.get());
  if (!when) throw fail(source, ": timestamp token without a time");
  read_time(when, t, source);
  if (TS_ACCURACY* a = TS_TST_INFO_get_accuracy(info.get())) {
    const int64_t s = integer_or(TS_ACCURACY_get_seconds(a), 0), ms = integer_or(TS_ACCURACY_get_millis(a), 0),
                  us = integer_or(TS_ACCURACY_get_micros(a), 0);
    if (s < 0 || s > 1000000000 || ms < 0 || ms > 999 || us < 0 || us > 999)
      throw fail(source, ": timestamp token: accuracy out of range");
    t.accuracy_us = s * 1000000 + ms * 1000 + us;
  }
  if (const ASN1_INTEGER* serial = TS_TST_INFO_get_serial(info.get())) {
    Bignum bn(ASN1_INTEGER_to_BN(serial, nullptr));
    if (bn) {
      char* h = BN_bn2hex(bn.get());
      t.serial = h ? h : "";
      OPENSSL_free(h);
    }
  }
  TS_MSG_IMPRINT* imprint = TS_TST_INFO_get_msg_imprint(info.get());
  const X509_ALGOR* algo = imprint ? TS_MSG_IMPRINT_get_algo(imprint) : nullptr;
  const ASN1_OCTET_STRING* msg = imprint ? TS_MSG_IMPRINT_get_msg(imprint) : nullptr;
  if (!algo || !msg || OBJ_obj2nid(algo->algorithm) != NID_sha256 || ASN1_STRING_length(msg) != 32)
    throw fail(source, ": timestamp token: the imprint is not a SHA-256 digest");
  std::memcpy(t.imprint.data(), ASN1_STRING_get0_data(msg), 32);
  t.tsa = signer_subject(p7, nullptr);
  ERR_clear_error();
  return t;
}

// Every certificate in a PEM file; none at all is an error.
Certs load_certificates(const std::string& path) {
  const std::string pem = read_file(path);
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Certs certs(sk_X509_new_null());
  while (X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) sk_X509_push(certs.get(), c);
  ERR_clear_error();  // the end of the file reads as an error
  if (sk_X509_num(certs.get()) == 0) throw fail(path, ": no PEM certificate in the file");
  return certs;
}
}  // namespace

Digest claim_digest(const Claim& c) {
  const std::string message = claim_message(c);
  std::string bytes("nullmark-claim-digest-v1", 24);
  bytes += '\0';
  for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>((message.size() >> shift) & 255);
  bytes += message;
  bytes.append(reinterpret_cast<const char*>(c.signature.data()), c.signature.size());
  bytes.append(reinterpret_cast<const char*>(c.public_key.data()), c.public_key.size());
  return sha256(bytes);
}

std::string timestamp_request(const Claim& c) {
  const Digest d = claim_digest(c);
  Req req(TS_REQ_new());
  Imprint imprint(TS_MSG_IMPRINT_new());
  Algor algo(X509_ALGOR_new());
  unsigned char nonce_bytes[8];
  NM_CHECK(req && imprint && algo && RAND_bytes(nonce_bytes, sizeof nonce_bytes) == 1,
           "cannot build the timestamp request: ", openssl_errors());
  X509_ALGOR_set0(algo.get(), OBJ_nid2obj(NID_sha256), V_ASN1_NULL, nullptr);
  Bignum nonce_bn(BN_bin2bn(nonce_bytes, sizeof nonce_bytes, nullptr));
  Integer nonce(nonce_bn ? BN_to_ASN1_INTEGER(nonce_bn.get(), nullptr) : nullptr);
  // The setters copy their arguments.
  const bool ok = nonce && TS_REQ_set_version(req.get(), 1) && TS_MSG_IMPRINT_set_algo(imprint.get(), algo.get()) &&
                  TS_MSG_IMPRINT_set_msg(imprint.get(), const_cast<unsigned char*>(d.data()), 32) &&
                  TS_REQ_set_msg_imprint(req.get(), imprint.get()) && TS_REQ_set_nonce(req.get(), nonce.get()) &&
                  TS_REQ_set_cert_req(req.get(), 1);
  NM_CHECK(ok, "cannot build the timestamp request: ", openssl_errors());
  unsigned char* buf = nullptr;
  const int len = i2d_TS_REQ(req.get(), &buf);
  NM_CHECK(len > 0, "cannot encode the timestamp request: ", openssl_errors());
  std::string out(reinterpret_cast<char*>(buf), static_cast<size_t>(len));
  OPENSSL_free(buf);
  return out;
}

std::string token_from_reply(const std::string& reply_der, const std::string& source) {
  ERR_clear_error();
  const unsigned char* p = reinterpret_cast<const unsigned char*>(reply_der.data());
  Resp resp(d2i_TS_RESP(nullptr, &p, static_cast<long>(reply_der.size())));
  if (!resp || p != reinterpret_cast<const unsigned char*>(reply_der.data()) + reply_der.size()) {
    ERR_clear_error();
    throw fail(source, ": not a timestamp reply (not one DER-encoded RFC 3161 TimeStampResp)");
  }
  TS_STATUS_INFO* status = TS_RESP_get_status_info(resp.get());
  const int64_t code = integer_or(status ? TS_STATUS_INFO_get0_status(status) : nullptr, -1);
  if (code != 0 && code != 1) {
    std::string text;
    if (const STACK_OF(ASN1_UTF8STRING)* t = status ? TS_STATUS_INFO_get0_text(status) : nullptr)
      for (int i = 0; i < sk_ASN1_UTF8STRING_num(t); ++i) {
        const ASN1_UTF8STRING* s = sk_ASN1_UTF8STRING_value(t, i);
        text += std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                            static_cast<size_t>(ASN1_STRING_length(s)));
      }
    throw fail(source, ": the timestamp authority did not grant the request (status ", code,
               text.empty() ? "" : ": " + text, ")");
  }
  PKCS7* token = TS_RESP_get_token(resp.get());
  if (!token) throw fail(source, ": the timestamp reply is granted but holds no token");
  return der_of_token(token);
}

TrustedTime inspect_timestamp_token(const std::string& token_der, const std::string& source) {
  Pkcs7 p7 = parse_token(token_der, source);
  return read_token(p7.get(), source);
}

TrustedTime verify_timestamp_token(const std::string& token_der, const Digest& digest, const std::string& tsa_certs_pem,
                                   const std::string& source) {
  Pkcs7 p7 = parse_token(token_der, source);
  TrustedTime t = read_token(p7.get(), source);
  if (t.imprint != digest)
    throw fail(source, ": the timestamp token covers another document (imprint ", to_hex(t.imprint), ", claim digest ",
               to_hex(digest), ")");
  Certs trusted = load_certificates(tsa_certs_pem);
  X509_STORE* store = X509_STORE_new();
  NM_CHECK(store, "cannot make a certificate store: ", openssl_errors());
  VerifyCtx ctx(TS_VERIFY_CTX_new());
  if (!ctx) {
    X509_STORE_free(store);
    throw fail("cannot make a timestamp verification context: ", openssl_errors());
  }
  TS_VERIFY_CTX_set_store(ctx.get(), store);  // the context owns the store from here
  // A certificate in the file is a trust anchor even when it is not self-signed: pinning the TSA's
  // own certificate must be enough.
  X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
  Certs untrusted(sk_X509_new_null());
  for (int i = 0; i < sk_X509_num(trusted.get()); ++i) {
    X509* c = sk_X509_value(trusted.get(), i);
    X509_STORE_add_cert(store, c);
    X509_up_ref(c);
    sk_X509_push(untrusted.get(), c);  // also offered as the signer, for tokens that do not carry it
  }
  TS_VERIFY_CTX_set_certs(ctx.get(), untrusted.release());
  auto* imprint = static_cast<unsigned char*>(OPENSSL_malloc(digest.size()));
  NM_CHECK(imprint, "out of memory");
  std::memcpy(imprint, digest.data(), digest.size());
  TS_VERIFY_CTX_set_imprint(ctx.get(), imprint, static_cast<long>(digest.size()));
  TS_VERIFY_CTX_set_flags(ctx.get(), TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_IMPRINT);
  ERR_clear_error();
  if (TS_RESP_verify_token(ctx.get(), p7.get()) != 1)
    throw fail(source, ": the timestamp token does not verify against the TSA certificates in ", tsa_certs_pem, " (",
               openssl_errors(), ")");
  // The name of the certificate the signature was checked with: the trusted file's copy where it
  // has one, since the copy inside the token lies outside the signature.
  t.tsa = signer_subject(p7.get(), trusted.get());
  return t;
}

std::string to_base64(const std::string& bytes) {
  ensure_sodium();
  const size_t cap = sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  std::string out(cap, '\0');
  sodium_bin2base64(out.data(), cap, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::string from_base64(const std::string& text, const std::string& what) {
  ensure_sodium();
  std::string out(text.size() / 4 * 3 + 3, '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                        &len, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size())
    throw fail(what, ": not base64");
  out.resize(len);
  return out;
}

}  // namespace nullmark
