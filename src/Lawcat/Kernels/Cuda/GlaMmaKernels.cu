// Gated linear attention prefill on tensor cores (bf16 operands, fp32 accumulation), compiled at run time with NVRTC.
// Same meaning as GatedLinearAttention.Recurrent, with the values extended by a ones column when NORM is set (LAWCAT's
// denominator), and then normalized:
//   S_t = Diag(exp(g_t)) S_{t-1} + k_t^T [v_t, 1],   o_t = scale * q_t S_t,   y_t = o_t[:VD] / (o_t[VD] + eps)
// Key width 64, chunks of 64 tokens. Compile-time: VD (value width, a multiple of 8), NORM (0 or 1).
//
// Three kernels. gla_mma_cumsum: within-chunk running sums of g (read once per gate head, shared by the query heads of a
// group). gla_mma_segment: each CTA walks the chunks of one segment of a sequence and returns what the segment adds to
// the state. gla_mma_output: each CTA starts from the state entering its segment (earlier segments' contributions folded
// in) and walks its chunks: outputs from the intra-chunk scores and the entering state, then the state update; the state
// stays in registers, so per-chunk states never touch device memory.
//
// Intra-chunk scores A[t, s] = sum_f q_tf k_sf exp(G_tf - G_sf) (G the within-chunk running sum of g) are factored. When
// no feature decays by more than MAX_EXP over the chunk, one factorization serves the whole chunk:
//   A[t, s] = (q_t * exp(G_t)) . (k_s * exp(-G_s)),  both factors within e^(+-MAX_EXP);
// otherwise each 16-key block i has its own reference point r = 16i - 1 (G_{-1} = 0):
//   A[t, s] = (q_t * exp(G_t - G_r)) . (k_s * exp(G_r - G_s)),
// so the query factor is <= 1 and the key factor grows only over one block; where even a block decays by more than
// MAX_EXP, the chunk's scores are computed pairwise in fp32 (exact, slow, rare).
//
// Fragment layouts are those of mma.m16n8k16 (PTX ISA): lane = 4 * group + tig; A rows {group, group + 8}, columns
// {2 tig, 2 tig + 1} (+ 8 for registers 2, 3); B rows (k) {2 tig, 2 tig + 1} (+ 8), column group; C rows {group,
// group + 8}, columns {2 tig, 2 tig + 1}.

#define KD 64
#define CH 64
#define VS (VD + NORM)                              // state columns
#define VP ((VS + 7) / 8 * 8)                       // padded to whole n-tiles
#define NT (VP / 8)                                 // n-tiles of the state and the output
#define BP 72                                       // bf16 pitch of 64-wide tiles: 144 B rows, conflict-free ldmatrix
#define VPITCH ((VP / 8) % 2 == 1 ? VP : VP + 8)    // bf16 pitch of value and state tiles: an odd number of 16 B units
#define GP 72                                       // fp32 pitch of gate tiles
#define MAX_EXP 60.f

typedef unsigned short bf16_t;

struct GlaArgs {
    const bf16_t* q; const bf16_t* k; const bf16_t* v;   // [B, H, T, 64], [B, H, T, 64], [B, Hv, T, VD]; last dimension contiguous
    const float* gc;                                     // within-chunk running sums of g, [B * Hg, T, 64]
    bf16_t* o;                                           // [B, H, T, VD], last dimension contiguous
    float* U;                                            // what each segment adds, [B * H, SEG, 64, VP]
    float* dsum;                                         // each segment's total log-decay, [B * H, SEG, 64]
    const float* s0;                                     // initial state [B * H, 64, VS], or null
    float* final_state;                                  // [B * H, 64, VS]
    long long qb, qh, qt, kb, kh, kt, vb, vh, vt, ob, oh, ot;   // strides, in elements
    long long T, H, Hv, Hg, N, CPS, SEG;                 // length, heads, value heads, gate heads, chunks, chunks per segment, segments
    float scale, eps;
};

