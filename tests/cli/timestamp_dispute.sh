#!/usr/bin/env bash
# Timestamps and disputes through the command line, with a local test TSA (`openssl ts`): the owner
# timestamps a claim and trains a model with it; a pirate embeds a second claim into that model by
# further training and timestamps it later; `dispute` names the owner. Without trusted times the
# dispute cannot be settled; hostile replies, tokens and claims are refused.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/test_tsa.sh"
make_tsa "$out" acme
make_tsa "$out" rogue
slice=(--set data.train_limit=6000 --set data.test_limit=1000 --quiet)
# Lenient on the null drop: the pirate's short further training also moves the owner's null accuracy
# (by 0.30 with these keys); the test is about ordering two claims that both verify.
verify=(--random-keys 10 --blind-keys 10 --far 0.1 --random-samples 300 --max-null-drop 0.4 --min-true 0.8)

stamp() {  # CLAIM OUT TSA: request, reply from TSA, attach
  "$nullmark" timestamp request --claim "$1" --out "$out/req.tsq" --force >/dev/null
  tsa_reply "$out" "$3" "$out/req.tsq" "$out/reply.tsr"
  "$nullmark" timestamp attach --claim "$1" --reply "$out/reply.tsr" --tsa-cert "$out/$3-ca.pem" --out "$2" >/dev/null
}
expect_line() {  # REGEX LOG: LOG has a line matching REGEX, else the log is shown
  grep -q -- "$1" "$2" || { echo "no line matches /$1/ in $2:"; cat "$2"; exit 1; }
}
expect_exit() {  # CODE LOG COMMAND...: the command's exit code must be CODE; its stdout goes to LOG
  local want=$1 log=$2 rc
  shift 2
  set +e
  "$@" >"$log" 2>&1
  rc=$?
  set -e
  [ "$rc" -eq "$want" ] || { echo "exit $rc, expected $want: $*"; cat "$log"; exit 1; }
}

# Fixed keys (tests/fixtures/keys/): each claim's pattern and label follow from its key, so the
# trainings below, and whether both watermarks take, are the same on every run.
for who in owner pirate; do
  cp "tests/fixtures/keys/$who.key" "tests/fixtures/keys/$who.pub" "$out/"
  chmod 600 "$out/$who.key"  # git keeps no permissions, and a secret key must be private
  "$nullmark" sign --key "$out/$who.key" --verifier "test/$who" --n 5 --lambda 10 --input 1,28,28 --classes 10 \
    --out "$out/$who.json" >/dev/null
done
# The owner registers the claim before training and release.
stamp "$out/owner.json" "$out/owner-stamped.json" acme
"$nullmark" timestamp show --claim "$out/owner-stamped.json" --tsa-cert "$out/acme-ca.pem" >"$out/show.log"
expect_line "^time       20[0-9-]*T[0-9:.]*Z (trusted: verified against the TSA certificates in --tsa-cert)" "$out/show.log"
expect_line "^tsa        CN=acme test TSA" "$out/show.log"
"$nullmark" timestamp show --claim "$out/owner-stamped.json" | grep -q "NOT verified: pass --tsa-cert"
"$nullmark" timestamp show --claim "$out/owner.json" | grep -q "no timestamp"
"$nullmark" train experiments/configs/digit-watermark.yaml "${slice[@]}" --set train.epochs=2 \
  --set "watermark.claim=$out/owner.json" --output "$out/owner-model" >/dev/null
# The pirate takes the released model, embeds its own watermark by further training, and registers later.
"$nullmark" train experiments/configs/digit-watermark.yaml "${slice[@]}" --set train.epochs=1 \
  --set "watermark.claim=$out/pirate.json" --init "$out/owner-model/model.ckpt" --output "$out/pirate-model" \
  2>"$out/init.log" >/dev/null
expect_line "starting from the parameters of .*owner-model/model.ckpt" "$out/init.log"
stamp "$out/pirate.json" "$out/pirate-stamped.json" acme

