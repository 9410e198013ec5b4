#!/usr/bin/env bash
# The speed run of docs/benchmarks.md, on a CUDA machine with PyTorch, in under 5 minutes: every CUDA kernel checked
# against the fp32 recurrence and the layer's tensor operations; attention per length (SDPA, the LAWCAT op, a layer's
# projection GEMMs, softmax and LAWCAT layers, decoding steps, forward+backward of the training op), each method in its
# own process so that its peak memory is its own; the Llama-3.2-1B architecture with random weights, teacher and
# converted student in separate processes; then one JSON (for docs/bench/) and Markdown tables with the targets checked.
# Needs .pack/ (pack.sh). Writes four files to $OUT: gpu.txt, speed.log, speed.json, speed.md.
source scripts/device/env.sh
set +e +o pipefail   # a failed step is reported by within; the run goes on
W=/tmp/lawcat-speed
rm -rf $W && mkdir -p $W
exec > >(tee $OUT/speed.log) 2>&1
DEADLINE=$(( $(date +%s) + ${SPEED_SECONDS:-285} ))
# within LIMIT COMMAND...: runs a step under its own time limit, never past the run's deadline, and reports a failure
# without stopping the run.
within() {
  local left=$(( DEADLINE - $(date +%s) )) limit=$1; shift
  if (( left < 10 )); then echo "SKIPPED (out of time): $*"; return; fi
  (( limit > left )) && limit=$left
  echo "+ [$limit s] $*"
  timeout "$limit" "$@" || echo "STEP FAILED ($?): $*"
}
A="lawcat bench attention --device cuda --dtype bfloat16 --iterations 10"
within 100 lawcat bench kernels --json $W/kernels.json > $W/kernels.txt 2>&1; grep -v "^ok " $W/kernels.txt | tail -20
for m in sdpa lawcat-op layer-gemms softmax-layer lawcat-layer; do
  within 40 $A --methods $m --no-backward --json $W/attention-$m.json | grep -v "^[│┌└├]"
done
within 40 $A --methods lawcat-decode,lawcat-layer-decode,softmax-layer-decode --json $W/attention-decode.json | grep -v "^[│┌└├]"
for m in sdpa lawcat-op-tensor; do
  within 40 $A --methods $m --lengths 1k,4k,16k,32k --iterations 5 --json $W/backward-$m.json | grep -v "^[│┌└├]"
done
M="lawcat bench model --random llama-3.2-1b --device cuda --dtype bfloat16 --prefill 1k,8k,32k,64k --decode 1k,4k,32k,64k"
within 70 $M --no-student --json $W/teacher.json | grep -v "^[ {}\"]"
within 70 $M --student-only --json $W/student.json | grep -v "^[ {}\"]"
within 40 python3 scripts/device/summarize_speed.py $W $OUT/speed.json $OUT/speed.md
