#include "watermark/keys.h"

#include <cstdint>
#include <sodium.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/files.h"
#include "common/sha256.h"

namespace nullmark {

std::string hex(const uint8_t* data, size_t size) { return to_hex(data, size); }

template <size_t N>
std::array<uint8_t, N> parse_hex(const std::string& h, const std::string& what) {
  std::array<uint8_t, N> out{};
  if (h.size() != 2 * N)
    throw fail(what, ": expected ", 2 * N, " hex digits (", N, " bytes), got ", h.size(), " characters");
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(out.data(), N, h.c_str(), h.size(), nullptr, &len, &end) != 0 || len != N ||
      end != h.c_str() + h.size())
    throw fail(what, ": not valid hexadecimal");
  return out;
}
template std::array<uint8_t, 32> parse_hex<32>(const std::string&, const std::string&);
template std::array<uint8_t, 64> parse_hex<64>(const std::string&, const std::string&);

KeyPair keypair_from_seed(const Seed& seed) {
  ensure_sodium();
  KeyPair k;
  k.seed = seed;
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_seed_keypair(k.public_key.data(), sk, seed.data());
  sodium_memzero(sk, sizeof sk);
  return k;
}

KeyPair generate_keypair() {
  ensure_sodium();
  Seed seed;
  randombytes_buf(seed.data(), seed.size());
  return keypair_from_seed(seed);
}

KeyPair derived_keypair(const std::string& tag) {
  const Digest d = sha256(tag);
  Seed s;
  std::copy(d.begin(), d.end(), s.begin());
  return keypair_from_seed(s);
}

Signature sign_message(const KeyPair& k, const std::string& message) {
  ensure_sodium();
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_seed_keypair(pk, sk, k.seed.data());
  Signature sig;
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(message.data()), message.size(), sk);
  sodium_memzero(sk, sizeof sk);
  return sig;
}

SigningKey::SigningKey(const KeyPair& k) {
  ensure_sodium();
  crypto_sign_seed_keypair(pk_.data(), sk_.data(), k.seed.data());
}

SigningKey::~SigningKey() { sodium_memzero(sk_.data(), sk_.size()); }

Signature SigningKey::sign(const std::string& message) const {
  Signature sig;
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       sk_.data());
  return sig;
}

bool verify_message(const PublicKey& pk, const std::string& message, const Signature& sig) {
  ensure_sodium();
  return crypto_sign_verify_detached(sig.data(), reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                                     pk.data()) == 0;
}

void save_keypair(const KeyPair& k, const std::string& base) {
  const std::string sec = base + ".key", pub = base + ".pub";
  for (const auto& p : {sec, pub})
    if (file_exists(p)) throw fail(p, ": already exists; refusing to overwrite a key file");
  nlohmann::json s = {{"format", "nullmark-secret-key"},
                      {"version", 1},
                      {"algorithm", "ed25519"},
                      {"seed", hex(k.seed)},
                      {"public_key", hex(k.public_key)}};
  nlohmann::json p = {
      {"format", "nullmark-public-key"}, {"version", 1}, {"algorithm", "ed25519"}, {"public_key", hex(k.public_key)}};
  write_file_atomic(sec, s.dump(2) + "\n", 0600);
  write_file_atomic(pub, p.dump(2) + "\n", 0644);
}

namespace {
nlohmann::json load_key_json(const std::string& path, const std::string& format) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception&) {
    throw fail(path, ": not a nullmark key file (not JSON)");
  }
  // Comparisons only: json::value() throws its own exception when a field has another type.
  const auto tag = [&](const char* key) { return j.is_object() && j.contains(key) ? j.at(key).dump() : "none"; };
  if (!j.is_object() || !j.contains("format") || j.at("format") != format)
    throw fail(path, ": not a ", format, " file (format tag is ", tag("format"), ")");
  if (!j.contains("version") || j.at("version") != 1)
    throw fail(path, ": unsupported key file version ", tag("version"));
  if (!j.contains("algorithm") || j.at("algorithm") != "ed25519")
    throw fail(path, ": unsupported algorithm ", tag("algorithm"), " (expected \"ed25519\")");
  return j;
}
std::string field(const nlohmann::json& j, const std::string& path, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) throw fail(path, ": missing field \"", key, "\"");
  return j[key].get<std::string>();
}
}  // namespace

KeyPair load_secret_key(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw fail(path, ": cannot open secret key file");
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    throw fail(path, ": secret key file permissions ", mode,
               " are too open (group or others can access it); run: chmod 600 ", path);
  }
  const nlohmann::json j = load_key_json(path, "nullmark-secret-key");
  const Seed seed = parse_hex<32>(field(j, path, "seed"), path + ": seed");
  KeyPair k = keypair_from_seed(seed);
  if (j.contains("public_key") && parse_hex<32>(field(j, path, "public_key"), path + ": public_key") != k.public_key)
    throw fail(path, ": public_key does not belong to the seed (the file is damaged)");
  return k;
}

PublicKey load_public_key(const std::string& path) {
  const nlohmann::json j = load_key_json(path, "nullmark-public-key");
  return parse_hex<32>(field(j, path, "public_key"), path + ": public_key");
}

}  // namespace nullmark
