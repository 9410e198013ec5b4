#!/usr/bin/env bash
# GPU run for kernel work, on a CUDA machine with PyTorch: the library's check of every CUDA kernel (fused LAWCAT
# kernels included) against the fp32 recurrence and the layer's tensor operations, then the attention benchmark (op,
# layer, decode) and the Llama-3.2-1B architecture end to end, both with the fused kernels on. Needs .pack/ (pack.sh).
# Results go to $OUT. About 6 minutes.
source scripts/device/env.sh
set -x
step 150 lawcat bench kernels --json $OUT/kernels.json > $OUT/kernels.txt 2>&1; grep -v "^ok " $OUT/kernels.txt | tail -40
step 120 env LAWCAT_FUSED_KERNELS=1 lawcat bench attention --device cuda --dtype bfloat16 --iterations 10 --methods sdpa,lawcat-op,lawcat-layer,softmax-layer,lawcat-decode,lawcat-layer-decode,softmax-layer-decode --no-backward --json $OUT/attention-fused.json
step 150 python3 scripts/device/make_llama1b.py /tmp/llama1b "$LLAMA3_TOKENIZER_DIR" tests/fixtures/tokenizer/llama32-post-processor.json > /dev/null
step 150 env LAWCAT_FUSED_KERNELS=1 lawcat bench model --model /tmp/llama1b --device cuda --dtype bfloat16 --prefill 1k,8k,32k,64k --decode 1k,32k --profile-decode --json $OUT/model-bf16-fused.json
