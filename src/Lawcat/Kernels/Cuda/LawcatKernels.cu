// LAWCAT's per-token work fused into single kernels, compiled at run time with NVRTC (same meaning as the tensor
// operations of LawcatAttention, CausalConv1d, FeatureMap, DecayGate and GatedLinearAttention.NormalizedStep):
//   q~ = conv_q(W_q x), k~ = conv_k(expand(W_k x))     causal depthwise, R taps, tap R-1 the current token
//   phi(u) = max([softmax(u W_h), softmax(-u W_h)], 1e-12)   W_h [64, 32] per head (Hedgehog)
//   S = Diag(exp(g)) S + phi(k~)^T [v, 1],  o = scale phi(q~) S,  y = o[:VD] / (o[VD] + eps)
// lawcat_features: prefill, conv and feature map of q or of k for a chunk of 64 tokens of one head, into [B, H, T, 64]
// bf16 (the tensor-core GLA's operands) plus the conv tails decoding continues from; the projection u W_h runs on tensor
// cores with both operands split into bf16 high and low parts (hi·hi + hi·lo + lo·hi, fp32 accumulation), which keeps
// fp32's accuracy to about 2^-16. lawcat_decode: one decoding step of a whole layer's linear path for one (batch,
// head): conv steps on the tails, feature maps, the low-rank gate (or given log-decays), state update, read-out and
// normalization. gla_normalized_step: the normalized state update alone, on given features. lawcat_features_backward:
// the gradients of lawcat_features in fp32 (projections, conv weights, Hedgehog weights), for training.
// Compile-time: IN_BF16 (projections and outputs in bf16, else fp32), VD (value width, at most 64). Head width 64.

#define KD 64
#define FD 32                 // feature-map width before the two signs
#define CH 64                 // tokens per prefill CTA
#define MAXR 8                // conv taps supported
#define FP 40                 // bf16 pitch of the Hedgehog weight tiles: 80-byte rows, conflict-free ldmatrix
#define YP 72                 // bf16 pitch of the conv output tiles: 144-byte rows, conflict-free ldmatrix
#define MAX_RANK 64           // gate rank the decoding kernel computes itself

typedef unsigned short bf16_t;

