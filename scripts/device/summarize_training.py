"""Summarizes a run of run-training-speed.sh: distillation throughput per kernel policy and stage, and the op's and
layer's forward / forward+backward times (with fla and SDPA beside them when measured), as one JSON (for docs/bench/)
and Markdown tables on standard output.

Usage: python3 summarize_training.py RUN_FOLDER "GPU NAME" OUT.json
"""
import datetime
import glob
import json
import os
import statistics
import sys

w, gpu, out = sys.argv[1], sys.argv[2], sys.argv[3]
summary = {"gpu": gpu, "date": datetime.date.today().isoformat(), "commit": os.environ.get("LAWCAT_COMMIT") or None,
           "model": "Llama-3.2-1B architecture, random bf16 weights", "sequence_length": 1024, "batch": 8,
           "training": [], "ops": [], "peers": []}
print(f"GPU: {gpu}; Llama-3.2-1B architecture, bf16, 1,024-token sequences, 8 per update")
print()
print("| kernels | stage | updates | tokens/s (median after the first update) | range | peak GPU memory (GiB, nvidia-smi) |")
print("|---|---|---:|---:|---|---:|")
for policy in ("auto", "tensor-only"):
    path = f"{w}/training-metrics-{policy}.jsonl"
    if not os.path.exists(path):
        continue
    rows = [json.loads(line) for line in open(path) if line.strip()]
    mem = max((int(line) for line in open(f"{w}/mem-{policy}.txt") if line.strip().isdigit()), default=0) / 1024
    for stage, name in ((1, "stage 1, attention transfer"), (2, "stage 2, LoRA fine-tuning")):
        r = [x["tokens_per_s"] for x in rows if x.get("stage") == stage and "tokens_per_s" in x]
        entry = {"kernels": policy, "stage": stage, "updates": len(r), "peak_gib": round(mem, 1), "tokens_per_s": r}
        if len(r) < 2:
            print(f"| {policy} | {name} | {len(r)} | - | - | {mem:.1f} |")
        else:
            entry["median_after_first"] = statistics.median(r[1:])
            print(f"| {policy} | {name} | {len(r)} | {statistics.median(r[1:]):,.0f} | {min(r[1:]):,.0f}-{max(r[1:]):,.0f} | {mem:.1f} |")
        summary["training"].append(entry)
print()
print("| what | B | T | kernels | forward (ms) | forward+backward (ms) | peak GiB |")
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
        ms = lambda x: None if not x or x.get("Error") else x["Milliseconds"]
        summary["ops"].append({"method": m, "batch": b, "length": t, "kernels": d["kernels"], "forward_ms": ms(f),
                               "forward_backward_ms": ms(fb), "peak_bytes": peak})
        cell = lambda v: "-" if v is None else f"{v:.3f}"
        print(f"| {m} | {b} | {t} | {d['kernels']} | {cell(ms(f))} | {cell(ms(fb))} | {'-' if peak is None else f'{peak / 2**30:.2f}'} |")
for path in sorted(glob.glob(f"{w}/fla-*.json")):
    d = json.load(open(path))
    summary["peers"].append(d)
    for r in d["rows"]:
        print(f"| fla chunk_gla {d['fla']} (autotune {d['fla_autotune_seconds'] or 0:.0f} s apart) | {r['batch']} | {r['length']} | - | - | "
              f"{r.get('fla_chunk_gla_fwd_bwd_ms', float('nan')):.3f} | {r.get('fla_fwd_bwd_peak_bytes', 0) / 2**30:.2f} |")
        print(f"| PyTorch SDPA | {r['batch']} | {r['length']} | - | - | {r.get('sdpa_fwd_bwd_ms', float('nan')):.3f} | "
              f"{r.get('sdpa_fwd_bwd_peak_bytes', 0) / 2**30:.2f} |")
with open(out, "w") as f:
    json.dump(summary, f, indent=1)
