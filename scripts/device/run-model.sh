#!/usr/bin/env bash
# GPU run of the end-to-end numbers of the Llama-3.2-1B architecture (random bf16 weights built by HF): prefill and
# decode of the softmax teacher vs its LAWCAT conversion, with the per-part decode profile. Needs .pack/. Results to $OUT.
source scripts/device/env.sh
set -x
step() { local t=$1; shift; timeout "$t" "$@" || echo "STEP FAILED ($?): $*"; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee $OUT/gpu.txt
export LD_LIBRARY_PATH=$(python3 -c 'import nvidia,os,glob;print(":".join(glob.glob(os.path.join(list(nvidia.__path__)[0],"*","lib"))))'):$LD_LIBRARY_PATH
step 120 python3 scripts/device/make_llama1b.py /tmp/llama1b "$LLAMA3_TOKENIZER_DIR" tests/fixtures/tokenizer/llama32-post-processor.json
step 200 lawcat bench model --model /tmp/llama1b --reference /tmp/llama1b-ref-bf16.safetensors --device cuda --dtype bfloat16 --prefill 1k,4k,16k,32k,64k --decode 1k,8k,32k --profile-decode --json $OUT/model-bf16.json
