#!/usr/bin/env bash
# Data-parallel training over MPI ranks (mpirun -np 2 --oversubscribe):
# - 2 ranks x 64 samples equal 1 process x 128 within 1e-5 on every parameter after 10 SGD steps
#   and 2 Adam steps, on the watermarked digit model with crop augmentation. The gradient sums are
#   rounded in another order, and over longer runs such differences grow as a change of thread
#   count makes them grow (a ReLU or max-pool that tips the other way), so longer runs are compared
#   by their resume, not against one process;
# - one rank under `parallel: {ranks: 1}` is bitwise the plain run;
# - a rank killed mid-run leaves the last epoch's checkpoint, and --resume then gives bitwise the
#   uninterrupted run; rank 0 alone writes the run directory;
# - a batch-norm model trains, its ranks agreeing on every parameter and the averaged statistics;
# - ranks that ask for more threads than the node's cores get a warning;
# - a wrong rank count, a missing parallel section and ranks with different configs stop the job
#   with a message naming the problem, writing nothing.
source "$(dirname "$0")/common.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mpi=(mpirun -np 2 --oversubscribe)
cfg=experiments/configs/digit-watermark.yaml
common=(--set data.train_limit=3000 --set data.test_limit=300 --set threads=1 --quiet
        --set "train.augment={crop_padding: 2}" --set "train.schedule={type: constant}"
        --set "train.optimizer={type: sgd, lr: 0.01, momentum: 0.9}")
two=(--set "train.parallel={ranks: 2}")

compare() {  # A B MODE: the checkpoints' parameters, optimizer state and buffers, identical or within 1e-5
  /usr/bin/python3 - "$@" <<'PY'
import array, struct, sys
def sections(path):
    b = open(path, "rb").read()
    assert b[:8] == b"NULLMARK", path
    at = 16 + 8 + struct.unpack_from("<Q", b, 16)[0]
    out = []
    for _ in range(3):
        (n,) = struct.unpack_from("<Q", b, at)
        out.append(array.array("f", b[at + 8:at + 8 + 4 * n]))
        at += 8 + 4 * n
    return out
a, b, mode = sections(sys.argv[1]), sections(sys.argv[2]), sys.argv[3]
for name, x, y in zip(("parameters", "optimizer state", "buffers"), a, b):
    assert len(x) == len(y), name
    worst = max((abs(p - q) for p, q in zip(x, y)), default=0.0)
    ok = x == y if mode == "identical" else worst <= 1e-5
    print("%s: %d values, max |difference| %.3g" % (name, len(x), worst))
    assert ok, "%s differ (%s expected)" % (name, mode)
PY
}

# 2 ranks x 64 against 1 x 128: the same batches, augmentation and stamps, gradients summed.
short=(--set data.train_limit=1280 --set train.epochs=1)
"$nullmark" train "$cfg" "${common[@]}" "${short[@]}" --output "$out/one" >"$out/one.log" 2>&1
"${mpi[@]}" "$nullmark" train "$cfg" "${common[@]}" "${two[@]}" "${short[@]}" --output "$out/two" >"$out/two.log" 2>&1
grep -q "data-parallel over 2 ranks (64 samples of each batch per rank)" "$out/two.log"
compare "$out/one/model.ckpt" "$out/two/model.ckpt" close
adam=(--set "train.optimizer={type: adam, lr: 0.001}" --set data.train_limit=256 --set train.epochs=1)
"$nullmark" train "$cfg" "${common[@]}" "${adam[@]}" --output "$out/adam1" >/dev/null 2>&1
"${mpi[@]}" "$nullmark" train "$cfg" "${common[@]}" "${two[@]}" "${adam[@]}" --output "$out/adam2" >/dev/null 2>&1
compare "$out/adam1/model.ckpt" "$out/adam2/model.ckpt" close
[ "$(ls "$out/one")" = "$(ls "$out/two")" ] || { echo "the run directories differ"; ls "$out/one" "$out/two"; exit 1; }
[ "$(grep -c "^epoch" "$out/two.log")" -eq 1 ] || { echo "rank 0 alone reports"; exit 1; }

