"""Claim files (spec v1 and v2): strict reading, the signed message, signing and the claim digest.
The rules are nullmark's (watermark/claim.cpp): unknown fields, wrong types, out-of-range or
fractional integers and a lambda that is not a finite positive float32 value are refused, naming
the field; a v2 claim's lambda must be the exact float32 value it signs."""
import base64
import binascii
import dataclasses
import hashlib
import json
import math
import struct

import nacl.exceptions
import nacl.signing

MAX_N, MAX_DIM, MAX_CLASSES = 1024, 65536, 1 << 20
FLT_MIN, FLT_MAX = 1.1754943508222875e-38, 3.4028234663852886e38
V1_FIELDS = {"format", "version", "spec", "verifier", "signature", "public_key", "n", "lambda", "space", "timestamp"}
V2_FIELDS = V1_FIELDS | {"input_shape", "classes"}


class ClaimError(ValueError):
    """A claim that cannot be used; the message names the file and the field."""


@dataclasses.dataclass
class Claim:
    version: int
    verifier: str
    signature: bytes
    public_key: bytes
    n: int
    lam: float
    space: str = "normalized"
    input_shape: tuple = ()
    classes: int = 0
    timestamp: bytes = b""  # an RFC 3161 token over the claim digest (checked by nullmark, carried here)

    def signature_valid(self):
        try:
            nacl.signing.VerifyKey(self.public_key).verify(claim_message(self), self.signature)
            return True
        except (nacl.exceptions.BadSignatureError, ValueError):
            return False


