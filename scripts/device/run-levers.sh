#!/usr/bin/env bash
# The length-generalization levers measured against the default on a CUDA machine with PyTorch: distills the teacher
# folder given as the argument (default data/tiny-teacher) at 1,024 tokens with batch 8, in fp32, once per arm (the
# default recipe and one lever each, docs/lawcat.md §2.3), several arms at once on the one GPU. Every arm ends with
# passkey retrieval at 1x-16x the distillation length on the same samples (same seed), so arms compare pairwise; the
# "teacher" arm trains nothing and scores the teacher and the freshly converted, untrained student.
# Each arm's run folder (options.json, metrics.jsonl, passkey.csv/.json, checkpoints, log.txt) lands in
# $OUT/levers/ARM/ and $OUT/levers/summary.md tabulates them. Needs .pack/ (pack.sh) on the GPU machine. An arm still
# running at ARM_SECONDS stops with a checkpoint; with RESUME_DIR=<a levers folder of an earlier run> the arms finished
# there are kept and the others continue from their checkpoints.
#
# Plumbing check on a CPU, with the built CLI and tiny sizes:
#   DEVICE=cpu SEQ=128 BATCH=2 STAGE1_STEPS=2 STAGE2_STEPS=2 PLATEAU_STEPS=4 EVAL_EVERY=1 SAMPLES=1 MULTIPLES=[1,2] \
#     REACH_SAMPLES=1 GATE_MEMORY=64 PARALLEL=2 OUT=/tmp/levers-check scripts/device/run-levers.sh
TEACHER=${1:-data/tiny-teacher}
DEVICE=${DEVICE:-cuda}
SEQ=${SEQ:-1024}                       # distillation length (tokens)
BATCH=${BATCH:-8}                      # sequences per update in both stages
STAGE1_STEPS=${STAGE1_STEPS:-1500}
STAGE2_STEPS=${STAGE2_STEPS:-500}
EVAL_EVERY=${EVAL_EVERY:-100}
PLATEAU_STEPS=${PLATEAU_STEPS:-3000}   # stage-1 budget of the plateau arm, which stops on patience
PLATEAU_EVAL_EVERY=${PLATEAU_EVAL_EVERY:-50}
EARLY_STOP=${EARLY_STOP:-7}            # its evaluations without improvement before stopping (the rate drops after 4)
SAMPLES=${SAMPLES:-100}                # passkey samples per length at the end of every arm
MULTIPLES=${MULTIPLES:-[1,2,4,8,16]}   # passkey lengths, multiples of SEQ
REACH_SAMPLES=${REACH_SAMPLES:-10}     # held-out reach samples per length at every evaluation (reach arm)
REACH_MULTIPLES=${REACH_MULTIPLES:-[2,4]}
COVERAGE=${COVERAGE:-0.5}              # share of sequences starting from a non-zero state (carried, noise arms)
GATE_MEMORY=${GATE_MEMORY:-2048}       # bound of the gate-memory arm, tokens
GATE_INIT_MEMORY=${GATE_INIT_MEMORY:-[16,2048]}   # initial memory spectrum of the gate-init arm, tokens
STAGE2_PASSKEY=${STAGE2_PASSKEY:-0.9}  # stage 2's share of passkey samples in the stage2-mix arm
# Also known, not run unless named: gate-init, stage2-mix (with RESUME_DIR, finished arms are kept and only these run).
ARMS=${ARMS:-"teacher default plateau carried noise gate-memory reach"}
PARALLEL=${PARALLEL:-7}                # arms running at once
ARM_SECONDS=${ARM_SECONDS:-480}        # limit per arm (then it stops with a checkpoint)
RESUME_DIR=${RESUME_DIR:-}             # levers folder of an earlier run to continue

if [ "$DEVICE" = cpu ]; then
  set -euo pipefail
  export OUT=${OUT:-gpu-out}
  mkdir -p "$OUT"
  LAWCAT_CLI=$PWD/lawcat
else
  source scripts/device/env.sh
  LAWCAT_CLI=lawcat
  export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}   # several processes share the host's cores