"$nullmark" train "$cfg" "${common[@]}" --set "train.parallel={ranks: 1}" --set train.epochs=2 --output "$out/p1" \
  >/dev/null 2>&1
"$nullmark" train "$cfg" "${common[@]}" --set train.epochs=2 --output "$out/plain" >/dev/null 2>&1
compare "$out/plain/model.ckpt" "$out/p1/model.ckpt" identical

# A rank killed in epoch 2 of 3: the job fails, epoch 1's checkpoint stands, --resume finishes it.
"${mpi[@]}" "$nullmark" train "$cfg" "${common[@]}" "${two[@]}" --set train.epochs=3 --output "$out/whole" \
  >/dev/null 2>&1
"${mpi[@]}" "$nullmark" train "$cfg" "${common[@]}" "${two[@]}" --set train.epochs=3 --output "$out/killed" \
  >"$out/killed.log" 2>&1 &
job=$!
for _ in $(seq 600); do [ -e "$out/killed/model.ckpt" ] && break; sleep 0.05; done
kill_rank 1 "nullmark train $cfg"
if wait "$job"; then echo "the job with a killed rank succeeded"; exit 1; fi
[ -z "$(ls "$out/killed" | grep tmp)" ] || { echo "temp files left"; exit 1; }
"${mpi[@]}" "$nullmark" train "$cfg" "${common[@]}" "${two[@]}" --set train.epochs=3 --output "$out/killed" \
  --resume "$out/killed/model.ckpt" >"$out/resumed.log" 2>&1
grep -q "resuming from" "$out/resumed.log"
compare "$out/whole/model.ckpt" "$out/killed/model.ckpt" identical

# Batch norm: per-rank statistics, running statistics averaged; the ranks' check passes each epoch.
bn='model={name: bn, layers: [{type: conv2d, filters: 4, kernel: 3}, {type: batchnorm}, {type: relu}, {type: flatten}, {type: dense, units: 10}]}'
"${mpi[@]}" "$nullmark" train experiments/configs/digit-clean.yaml "${common[@]}" "${two[@]}" --set "$bn" \
  --set train.epochs=2 --output "$out/bn" >"$out/bn.log" 2>&1 || { cat "$out/bn.log"; exit 1; }
grep -q "^epoch 2/2" "$out/bn.log"
# Ranks that together ask for more threads than the node has cores are warned about.
"${mpi[@]}" --bind-to none "$nullmark" train "$cfg" "${common[@]}" "${two[@]}" --set data.train_limit=256 \
  --set train.epochs=1 --set threads="$(nproc)" --output "$out/threads" >"$out/threads.log" 2>&1
grep -q "warning: 2 ranks on this node with $(nproc) threads each" "$out/threads.log" || { cat "$out/threads.log"; exit 1; }

refused() {  # PATTERN LOG DIR: the job failed with PATTERN in LOG and left no DIR
  grep -q "$1" "$2" || { echo "expected \"$1\":"; cat "$2"; exit 1; }
  [ ! -e "$3" ] || { echo "a refused job wrote $3"; exit 1; }
}
set +e
"$nullmark" train "$cfg" "${common[@]}" "${two[@]}" --output "$out/r1" >"$out/r1.log" 2>&1
[ $? -eq 1 ] || exit 1
"${mpi[@]}" "$nullmark" train "$cfg" "${common[@]}" --output "$out/r2" >"$out/r2.log" 2>&1
[ $? -ne 0 ] || exit 1
mpirun -np 1 "$nullmark" train "$cfg" "${common[@]}" "${two[@]}" --output "$out/r3" : \
  -np 1 "$nullmark" train "$cfg" "${common[@]}" "${two[@]}" --set train.epochs=5 --output "$out/r3" >"$out/r3.log" 2>&1
[ $? -ne 0 ] || exit 1
set -e
refused "train.parallel.ranks is 2, but this job has 1 process" "$out/r1.log" "$out/r1"
refused "started as 2 ranks, but train has no parallel section" "$out/r2.log" "$out/r2"
refused "rank 1's config differs from rank 0's in 1 key(s)" "$out/r3.log" "$out/r3"
grep -q "train.epochs: rank 0 8, rank 1 5" "$out/r3.log"
echo "MPI data-parallel training test passed"
