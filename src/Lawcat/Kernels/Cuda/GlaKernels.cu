// Gated linear attention (GLA) forward kernels for prefill and decoding, compiled at run time with NVRTC.
// Same meaning as GatedLinearAttention.Recurrent:  S_t = Diag(exp(g_t)) S_{t-1} + k_t^T v_t,  o_t = scale * q_t S_t.
// Layout: q, k, g [BH, T, KD]; v, o [BH, T, VD]; states [BH, KD, VD] fp32. Compile-time: KD, VD, CH (chunk), IN_BF16.
// Prefill runs in three kernels: per-chunk state updates (parallel over chunks), a scan over chunks (parallel over
// state entries), per-chunk outputs (parallel over chunks). Every chunk's decays are accumulated in fp32; intra-chunk
// scores use one factored product when the chunk's total log-decay is at most max_decay, else exact pairwise decays.

#if IN_BF16
typedef unsigned short in_t;
__device__ __forceinline__ float to_f(in_t x) { return __uint_as_float(((unsigned int)x) << 16); }
#else
typedef float in_t;
__device__ __forceinline__ float to_f(in_t x) { return x; }
#endif

#define MAXD (KD > VD ? KD : VD)
#define P (MAXD % 2 == 0 ? MAXD + 1 : MAXD)   // odd row pitch: column walks hit distinct shared-memory banks
#define AP (CH + 1)
#define ROWS (KD > CH ? KD : CH)
#define TILES(n) (((n) + 3) / 4)

// acc += a b^T for a 4 x 4 register tile: 16 multiply-adds from 8 values read out of shared memory.
__device__ __forceinline__ void outer4(float acc[4][4], const float a[4], const float b[4])
{
#pragma unroll
    for (int r = 0; r < 4; r++)
#pragma unroll
        for (int q = 0; q < 4; q++) acc[r][q] += a[r] * b[q];
}

// Loads g of chunk n into cum [CH][P] (0 past T) and turns it into the within-chunk running sum; last[f] = total.
__device__ void chunk_cumsum(const float* __restrict__ g, float* cum, float* last, long row0, int t0, int T)
{
    for (int idx = threadIdx.x; idx < CH * KD; idx += blockDim.x) {
        int t = idx / KD, f = idx % KD;
        cum[t * P + f] = t0 + t < T ? g[(row0 + t0 + t) * KD + f] : 0.f;
    }
    __syncthreads();
    for (int f = threadIdx.x; f < KD; f += blockDim.x) {
        float acc = 0.f;
        for (int t = 0; t < CH; t++) { acc += cum[t * P + f]; cum[t * P + f] = acc; }
        last[f] = acc;
    }
    __syncthreads();
}

__device__ void load_rows(const in_t* __restrict__ x, float* dst, int width, long row0, int t0, int T)
{
    for (int idx = threadIdx.x; idx < CH * width; idx += blockDim.x) {
        int t = idx / width, c = idx % width;
        dst[t * P + c] = t0 + t < T ? to_f(x[(row0 + t0 + t) * width + c]) : 0.f;
    }
}

// U[bh, n] = sum_t (k_t * exp(total - cum_t))^T v_t and D[bh, n] = total: what chunk n adds to the state.
extern "C" __global__ void gla_chunk_state(const in_t* __restrict__ k, const in_t* __restrict__ v, const float* __restrict__ g,
                                           float* __restrict__ U, float* __restrict__ D, int T, int N)
{
    extern __shared__ float sm[];
    float* cum = sm;            // [CH][P], then the decayed keys
    float* vs = sm + CH * P;    // [CH][P]
    __shared__ float last[KD];
    const int n = blockIdx.x, t0 = n * CH;
    const long bh = blockIdx.y, row0 = bh * (long)T;
    chunk_cumsum(g, cum, last, row0, t0, T);
    for (int idx = threadIdx.x; idx < CH * KD; idx += blockDim.x) {
        int t = idx / KD, f = idx % KD;
        float kv = t0 + t < T ? to_f(k[(row0 + t0 + t) * KD + f]) : 0.f;
        cum[t * P + f] = kv * expf(last[f] - cum[t * P + f]);
    }
    load_rows(v, vs, VD, row0, t0, T);
    __syncthreads();
    float* u = U + (bh * N + n) * (long)(KD * VD);
    // 4 x 4 register tiles of U: each step of t loads 8 values from shared memory for 16 multiply-adds.
    for (int tile = threadIdx.x; tile < TILES(KD) * TILES(VD); tile += blockDim.x) {
        const int f0 = (tile / TILES(VD)) * 4, c0 = (tile % TILES(VD)) * 4;
        float acc[4][4] = {};
        for (int t = 0; t < CH; t++) {
            float a[4], b[4];
#pragma unroll
            for (int r = 0; r < 4; r++) { a[r] = cum[t * P + min(f0 + r, KD - 1)]; b[r] = vs[t * P + min(c0 + r, VD - 1)]; }
            outer4(acc, a, b);
        }
#pragma unroll
        for (int r = 0; r < 4; r++)
#pragma unroll
            for (int q = 0; q < 4; q++)
                if (f0 + r < KD && c0 + q < VD) u[(f0 + r) * VD + c0 + q] = acc[r][q];
    }
    for (int f = threadIdx.x; f < KD; f += blockDim.x) D[(bh * N + n) * KD + f] = last[f];
}

