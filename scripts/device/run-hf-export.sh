#!/usr/bin/env bash
# GPU run for the Hugging Face export (docs/interop.md). Two students are distilled briefly on the GPU, from the embedded
# tiny teacher and from the Llama-3.2-1B architecture with random weights (make_llama1b.py), and exported with
# `lawcat export --format hf`, which also writes the workbench's logits and greedy tokens for fixed ids (on the CPU, fp32);
# transformers then loads each folder with trust_remote_code and is compared with them, and with the CPU fixtures of
# tests/fixtures/hf-export (hf_export_check.py). Needs .pack/ (pack.sh). Results go to $OUT. Steps whose output exists
# are skipped, so a run stopped by a time limit continues where it stopped when started again on the same machine.
source scripts/device/env.sh
set -x
short="--set stage1.steps=4 --set stage2.steps=4 --set stage1.eval_every=4 --set stage2.eval_every=4 --set data.eval_chunks=1 --set passkey_eval=null"
[ -f /tmp/tiny-distill/checkpoints/stage2-last.safetensors ] || step 300 lawcat distill --device cuda --out /tmp/tiny-distill $short > $OUT/tiny-distill.log 2>&1
[ -f /tmp/tiny-ref.safetensors ] || step 120 lawcat export --format hf --student /tmp/tiny-distill/checkpoints/stage2-last.safetensors --out /tmp/tiny-hf --reference-logits /tmp/tiny-ref.safetensors
[ -f /tmp/llama1b-ref-fp32.safetensors ] || step 150 python3 scripts/device/make_llama1b.py /tmp/llama1b "$LLAMA3_TOKENIZER_DIR" tests/fixtures/tokenizer/llama32-post-processor.json
[ -f /tmp/llama1b-distill/checkpoints/stage2-last.safetensors ] || step 400 lawcat distill --teacher /tmp/llama1b --device cuda --dtype bfloat16 --out /tmp/llama1b-distill $short --set data.sequence_length=256 --set stage1.batch_size=1 --set stage2.batch_size=1 > $OUT/llama1b-distill.log 2>&1
[ -f /tmp/llama1b-ref.safetensors ] || step 400 lawcat export --format hf --student /tmp/llama1b-distill/checkpoints/stage2-last.safetensors --out /tmp/llama1b-hf --reference-logits /tmp/llama1b-ref.safetensors
cp /tmp/llama1b-hf/config.json $OUT/llama1b-hf-config.json
ls -la /tmp/tiny-hf /tmp/llama1b-hf | tee $OUT/folders.txt
step 500 python3 scripts/device/hf_export_check.py --export tiny /tmp/tiny-hf /tmp/tiny-ref.safetensors --export llama1b /tmp/llama1b-hf /tmp/llama1b-ref.safetensors --fixtures tests/fixtures/hf-export --bf16 --json $OUT/hf-export.json 2>&1 | tee $OUT/hf-export.log
