#!/usr/bin/env bash
# GPU run after the kernels' register tiling: kernel check, attention prefill (ours, SDPA), the 1B architecture end to
# end (teacher vs LAWCAT, warmed-up decode), and the peers (SDPA, fla chunk_gla) with the floor, on one machine.
# Needs .pack/ and .thirdparty/fla (fla's source, never committed). Results go to $OUT.
source scripts/device/env.sh
set -x
step() { local t=$1; shift; timeout "$t" "$@" || echo "STEP FAILED ($?): $*"; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee $OUT/gpu.txt
export LD_LIBRARY_PATH=$(python3 -c 'import nvidia,os,glob;print(":".join(glob.glob(os.path.join(list(nvidia.__path__)[0],"*","lib"))))'):$LD_LIBRARY_PATH
step 90 lawcat bench kernels --json $OUT/kernels.json 2>&1 | tail -3
step 100 lawcat bench attention --device cuda --dtype bfloat16 --iterations 10 --methods sdpa,lawcat-op,lawcat-layer,softmax-layer,lawcat-decode,lawcat-layer-decode,softmax-layer-decode --no-backward --json $OUT/attention.json
step 120 python3 scripts/device/make_llama1b.py /tmp/llama1b "$LLAMA3_TOKENIZER_DIR" tests/fixtures/tokenizer/llama32-post-processor.json
step 150 lawcat bench model --model /tmp/llama1b --device cuda --dtype bfloat16 --prefill 1k,4k,16k,32k,64k --decode 1k,8k,32k --profile-decode --json $OUT/model-bf16.json
PYTHONPATH=.thirdparty/fla step 240 python3 scripts/device/peer_bench.py $OUT/peers.json
