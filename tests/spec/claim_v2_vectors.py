#!/usr/bin/env python3
"""Spec v2 golden vectors from an implementation independent of nullmark's C++ (Python's hashlib
and the `cryptography` package's Ed25519): the canonical signed message of each claim, its
signature, the watermark derived from it, and the claim digest an RFC 3161 timestamp covers.

Usage: python3 tests/spec/claim_v2_vectors.py [--header PATH] [--markdown PATH]
Writes tests/watermark_golden_v2.h (which the test suite checks the C++ code against),
tests/spec/claim_v2_vectors.json (which the Python package's tests check it against) and the
vectors' section of docs/watermark.md (between its `BEGIN generated: claim-v2-vectors` markers).
"""
import argparse
import hashlib
import json
import os
import re
import struct
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

VECTORS = [
    dict(seed="000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
         verifier="nullmark test vector 1", n=6, lam=10.0, space="normalized", shape=(1, 28, 28), classes=10),
    dict(seed="000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
         verifier="nullmark test vector 2", n=6, lam=100.0, space="raw", shape=(3, 32, 32), classes=43),
    dict(seed="a5" * 32, verifier="acme/object-classifier/Zürich", n=16, lam=0.5, space="normalized",
         shape=(3, 32, 32), classes=10),
]


def be32(v):
    return struct.pack(">I", v)


def message(v):
    text = lambda s: be32(len(s.encode())) + s.encode()
    lam_bits = struct.unpack(">I", struct.pack(">f", v["lam"]))[0]
    assert struct.unpack(">f", struct.pack(">f", v["lam"]))[0] == v["lam"], "lambda must be a float32 value"
    return (b"nullmark-claim-v2\x00" + text(v["verifier"]) + be32(v["n"]) + be32(lam_bits) + text(v["space"]) +
            b"".join(be32(d) for d in v["shape"]) + be32(v["classes"]))


def derive(sig, shape, classes, n):
    block = lambda tag, j: hashlib.sha256(b"nullmark-v1/" + tag.encode() + be32(j) + sig).digest()
    u = lambda tag: int.from_bytes(block(tag, 0)[:8], "big")
    _, h, w = shape
    stream = b""
    j = 0
    while len(stream) * 8 < n * n:
        stream += block("bits", j)
        j += 1
    bits = "".join(str((stream[k // 8] >> (7 - k % 8)) & 1) for k in range(n * n))
    return u("label") % classes, u("row") % (h - n + 1), u("col") % (w - n + 1), bits


def compute(v):
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(v["seed"]))
    pk = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    m = message(v)
    sig = key.sign(m)
    label, row, col, bits = derive(sig, v["shape"], v["classes"], v["n"])
    # The claim digest an RFC 3161 timestamp covers (watermark/timestamp.h).
    digest = hashlib.sha256(b"nullmark-claim-digest-v1\x00" + be32(len(m)) + m + sig + pk).hexdigest()
    return dict(v, pk=pk.hex(), message=m.hex(), sig=sig.hex(), label=label, row=row, col=col, bits=bits,
                digest=digest)


def cstr(s, width=100):
    return "\n     ".join('"%s"' % s[i:i + width] for i in range(0, len(s), width))


def header(vs):
    out = ["// Spec v2 golden vectors (docs/watermark.md), written by tests/spec/claim_v2_vectors.py from an",
           "// implementation independent of this code base (Python hashlib and cryptography's Ed25519).",
           "#pragma once", "", "namespace nullmark::test {", "", "struct GoldenV2 {",
           "  const char *seed, *pk, *verifier;", "  int n;", "  double lambda;", "  const char* space;",
           "  int c, h, w, classes;", "  const char *message, *sig;", "  int label, row, col;", "  const char* bits;",
           "  const char* digest;", "};", "", "inline const GoldenV2 kGoldenV2[] = {"]
    for v in vs:
        # Non-ASCII bytes as \xHH, each closing the literal so that a following hex digit is not read
        # as part of the escape ("\xc3" "\xbc" "rich").
        verifier = "".join(ch if ord(ch) < 128 else "".join('\\x%02x" "' % b for b in ch.encode()) for ch in v["verifier"])
        out.append("    {%s,\n     %s,\n     \"%s\",\n     %d, %r, \"%s\", %d, %d, %d, %d,\n     %s,\n     %s,\n"
                   "     %d, %d, %d,\n     %s,\n     %s}," % (cstr(v["seed"]), cstr(v["pk"]), verifier, v["n"], v["lam"],
                                                   v["space"], *v["shape"], v["classes"], cstr(v["message"]),
                                                   cstr(v["sig"]), v["label"], v["row"], v["col"], cstr(v["bits"]),
                                                   cstr(v["digest"])))
    out += ["};", "", "}  // namespace nullmark::test", ""]
    return "\n".join(out)


def markdown(vs):
    out = []
    for i, v in enumerate(vs, 1):
        out += ["#### Vector %d" % i, "",
                "- seed_hex: `%s`" % v["seed"], "- public_key_hex: `%s`" % v["pk"],
                "- verifier: `%s`" % v["verifier"], "- n: `%d`, lambda: `%r`, space: `%s`" % (v["n"], v["lam"], v["space"]),
                "- input_shape: `[%d, %d, %d]`, classes: `%d`" % (*v["shape"], v["classes"]),
                "- message_hex: `%s`" % v["message"], "- signature_hex: `%s`" % v["sig"],
                "- label: `%d`, row: `%d`, col: `%d`" % (v["label"], v["row"], v["col"]),
                "- bits: `%s`" % v["bits"], "- claim digest (timestamped): `%s`" % v["digest"], ""]
    return "\n".join(out).rstrip("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--header", default=os.path.join(ROOT, "tests", "watermark_golden_v2.h"))
    ap.add_argument("--markdown", default=os.path.join(ROOT, "docs", "watermark.md"))
    args = ap.parse_args()
    vs = [compute(v) for v in VECTORS]
    with open(args.header, "w") as f:
        f.write(header(vs))
    with open(os.path.join(ROOT, "tests", "spec", "claim_v2_vectors.json"), "w") as f:
        json.dump([dict(v, shape=list(v["shape"])) for v in vs], f, indent=1, ensure_ascii=False)
        f.write("\n")
    doc = open(args.markdown).read()
    begin, end = "<!-- BEGIN generated: claim-v2-vectors -->", "<!-- END generated: claim-v2-vectors -->"
    if begin not in doc or end not in doc:
        sys.exit("%s: no %s ... %s block to fill" % (args.markdown, begin, end))
    doc = re.sub(re.escape(begin) + ".*?" + re.escape(end),
                 lambda _: "%s\n%s\n%s" % (begin, markdown(vs), end), doc, flags=re.S)
    with open(args.markdown, "w") as f:
        f.write(doc)
    print("wrote %s and the vectors in %s" % (args.header, args.markdown))


if __name__ == "__main__":
    main()