// Round to nearest even, in plain integer arithmetic (inputs are finite).
__device__ __forceinline__ bf16_t to_bf16(float x)
{
    const unsigned u = __float_as_uint(x);
    return (bf16_t)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

__device__ __forceinline__ float bf16_float(bf16_t x) { return __uint_as_float(((unsigned int)x) << 16); }

#if IN_BF16
typedef bf16_t in_t;
__device__ __forceinline__ float to_f(in_t x) { return bf16_float(x); }
__device__ __forceinline__ in_t from_f(float x) { return to_bf16(x); }
#else
typedef float in_t;
__device__ __forceinline__ float to_f(in_t x) { return x; }
__device__ __forceinline__ in_t from_f(float x) { return x; }
#endif

// The tensor-core primitives (PTX ISA semantics). An emulator of these kernels defines its own and EMULATED_PRIMITIVES.
#ifndef EMULATED_PRIMITIVES
__device__ __forceinline__ unsigned smem_addr(const void* p)
{
    unsigned long long a;
    asm("cvta.to.shared.u64 %0, %1;" : "=l"(a) : "l"(p));
    return (unsigned)a;
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
#endif

// The dynamic shared memory of a CTA (an emulator of the kernels may define its own).
#ifndef DYNAMIC_SHARED
#define DYNAMIC_SHARED(T, name) extern __shared__ __align__(16) T name[]
#endif

struct FeatureArgs {
    const in_t* qp; const in_t* kp;           // projections [B, T, H * 64] and [B, T, Hkv * 64] (strides qpb, qpt, kpb, kpt;
                                              // 16-byte aligned rows)
    const float* wq; const float* wk;         // conv weights [H * 64, R]
    const float* qtail; const float* ktail;   // conv inputs before the first token [B, H * 64, R - 1], or null (zeros)
    const bf16_t* Whi; const bf16_t* Wlo;     // Hedgehog projections [H, 64, 32] as bf16 high and low parts
    const float* valid;                       // [B, T] (1 real, 0 padding), or null
    bf16_t* fq; bf16_t* fk;                   // features [B, H, T, 64]
    float* qtail_out; float* ktail_out;       // the last R - 1 conv inputs [B, H * 64, R - 1]
    long long qpb, qpt, kpb, kpt, T, H, Hkv, R;
};

// 16 bytes of projections (8 bf16 or 4 fp32 channels) as floats.
#if IN_BF16
#define PER_LOAD 8
__device__ __forceinline__ void load16(const in_t* p, float v[PER_LOAD])
{
    const uint4 raw = *(const uint4*)p;
    const unsigned w[4] = { raw.x, raw.y, raw.z, raw.w };
#pragma unroll
    for (int i = 0; i < 4; i++) { v[2 * i] = __uint_as_float(w[i] << 16); v[2 * i + 1] = __uint_as_float(w[i] & 0xffff0000u); }
}
#else
#define PER_LOAD 4
__device__ __forceinline__ void load16(const in_t* p, float v[PER_LOAD])
{
    const float4 raw = *(const float4*)p;
    v[0] = raw.x; v[1] = raw.y; v[2] = raw.z; v[3] = raw.w;
}
#endif

// Rows i = 0 .. rows - 1 of x [rows][64] fp32 are tokens t0 - (R - 1) + i of the 64 channels from `channel`: the
// projection (times the padding mask), the tail before the first token, zeros past the end. Args: FeatureArgs or
// FeatureGradArgs (valid, T, H, R).
template <typename Args>
__device__ void load_inputs(float* x, int rows, const in_t* proj, long long pb, long long pt, long long channel, const float* tail,
                            long long tail_channel, const Args& a, long long b, long long t0)
{
    const int per_row = KD / PER_LOAD;
    for (int i = threadIdx.x; i < rows * per_row; i += blockDim.x) {
        const int r = i / per_row, c = (i % per_row) * PER_LOAD;
        const long long t = t0 - (a.R - 1) + r;
        float v[PER_LOAD];
        if (t >= 0 && t < a.T) {
            load16(proj + b * pb + t * pt + channel + c, v);
            const float m = a.valid ? a.valid[b * a.T + t] : 1.f;
#pragma unroll
            for (int k = 0; k < PER_LOAD; k++) v[k] *= m;
        } else {
#pragma unroll
            for (int k = 0; k < PER_LOAD; k++)
                v[k] = t < 0 && tail ? tail[(b * a.H * KD + tail_channel + c + k) * (a.R - 1) + (a.R - 1) + t] : 0.f;
        }
#pragma unroll
        for (int k = 0; k < PER_LOAD; k += 4) *(float4*)(x + r * KD + c + k) = make_float4(v[k], v[k + 1], v[k + 2], v[k + 3]);
    }
}

// Hedgehog weights of one head, given as bf16 high and low parts [64][32] (W = hi + lo to about 2^-16, split once for
// all CTAs), into [64][FP] tiles: 16-byte copies, four per row.
__device__ void load_weights(bf16_t* hi, bf16_t* lo, const bf16_t* Whi, const bf16_t* Wlo)
{
    for (int i = threadIdx.x; i < 2 * KD * 4; i += blockDim.x) {
        const int part = i / (KD * 4), d = (i / 4) % KD, q = i % 4;
        const bf16_t* from = (part == 0 ? Whi : Wlo) + d * FD + q * 8;
        *(uint4*)((part == 0 ? hi : lo) + d * FP + q * 8) = *(const uint4*)from;
    }
}

// y[t][c] = sum_j w[c][j] x[t + j][c] for the 64 tokens, as bf16 high and low parts [64][YP]. Thread: one channel, half
// of the tokens, its R weights in registers.
__device__ void causal_conv(const float* x, const float* w, long long channel0, int R, bf16_t* hi, bf16_t* lo)
{
    const int c = threadIdx.x % KD, halves = blockDim.x / KD, per = CH / halves, first = (threadIdx.x / KD) * per;
    float wc[MAXR];
#pragma unroll
    for (int j = 0; j < MAXR; j++) wc[j] = j < R ? w[(channel0 + c) * R + j] : 0.f;
    for (int i = 0; i < per; i++) {
        const int t = first + i;
        float acc = 0.f;
#pragma unroll
        for (int j = 0; j < MAXR; j++)
            if (j < R) acc += wc[j] * x[(t + j) * KD + c];
        const bf16_t h = to_bf16(acc);
        hi[t * YP + c] = h;
        lo[t * YP + c] = to_bf16(acc - bf16_float(h));
    }
}

// A fragment (16 x 16) of rows m0 .. of a row-major [m][k] bf16 tile, k columns k0 .. (ldmatrix).
__device__ __forceinline__ void a_rows(unsigned a[4], const bf16_t* tile, int pitch, int m0, int k0, int lane)
{
    ldsm_x4(a, smem_addr(tile + (m0 + (lane & 15)) * pitch + k0 + (lane >> 4) * 8));
}

// B fragments (k16 x n8) for n-tiles n0 and n0 + 8 from a [k][n] tile (ldmatrix.trans).
__device__ __forceinline__ void b_pair(unsigned b[4], const bf16_t* tile, int pitch, int k0, int n0, int lane)
{
    ldsm_x4_t(b, smem_addr(tile + (k0 + (lane & 7) + ((lane >> 3) & 1) * 8) * pitch + n0 + ((lane >> 4) & 1) * 8));
}

// u = y W_h for the warp's 16 tokens on tensor cores, then phi(u) for each token into out (rows past T are not written).
// Fragment layout of mma.m16n8k16: lane = 4 * group + tig holds u rows {group, group + 8}, columns {2 tig, 2 tig + 1} of
// each n-tile, so a token's 32 values lie in the 4 lanes of its group.
__device__ void feature_map(const bf16_t* yhi, const bf16_t* ylo, const bf16_t* whi, const bf16_t* wlo, bf16_t* out,
                            const float* valid, long long t0, long long T)
{
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, group = lane >> 2, tig = lane & 3;
    float u[FD / 8][4] = {};
#pragma unroll
    for (int ks = 0; ks < KD / 16; ks++) {
        unsigned ah[4], al[4];
        a_rows(ah, yhi, YP, warp * 16, ks * 16, lane);
        a_rows(al, ylo, YP, warp * 16, ks * 16, lane);
#pragma unroll
        for (int np = 0; np < FD / 16; np++) {
            unsigned bh[4], bl[4];
            b_pair(bh, whi, FP, ks * 16, np * 16, lane);
            b_pair(bl, wlo, FP, ks * 16, np * 16, lane);
#pragma unroll
            for (int half = 0; half < 2; half++) {
                float* acc = u[2 * np + half];
                mma(acc, ah, bh[2 * half], bh[2 * half + 1]);
                mma(acc, ah, bl[2 * half], bl[2 * half + 1]);
                mma(acc, al, bh[2 * half], bh[2 * half + 1]);
            }
        }
    }
#pragma unroll
    for (int row = 0; row < 2; row++) {
        float mx = u[0][2 * row], mn = mx;
#pragma unroll
        for (int nt = 0; nt < FD / 8; nt++)
#pragma unroll
            for (int e = 0; e < 2; e++) { mx = fmaxf(mx, u[nt][2 * row + e]); mn = fminf(mn, u[nt][2 * row + e]); }
#pragma unroll
        for (int o = 1; o < 4; o <<= 1) {
            mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, o));
            mn = fminf(mn, __shfl_xor_sync(0xffffffffu, mn, o));
        }
        float pos[FD / 8][2], neg[FD / 8][2], sp = 0.f, sn = 0.f;
#pragma unroll
        for (int nt = 0; nt < FD / 8; nt++)
#pragma unroll
            for (int e = 0; e < 2; e++) {
                pos[nt][e] = __expf(u[nt][2 * row + e] - mx);
                neg[nt][e] = __expf(mn - u[nt][2 * row + e]);
                sp += pos[nt][e];
                sn += neg[nt][e];
            }
#pragma unroll
        for (int o = 1; o < 4; o <<= 1) { sp += __shfl_xor_sync(0xffffffffu, sp, o); sn += __shfl_xor_sync(0xffffffffu, sn, o); }
        const long long t = t0 + warp * 16 + group + row * 8;
        if (t >= T) continue;
        const float m = valid ? valid[t] : 1.f, rp = 1.f / sp, rn = 1.f / sn;   // one division per sign, not 16
#pragma unroll
        for (int nt = 0; nt < FD / 8; nt++) {
            const int c = nt * 8 + tig * 2;
            const unsigned p = to_bf16(fmaxf(pos[nt][0] * rp, 1e-12f) * m) | ((unsigned)to_bf16(fmaxf(pos[nt][1] * rp, 1e-12f) * m) << 16);
            const unsigned n = to_bf16(fmaxf(neg[nt][0] * rn, 1e-12f) * m) | ((unsigned)to_bf16(fmaxf(neg[nt][1] * rn, 1e-12f) * m) << 16);
            *(unsigned*)(out + t * KD + c) = p;
            *(unsigned*)(out + t * KD + FD + c) = n;
        }
    }
}