pirated=(--model "$out/pirate-model/model.ckpt" "${verify[@]}")
for order in "owner pirate" "pirate owner"; do
  read -r first second <<<"$order"
  expect_exit 0 "$out/dispute.log" "$nullmark" dispute "${pirated[@]}" --claim "$out/$first-stamped.json" \
    --claim "$out/$second-stamped.json" --tsa-cert "$out/acme-ca.pem"
  expect_line "^decision   .*owner-stamped.json STANDS: both claims verify on the model; .*owner-stamped.json was timestamped at" \
    "$out/dispute.log"
done
# Without a trusted TSA certificate, or with another TSA's, the times prove nothing.
expect_exit 2 "$out/untrusted.log" "$nullmark" dispute "${pirated[@]}" --claim "$out/owner-stamped.json" \
  --claim "$out/pirate-stamped.json"
expect_line "^decision   CANNOT BE SETTLED: both claims verify on the model and neither has a trusted timestamp" "$out/untrusted.log"
expect_exit 2 "$out/rogue.log" "$nullmark" dispute "${pirated[@]}" --claim "$out/owner-stamped.json" \
  --claim "$out/pirate-stamped.json" --tsa-cert "$out/rogue-ca.pem"
expect_line "a timestamp that does not verify: .*unable to get local issuer certificate" "$out/rogue.log"
expect_exit 2 "$out/none.log" "$nullmark" dispute "${pirated[@]}" --claim "$out/owner.json" --claim "$out/pirate.json" \
  --tsa-cert "$out/acme-ca.pem"
expect_line "CANNOT BE SETTLED: .*owner.json: no timestamp" "$out/none.log"
# An owner who timestamps nothing loses to a pirate who does: the protocol is to register before release.
expect_exit 0 "$out/late.log" "$nullmark" dispute "${pirated[@]}" --claim "$out/owner.json" \
  --claim "$out/pirate-stamped.json" --tsa-cert "$out/acme-ca.pem"
expect_line "pirate-stamped.json STANDS: both claims verify on the model; only .*pirate-stamped.json has a trusted time" \
  "$out/late.log"
# On the owner's own model the pirate's claim does not verify, timestamp or not.
expect_exit 0 "$out/own.log" "$nullmark" dispute --model "$out/owner-model/model.ckpt" "${verify[@]}" \
  --claim "$out/pirate-stamped.json" --claim "$out/owner.json" --tsa-cert "$out/acme-ca.pem"
expect_line "owner.json STANDS: only .*owner.json verifies on the model; .*pirate-stamped.json does not" "$out/own.log"
# A forged claim (the owner's parameters, another key's signature) loses without a model run of its own.
python3 - "$out/owner.json" "$out/pirate.json" "$out/forged.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["signature"] = json.load(open(sys.argv[2]))["signature"]
json.dump(c, open(sys.argv[3], "w"))
PY
expect_exit 0 "$out/forged.log" "$nullmark" dispute --model "$out/owner-model/model.ckpt" "${verify[@]}" \
  --claim "$out/forged.json" --claim "$out/owner-stamped.json" --tsa-cert "$out/acme-ca.pem"
expect_line "owner-stamped.json STANDS: only .* verifies on the model; .*forged.json does not (its signature does not verify)" \
  "$out/forged.log"

# A claim for another model shape defines no watermark here: it loses, it is not an error.
"$nullmark" sign --key "$out/pirate.key" --verifier "test/pirate/cifar" --n 5 --lambda 10 --input 3,32,32 --classes 10 \
  --out "$out/other-shape.json" >/dev/null
expect_exit 0 "$out/shape.log" "$nullmark" dispute --model "$out/owner-model/model.ckpt" "${verify[@]}" \
  --claim "$out/other-shape.json" --claim "$out/owner-stamped.json" --tsa-cert "$out/acme-ca.pem"