fi
# Runs record the teacher's path; a fixed one lets RESUME_DIR continue them on another machine or checkout.
ln -sfn "$(cd "$TEACHER" && pwd)" /tmp/lawcat-levers-teacher
TEACHER=/tmp/lawcat-levers-teacher
mkdir -p "$OUT/levers"
if [ -n "$RESUME_DIR" ]; then cp -r "$RESUME_DIR"/. "$OUT/levers/"; rm -f "$OUT/levers/failures.txt"; fi

base=(--device "$DEVICE" --dtype float32 --set "teacher=$TEACHER" --set seed=0 --set checkpoint_every=500
  --set "data.sequence_length=$SEQ" --set data.passkey_ratio=0.5 --set data.eval_chunks=8
  --set "stage1.steps=$STAGE1_STEPS" --set "stage1.batch_size=$BATCH" --set stage1.gradient_accumulation=1 --set stage1.learning_rate=0.01
  --set stage1.schedule=plateau --set stage1.patience=3 --set "stage1.eval_every=$EVAL_EVERY"
  --set "stage2.steps=$STAGE2_STEPS" --set "stage2.batch_size=$BATCH" --set stage2.gradient_accumulation=1 --set stage2.learning_rate=0.001
  --set "stage2.eval_every=$EVAL_EVERY" --set stage2.train_lawcat=true
  --set "passkey_eval.length_multiples=$MULTIPLES" --set "passkey_eval.samples=$SAMPLES" --set passkey_eval.teacher=false)

# The arm's options on top of the base, into the array ARM_SETS.
arm_sets() {
  local noise="{\"ratio\":$COVERAGE,\"start\":\"noise\"}"
  case $1 in
    teacher) ARM_SETS=(--set stage1.steps=0 --set stage2.steps=0 --set passkey_eval.teacher=true) ;;
    default) ARM_SETS=() ;;
    plateau) ARM_SETS=(--set "stage1.steps=$PLATEAU_STEPS" --set "stage1.eval_every=$PLATEAU_EVAL_EVERY" --set "stage1.early_stop_patience=$EARLY_STOP") ;;
    carried) ARM_SETS=(--set "stage1.state_coverage.ratio=$COVERAGE" --set "stage2.state_coverage.ratio=$COVERAGE") ;;
    noise) ARM_SETS=(--set "stage1.state_coverage=$noise" --set "stage2.state_coverage=$noise") ;;
    gate-memory) ARM_SETS=(--set "lawcat.max_gate_memory=$GATE_MEMORY") ;;
    gate-init) ARM_SETS=(--set "lawcat.gate_init_memory=$GATE_INIT_MEMORY") ;;
    stage2-mix) ARM_SETS=(--set "stage2.passkey_ratio=$STAGE2_PASSKEY") ;;
    reach) ARM_SETS=(--set "reach_eval={\"length_multiples\":$REACH_MULTIPLES,\"samples\":$REACH_SAMPLES}"
      --set stage1.select_by=reach --set stage2.select_by=reach) ;;
    *) echo "unknown arm '$1' (known: teacher default plateau carried noise gate-memory reach gate-init stage2-mix)" >&2; return 1 ;;
  esac
}

run_arm() {
  local arm=$1 dir=$OUT/levers/$1 args
  arm_sets "$arm"
  if [ -f "$dir/passkey.json" ]; then echo "arm $arm: finished in $RESUME_DIR"; return; fi
  if [ -d "$dir/checkpoints" ]; then args=(--resume "$dir"); else args=(--out "$dir" "${base[@]}" ${ARM_SETS[@]+"${ARM_SETS[@]}"}); fi
  mkdir -p "$dir"
  timeout -s INT -k 30 "$ARM_SECONDS" "$LAWCAT_CLI" distill "${args[@]}" >> "$dir/log.txt" 2>&1 \
    || echo "ARM STOPPED ($?): $arm; see $dir/log.txt" | tee -a "$OUT/levers/failures.txt"
  echo "arm $arm done after $(( $(date +%s) - start )) s"
}

