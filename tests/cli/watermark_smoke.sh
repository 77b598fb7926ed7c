#!/usr/bin/env bash
# The owner's workflow through the command line on a slice of the embedded MNIST: keygen, sign,
# watermarked training, verify (accepted on the watermarked model, rejected on a clean one),
# verify-cert on the certificate, and rejection of tampered claims and certificates.
source "$(dirname "$0")/common.sh"
slice=(--set data.train_limit=6000 --set data.test_limit=1000 --set train.epochs=2 --quiet)

"$nullmark" keygen --out "$out/owner"
[ "$(stat -c %a "$out/owner.key")" = 600 ] || { echo "secret key is not mode 600"; exit 1; }
if "$nullmark" keygen --out "$out/owner" 2>/dev/null; then echo "keygen overwrote a key"; exit 1; fi
"$nullmark" keygen --out "$out/certifier"
"$nullmark" sign --key "$out/owner.key" --verifier "test/owner/$(date +%F)" --n 5 --lambda 10 \
  --input 1,28,28 --classes 10 --out "$out/claim.json"

"$nullmark" train experiments/configs/digit-watermark.yaml "${slice[@]}" --set "watermark.claim=$out/claim.json" \
  --output "$out/wm" | tee "$out/wm.log"
grep -q "watermark on test set" "$out/wm.log"
python3 -c "import json,sys; e=json.load(open(sys.argv[1]))['epochs'][-1]; assert 'null_accuracy' in e and 'true_accuracy' in e, e" \
  "$out/wm/metrics.json"
"$nullmark" train experiments/configs/digit-clean.yaml "${slice[@]}" --output "$out/clean" >/dev/null
# The watermarked checkpoint does not resume under the clean config: the watermark would be dropped.
if "$nullmark" train experiments/configs/digit-clean.yaml "${slice[@]}" --set train.epochs=3 --output "$out/mixed" \
  --resume "$out/wm/model.ckpt" >/dev/null 2>"$out/mixed.log"; then echo "resumed under another config"; exit 1; fi
grep -q "cannot resume under experiments/configs/digit-clean.yaml" "$out/mixed.log"
grep -q "^  watermark.claim: checkpoint .*, config (absent)" "$out/mixed.log"

# Thresholds relaxed for a 2-epoch model on 6000 images: this test checks the workflow, the full
# MNIST figures are in docs/results.md.
verify=(--random-keys 10 --blind-keys 10 --far 0.1 --random-samples 300 --max-null-drop 0.2 --min-true 0.8)
"$nullmark" verify --model "$out/wm/model.ckpt" --claim "$out/claim.json" "${verify[@]}" \
  --sign-key "$out/certifier.key" --out "$out/wm.cert.json" | tee "$out/verify.log"
grep -q "decision   ACCEPTED" "$out/verify.log"
grep -q "^claim      .* (v2: verifier, n, lambda, space, input shape and classes signed)" "$out/verify.log"
"$nullmark" verify-cert "$out/wm.cert.json" | grep -q "valid; integrity only: signed by key .*, which no --certifier or --trust pins"
# Trust comes from a pinned key: the certifier's is trusted, a certificate signed by any other key is not.
"$nullmark" verify-cert "$out/wm.cert.json" --certifier "$out/certifier.pub" | grep -q "trusted: signed by pinned certifier"
"$nullmark" keygen --out "$out/mallory"
"$nullmark" verify --model "$out/wm/model.ckpt" --claim "$out/claim.json" "${verify[@]}" \
  --certifier-key "$out/mallory.key" --out "$out/mallory.cert.json" >/dev/null
if "$nullmark" verify-cert "$out/mallory.cert.json" --certifier "$out/certifier.pub" 2>"$out/mallory.log"; then
  echo "a certificate signed by an unpinned key was trusted"; exit 1
fi
grep -q "not trusted: signed by key .*, which is not a pinned certifier" "$out/mallory.log"
printf '{"format": "nullmark-trust", "version": 1, "certifiers": [{"name": "audit lab", "public_key": "%s"}]}\n' \
  "$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['public_key'])" "$out/certifier.pub")" >"$out/trust.json"
