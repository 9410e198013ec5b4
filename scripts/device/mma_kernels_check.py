"""Checks and times the tensor-core GLA kernels (src/Lawcat/Kernels/Cuda/GlaMmaKernels.cu) on the GPU machine, outside
.NET: compiles the source with NVRTC to PTX and launches it through the CUDA driver API, as the library does
(GlaMma.cs), on PyTorch tensors. Correctness against an fp64 recurrence on the same bf16 inputs (outputs and final
states, relative RMSE <= 5e-3, fresh random inputs per case); then forward times next to PyTorch SDPA at B=1, H=32,
head dim 64 with LAWCAT's 8 gate heads. Kernel development aid; the benchmark of record is `lawcat bench attention`.

Usage: python3 mma_kernels_check.py [OUT.json] [--no-timing]
"""
import ctypes
import glob
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer_bench import bench  # noqa: E402  (CUDA-event medians, shared with the peer benchmark)

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../src/Lawcat/Kernels/Cuda/GlaMmaKernels.cu")
KD, CH, BP, GP = 64, 64, 72, 72


def load_lib(names, dirs):
    for d in [None] + dirs:
        for n in names:
            try:
                return ctypes.CDLL(n if d is None else os.path.join(d, n))
            except OSError:
                pass
    raise OSError(f"none of {names} found")


import nvidia  # noqa: E402  (PyTorch's CUDA wheels; NVRTC lives there)

NV_DIRS = glob.glob(os.path.join(list(nvidia.__path__)[0], "*", "lib"))
nvrtc = load_lib(["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"], NV_DIRS)
cuda = load_lib(["libcuda.so.1"], [])


def check(rc, what):
    if rc != 0:
        s = ctypes.c_char_p()
        cuda.cuGetErrorString(rc, ctypes.byref(s))
        raise RuntimeError(f"{what}: CUDA error {rc} {s.value}")


def compile_ptx(vd, norm, cc):
    src = open(SRC).read().encode()
    prog = ctypes.c_void_p()
    assert nvrtc.nvrtcCreateProgram(ctypes.byref(prog), src, b"GlaMmaKernels.cu", 0, None, None) == 0
    opts = [f"--gpu-architecture=compute_{cc}".encode(), f"-DVD={vd}".encode(), f"-DNORM={norm}".encode()]
    arr = (ctypes.c_char_p * len(opts))(*opts)
    rc = nvrtc.nvrtcCompileProgram(prog, len(opts), arr)
    size = ctypes.c_size_t()
    nvrtc.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
    log = ctypes.create_string_buffer(size.value)
    nvrtc.nvrtcGetProgramLog(prog, log)
    if rc != 0:
        raise RuntimeError("NVRTC failed:\n" + log.value.decode())
    if log.value.strip():
        print("NVRTC log:", log.value.decode()[:2000])
    nvrtc.nvrtcGetPTXSize(prog, ctypes.byref(size))
    ptx = ctypes.create_string_buffer(size.value)
    nvrtc.nvrtcGetPTX(prog, ptx)
    return ptx.raw


class GlaArgs(ctypes.Structure):
    _fields_ = [(n, ctypes.c_void_p) for n in "q k v gc o U dsum s0 final_state".split()] + \
               [(n, ctypes.c_longlong) for n in "qb qh qt kb kh kt vb vh vt ob oh ot T H Hv Hg N CPS SEG".split()] + \
               [("scale", ctypes.c_float), ("eps", ctypes.c_float)]


class CumsumArgs(ctypes.Structure):
    _fields_ = [("g", ctypes.c_void_p), ("gc", ctypes.c_void_p)] + [(n, ctypes.c_longlong) for n in "gb gh gt T Hg N".split()]


