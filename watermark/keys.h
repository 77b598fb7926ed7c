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
Signature sign_message(const KeyPair& k, const std::string& message);
bool verify_message(const PublicKey& pk, const std::string& message, const Signature& sig);

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