for arm in $ARMS; do arm_sets "$arm"; done
start=$(date +%s)
for arm in $ARMS; do
  while [ "$(jobs -rp | wc -l)" -ge "$PARALLEL" ]; do wait -n || true; done
  run_arm "$arm" &
done
wait
echo "all arms: $(( $(date +%s) - start )) s"
python3 - "$OUT/levers" $ARMS <<'EOF' | tee "$OUT/levers/summary.md"
# Per arm: student passkey accuracy by length (n, Wilson 95% interval), exact McNemar p against the default arm on the
# same samples, stage updates and best held-out losses; the teacher and the untrained student from the teacher arm.
import json, math, os, sys
root, arms = sys.argv[1], sys.argv[2:]

def wilson(k, n, z=1.959963984540054):
    if n == 0: return (float("nan"), float("nan"))
    p, z2n = k / n, z * z / n
    c, h = (p + z2n / 2) / (1 + z2n), z / (1 + z2n) * math.sqrt(p * (1 - p) / n + z2n / (4 * n))
    return max(0.0, c - h), min(1.0, c + h)

def mcnemar(a, b):
    """Exact two-sided McNemar p on paired 0/1 scores (binomial on the discordant pairs)."""
    keys = a.keys() & b.keys()
    x = sum(1 for k in keys if a[k] > b[k]); y = sum(1 for k in keys if b[k] > a[k])
    n = x + y
    if n == 0: return 1.0
    return min(1.0, 2 * sum(math.comb(n, i) for i in range(min(x, y) + 1)) / 2 ** n)

def scores(arm, model):
    path = os.path.join(root, arm, "passkey.json")
    if not os.path.exists(path): return None
    return {(r["target_length"], r["index"]): r["score"] for r in json.load(open(path)) if r["model"] == model}

def stages(arm):
    path = os.path.join(root, arm, "metrics.jsonl")
    if not os.path.exists(path): return "no metrics"
    recs = [json.loads(l) for l in open(path) if l.strip()]
    out = []
    for s in (1, 2):
        ev = [r for r in recs if r.get("stage") == s and "eval_loss" in r]
        steps = max([r["step"] for r in recs if r.get("stage") == s] or [0])
        best = min([r["eval_loss"] for r in ev] or [float("nan")])
        reach = [r["reach"] for r in ev if "reach" in r]
        out.append(f"stage {s}: {steps} updates, best held-out {best:.4g}" + (f", reach {min(reach):.2f}..{max(reach):.2f}" if reach else ""))
    return "; ".join(out)

default = scores("default", "student") if "default" in arms else None
rows = [("teacher", "teacher", scores("teacher", "teacher"))] + [("student", a, scores(a, "student")) for a in arms]
lengths = sorted({k[0] for _, _, s in rows if s for k in s})
print("| model | arm | " + " | ".join(f"{l} tokens" for l in lengths) + " |")
print("|---|---|" + "---|" * len(lengths))
for model, arm, s in rows:
    if s is None:
        print(f"| {model} | {arm} | " + " | ".join("missing" for _ in lengths) + " |"); continue
    cells = []
    for l in lengths:
        v = [s[k] for k in s if k[0] == l]; k = sum(v); n = len(v); lo, hi = wilson(k, n)
        cell = f"{100 * k / n:.0f}% [{100 * lo:.0f}, {100 * hi:.0f}] n={n}" if n else "-"
        if model == "student" and arm != "default" and default:
            p = mcnemar({i: x for i, x in s.items() if i[0] == l}, {i: x for i, x in default.items() if i[0] == l})
            cell += f" p={p:.3g}"
        cells.append(cell)
    print(f"| {model} | {arm} | " + " | ".join(cells) + " |")
print()
print("Accuracy [Wilson 95% interval], n samples; p: exact McNemar test against the default arm on the same samples.")
print()
print("The teacher arm's student is the converted model before any training.")
print()
for a in arms:
    if a != "teacher": print(f"- {a}: {stages(a)}")
EOF
