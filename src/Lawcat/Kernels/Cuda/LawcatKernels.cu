// LAWCAT's per-token work fused into single kernels, compiled at run time with NVRTC (same meaning as the tensor
// operations of LawcatAttention, CausalConv1d, FeatureMap and GatedLinearAttention.NormalizedStep):
//   q~ = conv_q(W_q x), k~ = conv_k(expand(W_k x))     causal depthwise, R taps, tap R-1 the current token
//   phi(u) = max([softmax(u W_h), softmax(-u W_h)], 1e-12)   W_h [64, 32] per head (Hedgehog)
//   S = Diag(exp(g)) S + phi(k~)^T [v, 1],  o = scale phi(q~) S,  y = o[:VD] / (o[VD] + eps)
// lawcat_features: prefill, conv and feature map for a chunk of 64 tokens of one head, q and k, into [B, H, T, 64] bf16
// (the tensor-core GLA's operands) plus the conv tails decoding continues from. lawcat_decode: one decoding step of a
// whole layer's linear path for one (batch, head): conv steps on the tails, feature maps, gate decay, state update,
// read-out and normalization. gla_normalized_step: the normalized state update alone, on given features.
// Compile-time: IN_BF16 (projections and outputs in bf16, else fp32), VD (value width, at most 64). Head width 64.

#define KD 64
#define FD 32                 // feature-map width before the two signs
#define CH 64                 // tokens per prefill CTA
#define MAXR 8                // conv taps supported
#define XP 65                 // fp32 pitch of the token tiles

typedef unsigned short bf16_t;

// Round to nearest even, in plain integer arithmetic (inputs are finite).
__device__ __forceinline__ bf16_t to_bf16(float x)
{
    const unsigned u = __float_as_uint(x);
    return (bf16_t)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

#if IN_BF16
typedef bf16_t in_t;
__device__ __forceinline__ float to_f(in_t x) { return __uint_as_float(((unsigned int)x) << 16); }
__device__ __forceinline__ in_t from_f(float x) { return to_bf16(x); }
#else
typedef float in_t;
__device__ __forceinline__ float to_f(in_t x) { return x; }
__device__ __forceinline__ in_t from_f(float x) { return x; }
#endif

// The dynamic shared memory of a CTA (an emulator of the kernels may define its own).
#ifndef DYNAMIC_SHARED
#define DYNAMIC_SHARED(T, name) extern __shared__ __align__(16) T name[]
#endif

struct FeatureArgs {
    const in_t* qp; const in_t* kp;           // projections [B, T, H * 64] and [B, T, Hkv * 64] (row strides qpt, kpt)
    const float* wq; const float* wk;         // conv weights [H * 64, R]
    const float* qtail; const float* ktail;   // conv inputs before the first token [B, H * 64, R - 1], or null (zeros)
    const float* W;                           // Hedgehog projections [H, 64, 32]
    const float* valid;                       // [B, T] (1 real, 0 padding), or null
    bf16_t* fq; bf16_t* fk;                   // features [B, H, T, 64]
    float* qtail_out; float* ktail_out;       // the last R - 1 conv inputs [B, H * 64, R - 1]
    long long qpb, qpt, kpb, kpt, T, H, Hkv, R;
};

// Softmax over the 32 projections of one token, spread over 8 consecutive lanes with 4 values each; both signs.
__device__ __forceinline__ void hedgehog(const float u[4], float pos[4], float neg[4])
{
    float mx = fmaxf(fmaxf(u[0], u[1]), fmaxf(u[2], u[3])), mn = fminf(fminf(u[0], u[1]), fminf(u[2], u[3]));
#pragma unroll
    for (int o = 1; o < 8; o <<= 1) {
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, o));
        mn = fminf(mn, __shfl_xor_sync(0xffffffffu, mn, o));
    }
    float sp = 0.f, sn = 0.f;
#pragma unroll
    for (int j = 0; j < 4; j++) { pos[j] = __expf(u[j] - mx); neg[j] = __expf(mn - u[j]); sp += pos[j]; sn += neg[j]; }
