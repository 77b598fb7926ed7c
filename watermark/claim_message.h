// What a claim's signature covers (docs/watermark.md, "Spec v2: the signed message").
//   v1: the verifier string's UTF-8 bytes alone; n, lambda and the space are unsigned.
//   v2: one canonical byte string binding everything that shapes the watermark:
//     "nullmark-claim-v2" 0x00
//     BE32(len) verifier          (UTF-8, len in bytes)
//     BE32(n)
//     BE32(float32 bits of lambda)
//     BE32(len) space             ("normalized" or "raw")
//     BE32(C) BE32(H) BE32(W)     (the model's input shape)
//     BE32(K)                     (its number of classes)
// Length prefixes and fixed-width fields make the encoding injective: no two parameter sets give
// the same bytes, so a signature made for one cannot be replayed with edited parameters.
#pragma once
#include <string>

namespace nullmark {

struct Claim;

std::string claim_message(const Claim& c);

}  // namespace nullmark
