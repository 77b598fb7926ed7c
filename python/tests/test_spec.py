"""nullmark_spec against the spec's golden vectors (tests/spec/claim_v2_vectors.json, written by the
independent implementation, and tests/watermark_golden.h, spec v1, which the C++ tests read too),
hostile claim files, and, where NULLMARK_BINARY names the nullmark binary, nullmark itself: claims
signed on either side load and derive the same watermark on the other."""
import hashlib
import json
import os
import re
import subprocess
import tempfile
import unittest

import nacl.signing
import numpy as np

from nullmark_spec import ClaimError, claim_digest, claim_message, derive, load_claim, parse_claim, save_claim
from nullmark_spec import sign_claim, stamp, watermark_for
from nullmark_spec.claims import Claim, claim_json

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
with open(os.path.join(ROOT, "tests", "spec", "claim_v2_vectors.json"), encoding="utf-8") as _f:
    V2 = json.load(_f)


def v1_vectors():
    """The spec-v1 vectors of tests/watermark_golden.h, read from its initialiser: each entry's fields in
    order, adjacent string literals joined as C joins them."""
    with open(os.path.join(ROOT, "tests", "watermark_golden.h"), encoding="utf-8") as f:
        text = f.read()
    body = text[text.index("kGolden[] = {") + len("kGolden[] = {"):text.rindex("};")]
    out = []
    for entry in re.findall(r'^    \{(.*?")\},$', body, re.S | re.M):
        fields, last_end = [], None
        for m in re.finditer(r'"([^"]*)"|\{([^{}]*)\}|(-?[0-9.]+)f?', entry):
            if m.group(1) is not None and fields and last_end is not None and isinstance(fields[-1], str) and \
                    entry[last_end:m.start()].strip() == "":
                fields[-1] += m.group(1)
            elif m.group(1) is not None:
                fields.append(m.group(1))
            elif m.group(2) is not None:
                fields.append(tuple(int(x) for x in m.group(2).split(",")))
            else:
                fields.append(float(m.group(3)))
            last_end = m.end()
        seed, pk, verifier, sig, shape, classes, n, lam, label, row, col, bits, sha_null, sha_true = fields
        out.append(dict(seed=seed, pk=pk, verifier=verifier, sig=sig, shape=shape, classes=int(classes), n=int(n),
                        lam=lam, label=int(label), row=int(row), col=int(col), bits=bits, sha_null=sha_null,
                        sha_true=sha_true))
    return out


class GoldenVectors(unittest.TestCase):
    def test_v2_message_signature_watermark_digest(self):
        for v in V2:
            with self.subTest(verifier=v["verifier"]):
                c = sign_claim(bytes.fromhex(v["seed"]), v["verifier"], v["n"], v["lam"], v["space"], v["shape"],
                               v["classes"])
                self.assertEqual(c.public_key.hex(), v["pk"])
                self.assertEqual(claim_message(c).hex(), v["message"])
                self.assertEqual(c.signature.hex(), v["sig"])
                self.assertEqual(claim_digest(c).hex(), v["digest"])
                wm = watermark_for(c, v["shape"], v["classes"], mean=[0.5] * 3, std=[0.25] * 3)
                self.assertEqual((wm.label, wm.row, wm.col, wm.bit_string()), (v["label"], v["row"], v["col"], v["bits"]))
                back = parse_claim(claim_json(c), "round trip")
                self.assertEqual(claim_json(back), claim_json(c))

    def test_v1_derivation_and_stamped_bytes(self):
        vectors = v1_vectors()
        self.assertEqual(len(vectors), 3)
        for v in vectors:
            with self.subTest(verifier=v["verifier"]):
                key = nacl.signing.SigningKey(bytes.fromhex(v["seed"]))
                self.assertEqual(bytes(key.verify_key).hex(), v["pk"])
                sig = key.sign(v["verifier"].encode()).signature
                self.assertEqual(sig.hex(), v["sig"])
                c = Claim(version=1, verifier=v["verifier"], signature=sig, public_key=bytes(key.verify_key), n=v["n"],
                          lam=v["lam"])
                self.assertTrue(c.signature_valid())
                wm = watermark_for(c, v["shape"], v["classes"])
                self.assertEqual((wm.label, wm.row, wm.col, wm.bit_string()), (v["label"], v["row"], v["col"], v["bits"]))
                zero = np.zeros(v["shape"], dtype=np.float32)
                sha = lambda a: hashlib.sha256(np.ascontiguousarray(a, dtype="<f4").tobytes()).hexdigest()
                self.assertEqual(sha(stamp(zero, wm)), v["sha_null"])
                self.assertEqual(sha(stamp(zero, wm, invert=True)), v["sha_true"])