// One CTA: 64 tokens of one head, of q (blockIdx.z even) or k (odd); 128 threads, 4 warps of 16 tokens.
extern "C" __global__ void __launch_bounds__(128) lawcat_features(const FeatureArgs a)
{
    DYNAMIC_SHARED(unsigned char, sm);
    const int rows = CH + (int)a.R - 1;
    float* x = (float*)sm;                                   // [rows][64] conv inputs
    bf16_t* whi = (bf16_t*)(sm + rows * KD * 4);             // [64][FP] Hedgehog weights, high and low parts
    bf16_t* wlo = whi + KD * FP;
    bf16_t* yhi = wlo + KD * FP;                             // [64][YP] conv outputs, high and low parts
    bf16_t* ylo = yhi + CH * YP;
    const long long n = blockIdx.x, h = blockIdx.y, b = blockIdx.z / 2, t0 = n * CH, kvh = h / (a.H / a.Hkv);
    const bool keys = blockIdx.z % 2 == 1;
    load_weights(whi, wlo, a.Whi + h * KD * FD, a.Wlo + h * KD * FD);
    if (keys) load_inputs(x, rows, a.kp, a.kpb, a.kpt, kvh * KD, a.ktail, h * KD, a, b, t0);
    else load_inputs(x, rows, a.qp, a.qpb, a.qpt, h * KD, a.qtail, h * KD, a, b, t0);
    __syncthreads();
    causal_conv(x, keys ? a.wk : a.wq, h * KD, (int)a.R, yhi, ylo);
    __syncthreads();
    const long long head = (b * a.H + h) * a.T * KD;
    feature_map(yhi, ylo, whi, wlo, (keys ? a.fk : a.fq) + head, keys && a.valid ? a.valid + b * a.T : 0, t0, a.T);
    if (t0 + CH >= a.T) {   // the CTA of the last chunk hands on the conv inputs of the last R - 1 tokens
        float* tail_out = keys ? a.ktail_out : a.qtail_out;
        for (int i = threadIdx.x; i < KD * ((int)a.R - 1); i += blockDim.x) {
            const int c = i / ((int)a.R - 1), j = i % ((int)a.R - 1);
            const int r = (int)(a.T - t0) + j;     // tile row of token T - (R - 1) + j
            tail_out[(b * a.H * KD + h * KD + c) * (a.R - 1) + j] = x[r * KD + c];
        }
    }
}