__device__ __forceinline__ long long lmin(long long x, long long y) { return x < y ? x : y; }

// The hardware primitives: shared-memory addresses, bf16 packing, the tensor-core product, shared-memory matrix loads and
// asynchronous copies (PTX ISA semantics). An emulator of these kernels defines its own and EMULATED_PRIMITIVES.
#ifndef EMULATED_PRIMITIVES
__device__ __forceinline__ unsigned smem_addr(const void* p)
{
    unsigned long long a;
    asm("cvta.to.shared.u64 %0, %1;" : "=l"(a) : "l"(p));
    return (unsigned)a;
}

__device__ __forceinline__ unsigned pack_bf16(float lo, float hi)
{
    unsigned r;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
    return r;
}

__device__ __forceinline__ void mma(float c[4], const unsigned a[4], unsigned b0, unsigned b1)
{
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ void ldsm_x4(unsigned r[4], unsigned addr)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];" : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(addr));
}

__device__ __forceinline__ void ldsm_x4_t(unsigned r[4], unsigned addr)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];" : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(addr));
}

__device__ __forceinline__ void ldsm_x2_t(unsigned r[2], unsigned addr)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16 {%0,%1}, [%2];" : "=r"(r[0]), "=r"(r[1]) : "r"(addr));
}

__device__ __forceinline__ void cp16(void* dst, const void* src, bool valid)
{
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" :: "r"(smem_addr(dst)), "l"(src), "r"(valid ? 16 : 0));
}

__device__ __forceinline__ void cp_commit() { asm volatile("cp.async.commit_group;" ::: "memory"); }
__device__ __forceinline__ void cp_wait_all_but_one() { asm volatile("cp.async.wait_group 1;" ::: "memory"); }
#endif

// The dynamic shared memory of a CTA (an emulator may define its own).
#ifndef DYNAMIC_SHARED
#define DYNAMIC_SHARED(T, name) extern __shared__ __align__(16) T name[]
#endif

__device__ __forceinline__ float bf16_lo(unsigned x) { return __uint_as_float(x << 16); }
__device__ __forceinline__ float bf16_hi(unsigned x) { return __uint_as_float(x & 0xffff0000u); }

// Rows t0 .. t0 + 63 of a [T, width] matrix with row stride `stride` into a tile of pitch `pitch`; rows past T are zeros.
template <typename E>
__device__ __forceinline__ void load_tile(E* dst, int pitch, const E* src, long long stride, long long t0, long long T, int width)
{
    const int per_row = width * (int)sizeof(E) / 16, per = 16 / (int)sizeof(E);
    for (int i = threadIdx.x; i < CH * per_row; i += blockDim.x) {
        int r = i / per_row, c = (i % per_row) * per;
        bool ok = t0 + r < T;
        cp16(dst + r * pitch + c, src + (ok ? t0 + r : 0) * stride + c, ok);
    }
}

// B fragments (k16 x n8) for n-tiles nt and nt + 1 from a [k][n] tile of pitch `pitch` (ldmatrix.trans); k rows k0 ...
__device__ __forceinline__ void b_pair_kn(unsigned b[4], const bf16_t* tile, int pitch, int k0, int n0, int lane)
{
    const bf16_t* p = tile + (k0 + (lane & 7) + ((lane >> 3) & 1) * 8) * pitch + n0 + ((lane >> 4) & 1) * 8;
    ldsm_x4_t(b, smem_addr(p));
}

__device__ __forceinline__ void b_single_kn(unsigned b[2], const bf16_t* tile, int pitch, int k0, int n0, int lane)
{
    const bf16_t* p = tile + (k0 + (lane & 7) + ((lane >> 3) & 1) * 8) * pitch + n0;
    ldsm_x2_t(b, smem_addr(p));
}