def good_claim():
    return json.loads(claim_json(sign_claim(bytes(range(32)), "acme/digit/2026-12-06", 6, 10.0, "normalized",
                                            (1, 28, 28), 10)))


class HostileClaims(unittest.TestCase):
    def refused(self, edit, words):
        j = good_claim()
        edit(j)
        with self.assertRaises(ClaimError) as e:
            parse_claim(json.dumps(j), "c.json")
        self.assertIn(words, str(e.exception))

    def test_refused_with_the_field_named(self):
        parse_claim(json.dumps(good_claim()), "c.json")
        cases = [
            (lambda j: j.update(n=6.5), "n: must be an integer"),
            (lambda j: j.update(n="6"), "n: must be an integer"),
            (lambda j: j.update(n=-6), "n: must be an integer"),
            (lambda j: j.update(n=4294967316), "n: must be an integer"),
            (lambda j: j.update({"lambda": 1e-50}), "lambda: must be a positive number representable in float32"),
            (lambda j: j.update({"lambda": 1e300}), "lambda: must be a positive number representable in float32"),
            (lambda j: j.update({"lambda": -10}), "lambda: must be a positive number"),
            (lambda j: j.update({"lambda": "10"}), "lambda: must be a number"),
            (lambda j: j.update({"lambda": 0.1}), "holds the exact float32 value"),
            (lambda j: j.update(extra=1), 'unexpected field "extra"'),
            (lambda j: j.update(input_shape=[1, 28]), "input_shape: must be [C, H, W]"),
            (lambda j: j.update(classes=1), "classes: must be an integer in [2,"),
            (lambda j: j.update(signature="00"), "signature: expected 128 hex digits"),
            (lambda j: j.update({"lambda": 20.0}), "the signature does not verify"),
            (lambda j: j.update(verifier="acme/digit/2026-12-07"), "the signature does not verify"),
            (lambda j: j.update(timestamp="%%%"), "timestamp: not base64"),
            (lambda j: j.update(version=3), "unsupported claim version"),
            (lambda j: j.update(format="x"), "not a nullmark claim file"),
        ]
        for edit, words in cases:
            with self.subTest(words=words):
                self.refused(edit, words)
        for text in ["", "[1]", "{", "NaN", '{"format": "nullmark-claim", "version": true, "spec": "nullmark-v1"}']:
            with self.subTest(text=text), self.assertRaises(ClaimError):
                parse_claim(text, "c.json")

    def test_mutated_files_are_refused_with_claim_error_only(self):
        # Random byte edits of a good claim file: each parses or raises ClaimError, never anything else.
        import random
        text = claim_json(parse_claim(json.dumps(good_claim()), "c.json"))
        rng = random.Random(7)
        for _ in range(500):
            b = bytearray(text.encode())
            for _ in range(rng.randint(1, 4)):
                i = rng.randrange(len(b))
                op = rng.randrange(3)
                if op == 0:
                    b[i] = rng.randrange(256)
                elif op == 1:
                    del b[i]
                else:
                    b.insert(i, rng.choice(b'{}[]",:0123456789.eE-+ntfu\\'))
            try:
                parse_claim(b.decode("utf-8", "replace"), "m.json")
            except ClaimError:
                pass

    def test_a_v2_claim_is_for_its_model_only(self):
        c = parse_claim(json.dumps(good_claim()), "c.json")
        with self.assertRaises(ClaimError):
            watermark_for(c, (1, 32, 32), 10)
        with self.assertRaises(ClaimError):
            watermark_for(c, (1, 28, 28), 11)

    def test_save_never_replaces_a_file(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "c.json")
            c = parse_claim(json.dumps(good_claim()), "c.json")
            save_claim(c, path)
            with self.assertRaises(FileExistsError):
                save_claim(c, path)
            self.assertEqual(claim_json(load_claim(path)), claim_json(c))