struct FeatureGradArgs {
    const in_t* qp; const in_t* kp;           // as FeatureArgs
    const float* wq; const float* wk;
    const float* qtail; const float* ktail;
    const float* W;
    const float* valid;
    const bf16_t* dfq; const bf16_t* dfk;     // the features' gradients [B, H, T, 64] contiguous; null: none on that side
    float* dxq; float* dxk;                   // the projections' gradients per query head [B, T, H * 64] (k's heads not yet
                                              // summed over their groups)
    float* dw_part;                           // [B, 2, CTAs along T, H, 64, 32]: each CTA's sum of dW_h (q side 0, k side 1)
    float* dconv_part;                        // [B, 2, CTAs along T, H * 64, R]: each CTA's sum of the conv weights' gradient
    long long qpb, qpt, kpb, kpt, T, H, Hkv, R, chunks;   // chunks: 64-token chunks per CTA
};

#define WP 33                 // fp32 pitch of the Hedgehog weights in the backward: conflict-free by rows and by columns

// Backward of lawcat_features: `chunks` chunks of 64 tokens of one head, of q (blockIdx.z even) or k (odd); 128 threads.
// Warp w takes tokens w, w + 4, ... of a chunk and the R - 1 after it (the conv's transpose reads their gradients); lane l
// holds conv channels l and l + 32 and logit l. Per token it recomputes the conv output u and the logits u W_h in fp32,
// takes the gradient through the clamp, both softmaxes and W_h to du, and adds u dl^T and du x to dW_h and d conv in
// registers (tokens of the chunk only). Then dx_s = m_s sum_j w_j du_{s + R - 1 - j}. The CTA's sums go to its own slot of
// dw_part and dconv_part, added over the warps in a fixed order: the gradients are deterministic.
extern "C" __global__ void __launch_bounds__(128) lawcat_features_backward(const FeatureGradArgs a)
{
    DYNAMIC_SHARED(unsigned char, sm);
    const int R = (int)a.R, r = R - 1, rows = CH + 2 * r, span = CH + r;
    float* x = (float*)sm;                                   // [rows][64] conv inputs of tokens t0 - r ..
    float* du = x + rows * KD;                               // [span][64] the conv outputs' gradients of tokens t0 ..
    float* Ws = du + span * KD;                              // [64][WP] Hedgehog weights
    float* ub = Ws + KD * WP;                                // [4][64] per warp: its token's conv outputs
    float* dlb = ub + 4 * KD;                                // [4][32] per warp: its token's logit gradients
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const long long h = blockIdx.y, b = blockIdx.z / 2, kvh = h / (a.H / a.Hkv);
    const bool keys = blockIdx.z % 2 == 1;
    const bf16_t* dphi = keys ? a.dfk : a.dfq;
    if (!dphi) return;
    const float* wconv = keys ? a.wk : a.wq;
    const float* valid = a.valid ? a.valid + b * a.T : 0;
    for (int i = threadIdx.x; i < KD * FD; i += blockDim.x) Ws[(i / FD) * WP + i % FD] = a.W[h * KD * FD + i];
    float w0[MAXR], w1[MAXR], dW[KD], dc0[MAXR], dc1[MAXR];
#pragma unroll
    for (int j = 0; j < MAXR; j++) {
        w0[j] = j < R ? wconv[(h * KD + lane) * R + j] : 0.f;
        w1[j] = j < R ? wconv[(h * KD + lane + 32) * R + j] : 0.f;
        dc0[j] = dc1[j] = 0.f;
    }
#pragma unroll
    for (int d = 0; d < KD; d++) dW[d] = 0.f;
    const long long first = (long long)blockIdx.x * a.chunks;
    for (long long n = first; n < first + a.chunks && n * CH < a.T; n++) {
        const long long t0 = n * CH;
        __syncthreads();                                     // the previous chunk's x and du are read
        if (keys) load_inputs(x, rows, a.kp, a.kpb, a.kpt, kvh * KD, a.ktail, h * KD, a, b, t0);
        else load_inputs(x, rows, a.qp, a.qpb, a.qpt, h * KD, a.qtail, h * KD, a, b, t0);
        __syncthreads();
        float* u = ub + warp * KD;
        float* dl = dlb + warp * FD;
        for (int i = warp; i < span; i += 4) {
            const long long t = t0 + i;
            if (t >= a.T) { du[i * KD + lane] = 0.f; du[i * KD + lane + 32] = 0.f; continue; }
            float u0 = 0.f, u1 = 0.f;                        // the forward's conv, same order
#pragma unroll
            for (int j = 0; j < MAXR; j++)
                if (j < R) { u0 += w0[j] * x[(i + j) * KD + lane]; u1 += w1[j] * x[(i + j) * KD + lane + 32]; }
            u[lane] = u0;
            u[lane + 32] = u1;
            __syncwarp();
            float logit = 0.f;
#pragma unroll 16
            for (int d = 0; d < KD; d++) logit += u[d] * Ws[d * WP + lane];
            float mx = logit, mn = logit;
#pragma unroll
            for (int o = 16; o > 0; o >>= 1) {
                mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, o));
                mn = fminf(mn, __shfl_xor_sync(0xffffffffu, mn, o));
            }
            const float ep = expf(logit - mx), en = expf(mn - logit);
            float sp = ep, sn = en;
#pragma unroll
            for (int o = 16; o > 0; o >>= 1) { sp += __shfl_xor_sync(0xffffffffu, sp, o); sn += __shfl_xor_sync(0xffffffffu, sn, o); }
            const float p = ep / sp, q = en / sn;
            // phi = max(softmax, 1e-12) (times the mask on k): the clamp passes the gradient where the value is at the floor or above.
            const float m = keys && valid ? valid[t] : 1.f;
            const bf16_t* g = dphi + ((b * a.H + h) * a.T + t) * KD;
            const float dp = p >= 1e-12f ? bf16_float(g[lane]) * m : 0.f, dn = q >= 1e-12f ? bf16_float(g[FD + lane]) * m : 0.f;
            float sdp = dp * p, sdn = dn * q;
#pragma unroll
            for (int o = 16; o > 0; o >>= 1) { sdp += __shfl_xor_sync(0xffffffffu, sdp, o); sdn += __shfl_xor_sync(0xffffffffu, sdn, o); }
            const float dlogit = p * (dp - sdp) - q * (dn - sdn);
            dl[lane] = dlogit;
            __syncwarp();
            float d0 = 0.f, d1 = 0.f;
#pragma unroll 8
            for (int f = 0; f < FD; f++) { const float gf = dl[f]; d0 += gf * Ws[lane * WP + f]; d1 += gf * Ws[(lane + 32) * WP + f]; }
            du[i * KD + lane] = d0;
            du[i * KD + lane + 32] = d1;
            if (i < CH) {
#pragma unroll
                for (int d = 0; d < KD; d++) dW[d] += u[d] * dlogit;
#pragma unroll
                for (int j = 0; j < MAXR; j++)
                    if (j < R) { dc0[j] += d0 * x[(i + j) * KD + lane]; dc1[j] += d1 * x[(i + j) * KD + lane + 32]; }
            }
            __syncwarp();                                    // u and dl are the warp's next token's
        }
        __syncthreads();
        const int c = threadIdx.x % KD;                      // dx: one channel, every other token
        float wc[MAXR];
