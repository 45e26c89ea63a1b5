#!/usr/bin/env bash
# Third GPU round (same setup as scripts/train_shipped_on_gpu.sh): drum models trained on varied
# batches (`--augment variation`: hi-hats swapped between grooves, hits dropped, loudness) against
# the over-fitting of the small drum corpus, 3 seeds each for FM and baseline, the held-out-source
# pair, one wider baseline; the melody FM model continued from the shipped weights; and the
# drumify (tap -> groove) model (scripts/train_drumify.py). Needs .gpu/data from
# scripts/train_on_gpu.py export and scripts/train_drumify.py export.
set -euo pipefail
MINUTES=${MINUTES:-7}
export PYTHONPATH=$PWD/src PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total --format=csv | tee "$OUT/gpu.txt"
python3 scripts/train_on_gpu.py run --data .gpu/data --runs /tmp/smoke --minutes 1 --max-steps 3 \
  --accelerator gpu --job "drums:0::augment=variation" 2>&1 | tail -n 3
aug="model.input_dropout=0.3;augment=variation"
cont="objective.flat_start=0;train.lr=0.001"
wide="model.encoder_hidden=512;model.conductor_hidden=512;model.decoder_hidden=512"
jobs=()
for preset in drums drums-baseline; do
  for seed in 0 1 2; do jobs+=(--job "$preset:$seed::$aug:aug"); done
  jobs+=(--job "$preset:0:drums-without-openmsx:$aug:aug")
done
jobs+=(--job "drums-baseline:0::$aug;$wide:aug-wide")
jobs+=(--job "melody:0::init=src/latentjam/pretrained/melody.pt;objective.lambda_init=1000.0;$cont:cont3")
set +e
python3 scripts/train_drumify.py train --data .gpu/data/drumify.npz --device cuda \
  --minutes "$MINUTES" --out /tmp/runs/drumify/drumify.pt > "$OUT/drumify.log" 2>&1 &
drumify=$!
python3 scripts/train_on_gpu.py run --data .gpu/data --runs /tmp/runs --minutes "$MINUTES" \
  --accelerator gpu --batch-size 256 "${jobs[@]}" 2>&1 | tee "$OUT/run3.log"
wait $drumify
set -e
tail -n 2 "$OUT/drumify.log"
cp /tmp/runs/drumify/drumify.pt "$OUT/" || true
nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv >> "$OUT/gpu.txt" || true
python3 scripts/train_on_gpu.py pack --runs /tmp/runs --out "$OUT"
ls -la "$OUT"
