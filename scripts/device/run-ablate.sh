#!/usr/bin/env bash
# GPU run of an ablation grid (default data/ablations/default.yaml) with SAMPLES passkey samples per length (default
# 100) into runs/ablate-gpu, which stays between runs on the same machine: run the script again to skip the finished
# variants and resume the interrupted one. Each run stops itself after LIMIT seconds (default 540) with a checkpoint
# (SIGINT, as Ctrl-C). Further `lawcat ablate` arguments pass through, e.g. --set data.sequence_length=1024.
# Writes to $OUT: ablate.log, ablate-results.tgz (tables, plots, metrics and passkey results, no checkpoints) and
# ablate-folder.tgz (everything, checkpoints included, to resume elsewhere: unpack it into runs/). Needs .pack/ (pack.sh).
source scripts/device/env.sh
grid=${GRID:-data/ablations/default.yaml}
folder=runs/ablate-gpu
mkdir -p runs
set +e
timeout -k 60 -s INT "${LIMIT:-540}" lawcat ablate "$grid" --device cuda --out "$folder" --set "passkey_eval.samples=${SAMPLES:-100}" "$@" 2>&1 | tee "$OUT/ablate.log"
echo "lawcat ablate exit code: ${PIPESTATUS[0]} (0 = every variant finished, 130 or 124 = stopped, resumable)" | tee -a "$OUT/ablate.log"
set -e
tar -czf "$OUT/ablate-results.tgz" --exclude=checkpoints -C runs ablate-gpu
tar -czf "$OUT/ablate-folder.tgz" -C runs ablate-gpu
