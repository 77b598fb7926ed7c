"""The nullmark watermark spec (docs/watermark.md) in Python, for training loops outside nullmark.

    from nullmark_spec import load_claim, watermark_for, stamp
    claim = load_claim("claim.json")                      # strict, signature checked
    wm = watermark_for(claim, (1, 28, 28), 10)            # label, position, bits, stamp values
    x_null = stamp(x, wm)                                 # null-stamped copy: labels unchanged
    x_true = stamp(x, wm, invert=True)                    # true-stamped copy: label wm.label

Claims, derivation and stamping give the bytes nullmark's C++ gives; the golden vectors of
tests/spec/ are checked by both test suites.
"""
from .claims import Claim, ClaimError, claim_digest, claim_message, load_claim, parse_claim, sign_claim, save_claim
from .derive import Watermark, derive, watermark_for
from .stamp import stamp

__all__ = ["Claim", "ClaimError", "Watermark", "claim_digest", "claim_message", "derive", "load_claim",
           "parse_claim", "save_claim", "sign_claim", "stamp", "watermark_for"]