// S[bh, n] = state entering chunk n; final = state after the last chunk. One thread per state entry.
extern "C" __global__ void gla_scan(const float* __restrict__ U, const float* __restrict__ D, const float* __restrict__ s0,
                                    float* __restrict__ S, float* __restrict__ final_state, int N, long total, int has_s0)
{
    long idx = blockIdx.x * (long)blockDim.x + threadIdx.x;
    if (idx >= total) return;
    const long bh = idx / (KD * VD);
    const int r = (int)(idx % (KD * VD)), f = r / VD;
    float s = has_s0 ? s0[idx] : 0.f;
#pragma unroll 4
    for (int n = 0; n < N; n++) {
        long o = (bh * N + n) * (long)(KD * VD) + r;
        float u = U[o];
        float d = D[(bh * N + n) * KD + f];
        S[o] = s;
        s = expf(d) * s + u;
    }
    final_state[idx] = s;
}

// o_t = scale * (sum_{i<=t} A[t,i] v_i + (q_t * exp(cum_t)) S_n), A[t,i] = sum_f q_tf k_if exp(cum_tf - cum_if).
extern "C" __global__ void gla_chunk_output(const in_t* __restrict__ q, const in_t* __restrict__ k, const in_t* __restrict__ v,
                                            const float* __restrict__ g, const float* __restrict__ S, float* __restrict__ o,
                                            float scale, int T, int N, float max_decay)
{
    extern __shared__ float sm[];
    float* cum = sm;                 // [CH][P] running sums, then q * exp(cum)
    float* kb = cum + CH * P;        // [CH][P] keys (scaled in the factored case), then values
    float* A = kb + CH * P;          // [CH][AP] scores
    float* xb = A + CH * AP;         // [ROWS][P] raw queries (pairwise case), then the entering state
    __shared__ float last[KD];
    __shared__ int pairwise;
    const int n = blockIdx.x, t0 = n * CH;
    const long bh = blockIdx.y, row0 = bh * (long)T;
    if (threadIdx.x == 0) pairwise = 0;
    chunk_cumsum(g, cum, last, row0, t0, T);
    for (int f = threadIdx.x; f < KD; f += blockDim.x)
        if (-last[f] > max_decay) atomicOr(&pairwise, 1);
    __syncthreads();
    if (!pairwise) {
        for (int idx = threadIdx.x; idx < CH * KD; idx += blockDim.x) {
            int t = idx / KD, f = idx % KD;
            float c = cum[t * P + f];
            bool in = t0 + t < T;
            kb[t * P + f] = in ? to_f(k[(row0 + t0 + t) * KD + f]) * expf(-c) : 0.f;
            cum[t * P + f] = in ? to_f(q[(row0 + t0 + t) * KD + f]) * expf(c) : 0.f;
        }
        __syncthreads();
        // 4 x 4 register tiles of A; tiles wholly above the diagonal are zero.
        for (int tile = threadIdx.x; tile < TILES(CH) * TILES(CH); tile += blockDim.x) {
            const int t0r = (tile / TILES(CH)) * 4, i0 = (tile % TILES(CH)) * 4;
            float acc[4][4] = {};
            if (i0 <= t0r + 3) {
                for (int f = 0; f < KD; f++) {
                    float a[4], b[4];
#pragma unroll
                    for (int r = 0; r < 4; r++) { a[r] = cum[min(t0r + r, CH - 1) * P + f]; b[r] = kb[min(i0 + r, CH - 1) * P + f]; }
                    outer4(acc, a, b);
                }
            }
#pragma unroll
            for (int r = 0; r < 4; r++)
#pragma unroll
                for (int q = 0; q < 4; q++)
                    if (t0r + r < CH && i0 + q < CH) A[(t0r + r) * AP + i0 + q] = i0 + q <= t0r + r ? acc[r][q] : 0.f;
        }
    } else {
        load_rows(q, xb, KD, row0, t0, T);
        load_rows(k, kb, KD, row0, t0, T);
        __syncthreads();
        for (int idx = threadIdx.x; idx < CH * CH; idx += blockDim.x) {
            int t = idx / CH, i = idx % CH;
            float acc = 0.f;
            if (i <= t)
                for (int f = 0; f < KD; f++) acc += xb[t * P + f] * kb[i * P + f] * expf(cum[t * P + f] - cum[i * P + f]);
            A[t * AP + i] = acc;
        }
        __syncthreads();
        for (int idx = threadIdx.x; idx < CH * KD; idx += blockDim.x) {
            int t = idx / KD, f = idx % KD;
            cum[t * P + f] = xb[t * P + f] * expf(cum[t * P + f]);
        }
    }
    __syncthreads();
    load_rows(v, kb, VD, row0, t0, T);
    const float* s = S + (bh * N + n) * (long)(KD * VD);
    for (int idx = threadIdx.x; idx < KD * VD; idx += blockDim.x) xb[(idx / VD) * P + idx % VD] = s[idx];
    __syncthreads();
    // 4 x 4 register tiles of the output: causal scores times values, then scaled queries times the entering state.
    for (int tile = threadIdx.x; tile < TILES(CH) * TILES(VD); tile += blockDim.x) {
        const int tr = (tile / TILES(VD)) * 4, c0 = (tile % TILES(VD)) * 4;
        if (t0 + tr >= T) continue;
        float acc[4][4] = {};
        const int iend = min(tr + 4, CH);
        for (int i = 0; i < iend; i++) {
            float a[4], b[4];
#pragma unroll
            for (int r = 0; r < 4; r++) { a[r] = A[min(tr + r, CH - 1) * AP + i]; b[r] = kb[i * P + min(c0 + r, VD - 1)]; }
            outer4(acc, a, b);
        }
        for (int f = 0; f < KD; f++) {
            float a[4], b[4];
#pragma unroll
            for (int r = 0; r < 4; r++) { a[r] = cum[min(tr + r, CH - 1) * P + f]; b[r] = xb[f * P + min(c0 + r, VD - 1)]; }
            outer4(acc, a, b);
        }
#pragma unroll
        for (int r = 0; r < 4; r++)
#pragma unroll
            for (int q = 0; q < 4; q++)
                if (tr + r < CH && t0 + tr + r < T && c0 + q < VD) o[(row0 + t0 + tr + r) * VD + c0 + q] = scale * acc[r][q];
    }
}