class Stamping(unittest.TestCase):
    def test_only_the_pattern_changes_and_raw_space_maps_lambda(self):
        c = sign_claim(bytes(range(32)), "acme/object", 4, 1.0, "raw", (3, 8, 8), 10)
        wm = watermark_for(c, (3, 8, 8), 10, mean=[0.4, 0.5, 0.6], std=[0.2, 0.25, 0.3])
        x = np.random.default_rng(1).standard_normal((2, 3, 8, 8)).astype(np.float32)
        null, true = stamp(x, wm), stamp(x, wm, invert=True)
        mask = np.zeros((8, 8), bool)
        mask[wm.row:wm.row + 4, wm.col:wm.col + 4] = True
        np.testing.assert_array_equal(null[..., ~mask], x[..., ~mask])
        on = wm.bits.astype(bool)
        for ch, (m, s) in enumerate(zip([0.4, 0.5, 0.6], [0.2, 0.25, 0.3])):
            cells = null[0, ch, wm.row:wm.row + 4, wm.col:wm.col + 4]
            np.testing.assert_allclose(cells[on], (1.0 - m) / s, rtol=1e-6)
            np.testing.assert_allclose(cells[~on], (-1.0 - m) / s, rtol=1e-6)
            np.testing.assert_allclose(true[0, ch, wm.row:wm.row + 4, wm.col:wm.col + 4][on], (-1.0 - m) / s, rtol=1e-6)
        self.assertIsNot(null, x)

    def test_torch_tensors_where_torch_is_installed(self):
        try:
            import torch
        except ImportError:
            self.skipTest("PyTorch is not installed")
        c = sign_claim(bytes(range(32)), "acme/digit", 6, 10.0, "normalized", (1, 28, 28), 10)
        wm = watermark_for(c, (1, 28, 28), 10)
        x = np.random.default_rng(2).standard_normal((3, 1, 28, 28)).astype(np.float32)
        got = stamp(torch.from_numpy(x), wm, invert=True)
        self.assertIsInstance(got, torch.Tensor)
        np.testing.assert_array_equal(got.numpy(), stamp(x, wm, invert=True))


@unittest.skipUnless(os.environ.get("NULLMARK_BINARY"), "NULLMARK_BINARY not set: no nullmark binary to check against")
class AgainstTheBinary(unittest.TestCase):
    def run_nm(self, *args):
        return subprocess.run([os.environ["NULLMARK_BINARY"], *args], check=True, capture_output=True, text=True)

    def test_claims_cross_over_both_ways(self):
        with tempfile.TemporaryDirectory() as d:
            # Python signs; nullmark loads, checks the signature and derives the same pattern.
            c = sign_claim(bytes(range(1, 33)), "acme/from-python", 7, 3.5, "normalized", (3, 32, 32), 43)
            save_claim(c, os.path.join(d, "py.json"))
            self.run_nm("pattern", "--claim", os.path.join(d, "py.json"), "--input", "3,32,32", "--classes", "43",
                        "--json", os.path.join(d, "p.json"))
            with open(os.path.join(d, "p.json")) as f:
                p = json.load(f)
            wm = watermark_for(c, (3, 32, 32), 43)
            self.assertEqual((p["label"], p["row"], p["col"], p["bits"]), (wm.label, wm.row, wm.col, wm.bit_string()))
            # nullmark signs; Python loads it, signature checked, and derives what nullmark derives.
            self.run_nm("keygen", "--out", os.path.join(d, "owner"))
            self.run_nm("sign", "--key", os.path.join(d, "owner.key"), "--verifier", "acme/from-nullmark",
                        "--input", "1,28,28", "--classes", "10", "--out", os.path.join(d, "nm.json"))
            nm = load_claim(os.path.join(d, "nm.json"))
            self.run_nm("pattern", "--claim", os.path.join(d, "nm.json"), "--input", "1,28,28", "--json",
                        os.path.join(d, "q.json"))
            with open(os.path.join(d, "q.json")) as f:
                q = json.load(f)
            wm = watermark_for(nm, (1, 28, 28), 10)
            self.assertEqual((q["label"], q["row"], q["col"], q["bits"]), (wm.label, wm.row, wm.col, wm.bit_string()))


if __name__ == "__main__":
    unittest.main()
