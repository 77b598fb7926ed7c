#!/usr/bin/env python3
"""Hostile input, measured: each case runs the real `nullmark` binary on a crafted input and records
its exit status, its message, its peak memory (the child's maximum resident set) and whether the
file it was pointed at survived unchanged.

Usage: python3 experiments/results/hostile_inputs.py [--nullmark build/nullmark] [--out results/hostile]

Cases: a self-referencing YAML anchor, an 851-byte config of nested aliases, duplicate keys, a second
YAML document, a gzip data file that inflates to 2 GiB, a secret key or a model named as an output,
a checkpoint resumed under another config, a watermark with nothing to learn from, and a certificate
re-signed by an unpinned key. The target: every case exits 1 with a message at under 500 MB peak,
and nothing is overwritten. The program prints the decision; results_page.py puts the table in
docs/hostile-input.md. Writes OUT/cases.json.
"""
import argparse
import datetime
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGET_MB = 500
VERIFY = ["--random-keys", "10", "--blind-keys", "10", "--far", "0.1", "--random-samples", "200"]


def run(cmd, cwd):
    """(exit status, stderr's first error line, peak RSS in MB) of one command."""
    with tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        lines = err.read().decode(errors="replace").splitlines()
    message = next((l for l in lines if l.startswith("error:")), lines[-1] if lines else "")
    return p.returncode, message, usage.ru_maxrss / 1024.0


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def gzip_bomb(path, inflated=2 << 30):
    """An MNIST train-images header (60000 images of 28x28) followed by zeros up to `inflated` bytes."""
    c = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    chunk = bytes(1 << 20)
    with open(path, "wb") as f:
        f.write(c.compress(bytes.fromhex("00000803") + (60000).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2))
        for _ in range(inflated >> 20):
            f.write(c.compress(chunk))
        f.write(c.flush())


def cases(nm, work):
    """(name, command, protected file or None) for every case; builds the inputs in `work`."""
    cfg = os.path.join(ROOT, "experiments", "configs", "digit-clean.yaml")
    wm_cfg = os.path.join(ROOT, "experiments", "configs", "digit-watermark.yaml")
    slice_ = ["--set", "data.train_limit=600", "--set", "data.test_limit=200", "--set", "train.epochs=1", "--quiet"]
    w = lambda name, text: (open(os.path.join(work, name), "w").write(text), os.path.join(work, name))[1]
    # A model to point outputs at and to certify, and the keys.
    subprocess.run([nm, "train", cfg, *slice_, "--output", os.path.join(work, "model")], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    model = os.path.join(work, "model", "model.ckpt")
    for who in ("owner", "certifier", "mallory"):
        subprocess.run([nm, "keygen", "--out", os.path.join(work, who)], check=True, stdout=subprocess.DEVNULL)
    claim = os.path.join(ROOT, "experiments", "claims", "demo-digit-lambda10.json")
    cert = os.path.join(work, "resigned.cert.json")
    subprocess.run([nm, "verify", "--model", model, "--claim", claim, *VERIFY, "--certifier-key",
                    os.path.join(work, "mallory.key"), "--out", cert], cwd=ROOT, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)  # rejected (exit 2) on a clean model; the certificate is what counts
    bomb_dir = os.path.join(work, "bomb")
    os.makedirs(bomb_dir)
    for f in os.listdir(os.path.join(ROOT, "data", "mnist")):
        if f != "train-images-idx3-ubyte.gz":
            shutil.copy(os.path.join(ROOT, "data", "mnist", f), bomb_dir)
    gzip_bomb(os.path.join(bomb_dir, "train-images-idx3-ubyte.gz"))
    aliases = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        "%s: &%s [%s]\n" % (chr(98 + i), chr(98 + i), ",".join(["*" + chr(97 + i)] * 9)) for i in range(24))
    out = os.path.join(work, "out")
    return [
        ("self-referencing YAML anchor", [nm, "train", w("self.yaml", "a: &x [*x]\n")], None),
        ("nested YAML aliases (%d bytes)" % len(aliases), [nm, "train", w("aliases.yaml", aliases)], None),
        ("duplicate key (lr twice)", [nm, "train", cfg, "--set", "train.optimizer={type: adam, lr: 0.001, lr: 5}",
                                     "--output", out], None),
        ("second YAML document", [nm, "train", w("two.yaml", open(cfg).read() + "---\ntrain: {epochs: 1}\n")], None),
        ("gzip data file inflating to 2 GiB (%.1f MB)" % (os.path.getsize(os.path.join(bomb_dir, "train-images-idx3-ubyte.gz")) / 1e6),
         [nm, "train", cfg, "--set", "data.path=" + bomb_dir, "--output", out], None),
        ("sign --out naming the secret key", [nm, "sign", "--key", os.path.join(work, "owner.key"), "--verifier", "x",
                                              "--input", "1,28,28", "--classes", "10", "--out",
                                              os.path.join(work, "owner.key"), "--force"], os.path.join(work, "owner.key")),
        ("verify --out naming the model", [nm, "verify", "--model", model, "--claim", claim, *VERIFY, "--out", model,
                                           "--force"], model),
        ("resume under another config", [nm, "train", wm_cfg, *slice_, "--set", "train.epochs=2", "--resume", model,
                                         "--output", out], model),
        ("watermark with all loss weights 0", [nm, "train", wm_cfg, *slice_, "--set", "watermark.null_weight=0",
                                               "--set", "watermark.true_weight=0", "--output", out], None),
        ("certificate re-signed by an unpinned key", [nm, "verify-cert", cert, "--certifier",
                                                      os.path.join(work, "certifier.pub")], cert),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nullmark", default=os.path.join(ROOT, "build", "nullmark"))
    ap.add_argument("--out", default=os.path.join(ROOT, "results", "hostile"))
    args = ap.parse_args()
    nm = os.path.abspath(args.nullmark)
    work = tempfile.mkdtemp(prefix="nullmark-hostile-")
    try:
        rows = []
        for name, cmd, protected in cases(nm, work):
            before = digest(protected) if protected else None
            code, message, peak = run(cmd, ROOT)
            kept = None if protected is None else digest(protected) == before
            message = message.replace(work, "WORK").replace(ROOT + "/", "")
            rows.append({"case": name, "exit": code, "message": message, "peak_rss_mb": round(peak, 1),
                         "protected_file_unchanged": kept})
            print("%-45s exit %d  peak %7.1f MB  %s" % (name, code, peak, message[:110]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ok = all(r["exit"] == 1 and r["message"].startswith("error:") and r["peak_rss_mb"] < TARGET_MB and
             r["protected_file_unchanged"] is not False for r in rows)
    print("hostile input: every case exits 1 with a message at under %d MB peak, nothing overwritten: %s" %
          (TARGET_MB, "yes" if ok else "no"))
    os.makedirs(args.out, exist_ok=True)
    record = {"target_peak_mb": TARGET_MB, "date": datetime.date.today().isoformat(), "cases": rows}
    tmp = os.path.join(args.out, "cases.json.tmp")
    with open(tmp, "w") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
    os.replace(tmp, os.path.join(args.out, "cases.json"))
    print("wrote %s" % os.path.join(args.out, "cases.json"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