#pragma unroll
        for (int j = 0; j < MAXR; j++) wc[j] = j < R ? wconv[(h * KD + c) * R + j] : 0.f;
        float* dx = keys ? a.dxk : a.dxq;
        for (int s = threadIdx.x / KD; s < CH && t0 + s < a.T; s += 2) {
            float acc = 0.f;
#pragma unroll
            for (int j = 0; j < MAXR; j++)
                if (j < R) acc += wc[j] * du[(s + r - j) * KD + c];
            dx[(b * a.T + t0 + s) * a.H * KD + h * KD + c] = valid ? acc * valid[t0 + s] : acc;
        }
    }
    __syncthreads();
    float* red = (float*)sm;                                 // [4][64][32], then [4][64][MAXR]: over x and du
    const long long slot = ((b * 2 + (keys ? 1 : 0)) * gridDim.x + blockIdx.x);
#pragma unroll
    for (int d = 0; d < KD; d++) red[(warp * KD + d) * FD + lane] = dW[d];
    __syncthreads();
    float* dwp = a.dw_part + (slot * a.H + h) * KD * FD;
    for (int i = threadIdx.x; i < KD * FD; i += blockDim.x)
        dwp[i] = ((red[i] + red[KD * FD + i]) + red[2 * KD * FD + i]) + red[3 * KD * FD + i];
    __syncthreads();