// One decoding step for every (batch, head): the state update, the read-out and, when normalize is set, LAWCAT's
// normalization (the last value column carries the denominator): o[c] = num[c] / (den + eps) for c < VD - 1.
extern "C" __global__ void gla_step(const in_t* __restrict__ q, const in_t* __restrict__ k, const in_t* __restrict__ v,
                                    const float* __restrict__ g, float* __restrict__ S, float* __restrict__ o,
                                    float scale, float eps, int normalize)
{
    __shared__ float qs[KD], ks[KD], decay[KD], out[VD];
    const long bh = blockIdx.x;
    for (int f = threadIdx.x; f < KD; f += blockDim.x) {
        qs[f] = to_f(q[bh * KD + f]);
        ks[f] = to_f(k[bh * KD + f]);
        decay[f] = expf(g[bh * KD + f]);
    }
    __syncthreads();
    float* s = S + bh * (long)(KD * VD);
    for (int c = threadIdx.x; c < VD; c += blockDim.x) {
        float vc = to_f(v[bh * VD + c]), acc = 0.f;
#pragma unroll 8
        for (int f = 0; f < KD; f++) {
            float x = decay[f] * s[f * VD + c] + ks[f] * vc;
            s[f * VD + c] = x;
            acc += qs[f] * x;
        }
        out[c] = scale * acc;
    }
    __syncthreads();
    for (int c = threadIdx.x; c < VD; c += blockDim.x)
        o[bh * VD + c] = normalize && c < VD - 1 ? out[c] / (out[VD - 1] + eps) : out[c];
}
