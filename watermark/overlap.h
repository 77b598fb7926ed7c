// Where two watermarks' patterns meet. A pirate's null embedding asks the model to ignore its
// pattern's ±λ values, the owner's true embedding to answer y_W to the owner's inverted pattern:
// where the squares overlap and the bits differ, the two embeddings ask opposite things of the
// same stamped pixels. The piracy driver reports this geometry per pirate key so that a sweep over
// keys can be read against it (docs/research-leads.md).
#pragma once
#include "watermark/derivation.h"

namespace nullmark {

struct PatternOverlap {
  int pixels = 0;    // image positions (row, col) both patterns stamp
  int agreeing = 0;  // of those, where both bits are equal: the null stamps agree, as do the true stamps
  int conflicting() const { return pixels - agreeing; }  // one's null stamp is the other's true stamp
};

// Both watermarks must be for the same input height and width; the pattern sizes may differ.
PatternOverlap pattern_overlap(const Watermark& a, const Watermark& b);

}  // namespace nullmark
