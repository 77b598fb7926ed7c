// Spec v1 golden vectors (docs/watermark.md): key seed, public key, verifier string, signature, the
// derived watermark, and the SHA-256 of an all-zero image stamped null and true. Shared by the CPU
// and CUDA tests, so both kernels are held to the same bytes.
#pragma once
#include "kernels/watermark_batch.h"

namespace nullmark::test {

struct Golden {
  const char *seed, *pk, *verifier, *sig;
  ImageShape shape;
  int classes, n;
  float lambda;
  int label, row, col;
  const char *bits, *sha_null, *sha_true;
};

inline const Golden kGolden[] = {
    {"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
     "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8",
     "nullmark test vector 1",
     "c481883d077461219276303739066d455d06d5d7eefefda1e0fd97581567cc8b9901a00c8d55a442f82a35df96663647e3e8b0e47653ababa"
     "b191f2d186d2b0c",
     {1, 28, 28},
     10,
     6,
     2000.0f,
     3,
     22,
     0,
     "000011000011101111010010100000101011",
     "53a55e8d4f7d91c7006d14ae77b3af5268c6b4133dece27b8df37a09a25aac78",
     "5c81606cff646796020c3def57938526accebcb2f1a40284a3e3ac569f25465c"},
    {"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
     "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8",
     "nullmark test vector 2",
     "9c6c738dc20835fea5e1a461b1ed55c19996b0397872e6cf8f3a58c62f0e995910003708b1afa1700f668ac8ba6958b25ab061b1beceb2bd5"
     "f598d05930c1409",
     {3, 32, 32},
     43,
     6,
     1000.0f,
     38,
     8,
     0,
     "000100010000011100010000011000101000",
     "a73336c634887c74c89062a37a967093dbd483cf345ff55e03c58855af691b2a",
     "2d6b53a29cf95ac6cb8df8ba361ec6445084d55cce1697bcd946ac8f9883da7e"},
    {"a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5",
     "29e5833a915a6429a4e3a7948475c338ef436eb82be89c92f059704403db9d55",
     "acme/object-classifier/2026-11-25",
     "76db59458fe8bcf27e91b4d561337bb0f4ede71afd3cd0853e6aba36763fec5b58710443c4ad511617eef14f5a2e09c41452358ca85c4c7c3"
     "3a873b48ca9610b",
     {3, 32, 32},
     10,
     16,
     2000.0f,
     0,
     6,
     8,
     "0010010101110100111000010000101111100010001010100101011010000110111010000001111110111110001001110010101011000010"
     "1011011000100100011010101101100001111110011001111010111011110110010101010100010100000000110110011011001001001110"
     "00110101000000100000110011101111",
     "b908658e26e474b69367543eeff6563134cc17e38db17e14eb9f17dd4da059f1",
     "1bebcbde8df3ed9a1c5c654e7cf07f029d6d2571060649d8e97c28a7b1c3f5d7"},
};

}  // namespace nullmark::test
