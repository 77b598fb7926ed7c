// SHA-256 through libsodium: checkpoint checksums, model hashes in certificates, spec-v1 derivation.
#pragma once
#include <array>
#include <cstdint>
#include <string>

namespace nullmark {

using Digest = std::array<uint8_t, 32>;
Digest sha256(const void* data, size_t size);
inline Digest sha256(const std::string& s) { return sha256(s.data(), s.size()); }
std::string to_hex(const uint8_t* data, size_t size);
inline std::string to_hex(const Digest& d) { return to_hex(d.data(), d.size()); }
// Initialises libsodium once; safe to call from anywhere.
void ensure_sodium();

}  // namespace nullmark