#pragma unroll
    for (int j = 0; j < MAXR; j++) { red[(warp * KD + lane) * MAXR + j] = dc0[j]; red[(warp * KD + lane + 32) * MAXR + j] = dc1[j]; }
    __syncthreads();
    float* dcp = a.dconv_part + (slot * a.H * KD + h * KD) * R;
    for (int i = threadIdx.x; i < KD * R; i += blockDim.x) {
        const int ch = i / R, j = i % R;
        dcp[i] = ((red[ch * MAXR + j] + red[(KD + ch) * MAXR + j]) + red[(2 * KD + ch) * MAXR + j]) + red[(3 * KD + ch) * MAXR + j];
    }
}

// S = Diag(decay) S + k^T [v, 1] for one (batch, head), o = scale q S, y = o[:VD] / (o[VD] + eps); q, k, v, decay in
// shared memory, S [64][VD + 1] in device memory.
__device__ void normalized_step(const float* q, const float* k, const float* v, const float* decay, float* S, float* out,
                                float scale, float eps, in_t* y)
{
    for (int c = threadIdx.x; c <= VD; c += blockDim.x) {
        const float vc = c < VD ? v[c] : 1.f;
        float acc = 0.f;
#pragma unroll 8
        for (int f = 0; f < KD; f++) {
            const float x = decay[f] * S[f * (VD + 1) + c] + k[f] * vc;
            S[f * (VD + 1) + c] = x;
            acc += q[f] * x;
        }
        out[c] = scale * acc;
    }
    __syncthreads();
    for (int c = threadIdx.x; c < VD; c += blockDim.x) y[c] = from_f(out[c] / (out[VD] + eps));
}

struct DecodeArgs {
    const in_t* x;                                    // the layer input [B, 1, C] (stride xb), or null (projections given)
    const in_t* Wq; const in_t* Wk; const in_t* Wv;   // projection weights [H * 64, C], [Hkv * 64, C], [Hkv * VD, C], or
                                                      // null: the projections qp, kp, vp are given
    const in_t* bq; const in_t* bk; const in_t* bv;   // their biases, or null
    const in_t* qp; const in_t* kp; const in_t* vp;   // this token's projections [B, 1, H * 64], [B, 1, Hkv * 64], [B, 1, Hkv * VD]
    const float* cq; const float* ck;                 // conv weights [H * 64, R]
    float* qtail; float* ktail;                       // [B, H * 64, R - 1], advanced by one token in place
    const float* W;                                   // [H, 64, 32]
    const float* g;                                   // log-decays [B, Hg, 1, GW] (strides gb, gh; GW 1 or 64), or null
    const float* gdown; const float* gup; const float* gbias;   // the low-rank gate [rank, C], [Hkv * 64, rank], [Hkv * 64],
                                                      // or null (then g)
    float* S;                                         // [B, H, 64, VD + 1], updated in place
    in_t* y;                                          // [B, 1, H * VD]
    long long xb, C, qpb, kpb, vpb, gb, gh, yb, H, Hkv, Hg, GW, R, rank;
    float scale, eps, gate_scale;                     // gate_scale: 1 / the gate's normalizer
};

