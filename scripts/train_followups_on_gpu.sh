#!/usr/bin/env bash
# Follow-up GPU runs after scripts/train_shipped_on_gpu.sh (same setup; 2.3 minutes each):
# continue the FM runs of seed 0 from their weights (the multiplier restarted at its reached
# value, the flat term on from the first step), and try regularised drum baselines against the
# over-fitting measured on the first round (train hit F1 0.99, valid 0.69). Needs runs/gpu/
# melody-s0 and runs/gpu/drums-s0 (scripts/train_on_gpu.py unpack) carried along.
set -euo pipefail
MINUTES=${MINUTES:-2.3}
export PYTHONPATH=$PWD/src PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT"
cont="objective.flat_start=0;train.lr=0.001"
set +e
python3 scripts/train_on_gpu.py run --data .gpu/data --runs /tmp/runs --minutes "$MINUTES" \
  --batch-size 256 \
  --job "melody:0::init=runs/gpu/melody-s0/model.pt;objective.lambda_init=1000.0;$cont:cont" \
  --job "drums:0::init=runs/gpu/drums-s0/model.pt;objective.lambda_init=5.0;$cont:cont" \
  --job "drums:0::init=runs/gpu/drums-s0/model.pt;objective.lambda_init=5.0;objective.kappa=0.1;$cont:cont-k10" \
  --job "drums-baseline:0::model.input_dropout=0.3:drop3" \
  --job "drums-baseline:0::objective.beta=0.2;objective.free_bits=0.1027:fb128" \
  --job "drums-baseline:0::model.input_dropout=0.3;objective.beta=0.2;objective.free_bits=0.1027:drop3-fb128" \
  2>&1 | tee "$OUT/run2.log"
set -e
python3 scripts/train_on_gpu.py pack --runs /tmp/runs --out "$OUT"
ls -la "$OUT"
