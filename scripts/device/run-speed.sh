#!/usr/bin/env bash
# GPU run for the speed and fidelity numbers of docs/benchmarks.md, all on one machine: the workbench's CUDA kernels
# checked against the fp32 recurrence; attention prefill and decode (ours, SDPA); the Llama-3.2-1B architecture with
# random weights built by HF, compared with HF's logits as users load it (fp32 and bf16) and timed end to end, teacher vs
# LAWCAT; and the peers (PyTorch SDPA, fla chunk_gla) with the floor. Needs .pack/ (pack.sh) and .thirdparty/fla (fla's
# public source, never committed). Results go to $OUT.
source scripts/device/env.sh
export OUT=${OUT:-device-out}; mkdir -p "$OUT"
set -x
step() { local t=$1; shift; timeout "$t" "$@" || echo "STEP FAILED ($?): $*"; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee $OUT/gpu.txt
# NVRTC ships with PyTorch's CUDA runtime wheels.
export LD_LIBRARY_PATH=$(python3 -c 'import nvidia,os,glob;print(":".join(glob.glob(os.path.join(list(nvidia.__path__)[0],"*","lib"))))'):$LD_LIBRARY_PATH
step 90 lawcat bench kernels --json $OUT/kernels.json 2>&1 | tail -3
step 100 lawcat bench attention --device cuda --dtype bfloat16 --iterations 10 --methods sdpa,lawcat-op,lawcat-layer,softmax-layer,lawcat-decode,lawcat-layer-decode,softmax-layer-decode --no-backward --json $OUT/attention.json
step 150 python3 scripts/device/make_llama1b.py /tmp/llama1b "$LLAMA3_TOKENIZER_DIR" tests/fixtures/tokenizer/llama32-post-processor.json
step 60 lawcat bench model --model /tmp/llama1b --reference /tmp/llama1b-ref-fp32.safetensors --device cuda --dtype float32 --no-student --prefill 1k --decode 1k --json $OUT/model-fp32.json
step 200 lawcat bench model --model /tmp/llama1b --reference /tmp/llama1b-ref-bf16.safetensors --device cuda --dtype bfloat16 --prefill 1k,4k,16k,32k,64k --decode 1k,8k,32k --profile-decode --json $OUT/model-bf16.json
PYTHONPATH=.thirdparty/fla step 240 python3 scripts/device/peer_bench.py $OUT/peers.json
