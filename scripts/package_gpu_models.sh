#!/usr/bin/env bash
# Package the shipped sequence models from the GPU runs (2026-12-04): unpack the tar files of
# scripts/train_shipped_on_gpu.sh into runs/gpu and of scripts/train_followups_on_gpu.sh into
# runs/gpu2 (python scripts/train_on_gpu.py unpack --tar-dir DIR --runs runs/gpu[2]), then run
# this from the repository root. Each model gets corpus metadata, test-split metrics, a quick
# check on tests/fixtures/models/ and its card.
set -euo pipefail
first="one NVIDIA H200 GPU, side by side with 13 other runs"
second="one NVIDIA H200 GPU, side by side with 5 other runs"
follow="(scripts/train_followups_on_gpu.sh)"
python scripts/train_pretrained.py --package-only --runs runs/gpu --run-suffix=-s0 \
  --only melody-baseline --trained-on "$first"
python scripts/train_pretrained.py --package-only --runs runs/gpu2 --run-suffix=-s0-cont \
  --only melody --trained-on "$second" --history "Continued $follow from the weights of a \
first run of the same preset (455 s side by side with 13 other runs, 3801 steps); the multiplier \
restarted at 1000, the flat term on from the first step, lr 0.001: 2141 more steps"
python scripts/train_pretrained.py --package-only --runs runs/gpu2 --run-suffix=-s0-cont \
  --only drums --trained-on "$second" --history "Continued $follow from the weights of a first \
run of the same preset (455 s side by side with 13 other runs, 3817 steps); the multiplier \
restarted at 5, the flat term on from the first step, lr 0.001: 2189 more steps"
python scripts/train_pretrained.py --package-only --runs runs/gpu2 --run-suffix=-s0-drop3 \
  --only drums-baseline --trained-on "$second" --history "The recipe plus decoder input dropout \
0.3 $follow; the first round's run without it (9076 steps) reached test hit F1 0.812, under \
the 0.82 floor"