"$nullmark" verify-cert "$out/wm.cert.json" --trust "$out/trust.json" | grep -q 'trusted: signed by pinned certifier "audit lab"'
# --model re-hashes the model; --recheck measures it again with the certificate's settings.
"$nullmark" verify-cert "$out/wm.cert.json" --model "$out/wm/model.ckpt" --recheck >"$out/recheck.log"
grep -q "^recheck    measurements, null keys and decision reproduced exactly" "$out/recheck.log"
if "$nullmark" verify-cert "$out/wm.cert.json" --model "$out/clean/model.ckpt" 2>"$out/other-model.log"; then
  echo "a certificate matched another model"; exit 1
fi
grep -q "is not the certified one" "$out/other-model.log"

# The pattern a claim defines, without a model, is the one verify derived from the model's shape.
"$nullmark" pattern --claim "$out/claim.json" --input 1,28,28 --classes 10 --json "$out/pattern.json" >"$out/pattern.log"
python3 - "$out/pattern.json" "$out/wm.cert.json" "$out/pattern.log" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
w = json.load(open(sys.argv[2]))["body"]["watermark"]
assert all(p[k] == w[k] for k in ("label", "row", "col", "bits")), (p, w)
assert p["ones"] == p["bits"].count("1"), p
rows = [l.split()[-1] for l in open(sys.argv[3]) if l.startswith("null stamp")]
assert "".join(rows) == p["bits"].replace("1", "+").replace("0", "-"), rows
PY
# A pattern larger than the image is refused with a message (a v1 claim, which fits any shape).
if "$nullmark" pattern --claim experiments/claims/demo-digit-lambda10.json --input 1,4,4 2>"$out/pattern-bad.log"; then
  echo "a 6x6 pattern on a 4x4 input was accepted"; exit 1
fi
grep -q "does not fit a 4x4 input" "$out/pattern-bad.log"
# A v2 claim is for the model shape it signed.
if "$nullmark" pattern --claim "$out/claim.json" --input 1,32,32 2>"$out/pattern-shape.log"; then
  echo "a v2 claim gave a pattern for an input it was not signed for"; exit 1
fi
grep -q "the claim was signed for a model with 1x28x28 inputs and 10 classes" "$out/pattern-shape.log"

# Outputs never replace a key, claim or checkpoint, and replace other files only with --force.
if "$nullmark" sign --key "$out/owner.key" --verifier x --input 1,28,28 --classes 10 --out "$out/owner.key" --force \
  2>"$out/self.log"; then echo "sign replaced its own secret key"; exit 1; fi
grep -q "is a nullmark-secret-key file; outputs never replace one" "$out/self.log"
python3 -c "import json,sys; json.load(open(sys.argv[1]))['seed']" "$out/owner.key"  # still the key
if "$nullmark" verify --model "$out/wm/model.ckpt" --claim "$out/claim.json" "${verify[@]}" --out "$out/wm/model.ckpt" \
  2>"$out/ckpt.log" >/dev/null; then echo "verify replaced the model with its certificate"; exit 1; fi
grep -q "is a nullmark checkpoint; outputs never replace one" "$out/ckpt.log"
if "$nullmark" verify --model "$out/wm/model.ckpt" --claim "$out/claim.json" "${verify[@]}" --out "$out/wm.cert.json" \
  2>"$out/exists.log" >/dev/null; then echo "verify replaced an existing --out without --force"; exit 1; fi
grep -q "wm.cert.json: exists; pass --force to replace it" "$out/exists.log"

# A v2 claim whose lambda or n was edited is refused before any model runs (exit 1).
for edit in 's/"lambda": 10.0/"lambda": 20.0/' 's/"n": 5/"n": 6/'; do
  sed "$edit" "$out/claim.json" > "$out/edited.json"
  cmp -s "$out/claim.json" "$out/edited.json" && { echo "sed '$edit' did not change the claim"; exit 1; }
  set +e
  "$nullmark" verify --model "$out/wm/model.ckpt" --claim "$out/edited.json" "${verify[@]}" --out "$out/edited.cert.json" \
    >/dev/null 2>"$out/edited.log"
  rc=$?
  set -e
  [ $rc -eq 1 ] || { echo "verify with an edited claim ($edit) exited $rc, expected 1"; exit 1; }
  grep -q "claim rejected: the signature does not verify" "$out/edited.log"
  [ ! -e "$out/edited.cert.json" ] || { echo "a certificate was written for an edited claim"; exit 1; }
