#!/usr/bin/env bash
# The miniature experiment of docs/results.md on a CUDA machine with PyTorch: every variant of
# data/ablations/miniature.yaml distilled from the embedded teacher and scored on passkey at 1x-16x the 1,024-token
# distillation length (100 samples per length; the default also scores the teacher), one process per variant on the
# one GPU; then the table (Wilson intervals, McNemar p against the default) from the finished variants; and the main
# job's CPU preset run on the GPU, to show what `lawcat distill` prints. Needs .pack/ (pack.sh). About 8 minutes.
source scripts/device/env.sh
GRID=${GRID:-data/ablations/miniature.yaml}
DIR=/tmp/miniature
names=$(python3 -c "import yaml,sys;print('\n'.join(yaml.safe_load(open('$GRID'))['variants']))")
pids=()
while IFS= read -r name; do
  slug=$(echo "$name" | tr -c 'A-Za-z0-9\n' '-')
  (timeout ${VARIANT_SECONDS:-480} lawcat ablate $GRID --device cuda --out $DIR --only "$name" > "$OUT/variant-$slug.log" 2>&1; echo "$name exit $?" >> $OUT/variants.txt) &
  pids+=($!)
  sleep 2
done <<< "$names"
(timeout ${MAIN_JOB_SECONDS:-480} lawcat distill --device cuda --out /tmp/main-job > $OUT/main-job.log 2>&1; echo "main job exit $?" >> $OUT/variants.txt) &
pids+=($!)
nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader -l 30 > $OUT/gpu-load.txt & smi=$!
wait "${pids[@]}"
kill $smi
cat $OUT/variants.txt
step 120 lawcat ablate $GRID --device cuda --out $DIR > $OUT/ablate.log 2>&1
tail -40 $OUT/ablate.log
tail -25 $OUT/main-job.log
tar -czf $OUT/miniature.tgz -C /tmp miniature/ablation.md miniature/ablation.csv miniature/ablation.json miniature/grid.json \
  $(cd /tmp && ls miniature/*.png miniature/variants/*/passkey.json miniature/variants/*/metrics.jsonl miniature/variants/*/result.json miniature/variants/*/options.json 2>/dev/null) \
  main-job/passkey.json main-job/metrics.jsonl main-job/options.json
tar -czf $OUT/logs.tgz -C $OUT $(cd $OUT && ls *.log *.txt)
