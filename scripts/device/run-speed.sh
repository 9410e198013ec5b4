#!/usr/bin/env bash
# GPU run for the speed work: checks the workbench's CUDA kernels against the fp32 recurrence, re-measures the 1B
# architecture against HF references loaded the way users load them (from_pretrained), end-to-end prefill and decode of
# teacher vs LAWCAT (kernels on), the attention benchmark, and the peers (SDPA, fla chunk_gla) with the floor, all on
# one machine. Needs .pack/ and .thirdparty/fla (fla's source, never committed). Results go to $OUT.
source scripts/device/env.sh
set -x
step() { local t=$1; shift; timeout "$t" "$@" || echo "STEP FAILED ($?): $*"; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee $OUT/gpu.txt
export LD_LIBRARY_PATH=$(python3 -c 'import nvidia,os,glob;print(":".join(glob.glob(os.path.join(list(nvidia.__path__)[0],"*","lib"))))'):$LD_LIBRARY_PATH
step 90 lawcat bench kernels --json $OUT/kernels.json 2>&1 | tail -60
step 150 python3 scripts/device/make_llama1b.py /tmp/llama1b "$LLAMA3_TOKENIZER_DIR" tests/fixtures/tokenizer/llama32-post-processor.json
step 60 lawcat bench model --model /tmp/llama1b --reference /tmp/llama1b-ref-fp32.safetensors --device cuda --dtype float32 --no-student --prefill 1k --decode 1k --json $OUT/model-fp32.json
step 150 lawcat bench model --model /tmp/llama1b --reference /tmp/llama1b-ref-bf16.safetensors --device cuda --dtype bfloat16 --prefill 1k,4k,16k,32k,64k --decode 1k,8k,32k --profile-decode --json $OUT/model-bf16.json
step 150 lawcat bench attention --device cuda --dtype bfloat16 --iterations 5 --methods sdpa,lawcat-op,lawcat-layer,softmax-layer,lawcat-decode,lawcat-layer-decode,softmax-layer-decode --no-backward --json $OUT/attention.json
PYTHONPATH=.thirdparty/fla step 240 python3 scripts/device/peer_bench.py $OUT/peers.json
