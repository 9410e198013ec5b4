"""Peers for the LAWCAT attention benchmark, on the GPU machine, on the shapes `lawcat bench attention` uses
(B=1, H=32, head dim 64, bf16), forward passes: PyTorch SDPA (FlashAttention path) and fla's Triton chunk_gla (fla is public code,
carried to the machine in an ignored folder and put on PYTHONPATH, never committed). Also measures the machine's
copy bandwidth and bf16 matmul rate, and from them the floor of the op at each length. With --backward, forward+backward
instead (as training runs them; fla's backward autotuning is timed apart, on a first call); --batch N sets B.

Usage: python3 peer_bench.py OUT.json [--batch N] [--backward] [lengths...]
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F

torch.backends.cuda.matmul.allow_tf32 = False
dev = "cuda"
H, D = 32, 64
args = argparse.ArgumentParser()
args.add_argument("out")
args.add_argument("lengths", nargs="*", type=int)
args.add_argument("--batch", type=int, default=1)
args.add_argument("--backward", action="store_true")
args = args.parse_intermixed_args()
B, BACKWARD = args.batch, args.backward


def bench(fn, warmup=3, iters=10):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(iters):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    times.sort()
    return times[len(times) // 2]


def peak(fn):
    torch.cuda.synchronize()
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated()
    fn()
    torch.cuda.synchronize()
    return torch.cuda.max_memory_allocated() - base


def machine():
    x = torch.empty(2 * 1024 ** 3, dtype=torch.uint8, device=dev)
    y = torch.empty_like(x)
    ms = bench(lambda: y.copy_(x))
    bandwidth = 2 * x.numel() / (ms / 1e3)  # bytes read + written per second
    a = torch.randn(8192, 8192, dtype=torch.bfloat16, device=dev)
    ms = bench(lambda: a @ a)
    flops = 2 * 8192 ** 3 / (ms / 1e3)
    del x, y, a
    return bandwidth, flops


def main():
    out = args.out
    lengths = args.lengths or [1024, 2048, 4096, 8192, 16384, 32768, 65536]
    bandwidth, flops = machine()
    rows = []
    try:
        from fla.ops.gla import chunk_gla
        import fla
        fla_version = fla.__version__
    except Exception as e:  # noqa: BLE001
        chunk_gla, fla_version = None, f"unavailable: {e}"
    print(f"copy bandwidth {bandwidth / 1e12:.2f} TB/s, bf16 matmul {flops / 1e12:.0f} TFLOP/s, fla {fla_version}", flush=True)
    autotune_s = None
    if chunk_gla is not None:  # fla autotunes every kernel on first use; time that once, apart from the measurements
        t0 = time.time()
        x = torch.randn(B, 4096, H, D, device=dev, dtype=torch.bfloat16).softmax(-1).requires_grad_(BACKWARD)
        vv = torch.randn(B, 4096, H, D + 1, device=dev, dtype=torch.bfloat16, requires_grad=BACKWARD)
        gg = (F.logsigmoid(torch.randn(B, 4096, H, D, device=dev)) / 16).to(torch.bfloat16).requires_grad_(BACKWARD)
        o, _ = chunk_gla(x, x, vv, gg, output_final_state=True)
        if BACKWARD:
            o.backward(torch.randn_like(o))
        torch.cuda.synchronize()
        autotune_s = time.time() - t0
        print(f"fla autotune (first call): {autotune_s:.1f} s", flush=True)
    for T in lengths:
        torch.manual_seed(0)
        q = torch.randn(B, H, T, D, device=dev, dtype=torch.bfloat16, requires_grad=BACKWARD)
        k, v = torch.randn_like(q).requires_grad_(BACKWARD), torch.randn_like(q).requires_grad_(BACKWARD)
        pass_name = "fwd_bwd" if BACKWARD else "fwd"
        row = {"length": T, "batch": B}

        def sdpa():
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            if BACKWARD:
                y.backward(torch.ones_like(y))
        try:
            row[f"sdpa_{pass_name}_ms"] = bench(sdpa)
            row[f"sdpa_{pass_name}_peak_bytes"] = peak(sdpa)
        except torch.OutOfMemoryError as e:
            row["sdpa_error"] = str(e).split("\n")[0]
        # fla layout [B, T, H, K]; LAWCAT's normalized GLA: v carries a ones column (V = 65), softmax features, gate / 16.
        fq = torch.randn(B, T, H, D, device=dev, dtype=torch.bfloat16).softmax(-1).requires_grad_(BACKWARD)
        fk = torch.randn_like(fq).softmax(-1).requires_grad_(BACKWARD)
        fv = torch.cat([torch.randn(B, T, H, D, device=dev, dtype=torch.bfloat16), torch.ones(B, T, H, 1, device=dev, dtype=torch.bfloat16)], -1).requires_grad_(BACKWARD)
        fg = (F.logsigmoid(torch.randn(B, T, H, D, device=dev)) / 16).to(torch.bfloat16).requires_grad_(BACKWARD)

        def fla_gla():
            o, _ = chunk_gla(fq, fk, fv, fg, output_final_state=True)
            if BACKWARD:
                o.backward(torch.ones_like(o))
        # The floor of the LAWCAT op as `lawcat bench attention` runs it: q, k, v bf16 for 32 heads, log-decays fp32 for
        # the 8 key/value heads that share them, the normalized output bf16, each moved once.
        bytes_moved = B * T * (3 * H * D * 2 + 8 * D * 4 + H * D * 2)
        C = 64
        op_flops = 2 * B * H * T * (C * D + C * (D + 1) + 2 * D * (D + 1))  # intra scores, intra output, inter output + state update
        row["floor_bytes"] = bytes_moved
        row["floor_ms_bandwidth"] = bytes_moved / bandwidth * 1e3
        row["floor_ms_flops"] = op_flops / flops * 1e3
        if chunk_gla is not None:
            try:
                row[f"fla_chunk_gla_{pass_name}_ms"] = bench(fla_gla)
                row[f"fla_{pass_name}_peak_bytes"] = peak(fla_gla)
            except torch.OutOfMemoryError as e:
                row["fla_error"] = str(e).split("\n")[0]
        rows.append(row)
        print(json.dumps(row), flush=True)
        del q, k, v, fq, fk, fv, fg
        torch.cuda.empty_cache()
    result = {"gpu": torch.cuda.get_device_name(), "batch": B, "backward": BACKWARD, "torch": torch.__version__, "fla": fla_version, "fla_autotune_seconds": autotune_s,
              "copy_bandwidth_bytes_per_s": bandwidth, "bf16_matmul_flops_per_s": flops, "rows": rows}
    with open(out, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
