#!/usr/bin/env bash
# GPU run for kernel work: the tensor-core kernels checked and timed outside .NET (mma_kernels_check.py), then the
# library's own check of every CUDA kernel against the fp32 recurrence and the attention benchmark (op, layer, decode).
# Needs .pack/ (pack.sh). Results go to $OUT.
source scripts/device/env.sh
set -x
step 150 python3 scripts/device/mma_kernels_check.py $OUT/mma.json
step 120 lawcat bench kernels --json $OUT/kernels.json 2>&1 | grep -v "^ok " | tail -30
step 200 lawcat bench attention --device cuda --dtype bfloat16 --iterations 10 --methods sdpa,lawcat-op,lawcat-layer,softmax-layer,lawcat-decode,lawcat-layer-decode,softmax-layer-decode --no-backward --json $OUT/attention.json