done

set +e
"$nullmark" verify --model "$out/clean/model.ckpt" --claim "$out/claim.json" "${verify[@]}" --out "$out/clean.cert.json" >"$out/clean.log"
rc=$?
set -e
[ $rc -eq 2 ] || { echo "verify on a clean model exited $rc, expected 2 (rejected)"; cat "$out/clean.log"; exit 1; }
grep -q "decision   REJECTED" "$out/clean.log"
"$nullmark" verify-cert "$out/clean.cert.json" | grep -q "decision recorded: rejected"

# A clean-accuracy floor above what the model reaches rejects the owner's own model, says why, and
# the certificate records the floor so that its decision re-checks.
set +e
"$nullmark" verify --model "$out/wm/model.ckpt" --claim "$out/claim.json" "${verify[@]}" --min-clean 0.999 \
  --out "$out/floor.cert.json" >"$out/floor.log"
rc=$?
set -e
[ $rc -eq 2 ] || { echo "verify with --min-clean 0.999 exited $rc, expected 2"; cat "$out/floor.log"; exit 1; }
grep -q "decision   REJECTED; clean accuracy 0\.[0-9]* is below the threshold 0\.9990" "$out/floor.log"
python3 -c "import json,sys; assert json.load(open(sys.argv[1]))['body']['thresholds']['min_clean_accuracy'] == 0.999" \
  "$out/floor.cert.json"
"$nullmark" verify-cert "$out/floor.cert.json" | grep -q "decision recorded: rejected"

# Without random keys there is no comparison to report (and no z), and the certificate still checks.
"$nullmark" verify --model "$out/wm/model.ckpt" --claim "$out/claim.json" --random-keys 0 --blind-keys 0 --max-null-drop 0.2 \
  --min-true 0.8 --out "$out/nokeys.cert.json" >"$out/nokeys.log"
grep -q "^null keys  none measured (--random-keys 0 --blind-keys 0)" "$out/nokeys.log"

# A false-acceptance rate that the key counts cannot show is refused before anything is measured.
if "$nullmark" verify --model "$out/wm/model.ckpt" --claim "$out/claim.json" --random-keys 10 --far 0.01 \
  --out "$out/far.cert.json" 2>"$out/far.log" >/dev/null; then echo "verify accepted --far 0.01 with 10 keys"; exit 1; fi
grep -q "with 10 random keys the smallest p-value is 1/11" "$out/far.log"
[ ! -e "$out/far.cert.json" ] || { echo "a certificate was written for a refused --far"; exit 1; }
# The report states p-values and intervals, and the certificate records them.
grep -q "^claimed    clean .*% \[.*\]  null .*% \[.*\]  true .*% \[.*\] (95% Clopper-Pearson" "$out/verify.log"
grep -q "^blind      10 keys on 300 samples: .* p = " "$out/verify.log"
python3 -c "import json,sys; b=json.load(open(sys.argv[1]))['body']; assert b['null_keys']['false_acceptance_rate'] == 0.1 and len(b['intervals']['true']) == 2, b" \
  "$out/wm.cert.json"
"$nullmark" verify-cert "$out/nokeys.cert.json" | grep -q "decision recorded: accepted"

# A certificate with one changed digit fails.
sed 's/"true": 1\.0/"true": 0.9/; s/"clean": 0\./"clean": 1./' "$out/wm.cert.json" > "$out/bad.cert.json"
cmp -s "$out/wm.cert.json" "$out/bad.cert.json" && { echo "sed did not change the certificate"; exit 1; }
if "$nullmark" verify-cert "$out/bad.cert.json" 2>"$out/bad.log"; then echo "altered certificate passed"; exit 1; fi
grep -q "certificate check failed" "$out/bad.log"
echo "watermark smoke test passed"
