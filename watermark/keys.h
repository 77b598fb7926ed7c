// Ed25519 keys (libsodium) and their files. The secret key file holds the 32-byte seed, is created
// with mode 0600 and refused on load if group or others can read it; the public key file is meant
// to be shared. Both are small JSON documents with a format tag and hex fields, checked for
// length and encoding on load.
#pragma once
#include <array>
#include <cstdint>
#include <string>

namespace nullmark {

using Seed = std::array<uint8_t, 32>;
using PublicKey = std::array<uint8_t, 32>;
using Signature = std::array<uint8_t, 64>;

struct KeyPair {
  Seed seed;
  PublicKey public_key;
};

KeyPair generate_keypair();
KeyPair keypair_from_seed(const Seed& seed);
// A reproducible key pair whose seed is SHA-256(tag): the never-embedded keys of verification, the
// pirate's and the forger's keys in experiments. Never an owner's key.
KeyPair derived_keypair(const std::string& tag);
Signature sign_message(const KeyPair& k, const std::string& message);
bool verify_message(const PublicKey& pk, const std::string& message, const Signature& sig);

// A key expanded once for signing many messages: sign_message re-derives the expanded key on every
// call, which doubles the cost of a signature; a forger grinding signatures would not pay that.
class SigningKey {
 public:
  explicit SigningKey(const KeyPair& k);
  ~SigningKey();
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;
  Signature sign(const std::string& message) const;
  const PublicKey& public_key() const { return pk_; }

 private:
  PublicKey pk_{};
  std::array<uint8_t, 64> sk_{};
};

// Writes PATH.key (0600) and PATH.pub; refuses to overwrite existing files.
void save_keypair(const KeyPair& k, const std::string& base);
KeyPair load_secret_key(const std::string& path);
PublicKey load_public_key(const std::string& path);

// Hex helpers that name the field and the expected length on error.
template <size_t N>
std::array<uint8_t, N> parse_hex(const std::string& hex, const std::string& what);
std::string hex(const uint8_t* data, size_t size);
template <size_t N>
std::string hex(const std::array<uint8_t, N>& a) {
  return hex(a.data(), N);
}

}  // namespace nullmark
