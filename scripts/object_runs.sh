#!/usr/bin/env bash
# Trains the CIFAR-10 "object" models on the full 50000-image training set, watermarked, then clean,
# then runs the pruning, fine-tuning and piracy experiments on them. On a 2-core CPU the two trainings
# take about 6 h, so each resumes from its last epoch checkpoint: run the script again (after an
# interruption, or in a later sitting) and it carries on where it stopped; finished runs and
# experiments are left as they are. Logs: runs/object-{watermark,clean}.log (appended) and
# runs/<experiment>-object.log.
#
# The full set is rebuilt once from ../shared/data/cifar-10 (its rebuild_batches.py needs Debian's
# python3-numpy and python3-pil) into data/cifar-10-full (ignored by git), or use CIFAR10_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${CIFAR10_DIR:-data/cifar-10-full}
python=${PYTHON:-/usr/bin/python3}
if [ ! -f "$data/data_batch_5.bin" ]; then
  "$python" -c 'import numpy, PIL' 2>/dev/null ||
    { echo "object_runs: rebuilding CIFAR-10 needs python3-numpy and python3-pil (apt-get install them)" >&2; exit 1; }
  mkdir -p "$data"
  "$python" ../shared/data/cifar-10/rebuild_batches.py "$data"
fi
[ -x build/nullmark ] || { echo "object_runs: build/nullmark is missing; run scripts/build.sh first" >&2; exit 1; }
if pgrep -f "runs/.nullmark-object" >/dev/null; then
  echo "object_runs: a run of this script is still going (pid $(pgrep -f runs/.nullmark-object | head -1))" >&2
  exit 1
fi
# The runs take hours: they use a copy of the program, so rebuilding build/ meanwhile changes nothing.
mkdir -p runs
cp build/nullmark runs/.nullmark-object
for kind in watermark clean; do
  dir=runs/object-$kind
  resume=()
  [ -f "$dir/model.ckpt" ] && resume=(--resume "$dir/model.ckpt")
  echo "object_runs: $kind run, log $dir.log ($(date -u +%FT%TZ))"
  runs/.nullmark-object train "experiments/configs/object-$kind.yaml" --set "data.path=$data" --quiet \
    "${resume[@]}" >>"$dir.log" 2>&1
done
for exp in pruning finetune piracy; do
  [ -f "runs/$exp-object/report.md" ] && continue  # done (a sweep writes its report last)
  echo "object_runs: $exp experiment, log runs/$exp-object.log ($(date -u +%FT%TZ))"
  runs/.nullmark-object run "experiments/configs/$exp-object.yaml" >"runs/$exp-object.log" 2>&1
done
echo "object_runs: done: runs/object-{watermark,clean} and runs/{pruning,finetune,piracy}-object"