__device__ __forceinline__ float decay_of(const float* g, long long gb, long long gh, long long GW, long long b, long long hg, int f)
{
    return g ? __expf(g[b * gb + hg * gh + (GW == 1 ? 0 : f)]) : 1.f;
}

__device__ __forceinline__ float warp_sum(float v)
{
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

#define IN_FLIGHT 8            // loads a lane issues before it waits for the first: a decoding step is latency-bound

// dot(row[0 .. C), xs) for a warp: lanes take 16-byte pieces of the row, IN_FLIGHT of them at a time.
__device__ __forceinline__ float warp_dot(const in_t* row, const float* xs, long long C, int lane)
{
    float acc = 0.f;
    for (long long base = lane * PER_LOAD; base < C; base += IN_FLIGHT * 32 * PER_LOAD) {
        float w[IN_FLIGHT][PER_LOAD];
#pragma unroll
        for (int l = 0; l < IN_FLIGHT; l++)
            if (base + l * 32 * PER_LOAD < C) load16(row + base + l * 32 * PER_LOAD, w[l]);
#pragma unroll
        for (int l = 0; l < IN_FLIGHT; l++)
            if (base + l * 32 * PER_LOAD < C)
#pragma unroll
                for (int k = 0; k < PER_LOAD; k++) acc += w[l][k] * xs[base + l * 32 * PER_LOAD + k];
    }
    return warp_sum(acc);
}

__device__ __forceinline__ float warp_dot_f32(const float* row, const float* xs, long long C, int lane)
{
    float acc = 0.f;
    for (long long base = lane; base < C; base += 2 * IN_FLIGHT * 32) {
        float w[2 * IN_FLIGHT];
#pragma unroll
        for (int l = 0; l < 2 * IN_FLIGHT; l++) w[l] = base + l * 32 < C ? row[base + l * 32] : 0.f;
#pragma unroll
        for (int l = 0; l < 2 * IN_FLIGHT; l++)
            if (base + l * 32 < C) acc += w[l] * xs[base + l * 32];
    }
    return warp_sum(acc);
}

// q (64 rows of head h), k (64 rows of kv head kvh) and v (VD rows) projections of x: one warp per row, rounded to the
// input dtype as a GEMM's output would be.
__device__ void project(const DecodeArgs& a, const float* xs, long long h, long long kvh, float proj[3][KD], int warp, int lane)
{
    const int warps = blockDim.x / 32;
    for (int r = warp; r < 2 * KD + VD; r += warps) {
        const int side = r / KD, c = r % KD;
        const in_t* W = side == 0 ? a.Wq : side == 1 ? a.Wk : a.Wv;
        const in_t* bias = side == 0 ? a.bq : side == 1 ? a.bk : a.bv;
        const long long row = (side == 0 ? h * KD : side == 1 ? kvh * KD : kvh * VD) + c;
        const float dot = warp_dot(W + row * a.C, xs, a.C, lane);
        if (lane == 0) proj[side][c] = to_f(from_f(dot + (bias ? to_f(bias[row]) : 0.f)));
    }
}

// The gate's low-rank projection W_down x, one warp per rank.
__device__ void gate_low(const DecodeArgs& a, const float* xs, float* low, int warp, int lane)
{
    for (int r = warp; r < a.rank; r += blockDim.x / 32) {
        const float dot = warp_dot_f32(a.gdown + r * a.C, xs, a.C, lane);
        if (lane == 0) low[r] = dot;
    }
}

// exp(g) for feature f of gate head hg: g = logsigmoid(W_up low + b) / normalizer.
__device__ __forceinline__ float gate_decay(const DecodeArgs& a, const float* low, long long hg, int f)
{
    const long long row = hg * KD + f;
    float z = a.gbias ? a.gbias[row] : 0.f;
    for (int r = 0; r < a.rank; r++) z += a.gup[row * a.rank + r] * low[r];
    const float logsig = fminf(z, 0.f) - log1pf(__expf(-fabsf(z)));
    return __expf(logsig * a.gate_scale);
}

// One decoding step of one (batch, head); DECODE_THREADS threads, of which 0-63 take the query channels and 64-127 the
// key channels in the per-channel parts. With x, the kernel also makes the projections (dynamic shared memory holds x,
// C floats) and the low-rank gate: every warp takes rows of them, so that many loads are in flight.
#define DECODE_THREADS 512
extern "C" __global__ void __launch_bounds__(DECODE_THREADS) lawcat_decode(const DecodeArgs a)
{
    DYNAMIC_SHARED(float, xs);
    __shared__ float proj[3][KD], conv[2][KD], phi[2][KD], decay[KD], low[MAX_RANK], out[VD + 1];
    const long long h = blockIdx.x, b = blockIdx.y, kvh = h / (a.H / a.Hkv), hg = h / (a.H / a.Hg);
    const int R = (int)a.R, side = threadIdx.x / KD, c = threadIdx.x % KD, warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    if (a.x) {
        for (long long i = threadIdx.x; i < a.C; i += blockDim.x) xs[i] = to_f(a.x[b * a.xb + i]);
        __syncthreads();
    }
    const bool channel = threadIdx.x < 2 * KD;
    if (a.Wq) project(a, xs, h, kvh, proj, warp, lane);
    else if (channel) {
        proj[side][c] = side == 0 ? to_f(a.qp[b * a.qpb + h * KD + c]) : to_f(a.kp[b * a.kpb + kvh * KD + c]);
        if (side == 1 && c < VD) proj[2][c] = to_f(a.vp[b * a.vpb + kvh * VD + c]);
    }
    if (a.gdown) gate_low(a, xs, low, warp, lane);
    __syncthreads();
    if (channel) {
        const float x = proj[side][c];
        const float* w = (side == 0 ? a.cq : a.ck) + (h * KD + c) * R;
        float* tail = (side == 0 ? a.qtail : a.ktail) + (b * a.H * KD + h * KD + c) * (R - 1);
        float acc = w[R - 1] * x;
        for (int j = 0; j < R - 1; j++) acc += w[j] * tail[j];
        for (int j = 0; j + 1 < R - 1; j++) tail[j] = tail[j + 1];
        if (R > 1) tail[R - 2] = x;
        conv[side][c] = acc;
        if (side == 0) decay[c] = a.gdown ? gate_decay(a, low, hg, c) : decay_of(a.g, a.gb, a.gh, a.GW, b, hg, c);
    }
    __syncthreads();
    if (threadIdx.x < 64) {   // warp 0: queries, warp 1: keys; lane j holds projection j of 32
        const int s = threadIdx.x / 32, j = threadIdx.x % 32;
        float u = 0.f;
        for (int d = 0; d < KD; d++) u += conv[s][d] * a.W[(h * KD + d) * FD + j];
        float mx = u, mn = u;
        for (int o = 16; o > 0; o >>= 1) { mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, o)); mn = fminf(mn, __shfl_xor_sync(0xffffffffu, mn, o)); }
        float ep = __expf(u - mx), en = __expf(mn - u), sp = ep, sn = en;
        for (int o = 16; o > 0; o >>= 1) { sp += __shfl_xor_sync(0xffffffffu, sp, o); sn += __shfl_xor_sync(0xffffffffu, sn, o); }
        phi[s][j] = fmaxf(ep / sp, 1e-12f);
        phi[s][FD + j] = fmaxf(en / sn, 1e-12f);
    }
    __syncthreads();
    normalized_step(phi[0], phi[1], proj[2], decay, a.S + (b * a.H + h) * KD * (VD + 1), out, a.scale, a.eps, a.y + b * a.yb + h * VD);
}