class Kernels:
    def __init__(self, vd, norm):
        torch.zeros(1, device="cuda")
        major, minor = torch.cuda.get_device_capability()
        self.vd, self.norm = vd, norm
        self.vs = vd + norm
        self.vp = (self.vs + 7) // 8 * 8
        self.vpitch = self.vp if (self.vp // 8) % 2 == 1 else self.vp + 8
        ptx = compile_ptx(vd, norm, major * 10 + minor)
        mod = ctypes.c_void_p()
        check(cuda.cuModuleLoadData(ctypes.byref(mod), ptx), "cuModuleLoadData")
        self.fn = {}
        for name in ["gla_mma_cumsum", "gla_mma_segment", "gla_mma_output"]:
            f = ctypes.c_void_p()
            check(cuda.cuModuleGetFunction(ctypes.byref(f), mod, name.encode()), name)
            self.fn[name] = f
        self.seg_smem = 2 * self.stage_bytes(False)
        self.out_smem = 2 * self.stage_bytes(True) + CH * BP * 2 + KD * self.vpitch * 2
        check(cuda.cuFuncSetAttribute(self.fn["gla_mma_segment"], 8, self.seg_smem), "attr")
        check(cuda.cuFuncSetAttribute(self.fn["gla_mma_output"], 8, self.out_smem), "attr")
        self.sms = torch.cuda.get_device_properties(0).multi_processor_count

    def stage_bytes(self, with_q):
        return (CH * BP * 2 if with_q else 0) + CH * BP * 2 + CH * self.vpitch * 2 + CH * GP * 4

    def launch(self, name, grid, block, smem, args):
        ptrs = (ctypes.c_void_p * len(args))(*[ctypes.cast(ctypes.pointer(a), ctypes.c_void_p) for a in args])
        check(cuda.cuLaunchKernel(self.fn[name], grid[0], grid[1], 1, block, 1, 1, smem, None, ptrs, None), name)

    def __call__(self, q, k, v, g, scale, eps, s0=None, segments=None, events=None):
        """q, k [B, H, T, 64] bf16, v [B, H, T, VD] bf16, g [B, Hg, T, 64] fp32 (strided views allowed, last dim
        contiguous) -> y [B, H, T, VD] bf16, final state [B, H, 64, VS] fp32."""
        B, H, T, _ = q.shape
        Hg = g.shape[1]
        N = (T + CH - 1) // CH
        seg = segments or max(1, min(N, 2 * self.sms // (B * H)))
        cps = (N + seg - 1) // seg
        seg = (N + cps - 1) // cps
        gc = torch.empty(B * Hg, T, KD, device=q.device, dtype=torch.float32)
        y = torch.empty(B, T, H, self.vd, device=q.device, dtype=torch.bfloat16).transpose(1, 2)
        U = torch.empty(B * H, seg, KD, self.vp, device=q.device, dtype=torch.float32)
        dsum = torch.empty(B * H, seg, KD, device=q.device, dtype=torch.float32)
        final = torch.empty(B, H, KD, self.vs, device=q.device, dtype=torch.float32)
        mark = (lambda i: events[i].record()) if events else (lambda i: None)
        mark(0)
        self.launch("gla_mma_cumsum", ((N + 3) // 4, B * Hg), 256, 0,
                    [CumsumArgs(g.data_ptr(), gc.data_ptr(), g.stride(0), g.stride(1), g.stride(2), T, Hg, N)])
        a = GlaArgs(q.data_ptr(), k.data_ptr(), v.data_ptr(), gc.data_ptr(), y.data_ptr(), U.data_ptr(), dsum.data_ptr(),
                    s0.data_ptr() if s0 is not None else None, final.data_ptr(),
                    q.stride(0), q.stride(1), q.stride(2), k.stride(0), k.stride(1), k.stride(2), v.stride(0), v.stride(1), v.stride(2),
                    y.stride(0), y.stride(1), y.stride(2), T, H, v.shape[1], Hg, N, cps, seg, scale, eps)
        mark(1)
        if seg > 1:
            self.launch("gla_mma_segment", (seg - 1, B * H), 128, self.seg_smem, [a])
        mark(2)
        self.launch("gla_mma_output", (seg, B * H), 128, self.out_smem, [a])
        mark(3)
        return y, final


def reference(q, k, v, g, scale, eps, s0, norm):
    B, H, T, _ = q.shape
    rep = H // g.shape[1]
    qd, kd, vd = q.double(), k.double(), v.double()
    if norm:
        vd = torch.cat([vd, torch.ones_like(vd[..., :1])], -1)
    gd = g.double().repeat_interleave(rep, dim=1)
    S = s0.double().clone() if s0 is not None else torch.zeros(B, H, KD, vd.shape[-1], dtype=torch.float64, device=q.device)
    outs = []
    for t in range(T):
        S = S * gd[:, :, t].exp().unsqueeze(-1) + kd[:, :, t].unsqueeze(-1) * vd[:, :, t].unsqueeze(-2)
        outs.append(scale * torch.einsum("bhk,bhkv->bhv", qd[:, :, t], S))
    o = torch.stack(outs, 2)
    y = o[..., :-1] / (o[..., -1:] + eps) if norm else o
    return y, S


def rel_rmse(ref, x):
    ref, x = ref.double(), x.double()
    return ((x - ref).pow(2).mean().sqrt() / ref.pow(2).mean().sqrt().clamp_min(1e-30)).item()


def inputs(B, H, Hg, T, vd, normalizer, strided, seed, features=True, state=True, vs=None):
    torch.manual_seed(seed)
    dev = "cuda"
    if strided:  # the layouts LawcatAttention hands over: [B, T, H, D] projections viewed as [B, H, T, D]
        q = torch.randn(B, T, H, KD, device=dev).transpose(1, 2)
        k = torch.randn(B, T, H, KD, device=dev).transpose(1, 2)
        v = torch.randn(B, T, H, vd, device=dev).transpose(1, 2)
        g = (F.logsigmoid(torch.randn(B, T, Hg, KD, device=dev)) / normalizer).transpose(1, 2)
    else:
        q, k = torch.randn(B, H, T, KD, device=dev), torch.randn(B, H, T, KD, device=dev)
        v = torch.randn(B, H, T, vd, device=dev)
        g = F.logsigmoid(torch.randn(B, Hg, T, KD, device=dev)) / normalizer
    if features:  # LAWCAT's features are positive (Hedgehog softmax), so its denominators are
        q, k = q.softmax(-1), k.softmax(-1)
    bf = lambda x: x.to(torch.bfloat16) if not strided else x.transpose(1, 2).contiguous().to(torch.bfloat16).transpose(1, 2)
    s0 = torch.rand(B, H, KD, vs, device=dev) * 0.1 if state else None
    return bf(q), bf(k), bf(v), g, s0


def correctness(cases):
    rows = []
    for vd, norm in [(64, 1), (64, 0), (32, 1)]:
        kern = Kernels(vd, norm)
        for (T, normalizer, strided, segments, state) in cases:
            q, k, v, g, s0 = inputs(2, 4, 2, T, vd, normalizer, strided, T * 7 + vd + norm, features=norm == 1, state=state, vs=vd + norm)
            scale = KD ** -0.5
            y, fs = kern(q, k, v, g, scale, 1e-10, s0, segments)
            torch.cuda.synchronize()
            yr, sr = reference(q, k, v, g, scale, 1e-10, s0, norm)
            ey, es = rel_rmse(yr, y), rel_rmse(sr, fs)
            nan = bool(torch.isnan(y).any() or torch.isnan(fs).any())
            ok = ey <= 5e-3 and es <= 5e-3 and not nan
            row = dict(vd=vd, norm=norm, T=T, normalizer=normalizer, strided=strided, segments=segments, state=state,
                       out_err=ey, state_err=es, nan=nan, ok=ok)
            rows.append(row)
            print(("PASS " if ok else "FAIL ") + json.dumps(row), flush=True)
    return rows


def timing(lengths):
    kern = Kernels(64, 1)
    rows = []
    B, H, Hg = 1, 32, 8
    for T in lengths:
        q, k, v, g, _ = inputs(B, H, Hg, T, 64, 16.0, True, 0, state=False, vs=65)
        sq = torch.randn(B, H, T, KD, device="cuda", dtype=torch.bfloat16)
        row = {"T": T}
        row["sdpa_ms"] = bench(lambda: F.scaled_dot_product_attention(sq, sq, sq, is_causal=True), iters=20)
        row["ours_ms"] = bench(lambda: kern(q, k, v, g, 0.125, 1e-10), iters=20)
        row["speedup"] = row["sdpa_ms"] / row["ours_ms"]
        ev = [torch.cuda.Event(enable_timing=True) for _ in range(4)]
        parts = []
        for _ in range(5):
            kern(q, k, v, g, 0.125, 1e-10, events=ev)
            torch.cuda.synchronize()
            parts.append([ev[i].elapsed_time(ev[i + 1]) for i in range(3)])
        parts.sort(key=lambda p: sum(p))
        row["cumsum_ms"], row["segment_ms"], row["output_ms"] = parts[2]
        rows.append(row)
        print(json.dumps(row), flush=True)
        del q, k, v, g, sq
        torch.cuda.empty_cache()
    return rows


def main():
    out = next((a for a in sys.argv[1:] if not a.startswith("--")), None)
    print(torch.cuda.get_device_name(), torch.__version__, flush=True)
    cases = [(1, 16.0, False, None, True), (7, 16.0, True, None, True), (63, 1.0, False, None, False), (64, 16.0, True, None, True),
             (65, 16.0, False, None, True), (200, 0.1, True, None, True), (1000, 16.0, True, 3, True), (1000, 1.0, False, 16, False),
             (4100, 16.0, True, None, True), (300, 0.02, False, 2, True)]
    result = {"gpu": torch.cuda.get_device_name(), "correctness": correctness(cases)}
    if "--no-timing" not in sys.argv:
        result["timing"] = timing([1024, 2048, 4096, 8192, 16384, 32768, 65536])
    if out:
        with open(out, "w") as f:
            json.dump(result, f, indent=1)
    bad = [r for r in result["correctness"] if not r["ok"]]
    print(f"{len(result['correctness']) - len(bad)} of {len(result['correctness'])} cases within 5e-3")


if __name__ == "__main__":
    main()
