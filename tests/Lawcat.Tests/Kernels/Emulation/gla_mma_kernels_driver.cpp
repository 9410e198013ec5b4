// The tensor-core GLA kernels (src/Lawcat/Kernels/Cuda/GlaMmaKernels.cu) built for the CPU emulator. The hardware
// primitives are written out from the PTX ISA: mma.sync.m16n8k16 (bf16 in, fp32 accumulate) and ldmatrix.m8n8 (with and
// without .trans) by their fragment layouts, cp.async as a plain copy (zero-filled when the source size is 0).
#include "cuda_emulation.h"

alignas(16) static unsigned char emu_dynamic_shared[1 << 18];
#define DYNAMIC_SHARED(T, name) T* name = reinterpret_cast<T*>(emu_dynamic_shared)
#define GLA_EMULATED_PRIMITIVES

inline unsigned smem_addr(const void* p) { return (unsigned)(static_cast<const unsigned char*>(p) - emu_dynamic_shared); }

inline unsigned short emu_bf16(float x)   // round to nearest even, as cvt.rn
{
    const unsigned u = __float_as_uint(x);
    return (unsigned short)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

inline float emu_float(unsigned short x) { return __uint_as_float((unsigned)x << 16); }
inline unsigned pack_bf16(float lo, float hi) { return emu_bf16(lo) | ((unsigned)emu_bf16(hi) << 16); }

// The 16-bit element `col` of the 8-element shared-memory row at `addr`.
inline unsigned emu_at(unsigned addr, unsigned col)
{
    unsigned short v;
    std::memcpy(&v, emu_dynamic_shared + addr + 2 * col, 2);
    return v;
}

// ldmatrix: lanes 8i .. 8i + 7 give the row addresses of matrix i. Lane l receives, per matrix, elements
// (row l/4, columns 2(l%4), 2(l%4)+1); with .trans, elements (rows 2(l%4), 2(l%4)+1, column l/4).
template <int M>
inline void emu_ldmatrix(unsigned* r, unsigned addr, bool trans)
{
    const unsigned mine[1] = { addr };
    unsigned all[32][1];
    emu_gather(mine, all);
    const unsigned l = threadIdx.x % 32;
    for (int i = 0; i < M; i++) {
        if (!trans) r[i] = emu_at(all[8 * i + l / 4][0], 2 * (l % 4)) | emu_at(all[8 * i + l / 4][0], 2 * (l % 4) + 1) << 16;
        else r[i] = emu_at(all[8 * i + 2 * (l % 4)][0], l / 4) | emu_at(all[8 * i + 2 * (l % 4) + 1][0], l / 4) << 16;
    }
}

inline void ldsm_x4(unsigned r[4], unsigned addr) { emu_ldmatrix<4>(r, addr, false); }
inline void ldsm_x4_t(unsigned r[4], unsigned addr) { emu_ldmatrix<4>(r, addr, true); }
inline void ldsm_x2_t(unsigned r[2], unsigned addr) { emu_ldmatrix<2>(r, addr, true); }

// mma.m16n8k16.row.col: lane (group g = l/4, t = l%4) holds A (16 x 16) rows g, g+8 at columns 2t, 2t+1 (registers 0, 1)
// and 2t+8, 2t+9 (registers 2, 3); B (16 x 8) rows 2t, 2t+1 (register 0) and 2t+8, 2t+9 (register 1) at column g; C rows
// g, g+8 at columns 2t, 2t+1.
inline void mma(float c[4], const unsigned a[4], unsigned b0, unsigned b1)
{
    const unsigned mine[6] = { a[0], a[1], a[2], a[3], b0, b1 };
    unsigned all[32][6];
    emu_gather(mine, all);
    float A[16][16], B[16][8];
    for (unsigned l = 0; l < 32; l++) {
        const unsigned g = l / 4, t = l % 4;
        const unsigned rows[4] = { g, g + 8, g, g + 8 }, cols[4] = { 2 * t, 2 * t, 2 * t + 8, 2 * t + 8 };
        for (int j = 0; j < 4; j++) {
            A[rows[j]][cols[j]] = emu_float((unsigned short)(all[l][j] & 0xFFFF));
            A[rows[j]][cols[j] + 1] = emu_float((unsigned short)(all[l][j] >> 16));
        }
        B[2 * t][g] = emu_float((unsigned short)(all[l][4] & 0xFFFF));
        B[2 * t + 1][g] = emu_float((unsigned short)(all[l][4] >> 16));
        B[2 * t + 8][g] = emu_float((unsigned short)(all[l][5] & 0xFFFF));
        B[2 * t + 9][g] = emu_float((unsigned short)(all[l][5] >> 16));
    }
    const unsigned l = threadIdx.x % 32, g = l / 4, t = l % 4;
    for (int e = 0; e < 4; e++) {
        const unsigned row = g + (e >> 1) * 8, col = 2 * t + (e & 1);
        float acc = 0.f;
        for (int k = 0; k < 16; k++) acc += A[row][k] * B[k][col];
        c[e] += acc;
    }
}

inline void cp16(void* dst, const void* src, bool valid)
{
    if (valid) std::memcpy(dst, src, 16);
    else std::memset(dst, 0, 16);
}

inline void cp_commit() {}
inline void cp_wait_all_but_one() {}

#include KERNELS_SOURCE

extern "C" int emu_run(const char* name, unsigned gx, unsigned gy, unsigned gz, unsigned threads, const void* args)
{
    const emu_dim3 grid{gx, gy, gz};
    if (!std::strcmp(name, "gla_mma_cumsum")) emu_launch(gla_mma_cumsum, grid, threads, *static_cast<const CumsumArgs*>(args));
    else if (!std::strcmp(name, "gla_mma_segment")) emu_launch(gla_mma_segment, grid, threads, *static_cast<const GlaArgs*>(args));
    else if (!std::strcmp(name, "gla_mma_output")) emu_launch(gla_mma_output, grid, threads, *static_cast<const GlaArgs*>(args));
    else return 1;
    return 0;
}