// acc[nt] += a x B[k0 .. k0 + 15][all n-tiles], B stored [k][n].
__device__ __forceinline__ void mma_row(float acc[NT][4], const unsigned a[4], const bf16_t* tile, int pitch, int k0, int lane)
{
#pragma unroll
    for (int nt = 0; nt + 1 < NT; nt += 2) {
        unsigned b[4];
        b_pair_kn(b, tile, pitch, k0, nt * 8, lane);
        mma(acc[nt], a, b[0], b[1]);
        mma(acc[nt + 1], a, b[2], b[3]);
    }
    if (NT % 2 == 1) {
        unsigned b[2];
        b_single_kn(b, tile, pitch, k0, (NT - 1) * 8, lane);
        mma(acc[NT - 1], a, b[0], b[1]);
    }
}

// A fragment of rows 16 m .. of a [k][m] tile (ldmatrix.trans gives the transpose), k columns k0 ...
__device__ __forceinline__ void a_from_km(unsigned a[4], const bf16_t* tile, int k0, int m0, int lane)
{
    const bf16_t* p = tile + (k0 + (lane & 7) + ((lane >> 4) & 1) * 8) * BP + m0 + ((lane >> 3) & 1) * 8;
    ldsm_x4_t(a, smem_addr(p));
}

// In place, the raw keys become kdec[s][f] = k[s][f] exp(G_last[f] - G[s][f]) (what token s adds to the state at the
// chunk's end). With kd, also the score keys: k[s][f] exp(-G[s][f]) in a factored chunk, else k[s][f] exp(G_r(s)[f] - G[s][f]);
// returns whether a blocked chunk has a block decaying past MAX_EXP (its scores then go pairwise).
__device__ __forceinline__ bool decay_keys(bf16_t* ks, const float* gs, bf16_t* kd, int last, long long valid, bool factored)
{
    bool big = false;
    const int f = (threadIdx.x % (KD / 2)) * 2;                 // the same columns on every pass of this thread
    const float2 gl = *(const float2*)(gs + last * GP + f);
    const float el0 = __expf(gl.x), el1 = __expf(gl.y);
    for (int i = threadIdx.x; i < CH * KD / 2; i += blockDim.x) {
        const int s = i / (KD / 2);
        const unsigned kk = *(const unsigned*)(ks + s * BP + f);
        const float2 g = *(const float2*)(gs + s * GP + f);
        const float x0 = bf16_lo(kk), x1 = bf16_hi(kk);
        if (kd && factored) {
            const float e0 = x0 * __expf(-g.x), e1 = x1 * __expf(-g.y);
            *(unsigned*)(kd + s * BP + f) = pack_bf16(e0, e1);
            *(unsigned*)(ks + s * BP + f) = pack_bf16(e0 * el0, e1 * el1);
            continue;
        }
        if (kd) {
            const int r = (s & ~15) - 1;
            const float2 gr = r >= 0 ? *(const float2*)(gs + r * GP + f) : make_float2(0.f, 0.f);
            const float e0 = gr.x - g.x, e1 = gr.y - g.y;
            if (s < valid && fmaxf(e0, e1) > MAX_EXP) big = true;
            *(unsigned*)(kd + s * BP + f) = pack_bf16(x0 * __expf(e0), x1 * __expf(e1));
        }
        *(unsigned*)(ks + s * BP + f) = pack_bf16(x0 * __expf(gl.x - g.x), x1 * __expf(gl.y - g.y));
    }
    return big;
}

// S = Diag(exp(G_last)) S + kdec^T V for the warp's 16 state rows.
__device__ __forceinline__ void update_state(float S[NT][4], const bf16_t* kdec, const bf16_t* vs, const float* gs, int last, int warp, int lane)
{
    const int f = warp * 16 + (lane >> 2);
    const float d0 = __expf(gs[last * GP + f]), d1 = __expf(gs[last * GP + f + 8]);
#pragma unroll
    for (int nt = 0; nt < NT; nt++) { S[nt][0] *= d0; S[nt][1] *= d0; S[nt][2] *= d1; S[nt][3] *= d1; }
#pragma unroll
    for (int ks = 0; ks < CH / 16; ks++) {
        unsigned a[4];
        a_from_km(a, kdec, ks * 16, warp * 16, lane);
        mma_row(S, a, vs, VPITCH, ks * 16, lane);
    }
}

