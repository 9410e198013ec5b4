// The tensor-core primitives of the workbench's kernels written out from the PTX ISA, for the CPU emulator
// (cuda_emulation.h), with what the ISA requires of their operands checked:
//   mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32   by its fragment layouts, executed by the whole warp at once;
//   ldmatrix.sync.aligned.m8n8.x{2,4}[.trans].shared.b16    by its fragment layouts; the row addresses of the lanes that
//                                                          supply them (0-15 for .x2, all for .x4) 16-byte aligned and
//                                                          inside the launch's dynamic shared memory;
//   cp.async.cg.shared.global (16 bytes)                    destination in dynamic shared memory, source and destination
//                                                          16-byte aligned; asynchronous: the copy lands when its thread
//                                                          waits for its group (commit_group / wait_group), so reading the
//                                                          tile before the wait reads uninitialized (NaN) bytes.
// A kernel source that uses these takes them instead of its inline PTX when EMULATED_PRIMITIVES is defined.
#pragma once
#include "cuda_emulation.h"

inline unsigned short emu_bf16(float x)   // round to nearest even, as cvt.rn.bf16
{
    const unsigned u = __float_as_uint(x);
    return (unsigned short)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

inline float emu_float(unsigned short x) { return __uint_as_float((unsigned)x << 16); }

// cvt.rn.bf16x2.f32: lo in the low half.
inline unsigned pack_bf16(float lo, float hi) { return emu_bf16(lo) | ((unsigned)emu_bf16(hi) << 16); }

// cvta.to.shared: the offset of a generic address in the CTA's (dynamic) shared memory.
inline unsigned smem_addr(const void* p, std::source_location at = std::source_location::current())
{
    const auto* c = static_cast<const unsigned char*>(p);
    if (c < emu_dynamic_shared || c >= emu_dynamic_shared + sizeof emu_dynamic_shared)
        emu_fail("cvta.to.shared of an address outside shared memory", at);
    return (unsigned)(c - emu_dynamic_shared);
}

// The 16-bit element `col` of the 8-element shared-memory row at `addr`.
inline unsigned emu_row_element(unsigned addr, unsigned col)
{
    unsigned short v;
    std::memcpy(&v, emu_dynamic_shared + addr + 2 * col, 2);
    return v;
}

// ldmatrix: lanes 8i .. 8i + 7 give the row addresses of matrix i. Lane l receives, per matrix, elements (row l/4,
// columns 2(l%4), 2(l%4)+1); with .trans, elements (rows 2(l%4), 2(l%4)+1, column l/4).
template <int M>
inline void emu_ldmatrix(unsigned* r, unsigned addr, bool trans, std::source_location at)
{
    struct Out { unsigned r[4]; };
    const char* what = trans ? "ldmatrix.trans" : "ldmatrix";
    const Out out = emu_warp<unsigned, Out>(what, addr, [&](const unsigned* rows, Out* outs) {
        for (unsigned l = 0; l < 8 * M; l++) {
            unsigned offset;
            if (rows[l] % 16 != 0 || !emu_in_shared(emu_dynamic_shared + rows[l], 16, offset)) {
                char text[160];
                std::snprintf(text, sizeof text, "%s: lane %u's row address 0x%x is %s", what, l, rows[l],
                              rows[l] % 16 != 0 ? "not 16-byte aligned (misaligned address)" : "outside the launch's dynamic shared memory");
                emu_fail(text, at);
                for (unsigned k = 0; k < 32; k++) outs[k] = Out{};
                return;
            }
        }
        for (unsigned l = 0; l < 32; l++)
            for (int i = 0; i < M; i++) {
                outs[l].r[i] = !trans
                    ? emu_row_element(rows[8 * i + l / 4], 2 * (l % 4)) | emu_row_element(rows[8 * i + l / 4], 2 * (l % 4) + 1) << 16
                    : emu_row_element(rows[8 * i + 2 * (l % 4)], l / 4) | emu_row_element(rows[8 * i + 2 * (l % 4) + 1], l / 4) << 16;
            }
    }, at);
    for (int i = 0; i < M; i++) r[i] = out.r[i];
}

inline void ldsm_x4(unsigned r[4], unsigned addr, std::source_location at = std::source_location::current()) { emu_ldmatrix<4>(r, addr, false, at); }
inline void ldsm_x4_t(unsigned r[4], unsigned addr, std::source_location at = std::source_location::current()) { emu_ldmatrix<4>(r, addr, true, at); }
inline void ldsm_x2_t(unsigned r[2], unsigned addr, std::source_location at = std::source_location::current()) { emu_ldmatrix<2>(r, addr, true, at); }

// mma.m16n8k16.row.col: lane (group g = l/4, t = l%4) holds A (16 x 16) rows g, g+8 at columns 2t, 2t+1 (registers 0, 1)
// and 2t+8, 2t+9 (registers 2, 3); B (16 x 8) rows 2t, 2t+1 (register 0) and 2t+8, 2t+9 (register 1) at column g; C rows
// g, g+8 at columns 2t, 2t+1. Products summed in fp32 in k order.
inline void mma(float c[4], const unsigned a[4], unsigned b0, unsigned b1, std::source_location at = std::source_location::current())
{
    struct In { unsigned a[4], b[2]; float c[4]; };
    struct Out { float d[4]; };
    In in{{a[0], a[1], a[2], a[3]}, {b0, b1}, {c[0], c[1], c[2], c[3]}};
    const Out out = emu_warp<In, Out>("mma.sync", in, [](const In* ins, Out* outs) {
        float A[16][16], B[16][8];
        for (unsigned l = 0; l < 32; l++) {
            const unsigned g = l / 4, t = l % 4;
            const unsigned rows[4] = { g, g + 8, g, g + 8 }, cols[4] = { 2 * t, 2 * t, 2 * t + 8, 2 * t + 8 };
            for (int j = 0; j < 4; j++) {
                A[rows[j]][cols[j]] = emu_float((unsigned short)(ins[l].a[j] & 0xFFFF));
                A[rows[j]][cols[j] + 1] = emu_float((unsigned short)(ins[l].a[j] >> 16));
            }
            B[2 * t][g] = emu_float((unsigned short)(ins[l].b[0] & 0xFFFF));
            B[2 * t + 1][g] = emu_float((unsigned short)(ins[l].b[0] >> 16));
            B[2 * t + 8][g] = emu_float((unsigned short)(ins[l].b[1] & 0xFFFF));
            B[2 * t + 9][g] = emu_float((unsigned short)(ins[l].b[1] >> 16));
        }
        for (unsigned l = 0; l < 32; l++) {
            const unsigned g = l / 4, t = l % 4;
            for (int e = 0; e < 4; e++) {
                const unsigned row = g + (e >> 1) * 8, col = 2 * t + (e & 1);
                float acc = 0.f;
                for (int k = 0; k < 16; k++) acc += A[row][k] * B[k][col];
                outs[l].d[e] = ins[l].c[e] + acc;
            }
        }
    }, at);
    for (int e = 0; e < 4; e++) c[e] = out.d[e];
}

// cp.async state per thread: copies issued and not yet waited for, tagged with their commit group.
struct emu_async_copy { unsigned char* dst; unsigned char data[16]; unsigned long long group; };
struct emu_async_state {
    std::vector<std::vector<emu_async_copy>> pending;   // per thread
    std::vector<unsigned long long> committed;          // per thread: groups committed so far
};
inline emu_async_state emu_async;

inline void emu_async_reset()
{
    emu_async.pending.assign(blockDim.x, {});
    emu_async.committed.assign(blockDim.x, 0);
}

inline const bool emu_async_hooked = (emu_on_block_start = &emu_async_reset, true);

// cp.async.cg.shared.global [dst], [src], 16, src_size (16 or 0: zero fill).
inline void cp16(void* dst, const void* src, bool valid, std::source_location at = std::source_location::current())
{
    unsigned offset;
    if (!emu_in_shared(dst, 16, offset)) { emu_fail("cp.async: destination outside the launch's dynamic shared memory", at); return; }
    if (offset % 16 != 0) { emu_fail("misaligned address: cp.async destination (16 bytes) not 16-byte aligned", at); return; }
    if (reinterpret_cast<uintptr_t>(src) % 16 != 0) { emu_fail("misaligned address: cp.async source (16 bytes) not 16-byte aligned", at); return; }
    const unsigned t = threadIdx.x;
    emu_async_copy c{static_cast<unsigned char*>(dst), {}, emu_async.committed[t]};
    if (valid) std::memcpy(c.data, src, 16);
    emu_async.pending[t].push_back(c);
}

inline void cp_commit() { emu_async.committed[threadIdx.x]++; }

// cp.async.wait_group n: every group but the n most recently committed has landed.
inline void emu_cp_wait(unsigned long long n)
{
    auto& mine = emu_async.pending[threadIdx.x];
    const unsigned long long committed = emu_async.committed[threadIdx.x];
    std::vector<emu_async_copy> still;
    for (const auto& c : mine) {
        if (c.group + n < committed) std::memcpy(c.dst, c.data, 16);
        else still.push_back(c);
    }
    mine.swap(still);
}

inline void cp_wait_all_but_one() { emu_cp_wait(1); }
inline void cp_wait_all() { emu_cp_wait(0); }