#pragma unroll
    for (int o = 1; o < 8; o <<= 1) { sp += __shfl_xor_sync(0xffffffffu, sp, o); sn += __shfl_xor_sync(0xffffffffu, sn, o); }
#pragma unroll
    for (int j = 0; j < 4; j++) { pos[j] = fmaxf(pos[j] / sp, 1e-12f); neg[j] = fmaxf(neg[j] / sn, 1e-12f); }
}

// Rows i = 0 .. CH + R - 2 of the tile are tokens t0 - (R - 1) + i of one head's 64 channels: the projection (times the
// padding mask), the tail before the first token, zeros past the end.
__device__ void load_inputs(float* x, const in_t* proj, long long pb, long long pt, long long src_channel, const float* tail,
                            long long tail_channel, const FeatureArgs& a, long long b, long long t0)
{
    const int rows = CH + (int)a.R - 1;
    for (int i = threadIdx.x; i < rows * KD; i += blockDim.x) {
        const int r = i / KD, c = i % KD;
        const long long t = t0 - (a.R - 1) + r;
        float val = 0.f;
        if (t >= 0 && t < a.T) {
            val = to_f(proj[b * pb + t * pt + src_channel + c]);
            if (a.valid) val *= a.valid[b * a.T + t];
        } else if (t < 0 && tail) {
            val = tail[(b * a.H * KD + tail_channel + c) * (a.R - 1) + (a.R - 1) + t];
        }
        x[r * XP + c] = val;
    }
}

__device__ void causal_conv(const float* x, const float* w, float* y, long long channel0, int R)
{
    for (int i = threadIdx.x; i < CH * KD; i += blockDim.x) {
        const int t = i / KD, c = i % KD;
        float acc = 0.f;
        for (int j = 0; j < R; j++) acc += w[(channel0 + c) * R + j] * x[(t + j) * XP + c];
        y[t * XP + c] = acc;
    }
}

// phi of 64 tokens: thread (row block tid / 8, column block tid % 8) computes a 4 x 4 tile of u = y W_h, then both
// softmaxes; rows past T are not written.
__device__ void feature_map(const float* y, const float* Ws, bf16_t* out, const float* valid, long long t0, long long T)
{
    const int rb = threadIdx.x / 8, cb = threadIdx.x % 8;
    float u[4][4] = {};
    for (int d = 0; d < KD; d++) {
        const float4 w = *(const float4*)(Ws + d * FD + cb * 4);
#pragma unroll
        for (int r = 0; r < 4; r++) {
            const float a = y[(rb * 4 + r) * XP + d];
            u[r][0] += a * w.x; u[r][1] += a * w.y; u[r][2] += a * w.z; u[r][3] += a * w.w;
        }
    }
#pragma unroll
    for (int r = 0; r < 4; r++) {
        float pos[4], neg[4];
        hedgehog(u[r], pos, neg);
        const long long t = t0 + rb * 4 + r;
        if (t >= T) continue;
        const float m = valid ? valid[t] : 1.f;
#pragma unroll
        for (int j = 0; j < 4; j++) {
            out[t * KD + cb * 4 + j] = to_bf16(pos[j] * m);
            out[t * KD + FD + cb * 4 + j] = to_bf16(neg[j] * m);
        }
    }
}

