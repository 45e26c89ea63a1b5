#!/usr/bin/env bash
# The shipped drum models, 2026-12-07: PRESET (drums or drums-baseline) trained from scratch on
# one CPU thread with decoder input dropout 0.3 and remixed batches (--augment remix: kick, snare,
# hi-hats / ride and toms / crash each swapped between grooves with probability 0.3, single beats
# of each part spliced in from other grooves with probability 0.15, a quarter of the windows
# given another window's second bar, 10% of hits dropped, loudness x exp(N(0, 0.2)), half of
# the windows shifted ahead of or behind the beat by up to 0.3 half-steps); then the velocity /
# offset rows of the output layer refitted on the model's own greedy decodes
# (scripts/refit_drum_heads.py), then packaged (card, attribute vectors, quick check).
#     PRESET=drums LAMBDA_MAX=1e4 STEPS=8280 bash scripts/train_drums_on_cpu.sh
#     PRESET=drums-baseline STEPS=8280 bash scripts/train_drums_on_cpu.sh
# STEPS defaults to 4140, the budget of the fourth seed comparison (benchmarks/results/
# seeds_drums_remix_cpu*.json); the fifth (seeds_drums_clean_cpu*.json) used STEPS=8280. SEED=1,
# SEED=2 train and refit the other seeds into runs/PRESET-TAG-sSEED and
# runs/refit/PRESET-TAG-sSEED without packaging them.
# AUGMENT=mix gives the recipe shipped before (drums, 8e7e183). LAMBDA_MAX=1e4 caps the GECO
# multiplier of the FM preset at 1e4 instead of 1000 (runs/PRESET-AUGMENT-lam1e4); KAPPA=0.14 sets
# the GECO target of the FM preset (runs/PRESET-AUGMENT-lam1e4-k0.14; trained and refitted, never
# packaged). Run from the
# repository root; interrupted, the same command resumes from the last checkpoint, and a larger
# STEPS continues a finished run.
set -euo pipefail
PRESET=${PRESET:-drums}
AUGMENT=${AUGMENT:-remix}
STEPS=${STEPS:-4140}
SEED=${SEED:-0}
LAMBDA_MAX=${LAMBDA_MAX:-}
KAPPA=${KAPPA:-}
TAG=$AUGMENT${LAMBDA_MAX:+-lam$LAMBDA_MAX}${KAPPA:+-k$KAPPA}
RUN=runs/$PRESET-$TAG
if [ "$SEED" != 0 ]; then RUN=$RUN-s$SEED; fi
mkdir -p runs
args=(--preset "$PRESET" --out "$RUN" --no-progress --set model.input_dropout=0.3
  --augment "$AUGMENT" --seed "$SEED")
if [ -n "$LAMBDA_MAX" ]; then args+=(--set "objective.lambda_max=$LAMBDA_MAX"); fi
if [ -n "$KAPPA" ]; then args+=(--set "objective.kappa=$KAPPA"); fi
if [ -e "$RUN/checkpoints/last.ckpt" ]; then args+=(--resume); fi
start=$(date +%s)
LATENTJAM_THREADS=1 latentjam train "${args[@]}" --max-steps "$STEPS"
python scripts/add_wall_time.py "$RUN" "$(( $(date +%s) - start ))"  # summed over resumed runs
cp "$RUN/model.pt" "$RUN.pt"
python scripts/refit_drum_heads.py "$RUN.pt" --out runs/refit
NAME=$(basename "$RUN")
cp "$RUN/timing.json" "runs/refit/$NAME/timing.json"
if [ "$SEED" != 0 ] || [ -n "$KAPPA" ]; then exit 0; fi  # experiments are not packaged
python scripts/train_pretrained.py --package-only --runs runs/refit --run-suffix="-$TAG" \
  --only "$PRESET" --trained-on "one thread of the 2-core CPU (shared with other work)" \
  --history "Trained from scratch for $STEPS steps (batch 128) with decoder input dropout 0.3${LAMBDA_MAX:+, \
the GECO multiplier capped at $LAMBDA_MAX instead of 1000} \
and --augment $AUGMENT batches (mix: kick, snare, hi-hats / ride and toms / crash each swapped \
between grooves on their own, a quarter of the windows given another window's second bar, 10% \
of hits dropped, loudness x exp(N(0, 0.2)); remix adds single beats of each part from other \
grooves and half of the windows shifted ahead of or behind the beat), then the velocity / \
offset rows of the output layer refitted on the model's own greedy decodes of the training \
windows, everything else frozen (scripts/refit_drum_heads.py, 2 rounds of 300 Adam steps); \
PRESET=$PRESET AUGMENT=$AUGMENT${LAMBDA_MAX:+ LAMBDA_MAX=$LAMBDA_MAX} STEPS=$STEPS bash scripts/train_drums_on_cpu.sh"
