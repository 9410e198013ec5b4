#!/usr/bin/env bash
# Distillation throughput of the Llama-3.2-1B architecture (random bf16 weights built by Hugging Face transformers) on a
# CUDA machine with PyTorch: 1,024-token sequences, 8 per update, a few updates of each stage, then tokens/s per stage
# (the median over the updates after the first, which includes warm-up) and the process's peak GPU memory.
# Needs .pack/ (pack.sh). Writes $OUT/training-speed.md and $OUT/training-metrics.jsonl.
source scripts/device/env.sh
[ -f /tmp/llama1b/config.json ] || step 150 python3 scripts/device/make_llama1b.py /tmp/llama1b "$LLAMA3_TOKENIZER_DIR" tests/fixtures/tokenizer/llama32-post-processor.json
rm -rf /tmp/d1b-speed
nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 > /tmp/mem-training.txt & smi=$!
step 240 lawcat distill --teacher /tmp/llama1b --device cuda --dtype bfloat16 --out /tmp/d1b-speed \
  --set data.sequence_length=1024 --set data.eval_chunks=2 --set passkey_eval=null \
  --set stage1.steps=${STAGE1_STEPS:-12} --set stage1.batch_size=8 --set stage1.gradient_accumulation=1 --set stage1.eval_every=1000 \
  --set stage2.steps=${STAGE2_STEPS:-8} --set stage2.batch_size=8 --set stage2.gradient_accumulation=1 --set stage2.eval_every=1000
kill $smi
cp /tmp/d1b-speed/metrics.jsonl $OUT/training-metrics.jsonl
python3 - "$OUT/training-metrics.jsonl" "$(sort -n /tmp/mem-training.txt | tail -1)" "$(cat $OUT/gpu.txt)" <<'PY' | tee $OUT/training-speed.md
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(f"GPU: {sys.argv[3]}; Llama-3.2-1B architecture, bf16, 1,024-token sequences, 8 per update; peak GPU memory {int(sys.argv[2]) / 1024:.1f} GiB (nvidia-smi, whole process)")
print()
print("| stage | updates | tokens/s (median after the first update) | range |")
print("|---|---:|---:|---|")
for stage, name in ((1, "stage 1, attention transfer"), (2, "stage 2, LoRA fine-tuning")):
    r = [x["tokens_per_s"] for x in rows if x.get("stage") == stage and "tokens_per_s" in x]
    if len(r) < 2: print(f"| {name} | {len(r)} | - | - |"); continue
    print(f"| {name} | {len(r)} | {statistics.median(r[1:]):,.0f} | {min(r[1:]):,.0f}-{max(r[1:]):,.0f} |")
PY