expect_line "owner-stamped.json STANDS: only .* verifies on the model; .*other-shape.json does not (it was signed for a model with 3x32x32 inputs and 10 classes)" \
  "$out/shape.log"

# Hostile input: each is refused with the problem named, and nothing is written.
"$nullmark" timestamp request --claim "$out/owner.json" --out "$out/owner.tsq" >/dev/null
tsa_reply "$out" acme "$out/owner.tsq" "$out/owner.tsr"
refused() {  # REGEX COMMAND...: exit 1, the message matches, and $out/x.json was not written
  expect_exit 1 "$out/refused.log" "${@:2}"
  grep -Eq -- "$1" "$out/refused.log" || { echo "message does not match /$1/:"; cat "$out/refused.log"; exit 1; }
  [ ! -e "$out/x.json" ] || { echo "a refused command wrote x.json: ${*:2}"; exit 1; }
}
refused "the timestamp token covers another document" \
  "$nullmark" timestamp attach --claim "$out/pirate.json" --reply "$out/owner.tsr" --tsa-cert "$out/acme-ca.pem" --out "$out/x.json"
refused "does not verify against the TSA certificates in .*rogue-ca.pem" \
  "$nullmark" timestamp attach --claim "$out/owner.json" --reply "$out/owner.tsr" --tsa-cert "$out/rogue-ca.pem" --out "$out/x.json"
head -c 200 "$out/owner.tsr" >"$out/truncated.tsr"
refused "truncated.tsr: not a timestamp reply" \
  "$nullmark" timestamp attach --claim "$out/owner.json" --reply "$out/truncated.tsr" --tsa-cert "$out/acme-ca.pem" --out "$out/x.json"
refused "owner.tsq: not a timestamp reply" \
  "$nullmark" timestamp attach --claim "$out/owner.json" --reply "$out/owner.tsq" --tsa-cert "$out/acme-ca.pem" --out "$out/x.json"
refused "no PEM certificate in the file" \
  "$nullmark" timestamp attach --claim "$out/owner.json" --reply "$out/owner.tsr" --tsa-cert "$out/owner.json" --out "$out/x.json"
refused "already carries a timestamp" \
  "$nullmark" timestamp attach --claim "$out/owner-stamped.json" --reply "$out/owner.tsr" --tsa-cert "$out/acme-ca.pem" --out "$out/x.json"
refused "is a nullmark-claim file; outputs never replace one" \
  "$nullmark" timestamp attach --claim "$out/owner.json" --reply "$out/owner.tsr" --tsa-cert "$out/acme-ca.pem" --out "$out/owner.json" --force
refused "are the same claim" "$nullmark" dispute "${pirated[@]}" --claim "$out/owner.json" --claim "$out/owner-stamped.json"
refused "exactly two --claim files, got 1" "$nullmark" dispute "${pirated[@]}" --claim "$out/owner.json"
# Edited claim files: a token moved onto another claim, a token that is not base64, one that is not a token.
python3 - "$out" <<'PY'
import base64, json, sys
d = sys.argv[1]
owner, pirate = json.load(open(d + "/owner-stamped.json")), json.load(open(d + "/pirate-stamped.json"))
for name, value in [("moved", pirate["timestamp"]), ("not-base64", "%%%"), ("not-a-token", base64.b64encode(b"\x30\x03\x02\x01\x01").decode()),
                    ("number", 5)]:
    c = dict(owner); c["timestamp"] = value
    json.dump(c, open("%s/%s.json" % (d, name), "w"))
PY
refused "timestamp: the token covers another claim" "$nullmark" timestamp show --claim "$out/moved.json"
refused "timestamp: not base64" "$nullmark" timestamp show --claim "$out/not-base64.json"
refused "timestamp: not a timestamp token" "$nullmark" timestamp show --claim "$out/not-a-token.json"
refused "timestamp: must be a base64 string" "$nullmark" timestamp show --claim "$out/number.json"
echo "timestamps and disputes: ok"