// Query A fragments of the warp's rows, q_t exp(G_t - G_r) (r = -1: G = 0, the chunk start).
__device__ __forceinline__ void query_fragments(unsigned qa[4][4], const bf16_t* qs, const float* gs, int r, int warp, int lane)
{
    const int t = warp * 16 + (lane >> 2), tig = lane & 3;
#pragma unroll
    for (int ks = 0; ks < 4; ks++)
#pragma unroll
        for (int half = 0; half < 2; half++) {
            const int f = ks * 16 + half * 8 + tig * 2;
            const float2 gr = r >= 0 ? *(const float2*)(gs + r * GP + f) : make_float2(0.f, 0.f);
#pragma unroll
            for (int row = 0; row < 2; row++) {
                const int tt = t + row * 8;
                const unsigned qq = *(const unsigned*)(qs + tt * BP + f);
                const float2 g = *(const float2*)(gs + tt * GP + f);
                qa[ks][half * 2 + row] = pack_bf16(bf16_lo(qq) * __expf(g.x - gr.x), bf16_hi(qq) * __expf(g.y - gr.y));
            }
        }
}

// Exact fp32 score sum_f q[t][f] k[s][f] exp(G[t][f] - G[s][f]) for s <= t (the fallback for fast-decaying blocks); the
// raw keys are read from device memory, as the tile holds the decayed ones by then.
__device__ float pairwise_score(const bf16_t* qs, const bf16_t* kg, long long kt, const float* gs, int t, int s)
{
    float acc = 0.f;
    for (int f = 0; f < KD; f++) {
        const float qv = __uint_as_float(((unsigned)qs[t * BP + f]) << 16), kv = __uint_as_float(((unsigned)kg[s * kt + f]) << 16);
        acc += qv * kv * __expf(gs[t * GP + f] - gs[s * GP + f]);
    }
    return acc;
}

struct Stage { bf16_t* q; bf16_t* k; bf16_t* v; float* g; };

__device__ __forceinline__ int stage_bytes(bool with_q) { return (with_q ? CH * BP * 2 : 0) + CH * BP * 2 + CH * VPITCH * 2 + CH * GP * 4; }

// The double-buffered raw tiles of one chunk: q (output kernel only), k, v [64][VPITCH], g [64][GP].
__device__ __forceinline__ Stage stage(unsigned char* smem, int i, bool with_q)
{
    unsigned char* p = smem + i * stage_bytes(with_q);
    Stage s;
    s.q = with_q ? (bf16_t*)p : 0; p += with_q ? CH * BP * 2 : 0;
    s.k = (bf16_t*)p; p += CH * BP * 2;
    s.v = (bf16_t*)p; p += CH * VPITCH * 2;
    s.g = (float*)p;
    return s;
}

__device__ __forceinline__ void load_chunk(const Stage& st, const GlaArgs& a, const bf16_t* q0, const bf16_t* k0, const bf16_t* v0,
                                           const float* g0, long long n)
{
    const long long t0 = n * CH;
    if (st.q) load_tile(st.q, BP, q0, a.qt, t0, a.T, KD);
    load_tile(st.k, BP, k0, a.kt, t0, a.T, KD);
    load_tile(st.v, VPITCH, v0, a.vt, t0, a.T, VD);
    load_tile(st.g, GP, g0, (long long)KD, t0, a.T, KD);
}

// Value tiles past VD: the ones column (NORM) and zero padding; cp.async never writes there.
__device__ __forceinline__ void init_value_columns(bf16_t* vs)
{
    for (int i = threadIdx.x; i < CH * (VPITCH - VD); i += blockDim.x) {
        const int r = i / (VPITCH - VD), c = VD + i % (VPITCH - VD);
        vs[r * VPITCH + c] = (NORM && c == VD) ? (bf16_t)0x3F80 : (bf16_t)0;
    }
}

