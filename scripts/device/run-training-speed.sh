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
# Needs .pack/ (pack.sh). Writes to $OUT: gpu.txt, training-speed.log, training-speed.tar.gz (JSON, metrics, the table).
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
    PYTHONPATH=.thirdparty step 120 python3 scripts/device/peer_bench.py $W/fla-b1.json --backward 1024 4096 16384 32768
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

python3 - "$W" "$(cat $OUT/gpu.txt)" <<'PY' | tee $W/training-speed.md
import glob, json, os, statistics, sys
w, gpu = sys.argv[1], sys.argv[2]
print(f"GPU: {gpu}; Llama-3.2-1B architecture, bf16, 1,024-token sequences, 8 per update")
print()
print("| kernels | stage | updates | tokens/s (median after the first update) | range | peak GPU memory (GiB, nvidia-smi) |")
print("|---|---|---:|---:|---|---:|")
for policy in ("auto", "tensor-only"):
    path = f"{w}/training-metrics-{policy}.jsonl"
    if not os.path.exists(path): continue
    rows = [json.loads(l) for l in open(path) if l.strip()]
    mem = max((int(l) for l in open(f"{w}/mem-{policy}.txt") if l.strip().isdigit()), default=0) / 1024
    for stage, name in ((1, "stage 1, attention transfer"), (2, "stage 2, LoRA fine-tuning")):
        r = [x["tokens_per_s"] for x in rows if x.get("stage") == stage and "tokens_per_s" in x]
        if len(r) < 2: print(f"| {policy} | {name} | {len(r)} | - | - | {mem:.1f} |"); continue
        print(f"| {policy} | {name} | {len(r)} | {statistics.median(r[1:]):,.0f} | {min(r[1:]):,.0f}-{max(r[1:]):,.0f} | {mem:.1f} |")
print()
print("| what | B | T | policy | forward (ms) | forward+backward (ms) | peak GiB |")
print("|---|---:|---:|---|---:|---:|---:|")
for path in sorted(glob.glob(f"{w}/op-*.json")) + sorted(glob.glob(f"{w}/softmax-*.json")):
    d = json.load(open(path))
    b = d["options"]["Batch"]
    by = {}
    for r in d["results"]:
        by.setdefault((r["Method"], r["Length"]), {})[r["Pass"]] = r
    for (m, t), p in by.items():
        f, fb = p.get("forward", {}), p.get("forward+backward", {})
        peak = (fb or f).get("PeakBytes")
        ms = lambda x: "-" if not x or x.get("Error") else f"{x['Milliseconds']:.3f}"
        print(f"| {m} | {b} | {t} | {d['kernels']} | {ms(f)} | {ms(fb)} | {'-' if peak is None else f'{peak / 2**30:.2f}'} |")
for path in sorted(glob.glob(f"{w}/fla-*.json")):
    d = json.load(open(path))
    for r in d["rows"]:
        print(f"| fla chunk_gla {d['fla']} (autotune {d['fla_autotune_seconds'] or 0:.0f} s apart) | {r['batch']} | {r['length']} | - | - | "
              f"{r.get('fla_chunk_gla_fwd_bwd_ms', float('nan')):.3f} | {r.get('fla_fwd_bwd_peak_bytes', 0) / 2**30:.2f} |")
        print(f"| PyTorch SDPA | {r['batch']} | {r['length']} | - | - | {r.get('sdpa_fwd_bwd_ms', float('nan')):.3f} | {r.get('sdpa_fwd_bwd_peak_bytes', 0) / 2**30:.2f} |")
PY
tar -czf $OUT/training-speed.tar.gz -C $W .