def _f32(x):
    """x rounded to float32 (an overflow is infinite, as in C)."""
    try:
        return struct.unpack(">f", struct.pack(">f", x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


def claim_message(c):
    """The bytes the claim's signature covers (docs/watermark.md, "Spec v2: the signed message")."""
    if c.version == 1:
        return c.verifier.encode()
    be32 = lambda v: struct.pack(">I", v)
    text = lambda s: be32(len(s.encode())) + s.encode()
    return (b"nullmark-claim-v2\x00" + text(c.verifier) + be32(c.n) + struct.pack(">f", c.lam) + text(c.space) +
            b"".join(be32(d) for d in c.input_shape) + be32(c.classes))


def claim_digest(c):
    """SHA-256 the claim's RFC 3161 timestamp covers (watermark/timestamp.h)."""
    m = claim_message(c)
    return hashlib.sha256(b"nullmark-claim-digest-v1\x00" + struct.pack(">I", len(m)) + m + c.signature +
                          c.public_key).digest()


def _problem(c):
    if not c.verifier:
        return "verifier: must not be empty"
    if c.space not in ("normalized", "raw"):
        return 'space: must be "normalized" or "raw", got "%s"' % c.space
    if not 1 <= c.n <= MAX_N:
        return "n: must be in [1, %d], got %d" % (MAX_N, c.n)
    if not (math.isfinite(c.lam) and c.lam > 0 and FLT_MIN <= _f32(c.lam) <= FLT_MAX):
        return "lambda: must be a positive number representable in float32"
    if c.version == 1:
        return ""
    if _f32(c.lam) != c.lam:
        return "lambda: a v2 claim holds the exact float32 value it signs, and this value is not one"
    if len(c.input_shape) != 3 or not all(1 <= d <= MAX_DIM for d in c.input_shape):
        return "input_shape: must be [C, H, W], each in [1, %d]" % MAX_DIM
    if not 2 <= c.classes <= MAX_CLASSES:
        return "classes: must be in [2, %d], got %d" % (MAX_CLASSES, c.classes)
    if c.n > min(c.input_shape[1], c.input_shape[2]):
        return "n: the %dx%d pattern does not fit the %dx%d input" % (c.n, c.n, c.input_shape[1], c.input_shape[2])
    return ""


def _integer(j, name, lo, hi, source):
    v = j.get(name)
    if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
        raise ClaimError("%s: %s: must be an integer in [%d, %d], got %s" % (source, name, lo, hi, json.dumps(v)))
    return v


def _hex(j, name, size, source):
    v = j.get(name)
    try:
        if not isinstance(v, str) or len(v) != 2 * size:
            raise ValueError
        return binascii.unhexlify(v)
    except (ValueError, binascii.Error):
        raise ClaimError("%s: %s: expected %d hex digits (%d bytes)" % (source, name, 2 * size, size))


def parse_claim(text, source="claim", check_signature=True):
    """A Claim from a claim file's text; refuses what nullmark refuses, and (by default) a claim
    whose signature does not verify."""
    try:
        j = json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    except (ValueError, RecursionError):
        raise ClaimError("%s: not a nullmark claim (not JSON)" % source)
    if not isinstance(j, dict) or j.get("format") != "nullmark-claim":
        raise ClaimError("%s: not a nullmark claim file" % source)
    version, spec = j.get("version"), j.get("spec")
    if version == 1 and spec == "nullmark-v1" and not isinstance(version, bool):
        fields = V1_FIELDS
    elif version == 2 and spec == "nullmark-v2" and not isinstance(version, bool):
        fields = V2_FIELDS
    else:
        raise ClaimError("%s: unsupported claim version or derivation spec (known: v1/nullmark-v1, v2/nullmark-v2)"
                         % source)
    for key in j:
        if key not in fields:
            raise ClaimError('%s: unexpected field "%s" in a version-%d claim' % (source, key, version))
    verifier, space = j.get("verifier"), j.get("space", "normalized")
    lam = j.get("lambda")
    if not isinstance(verifier, str) or not isinstance(space, str):
        raise ClaimError("%s: verifier and space must be strings" % source)
    if not isinstance(lam, (int, float)) or isinstance(lam, bool):
        raise ClaimError("%s: lambda: must be a number, got %s" % (source, json.dumps(lam)))
    c = Claim(version=version, verifier=verifier, signature=_hex(j, "signature", 64, source),
              public_key=_hex(j, "public_key", 32, source), n=_integer(j, "n", 1, MAX_N, source), lam=float(lam),
              space=space)
    if version == 2:
        shape = j.get("input_shape")
        if not isinstance(shape, list) or len(shape) != 3:
            raise ClaimError("%s: input_shape: must be [C, H, W]" % source)
        c.input_shape = tuple(_integer({"input_shape[%d]" % i: d}, "input_shape[%d]" % i, 1, MAX_DIM, source)
                              for i, d in enumerate(shape))
        c.classes = _integer(j, "classes", 2, MAX_CLASSES, source)
    p = _problem(c)
    if p:
        raise ClaimError("%s: %s" % (source, p))
    if "timestamp" in j:
        t = j["timestamp"]
        try:
            if not isinstance(t, str):
                raise ValueError
            c.timestamp = base64.b64decode(t, validate=True)
        except (ValueError, binascii.Error):
            raise ClaimError("%s: timestamp: not base64" % source)
    if check_signature and not c.signature_valid():
        raise ClaimError("%s: claim rejected: the signature does not verify against the public key" % source)
    return c


def load_claim(path, check_signature=True):
    with open(path, encoding="utf-8") as f:
        return parse_claim(f.read(), path, check_signature)


def sign_claim(seed, verifier, n, lam, space, input_shape, classes):
    """A v2 claim signed with the Ed25519 key of this 32-byte seed (nullmark's secret key file holds it
    as `seed`). lam is rounded to float32, the value signed and stamped."""
    key = nacl.signing.SigningKey(bytes(seed))
    c = Claim(version=2, verifier=verifier, signature=b"", public_key=bytes(key.verify_key), n=int(n), lam=_f32(lam),
              space=space, input_shape=tuple(int(d) for d in input_shape), classes=int(classes))
    p = _problem(c)
    if p:
        raise ClaimError("cannot make the claim: " + p)
    c.signature = key.sign(claim_message(c)).signature
    return c


def claim_json(c):
    """The claim file's text, as nullmark writes it."""
    j = {"format": "nullmark-claim", "version": c.version, "spec": "nullmark-v%d" % c.version, "verifier": c.verifier,
         "signature": c.signature.hex(), "public_key": c.public_key.hex(), "n": c.n, "lambda": c.lam,
         "space": c.space}
    if c.version == 2:
        j["input_shape"], j["classes"] = list(c.input_shape), c.classes
    if c.timestamp:
        j["timestamp"] = base64.b64encode(c.timestamp).decode()
    return json.dumps(j, indent=2, ensure_ascii=False) + "\n"


def save_claim(c, path):
    """Writes a new claim file; an existing file is never replaced."""
    with open(path, "x", encoding="utf-8") as f:
        f.write(claim_json(c))