struct StepArgs {
    const in_t* q; const in_t* k; const in_t* v;   // [B, H, 1, 64], [B, H, 1, 64], [B, Hv, 1, VD] (strides qb qh, ...)
    const float* g;                                // [B, Hg, 1, GW] or null
    float* S;                                      // [B, H, 64, VD + 1]
    in_t* y;                                       // [B, H, 1, VD]
    long long qb, qh, kb, kh, vb, vh, gb, gh, H, Hv, Hg, GW;
    float scale, eps;
};

// The normalized state update alone: one (batch, head) per CTA.
extern "C" __global__ void __launch_bounds__(128) gla_normalized_step(const StepArgs a)
{
    __shared__ float q[KD], k[KD], v[VD], decay[KD], out[VD + 1];
    const long long h = blockIdx.x, b = blockIdx.y, hv = h / (a.H / a.Hv), hg = h / (a.H / a.Hg);
    for (int i = threadIdx.x; i < KD; i += blockDim.x) {
        q[i] = to_f(a.q[b * a.qb + h * a.qh + i]);
        k[i] = to_f(a.k[b * a.kb + h * a.kh + i]);
        decay[i] = decay_of(a.g, a.gb, a.gh, a.GW, b, hg, i);
        if (i < VD) v[i] = to_f(a.v[b * a.vb + hv * a.vh + i]);
    }
    __syncthreads();
    normalized_step(q, k, v, decay, a.S + (b * a.H + h) * KD * (VD + 1), out, a.scale, a.eps, a.y + (b * a.H + h) * VD);
}
