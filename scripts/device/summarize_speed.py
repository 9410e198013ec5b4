"""Combines the outputs of run-speed.sh into one JSON (for docs/bench/) and Markdown tables (for docs/benchmarks.md), with
the targets of the LAWCAT speed work checked against the numbers. Also measures the GPU's copy bandwidth, for the floors.

Usage: python3 summarize_speed.py WORK_DIR OUT.json OUT.md
WORK_DIR holds kernels.json, attention-*.json, backward-*.json, teacher.json, student.json (any may be missing: its
cells then read "-").
"""
import datetime
import glob
import json
import os
import subprocess
import sys

# fla 0.5.2 chunk_gla forward on LAWCAT's shapes (B 1, H 32, D 64, V 65), H200, 2026-12-02 (docs/benchmarks.md; not
# re-run here: its first call autotunes for about 110 s).
FLA_FORWARD_MS = {4096: 0.514, 8192: 0.784, 16384: 1.53, 32768: 2.48, 65536: 4.91}
# Llama-3.2-1B: 1,235,814,400 parameters in bf16, read once per decoded token.
WEIGHT_BYTES_1B = 1_235_814_400 * 2
LENGTHS = [1024, 2048, 4096, 8192, 16384, 32768, 65536]


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def bandwidth():
    """Bytes read + written per second by a 2 GiB device copy (median of 10), or None without torch/CUDA."""
    try:
        import torch
        x = torch.empty(2 * 1024 ** 3, dtype=torch.uint8, device="cuda")
        y = torch.empty_like(x)
        times = []
        for i in range(13):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            y.copy_(x)
            end.record()
            torch.cuda.synchronize()
            if i >= 3:
                times.append(start.elapsed_time(end))
        times.sort()
        return 2 * x.numel() / (times[len(times) // 2] / 1e3)
    except Exception as e:  # noqa: BLE001 - the summary must still be written
        print("bandwidth not measured:", e)
        return None


def attention_rows(work):
    """Forward rows from attention-*.json, forward+backward rows from backward-*.json (whose forward rows ran after
    backward passes, so their peak memory is not their own)."""
    rows = {}
    for pattern, wanted in (("attention-*.json", "forward"), ("backward-*.json", "forward+backward")):
        for path in sorted(glob.glob(os.path.join(work, pattern))):
            for r in (load(path) or {}).get("results", []):
                if r["Pass"] == wanted:
                    rows[(r["Method"], r["Pass"], r["Length"])] = r
    return rows


def ms(rows, method, length, pass_="forward"):
    r = rows.get((method, pass_, length))
    return None if r is None or r.get("Error") else r["Milliseconds"]


def peak(rows, method, length, pass_="forward"):
    r = rows.get((method, pass_, length))
    return None if r is None or r.get("Error") else r.get("PeakBytes")


def fmt(x, digits=3):
    return "-" if x is None else f"{x:.{digits}f}"


def gib(b):
    return "-" if b is None else f"{b / 2 ** 30:.2f}"


def mark(ok):
    return "n/a" if ok is None else ("met" if ok else "NOT met")


def main():
    work, out_json, out_md = sys.argv[1], sys.argv[2], sys.argv[3]
    kernels = load(os.path.join(work, "kernels.json")) or []
    rows = attention_rows(work)
    teacher = (load(os.path.join(work, "teacher.json")) or {}).get("teacher", {})
    student = (load(os.path.join(work, "student.json")) or {}).get("student", {})
    bw = bandwidth()
    gpu = open(os.path.join(os.environ.get("OUT", "."), "gpu.txt")).read().strip() if os.path.exists(os.path.join(os.environ.get("OUT", "."), "gpu.txt")) else ""
    commit = os.environ.get("LAWCAT_COMMIT") or subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()

    failed = [r for r in kernels if not (r.get("Error") is None and r["OutputError"] <= r["Tolerance"] and r["StateError"] <= r["Tolerance"])]
    lines = [f"GPU: {gpu}; date {datetime.date.today()}; commit {commit}; B = 1, bf16, 32 query / 8 key-value heads, head dim 64.", ""]
    lines += [f"Kernel check (`lawcat bench kernels`): {len(kernels) - len(failed)} of {len(kernels)} checks within tolerance"
              + ("" if not failed else "; failed: " + "; ".join(f"{r['Case']} ({r.get('Error') or 'error'})" for r in failed[:5])), ""]

    head = "| | " + " | ".join(f"{n // 1024}K" for n in LENGTHS) + " |"
    sep = "|---|" + "---:|" * len(LENGTHS)

    def line(name, values):
        return f"| {name} | " + " | ".join(values) + " |"

    ratio, faster = {}, {}
    for n in LENGTHS:
        op, gemm, layer, soft = ms(rows, "lawcat-op", n), ms(rows, "layer-gemms", n), ms(rows, "lawcat-layer", n), ms(rows, "softmax-layer", n)
        ratio[n] = layer / (op + gemm) if None not in (op, gemm, layer) else None
        faster[n] = layer < soft if None not in (layer, soft) else None
    table = [head, sep,
             line("SDPA op (ms)", [fmt(ms(rows, "sdpa", n)) for n in LENGTHS]),
             line("LAWCAT op (ms)", [fmt(ms(rows, "lawcat-op", n)) for n in LENGTHS]),
             line("fla `chunk_gla` forward, same shapes and gates (ms; 2026-12-02 run)", [fmt(FLA_FORWARD_MS.get(n)) for n in LENGTHS]),
             line("layer projection GEMMs (ms)", [fmt(ms(rows, "layer-gemms", n)) for n in LENGTHS]),
             line("softmax layer (ms)", [fmt(ms(rows, "softmax-layer", n)) for n in LENGTHS]),
             line("LAWCAT layer (ms)", [fmt(ms(rows, "lawcat-layer", n)) for n in LENGTHS]),
             line("LAWCAT layer / (op + GEMMs)", [fmt(ratio[n], 2) for n in LENGTHS]),
             line("LAWCAT decode op (ms)", [fmt(ms(rows, "lawcat-decode", n)) for n in LENGTHS]),
             line("LAWCAT layer decode step (ms)", [fmt(ms(rows, "lawcat-layer-decode", n)) for n in LENGTHS]),
             line("softmax layer decode step (ms)", [fmt(ms(rows, "softmax-layer-decode", n)) for n in LENGTHS]),
             line("peak GiB: SDPA / LAWCAT op", [f"{gib(peak(rows, 'sdpa', n))} / {gib(peak(rows, 'lawcat-op', n))}" for n in LENGTHS]),
             line("peak GiB: softmax / LAWCAT layer", [f"{gib(peak(rows, 'softmax-layer', n))} / {gib(peak(rows, 'lawcat-layer', n))}" for n in LENGTHS]),
             line("forward+backward (ms): SDPA / LAWCAT op (tensor operations)",
                  [f"{fmt(ms(rows, 'sdpa', n, 'forward+backward'))} / {fmt(ms(rows, 'lawcat-op-tensor', n, 'forward+backward'))}" for n in LENGTHS])]
    lines += ["Attention, per sequence length (`lawcat bench attention`, medians of 10; peak memory = the process's device memory in use after the row,",
              "each method in its own process):", ""] + table + [""]

    model_lengths = sorted({int(k.split("_")[1]) for k in list(teacher) + list(student) if k.startswith("prefill_") and k.endswith("_ms")})
    decode_lengths = sorted({int(k.split("_")[2]) for k in list(teacher) + list(student) if k.startswith("decode_after_") and k.endswith("_ms_per_token")})
    mt = ["| prefill length | teacher (ms) | student (ms) | teacher / student | peak GiB teacher / student |", "|---|---:|---:|---:|---|"]
    for n in model_lengths:
        t, s = teacher.get(f"prefill_{n}_ms"), student.get(f"prefill_{n}_ms")
        mt.append(f"| {n // 1024}K | {fmt(t, 1)} | {fmt(s, 1)} | {fmt(t / s if t and s else None, 2)} | "
                  f"{gib(teacher.get(f'prefill_{n}_peak_bytes'))} / {gib(student.get(f'prefill_{n}_peak_bytes'))} |")
    floor = WEIGHT_BYTES_1B / (bw / 2) * 1e3 if bw else None  # weights read once; copy bandwidth counts read + write
    mt += ["", "| decode after | teacher (ms/token) | student (ms/token) | student tokens/s | floor (ms/token) |", "|---|---:|---:|---:|---:|"]
    for n in decode_lengths:
        t, s = teacher.get(f"decode_after_{n}_ms_per_token"), student.get(f"decode_after_{n}_ms_per_token")
        mt.append(f"| {n // 1024}K | {fmt(t, 2)} | {fmt(s, 2)} | {fmt(1000 / s if s else None, 0)} | {fmt(floor, 2)} |")
    lines += ["Llama-3.2-1B architecture, random bf16 weights (`lawcat bench model --random llama-3.2-1b`), teacher and converted student",
              "in separate processes:", ""] + mt + [""]
    if bw:
        lines += [f"Device copy bandwidth: {bw / 1e12:.2f} TB/s (read + write of a 2 GiB copy); decode floor = 2.47 GB of weights / {bw / 2e12:.2f} TB/s.", ""]

    def at(d, key):
        return d.get(key)
    s64, t64 = at(student, "prefill_65536_ms"), at(teacher, "prefill_65536_ms")
    s8, t8 = at(student, "prefill_8192_ms"), at(teacher, "prefill_8192_ms")
    dec = [student.get(f"decode_after_{n}_ms_per_token") for n in decode_lengths]
    targets = [
        ("kernel check passes", len(kernels) > 0 and not failed),
        ("LAWCAT layer within 1.5x of op + GEMMs (all lengths)", all(ratio[n] is not None and ratio[n] <= 1.5 for n in LENGTHS) if any(ratio.values()) else None),
        ("LAWCAT layer faster than softmax layer from 4K", all(faster[n] for n in LENGTHS if n >= 4096) if all(faster[n] is not None for n in LENGTHS if n >= 4096) else None),
        ("1B student prefill faster than teacher from 8K", None if None in (s8, t8) else all(
            student.get(f"prefill_{n}_ms", 1e9) < teacher.get(f"prefill_{n}_ms", 0) for n in model_lengths if n >= 8192)),
        ("1B student prefill at least 3x faster at 64K", None if None in (s64, t64) else t64 / s64 >= 3),
        ("1B student decode <= 4 ms/token at every context", None if not dec or None in dec else max(dec) <= 4),
        ("1B student decode faster than teacher from 4K", None if not decode_lengths else all(
            student.get(f"decode_after_{n}_ms_per_token", 1e9) < teacher.get(f"decode_after_{n}_ms_per_token", 0) for n in decode_lengths if n >= 4096)),
        ("LAWCAT decode op <= 50 us", None if not any(ms(rows, "lawcat-decode", n) for n in LENGTHS) else
            max(ms(rows, "lawcat-decode", n) or 1e9 for n in LENGTHS) <= 0.050),
        ("student prefill memory at 64K below teacher's", None if None in (student.get("prefill_65536_peak_bytes"), teacher.get("prefill_65536_peak_bytes"))
            else student["prefill_65536_peak_bytes"] < teacher["prefill_65536_peak_bytes"]),
    ]
    lines += ["Targets:", ""] + [f"- {name}: {mark(ok)}" for name, ok in targets] + [""]

    summary = {"gpu": gpu, "date": str(datetime.date.today()), "commit": commit, "copy_bandwidth_bytes_per_s": bw,
               "kernel_check": {"passed": len(kernels) - len(failed), "total": len(kernels), "failed": failed},
               "attention": list(rows.values()), "fla_chunk_gla_forward_ms_2026_12_02": FLA_FORWARD_MS,
               "model": {"teacher": teacher, "student": student}, "targets": {name: ok for name, ok in targets}}
    with open(out_json, "w") as f:
        json.dump(summary, f, indent=1)
    with open(out_md, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
