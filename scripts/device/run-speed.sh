#!/usr/bin/env bash
# GPU run for the speed and fidelity numbers of docs/benchmarks.md, all on one machine: the workbench's CUDA kernels
# checked against the fp32 recurrence; attention prefill and decode (ours, SDPA); the Llama-3.2-1B architecture with
# random weights built by HF, compared with HF's logits as users load it (fp32 and bf16) and timed end to end, teacher vs
# LAWCAT; and the peers (PyTorch SDPA, fla chunk_gla) with the floor. Needs .pack/ (pack.sh) and .thirdparty/fla (fla's
# public source, never committed). Results go to $OUT. Long: run it in two calls if one command's time limit is short
# (everything up to the 1B steps, then the rest).
source scripts/device/env.sh
set -x
step 120 lawcat bench kernels --json $OUT/kernels.json 2>&1 | grep -v "^ok " | tail -30
step 150 python3 scripts/device/mma_kernels_check.py $OUT/mma.json 2>&1 | grep -v "^PASS"
step 100 lawcat bench attention --device cuda --dtype bfloat16 --iterations 10 --methods sdpa,lawcat-op,lawcat-layer,softmax-layer,lawcat-decode,lawcat-layer-decode,softmax-layer-decode --no-backward --json $OUT/attention.json
# The fused LAWCAT kernels (prefill features, whole decoding step), opt-in until the kernel check above has passed.
step 100 env LAWCAT_FUSED_KERNELS=1 lawcat bench attention --device cuda --dtype bfloat16 --iterations 10 --methods lawcat-layer,lawcat-decode,lawcat-layer-decode --no-backward --json $OUT/attention-fused.json
step 150 python3 scripts/device/make_llama1b.py /tmp/llama1b "$LLAMA3_TOKENIZER_DIR" tests/fixtures/tokenizer/llama32-post-processor.json
step 60 lawcat bench model --model /tmp/llama1b --reference /tmp/llama1b-ref-fp32.safetensors --device cuda --dtype float32 --no-student --prefill 1k --decode 1k --json $OUT/model-fp32.json
step 200 lawcat bench model --model /tmp/llama1b --reference /tmp/llama1b-ref-bf16.safetensors --device cuda --dtype bfloat16 --prefill 1k,4k,8k,16k,32k,64k --decode 1k,8k,32k --profile-decode --json $OUT/model-bf16.json
step 200 env LAWCAT_FUSED_KERNELS=1 lawcat bench model --model /tmp/llama1b --device cuda --dtype bfloat16 --prefill 1k,8k,32k,64k --decode 1k,32k --json $OUT/model-bf16-fused.json
PYTHONPATH=.thirdparty/fla step 240 python3 scripts/device/peer_bench.py $OUT/peers.json