__device__ __forceinline__ int last_row(long long n, long long T) { return (int)lmin(CH - 1, T - 1 - n * CH); }

// One segment's contribution to the state: U = sum over its chunks, dsum = its total log-decay.
extern "C" __global__ void __launch_bounds__(128, 3) gla_mma_segment(const GlaArgs a)
{
    DYNAMIC_SHARED(unsigned char, smem);
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const long long bh = blockIdx.y, seg = blockIdx.x, b = bh / a.H, h = bh % a.H, hg = h / (a.H / a.Hg), hv = h / (a.H / a.Hv);
    const Stage st0 = stage(smem, 0, false), st1 = stage(smem, 1, false);
    init_value_columns(st0.v);
    init_value_columns(st1.v);
    const bf16_t* k0 = a.k + b * a.kb + h * a.kh;
    const bf16_t* v0 = a.v + b * a.vb + hv * a.vh;
    const float* g0 = a.gc + (b * a.Hg + hg) * a.T * KD;
    const long long n0 = seg * a.CPS, n1 = lmin(a.N, n0 + a.CPS);
    float S[NT][4] = {};
    float dl0 = 0.f, dl1 = 0.f;
    const int f = warp * 16 + (lane >> 2);
    load_chunk(st0, a, 0, k0, v0, g0, n0); cp_commit();
    if (n0 + 1 < n1) load_chunk(st1, a, 0, k0, v0, g0, n0 + 1);
    cp_commit();
    for (long long n = n0; n < n1; n++) {
        const Stage s = ((n - n0) & 1) ? st1 : st0;
        const int last = last_row(n, a.T);
        cp_wait_all_but_one();
        __syncthreads();
        decay_keys(s.k, s.g, 0, last, a.T - n * CH, false);
        __syncthreads();
        update_state(S, s.k, s.v, s.g, last, warp, lane);
        dl0 += s.g[last * GP + f];
        dl1 += s.g[last * GP + f + 8];
        __syncthreads();
        if (n + 2 < n1) load_chunk(s, a, 0, k0, v0, g0, n + 2);
        cp_commit();
    }
    float* u = a.U + (bh * a.SEG + seg) * KD * VP;
    const int tig = lane & 3;
#pragma unroll
    for (int nt = 0; nt < NT; nt++) {
        const int c = nt * 8 + tig * 2;
        *(float2*)(u + f * VP + c) = make_float2(S[nt][0], S[nt][1]);
        *(float2*)(u + (f + 8) * VP + c) = make_float2(S[nt][2], S[nt][3]);
    }
    if (tig == 0) {
        a.dsum[(bh * a.SEG + seg) * KD + f] = dl0;
        a.dsum[(bh * a.SEG + seg) * KD + f + 8] = dl1;
    }
}

