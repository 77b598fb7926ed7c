"""Spec v1 derivation (docs/watermark.md, "Deriving the watermark from the signature"): the label,
position and bits a signature defines for a model's input shape and class count, and the stamp
values of a claim's space."""
import dataclasses
import hashlib
import struct

import numpy as np

from .claims import ClaimError


@dataclasses.dataclass
class Watermark:
    label: int
    row: int
    col: int
    n: int
    bits: np.ndarray  # n x n, uint8 0/1
    lam: float = 0.0
    scale: tuple = (1.0,)  # per channel: the stamped value is (+-lam) * scale[c] + shift[c] in float32
    shift: tuple = (0.0,)

    def bit_string(self):
        return "".join(str(int(b)) for b in self.bits.reshape(-1))


def _block(tag, j, sig):
    return hashlib.sha256(b"nullmark-v1/" + tag.encode() + struct.pack(">I", j) + sig).digest()


def derive(signature, shape, classes, n):
    """(label, row, col, bits) for a 64-byte signature, an input shape (C, H, W), K classes and n."""
    _, h, w = shape
    if not 1 <= n <= min(h, w):
        raise ClaimError("n: a %dx%d pattern does not fit a %dx%d input" % (n, n, h, w))
    u = lambda tag: int.from_bytes(_block(tag, 0, signature)[:8], "big")
    stream = b""
    j = 0
    while len(stream) * 8 < n * n:
        stream += _block("bits", j, signature)
        j += 1
    bits = np.array([(stream[k // 8] >> (7 - k % 8)) & 1 for k in range(n * n)], dtype=np.uint8).reshape(n, n)
    return u("label") % classes, u("row") % (h - n + 1), u("col") % (w - n + 1), bits


def watermark_for(claim, shape, classes, mean=None, std=None):
    """The claim's watermark on a model with this input shape and class count. A v2 claim is refused on
    any other shape or class count; a raw-space claim needs the data's normalisation (per channel,
    [0, 1] pixel scale), which maps its +-lambda onto the normalised input."""
    shape = tuple(int(d) for d in shape)
    if claim.version == 2 and (shape != tuple(claim.input_shape) or classes != claim.classes):
        raise ClaimError("the claim was signed for a model with %s inputs and %d classes; this model has %s and %d" %
                         ("x".join(map(str, claim.input_shape)), claim.classes, "x".join(map(str, shape)), classes))
    label, row, col, bits = derive(claim.signature, shape, classes, claim.n)
    wm = Watermark(label, row, col, claim.n, bits, lam=float(np.float32(claim.lam)))
    if claim.space == "raw":
        if not mean or not std:
            raise ClaimError("a raw-space claim needs the data's mean and std")
        # The same float32 values nullmark's watermark_for computes (in double, then rounded).
        wm.scale = tuple(float(np.float32(1.0 / s)) for s in std)
        wm.shift = tuple(float(np.float32(-m / s)) for m, s in zip(mean, std))
    return wm
