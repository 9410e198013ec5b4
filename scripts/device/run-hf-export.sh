#!/usr/bin/env bash
# GPU run for the Hugging Face export (docs/interop.md): Hugging Face transformers loads students written by
# `lawcat export --format hf` (trust_remote_code) and is compared with the workbench's outputs (hf_export_check.py).
#   fixtures  the CPU test fixtures (tests/fixtures/hf-export), exported again by the workbench; reference: the outputs
#             the PyTorch modeling code computed alone
#   tiny      a student distilled briefly from the embedded tiny teacher; reference: `--reference-logits` (CPU, fp32)
#   llama1b   the same from the Llama-3.2-1B architecture with random weights (make_llama1b.py), also loaded in bf16
# Usage: run-hf-export.sh [PART...] (default: fixtures tiny llama1b). Needs .pack/ (pack.sh). Writes $OUT/hf-export.log
# and $OUT/hf-export.json; steps whose output exists are skipped, so a run stopped by a time limit continues when
# started again on the same machine.
source scripts/device/env.sh
log=$OUT/hf-export.log
short="--set stage1.steps=4 --set stage2.steps=4 --set stage1.eval_every=4 --set stage2.eval_every=4 --set data.eval_chunks=1 --set passkey_eval=null"
# Runs a step, keeping its output in /tmp/hf-export-steps.log and showing its tail when it fails.
quiet() { step "$@" > /tmp/hf-export-step.out 2>&1 || true; cat /tmp/hf-export-step.out >> /tmp/hf-export-steps.log; if grep -q "STEP FAILED" /tmp/hf-export-step.out; then tail -20 /tmp/hf-export-step.out | tee -a $log; fi; }
check() { step "$1" python3 scripts/device/hf_export_check.py "${@:2}" --json $OUT/hf-export.json 2>&1 | { grep -v "Loading weights" || true; } | tee -a $log; }
for part in ${*:-fixtures tiny llama1b}; do
  echo "== $part, ${SECONDS}s into the run" | tee -a $log
  case $part in
  fixtures)
    args=()
    for d in tests/fixtures/hf-export/*/; do
      n=$(basename "$d")
      [ -f /tmp/hf-fixture-$n/model.safetensors ] || quiet 60 lawcat export --format hf --model "$d" --out /tmp/hf-fixture-$n
      args+=(--export "fixture $n" /tmp/hf-fixture-$n "${d}expected.safetensors")
    done
    check 200 "${args[@]}" ;;
  tiny)
    [ -f /tmp/tiny-distill/checkpoints/stage2-last.safetensors ] || quiet 300 lawcat distill --device cuda --out /tmp/tiny-distill $short
    [ -f /tmp/tiny-ref.safetensors ] || quiet 120 lawcat export --format hf --student /tmp/tiny-distill/checkpoints/stage2-last.safetensors --out /tmp/tiny-hf --reference-logits /tmp/tiny-ref.safetensors
    check 200 --export tiny /tmp/tiny-hf /tmp/tiny-ref.safetensors --bf16 ;;
  llama1b)
    [ -f /tmp/llama1b-ref-fp32.safetensors ] || quiet 150 python3 scripts/device/make_llama1b.py /tmp/llama1b "$LLAMA3_TOKENIZER_DIR" tests/fixtures/tokenizer/llama32-post-processor.json
    [ -f /tmp/llama1b-distill/checkpoints/stage2-last.safetensors ] || quiet 300 lawcat distill --teacher /tmp/llama1b --device cuda --dtype bfloat16 --out /tmp/llama1b-distill $short --set data.sequence_length=256 --set stage1.batch_size=1 --set stage2.batch_size=1
    [ -f /tmp/llama1b-ref.safetensors ] || quiet 300 lawcat export --format hf --student /tmp/llama1b-distill/checkpoints/stage2-last.safetensors --out /tmp/llama1b-hf --reference-logits /tmp/llama1b-ref.safetensors --reference-length 32
    check 300 --export llama1b /tmp/llama1b-hf /tmp/llama1b-ref.safetensors --bf16 ;;
  *) echo "unknown part '$part': expected fixtures, tiny or llama1b"; exit 2 ;;
  esac
done
echo "== done, ${SECONDS}s" | tee -a $log
