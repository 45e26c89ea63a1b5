#!/usr/bin/env bash
# Package the shipped sequence models from the GPU runs (2026-12-04): unpack the tar files of
# scripts/train_shipped_on_gpu.sh into runs/gpu, of scripts/train_followups_on_gpu.sh into
# runs/gpu2 and of scripts/train_round3_on_gpu.sh into runs/gpu3 (python scripts/train_on_gpu.py
# unpack --tar-dir DIR --runs runs/gpuN), then run this from the repository root. Each model gets corpus metadata, test-split metrics, a quick
# check on tests/fixtures/models/ and its card.
set -euo pipefail
first="one NVIDIA H200 GPU, side by side with 13 other runs"
second="one NVIDIA H200 GPU, side by side with 5 other runs"
follow="(scripts/train_followups_on_gpu.sh)"
python scripts/train_pretrained.py --package-only --runs runs/gpu --run-suffix=-s0 \
  --only melody-baseline --trained-on "$first" --history "(scripts/train_shipped_on_gpu.sh)"
third="one NVIDIA H200 GPU, side by side with 10 other runs and the drumify training"
round3="(scripts/train_round3_on_gpu.sh)"
# The melody file packaged here was shipped until 2026-12-05 (commit 5c87d5f); the shipped one is
# now this model continued on the CPU: scripts/continue_melody_on_cpu.sh.
python scripts/train_pretrained.py --package-only --runs runs/gpu3 --run-suffix=-s0-cont3 \
  --only melody --trained-on "$third" --history "Continued twice from the weights of a first \
run of the same preset (455 s side by side with 13 other runs, 3801 steps): 2141 steps \
(scripts/train_followups_on_gpu.sh), then 3452 steps $round3, each time with the multiplier \
restarted at 1000, the flat term on from the first step, lr 0.001"
python scripts/train_pretrained.py --package-only --runs runs/gpu3 --run-suffix=-s0-aug \
  --only drums --trained-on "$third" --history "The recipe plus decoder input dropout 0.3 and \
varied batches (--augment variation: hi-hats swapped between grooves, 10% of hits dropped, \
loudness x exp(N(0, 0.2))) $round3; without them the same preset reached test hit F1 0.82"
python scripts/train_pretrained.py --package-only --runs runs/gpu3 --run-suffix=-s0-aug \
  --only drums-baseline --trained-on "$third" --history "The recipe plus decoder input dropout \
0.3 and varied batches (--augment variation: hi-hats swapped between grooves, 10% of hits \
dropped, loudness x exp(N(0, 0.2))) $round3; with dropout alone the same preset reached test \
hit F1 0.820, without either 0.812"
# 2026-12-05: the velocity / offset rows of both drum models' output layer refitted on their own
# greedy decodes of the training windows (about 2 CPU-minutes each), then packaged again.
python scripts/refit_drum_heads.py drums drums-baseline --out runs/refit
refit="Then the velocity / offset rows of the output layer refitted on the model's own greedy \
decodes of the training windows, everything else frozen (scripts/refit_drum_heads.py, 2 rounds \
of 300 Adam steps, about 110 CPU-seconds): test velocity MSE on the reproduced hits"
python scripts/train_pretrained.py --package-only --runs runs/refit --only drums \
  --trained-on "$third" --history "The recipe plus decoder input dropout 0.3 and varied batches \
(--augment variation: hi-hats swapped between grooves, 10% of hits dropped, loudness x \
exp(N(0, 0.2))) $round3; without them the same preset reached test hit F1 0.82. $refit 0.033 \
-> 0.019 (per-position table 0.025)"
python scripts/train_pretrained.py --package-only --runs runs/refit --only drums-baseline \
  --trained-on "$third" --history "The recipe plus decoder input dropout 0.3 and varied batches \
(--augment variation: hi-hats swapped between grooves, 10% of hits dropped, loudness x \
exp(N(0, 0.2))) $round3; with dropout alone the same preset reached test hit F1 0.820, without \
either 0.812. $refit 0.024 -> 0.018 (per-position table 0.025)"
