#!/usr/bin/env bash
# The CIFAR-10 "object" results on a CPU: builds the full 50000-image training set once, then runs
# `reproduce.py object` (owner and control ResNet-20 for 3 owner seeds, their attacks, the piracy grid
# over 10 pirate keys and the forgery curve, seed by seed; results in results/object, runs in
# runs/reproduce/object). A watermarked training takes about 2 h on 2 cores;
# every training resumes from its last epoch checkpoint and finished runs are skipped, so run the
# script again after an interruption and it carries on. Extra arguments go to reproduce.py
# (--seeds, --keys, ...).
#
# The full set is rebuilt from ../shared/data/cifar-10 (its rebuild_batches.py needs Debian's
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
exec "$python" experiments/results/reproduce.py object --data "$data" --nullmark runs/.nullmark-object "$@"
