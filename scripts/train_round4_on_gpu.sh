#!/usr/bin/env bash
# Fourth GPU round (the last minutes of the 2026-12-04 device budget): the melody FM model
# continued once more from its shipped weights, at two learning rates (the better one on the
# validation split ships). Same setup as scripts/train_round3_on_gpu.sh. Result: both lost
# validation exact pitch (0.707 -> 0.668 / 0.688); nothing from this round ships.
set -euo pipefail
MINUTES=${MINUTES:-3.6}
export PYTHONPATH=$PWD/src PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT"
cont="objective.lambda_init=1000.0;objective.flat_start=0"
init="init=src/latentjam/pretrained/melody.pt"
set +e
python3 scripts/train_on_gpu.py run --data .gpu/data --runs /tmp/runs --minutes "$MINUTES" \
  --accelerator gpu --batch-size 256 \
  --job "melody:0::$init;$cont;train.lr=0.001:cont4" \
  --job "melody:0::$init;$cont;train.lr=0.0005:cont4-lr5e-4" 2>&1 | tee "$OUT/run4.log"
set -e
python3 scripts/train_on_gpu.py pack --runs /tmp/runs --out "$OUT"
