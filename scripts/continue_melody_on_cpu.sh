#!/usr/bin/env bash
# The shipped FM melody model, 2026-12-05: the GPU-trained model (three rounds on one H200, see
# scripts/package_gpu_models.sh) continued on one CPU thread with the GECO target tightened from
# kappa 0.05 to 0.03. At 0.05 the constraint was met with reconstruction to spare, so the
# multiplier sat at its floor and nothing pushed the latent to carry more of the melody
# (validation exact pitch 0.707); at 0.03 the multiplier stays near 1000 and the KL grows from
# ~117 to ~200 nats per window. The shipped run: 12200 steps in 8101 s of one thread (about 90
# steps a minute), test exact pitch 0.921, onset F1 0.992, step accuracy 0.943.
# Run from the repository root; interrupted, the same command resumes from the last checkpoint.
set -euo pipefail
mkdir -p runs
if [ ! -e runs/melody-gpu.pt ]; then  # the GPU-trained file, as shipped before this continuation
  git show 5c87d5f:src/latentjam/pretrained/melody.pt > runs/melody-gpu.pt
fi
STEPS=${STEPS:-12200}
args=(--preset melody --init-from runs/melody-gpu.pt --out runs/melody-cpu-k03 --no-progress
  --set objective.kappa=0.03 --set objective.lambda_init=1000.0 --set objective.flat_start=0
  --set train.lr=0.0005)
if [ -e runs/melody-cpu-k03/checkpoints/last.ckpt ]; then args+=(--resume); fi
start=$(date +%s)
LATENTJAM_THREADS=1 latentjam train "${args[@]}" --max-steps "$STEPS"
python scripts/add_wall_time.py runs/melody-cpu-k03 "$(( $(date +%s) - start ))"  # summed over resumed runs
python scripts/train_pretrained.py --package-only --runs runs --run-suffix=-cpu-k03 \
  --only melody --trained-on "one thread of the 2-core CPU (shared with other work)" \
  --history "Continued from the GPU-trained model (one NVIDIA H200: a first run of 3801 steps, \
then 2141 and 3452 steps, each with the multiplier restarted at 1000, flat term on, lr 0.001; \
scripts/package_gpu_models.sh) for $STEPS steps with the GECO target tightened from kappa 0.05 \
to 0.03 (multiplier restarted at 1000, flat term on from the first step, lr 0.0005); \
scripts/continue_melody_on_cpu.sh"