extern "C" __global__ void __launch_bounds__(128) lawcat_features(const FeatureArgs a)
{
    DYNAMIC_SHARED(float, sm);
    const int rows = CH + (int)a.R - 1;
    float* Ws = sm;                        // [64][32], first: feature_map reads it as float4 (16-byte aligned)
    float* xq = Ws + KD * FD;              // [rows][XP] conv inputs
    float* xk = xq + rows * XP;
    float* yq = xk + rows * XP;            // [CH][XP] conv outputs
    float* yk = yq + CH * XP;
    const long long n = blockIdx.x, h = blockIdx.y, b = blockIdx.z, t0 = n * CH, kvh = h / (a.H / a.Hkv);
    for (int i = threadIdx.x; i < KD * FD; i += blockDim.x) Ws[i] = a.W[h * KD * FD + i];
    load_inputs(xq, a.qp, a.qpb, a.qpt, h * KD, a.qtail, h * KD, a, b, t0);
    load_inputs(xk, a.kp, a.kpb, a.kpt, kvh * KD, a.ktail, h * KD, a, b, t0);
    __syncthreads();
    causal_conv(xq, a.wq, yq, h * KD, (int)a.R);
    causal_conv(xk, a.wk, yk, h * KD, (int)a.R);
    __syncthreads();
    const long long head = (b * a.H + h) * a.T * KD;
    const float* valid = a.valid ? a.valid + b * a.T : 0;
    feature_map(yq, Ws, a.fq + head, 0, t0, a.T);
    feature_map(yk, Ws, a.fk + head, valid, t0, a.T);
    if (t0 + CH >= a.T) {   // the CTA of the last chunk hands on the conv inputs of the last R - 1 tokens
        for (int i = threadIdx.x; i < KD * ((int)a.R - 1); i += blockDim.x) {
            const int c = i / ((int)a.R - 1), j = i % ((int)a.R - 1);
            const int r = (int)(a.T - t0) + j;     // tile row of token T - (R - 1) + j
            const long long o = (b * a.H * KD + h * KD + c) * (a.R - 1) + j;
            a.qtail_out[o] = xq[r * XP + c];
            a.ktail_out[o] = xk[r * XP + c];
        }
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
    const in_t* qp; const in_t* kp; const in_t* vp;   // this token's projections [B, 1, H * 64], [B, 1, Hkv * 64] x 2
    const float* wq; const float* wk;                 // conv weights [H * 64, R]
    float* qtail; float* ktail;                       // [B, H * 64, R - 1], advanced by one token in place
    const float* W;                                   // [H, 64, 32]
    const float* g;                                   // log-decays [B, Hg, 1, GW] (strides gb, gh; GW 1 or 64), or null
    float* S;                                         // [B, H, 64, VD + 1], updated in place
    in_t* y;                                          // [B, 1, H * VD]
    long long qpb, kpb, vpb, gb, gh, yb, H, Hkv, Hg, GW, R;
    float scale, eps;
};

__device__ __forceinline__ float decay_of(const float* g, long long gb, long long gh, long long GW, long long b, long long hg, int f)
{
    return g ? __expf(g[b * gb + hg * gh + (GW == 1 ? 0 : f)]) : 1.f;
}

// One decoding step of one (batch, head); 128 threads: 0-63 the query channels, 64-127 the key channels.
extern "C" __global__ void __launch_bounds__(128) lawcat_decode(const DecodeArgs a)
{
    __shared__ float conv[2][KD], phi[2][KD], decay[KD], v[VD], out[VD + 1];
    const long long h = blockIdx.x, b = blockIdx.y, kvh = h / (a.H / a.Hkv), hg = h / (a.H / a.Hg);
    const int R = (int)a.R, side = threadIdx.x / KD, c = threadIdx.x % KD;
    {
        const float x = side == 0 ? to_f(a.qp[b * a.qpb + h * KD + c]) : to_f(a.kp[b * a.kpb + kvh * KD + c]);
        const float* w = (side == 0 ? a.wq : a.wk) + (h * KD + c) * R;
        float* tail = (side == 0 ? a.qtail : a.ktail) + (b * a.H * KD + h * KD + c) * (R - 1);
        float acc = w[R - 1] * x;
        for (int j = 0; j < R - 1; j++) acc += w[j] * tail[j];
        for (int j = 0; j + 1 < R - 1; j++) tail[j] = tail[j + 1];
        if (R > 1) tail[R - 2] = x;
        conv[side][c] = acc;
        if (side == 0) decay[c] = decay_of(a.g, a.gb, a.gh, a.GW, b, hg, c);
        if (side == 1 && c < VD) v[c] = to_f(a.vp[b * a.vpb + kvh * VD + c]);
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
    normalized_step(phi[0], phi[1], v, decay, a.S + (b * a.H + h) * KD * (VD + 1), out, a.scale, a.eps, a.y + b * a.yb + h * VD);
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