// Outputs of one segment, chunk by chunk, with the running state in registers.
extern "C" __global__ void __launch_bounds__(128, 2) gla_mma_output(const GlaArgs a)
{
    DYNAMIC_SHARED(unsigned char, smem);
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, group = lane >> 2, tig = lane & 3;
    const long long bh = blockIdx.y, seg = blockIdx.x, b = bh / a.H, h = bh % a.H, hg = h / (a.H / a.Hg), hv = h / (a.H / a.Hv);
    const Stage st0 = stage(smem, 0, true), st1 = stage(smem, 1, true);
    init_value_columns(st0.v);
    init_value_columns(st1.v);
    unsigned char* p = smem + 2 * stage_bytes(true);
    bf16_t* kd = (bf16_t*)p; p += CH * BP * 2;
    bf16_t* ss = (bf16_t*)p;                                  // entering state, bf16 [64][VPITCH]
    const bf16_t* q0 = a.q + b * a.qb + h * a.qh;
    const bf16_t* k0 = a.k + b * a.kb + h * a.kh;
    const bf16_t* v0 = a.v + b * a.vb + hv * a.vh;
    const float* g0 = a.gc + (b * a.Hg + hg) * a.T * KD;
    bf16_t* o0 = a.o + b * a.ob + h * a.oh;
    const long long n0 = seg * a.CPS, n1 = lmin(a.N, n0 + a.CPS);
    load_chunk(st0, a, q0, k0, v0, g0, n0); cp_commit();
    if (n0 + 1 < n1) load_chunk(st1, a, q0, k0, v0, g0, n0 + 1);
    cp_commit();

    // The state entering this segment: the initial state and the earlier segments' contributions, each decayed.
    const int f = warp * 16 + group;
    float S[NT][4];
#pragma unroll
    for (int nt = 0; nt < NT; nt++)
#pragma unroll
        for (int e = 0; e < 4; e++) {
            const int r = f + (e >> 1) * 8, c = nt * 8 + tig * 2 + (e & 1);
            S[nt][e] = a.s0 && c < VS ? a.s0[(bh * KD + r) * VS + c] : 0.f;
        }
    for (long long j = 0; j < seg; j++) {
        const float* u = a.U + (bh * a.SEG + j) * KD * VP;
        const float d0 = __expf(a.dsum[(bh * a.SEG + j) * KD + f]), d1 = __expf(a.dsum[(bh * a.SEG + j) * KD + f + 8]);
#pragma unroll
        for (int nt = 0; nt < NT; nt++) {
            const int c = nt * 8 + tig * 2;
            const float2 u0 = *(const float2*)(u + f * VP + c), u1 = *(const float2*)(u + (f + 8) * VP + c);
            S[nt][0] = S[nt][0] * d0 + u0.x; S[nt][1] = S[nt][1] * d0 + u0.y;
            S[nt][2] = S[nt][2] * d1 + u1.x; S[nt][3] = S[nt][3] * d1 + u1.y;
        }
    }

    for (long long n = n0; n < n1; n++) {
        const Stage s = ((n - n0) & 1) ? st1 : st0;
        const int last = last_row(n, a.T);
        const long long t0 = n * CH;
        cp_wait_all_but_one();
        __syncthreads();
#pragma unroll
        for (int nt = 0; nt < NT; nt++) {
            const int c = nt * 8 + tig * 2;
            *(unsigned*)(ss + f * VPITCH + c) = pack_bf16(S[nt][0], S[nt][1]);
            *(unsigned*)(ss + (f + 8) * VPITCH + c) = pack_bf16(S[nt][2], S[nt][3]);
        }
        // Factored chunks (no feature decays past MAX_EXP over the chunk) share one query factor for every key block.
        const bool blocked = __syncthreads_or(threadIdx.x < KD && -s.g[last * GP + threadIdx.x] > MAX_EXP);
        const bool pairwise = __syncthreads_or(decay_keys(s.k, s.g, kd, last, a.T - t0, !blocked));

        // Outputs of the warp's 16 query rows: entering state, then each key block up to the diagonal.
        float acc[NT][4] = {};
        unsigned qa[4][4];
        query_fragments(qa, s.q, s.g, -1, warp, lane);
#pragma unroll
        for (int ks = 0; ks < 4; ks++) mma_row(acc, qa[ks], ss, VPITCH, ks * 16, lane);
        for (int i = 0; i <= warp; i++) {
            if (blocked && i > 0) query_fragments(qa, s.q, s.g, i * 16 - 1, warp, lane);
            float sc[2][4] = {};
#pragma unroll
            for (int ks = 0; ks < 4; ks++) {
                unsigned bk[4];
                const bf16_t* pk = kd + (i * 16 + (lane & 7) + ((lane >> 4) & 1) * 8) * BP + ks * 16 + ((lane >> 3) & 1) * 8;
                ldsm_x4(bk, smem_addr(pk));
                mma(sc[0], qa[ks], bk[0], bk[1]);
                mma(sc[1], qa[ks], bk[2], bk[3]);
            }
#pragma unroll
            for (int nt = 0; nt < 2; nt++)
#pragma unroll
                for (int e = 0; e < 4; e++) {
                    const int tl = group + (e >> 1) * 8, sl = nt * 8 + tig * 2 + (e & 1);
                    if (i == warp && sl > tl) sc[nt][e] = 0.f;
                    else if (pairwise) sc[nt][e] = i * 16 + sl < a.T - t0   // keys past T are padding (and past the tensor)
                        ? pairwise_score(s.q, k0 + t0 * a.kt, a.kt, s.g, warp * 16 + tl, i * 16 + sl) : 0.f;
                }
            const unsigned pa[4] = { pack_bf16(sc[0][0], sc[0][1]), pack_bf16(sc[0][2], sc[0][3]),
                                     pack_bf16(sc[1][0], sc[1][1]), pack_bf16(sc[1][2], sc[1][3]) };
            mma_row(acc, pa, s.v, VPITCH, i * 16, lane);
        }
        float inv0 = a.scale, inv1 = a.scale;
        if (NORM) {
            const float den0 = __shfl_sync(0xffffffffu, acc[NORM ? VD / 8 : 0][0], lane & ~3), den1 = __shfl_sync(0xffffffffu, acc[NORM ? VD / 8 : 0][2], lane & ~3);
            inv0 = a.scale / (a.scale * den0 + a.eps);
            inv1 = a.scale / (a.scale * den1 + a.eps);
        }
        const long long t = t0 + warp * 16 + group;
#pragma unroll
        for (int nt = 0; nt < VD / 8; nt++) {
            const int c = nt * 8 + tig * 2;
            if (t < a.T) *(unsigned*)(o0 + t * a.ot + c) = pack_bf16(acc[nt][0] * inv0, acc[nt][1] * inv0);
            if (t + 8 < a.T) *(unsigned*)(o0 + (t + 8) * a.ot + c) = pack_bf16(acc[nt][2] * inv1, acc[nt][3] * inv1);
        }

        update_state(S, s.k, s.v, s.g, last, warp, lane);
        __syncthreads();
        if (n + 2 < n1) load_chunk(s, a, q0, k0, v0, g0, n + 2);
        cp_commit();
    }
    if (n1 == a.N) {
#pragma unroll
        for (int nt = 0; nt < NT; nt++)
#pragma unroll
            for (int e = 0; e < 4; e++) {
                const int r = f + (e >> 1) * 8, c = nt * 8 + tig * 2 + (e & 1);
                if (c < VS) a.final_state[(bh * KD + r) * VS + c] = S[nt][e];
            }
    }
}

struct CumsumArgs {
    const float* g;                  // log-decays [B, Hg, T, 64], strides gb, gh, gt, last dimension contiguous
    float* gc;                       // within-chunk running sums [B * Hg, T, 64]
    long long gb, gh, gt, T, Hg, N;
};

// Within-chunk running sums of g into gc; one thread per (chunk, feature), four chunks per 256-thread CTA.
extern "C" __global__ void gla_mma_cumsum(const CumsumArgs a)
{
    const int f = threadIdx.x & (KD - 1);
    const long long n = blockIdx.x * (blockDim.x / KD) + threadIdx.x / KD;
    if (n >= a.N) return;
    const long long bhg = blockIdx.y, b = bhg / a.Hg, hg = bhg % a.Hg, t0 = n * CH;
    const float* src = a.g + b * a.gb + hg * a.gh + f;
    float* dst = a.gc + bhg * a.T * KD + f;
    const int len = (int)lmin(CH, a.T - t0);
    float acc = 0.f;
#pragma unroll 8
    for (int t = 0; t < len; t++) {
        acc += src[(t0 + t) * a.gt];
        dst[(t0 + t) * KD] = acc;
    }
}
