# The "object" part of a GPU validation run (sourced by bench/gpu_validate.sh with `object`, after the
# build): ResNet-20 on the full CIFAR-10, watermarked and then clean, with the shipped configs on the
# GPU. The data come packed as .gpu-data/cifar-10 (scripts/cifar_gpu_pack.py pack, 29 MiB, for
# machines without the data set) and are rebuilt byte for byte under /tmp. Each run writes its log,
# metrics.json and checkpoint to $OUT; a run stopped by the time budget resumes from its checkpoint
# when that is copied to .gpu-data/object-KIND.ckpt before the next run. OBJECT_EPOCHS (e.g. 160, the recipe's schedule; default the configs'
# 50, sized for a CPU) sets the cosine schedule's length; a resumed run must keep the value it began with.
# OBJECT_KINDS (default "watermark clean") chooses the runs.
object_steps() {
  step "CIFAR-10 from the pack in .gpu-data"
  if [ ! -d .gpu-data/cifar-10 ]; then
    echo "no .gpu-data/cifar-10: run scripts/cifar_gpu_pack.py pack data/cifar-10-full ../shared/data/cifar-10" \
      ".gpu-data/cifar-10 on a machine with the data set, then copy .gpu-data to this one" | tee -a "$log"
    return 1
  fi
  python3 scripts/cifar_gpu_pack.py unpack .gpu-data/cifar-10 /tmp/cifar-10 2>&1 | tee -a "$log"
  [ -f /tmp/cifar-10/data_batch_5.bin ] || return 1
  for kind in ${OBJECT_KINDS:-watermark clean}; do
    within_budget "object-$kind training" 60 || break
    step "object-$kind on the GPU (full CIFAR-10, the shipped config)"
    local resume=()
    [ -f ".gpu-data/object-$kind.ckpt" ] && resume=(--resume ".gpu-data/object-$kind.ckpt")
    timeout $(( ${GPU_VALIDATE_BUDGET_S:-570} - SECONDS )) build-cuda/nullmark train \
      "experiments/configs/object-$kind.yaml" --set device=cuda --set data.path=/tmp/cifar-10 --quiet \
      ${OBJECT_EPOCHS:+--set "train.epochs=$OBJECT_EPOCHS"} "${resume[@]}" --output "$work/object-$kind" \
      >"$work/object-$kind.log" 2>&1
    echo "object-$kind: rc $?; $(grep -E '^epoch' "$work/object-$kind.log" | tail -1)" | tee -a "$log"
    tail -2 "$work/object-$kind.log" >>"$log"
    cp "$work/object-$kind/metrics.json" "$work/object-$kind-metrics.json" 2>/dev/null
    cp "$work/object-$kind/model.ckpt" "$work/object-$kind.ckpt" 2>/dev/null
  done
}

# `bench/gpu_validate.sh object-results`: the paper's CIFAR-10 evaluations on the card through the
# results pipeline (experiments/results/reproduce.py object: owner and clean models over the owner
# seeds, verification, fine-tuning FTLL/FTAL/RTLL/RTAL, global and per-layer pruning, the piracy grid
# with and without clean samples over the pirate keys, the forgery curve), every run on the GPU.
# Results land in results/object (committed, so a later call resumes from them) and are copied to
# $OUT/results-object; the models stay in .gpu-data/reproduce-object, copied to $OUT as well so that
# they can travel with the next call (a model trained again on another card may not repeat its
# recorded training, and the pipeline then stops rather than mix models). OBJECT_SEEDS (3) and
# OBJECT_KEYS (10) size the plan; the run stops at the time budget and resumes where it stopped.
object_results_steps() {
  step "CIFAR-10 from the pack in .gpu-data"
  if [ ! -d .gpu-data/cifar-10 ]; then
    echo "no .gpu-data/cifar-10 (scripts/cifar_gpu_pack.py pack)" | tee -a "$log"
    return 1
  fi
  python3 scripts/cifar_gpu_pack.py unpack .gpu-data/cifar-10 /tmp/cifar-10 2>&1 | tee -a "$log"
  [ -f /tmp/cifar-10/data_batch_5.bin ] || return 1
  step "reproduce object on the GPU (${OBJECT_SEEDS:-3} seeds, ${OBJECT_KEYS:-10} pirate keys)"
  mkdir -p .gpu-data/reproduce-object
  timeout $(( ${GPU_VALIDATE_BUDGET_S:-570} - SECONDS )) python3 experiments/results/reproduce.py object \
    --device cuda --data /tmp/cifar-10 --seeds "${OBJECT_SEEDS:-3}" --keys "${OBJECT_KEYS:-10}" \
    --runs .gpu-data/reproduce-object --nullmark build-cuda/nullmark >"$work/reproduce-object.log" 2>&1
  echo "reproduce object: rc $? (124: stopped at the time budget; call again to resume)" | tee -a "$log"
  tail -5 "$work/reproduce-object.log" >>"$log"
  cp "$work/reproduce-object.log" "$out/" 2>/dev/null
  rm -rf "$out/results-object" "$out/reproduce-object"
  [ -d results/object ] && cp -r results/object "$out/results-object"
  # The models and training metrics only (logs and certificates are in the results).
  (cd .gpu-data && find reproduce-object \( -name model.ckpt -o -name metrics.json \) -print0 |
    xargs -0 -r cp --parents -t "$out/")
}

