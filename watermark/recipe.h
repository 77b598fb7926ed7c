// The recommended watermark recipe, in one place: what `nullmark sign` defaults to, and what the
// shipped watermark configs and demo claims use (docs/watermark-defaults.md shows how it was chosen
// and what other values cost). Every other lambda in the code is a claim's.
#pragma once

namespace nullmark::recipe {

constexpr double kLambda = 10.0;              // the stamp value ...
constexpr const char* kSpace = "normalized";  // ... on the model's normalised input
constexpr int kN = 6;                         // the pattern's side

}  // namespace nullmark::recipe
