#!/usr/bin/env bash
# Training speed on a CUDA machine with PyTorch, the default kernel policy (`auto`) against tensor operations only
# (`tensor-only`, autograd through the chunked form: the training path before the op's autograd node), in one run:
#   1. the normalized GLA op and a whole LAWCAT layer, forward and forward+backward, at the training shape (8 x 1,024
#      tokens) and the op at B = 1 from 1K to 32K, each policy; SDPA and the softmax layer beside them;
#   2. fla's chunk_gla forward+backward on the B = 1 shapes (fla's source in .thirdparty/, its autotuning timed apart; at
#      B = 8 only with FLA_BATCH8=1: its autotuning there ran past 240 s twice on an H200);
#   3. distillation throughput of the Llama-3.2-1B architecture (random bf16 weights built by Hugging Face transformers):
#      1,024-token sequences, 8 per update, a few updates of each stage, tokens/s per stage (median over the updates
#      after the first) and the process's peak GPU memory, each policy.
# Needs .pack/ (pack.sh). Writes to $OUT: gpu.txt, training-speed.log, training-speed.tar.gz (the raw JSON and metrics,
# training-speed.json for docs/bench/ and training-speed.md, both from summarize_training.py). Set LAWCAT_COMMIT to record it.
source scripts/device/env.sh
set +e +o pipefail   # a failed step is reported by `step`; the run goes on
W=/tmp/lawcat-training
rm -rf $W && mkdir -p $W
exec > >(tee $OUT/training-speed.log) 2>&1
[ -f /tmp/llama1b/config.json ] || step 150 python3 scripts/device/make_llama1b.py /tmp/llama1b "$LLAMA3_TOKENIZER_DIR" tests/fixtures/tokenizer/llama32-post-processor.json

A="lawcat bench attention --device cuda --dtype bfloat16 --iterations 10"
if [ -z "${SKIP_OPS:-}" ]; then
  for policy in ${OP_POLICIES:-auto tensor-only}; do
    LAWCAT_KERNELS=$policy step 90 $A --methods lawcat-op,lawcat-layer --batch 8 --lengths 1k --json $W/op-b8-$policy.json | grep -v "^[│┌└├]"
    LAWCAT_KERNELS=$policy step 90 $A --methods lawcat-op --lengths 1k,4k,16k,32k --json $W/op-b1-$policy.json | grep -v "^[│┌└├]"
  done
  step 60 $A --methods sdpa,softmax-layer --batch 8 --lengths 1k --json $W/softmax-b8.json | grep -v "^[│┌└├]"
  if [ -d .thirdparty/fla ] && [ -z "${SKIP_FLA:-}" ]; then
    [ -n "${FLA_BATCH8:-}" ] && PYTHONPATH=.thirdparty step 240 python3 scripts/device/peer_bench.py $W/fla-b8.json --batch 8 --backward 1024
    PYTHONPATH=.thirdparty step 200 python3 scripts/device/peer_bench.py $W/fla-b1.json --backward 1024 4096 16384 32768
  fi
fi

for policy in ${POLICIES:-auto tensor-only}; do
  rm -rf /tmp/d1b-speed
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 > $W/mem-$policy.txt & smi=$!
  LAWCAT_KERNELS=$policy step 240 lawcat distill --teacher /tmp/llama1b --device cuda --dtype bfloat16 --out /tmp/d1b-speed \
    --set data.sequence_length=1024 --set data.eval_chunks=2 --set passkey_eval=null \
    --set stage1.steps=${STAGE1_STEPS:-12} --set stage1.batch_size=8 --set stage1.gradient_accumulation=1 --set stage1.eval_every=1000 \
    --set stage2.steps=${STAGE2_STEPS:-8} --set stage2.batch_size=8 --set stage2.gradient_accumulation=1 --set stage2.eval_every=1000 \
    | tail -5
  kill $smi
  cp /tmp/d1b-speed/metrics.jsonl $W/training-metrics-$policy.jsonl
done

LAWCAT_COMMIT=${LAWCAT_COMMIT:-} python3 scripts/device/summarize_training.py $W "$(cat $OUT/gpu.txt)" $W/training-speed.json | tee $W/training-speed.md
tar -czf $OUT/training-speed.tar.gz -C $W .
