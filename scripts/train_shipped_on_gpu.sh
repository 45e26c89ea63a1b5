#!/usr/bin/env bash
# Train the shipped sequence models, their extra seeds and the held-out-source run side by side
# on one GPU machine (no music libraries needed there). Run from the repository root with the
# compact corpora in .gpu/data (python scripts/train_on_gpu.py export --out .gpu/data
# --without drums-without-openmsx); results go to $OUT as tar files (scripts/train_on_gpu.py
# unpack brings them back). MINUTES: the wall-time budget of every run.
set -euo pipefail
MINUTES=${MINUTES:-7.5}
export PYTHONPATH=$PWD/src PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total --format=csv | tee "$OUT/gpu.txt"
python3 -c "import torch, lightning; print('torch', torch.__version__, 'lightning', lightning.__version__, 'cuda', torch.cuda.is_available())" | tee -a "$OUT/gpu.txt"
# a 3-step smoke run of each recipe on the GPU first: a broken setup fails in seconds
python3 scripts/train_on_gpu.py run --data .gpu/data --runs /tmp/smoke --minutes 1 --max-steps 3 \
  --job drums:0 --job melody-baseline:0 --job melody:0 2>&1 | tail -n 5
jobs=()
for preset in drums drums-baseline melody melody-baseline; do
  for seed in 0 1 2; do jobs+=(--job "$preset:$seed"); done
done
jobs+=(--job drums:0:drums-without-openmsx --job drums-baseline:0:drums-without-openmsx)
set +e
python3 scripts/train_on_gpu.py run --data .gpu/data --runs /tmp/runs --minutes "$MINUTES" \
  --batch-size 256 "${jobs[@]}" 2>&1 | tee "$OUT/run.log"
set -e
nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv >> "$OUT/gpu.txt" || true
python3 scripts/train_on_gpu.py pack --runs /tmp/runs --out "$OUT"
ls -la "$OUT"
