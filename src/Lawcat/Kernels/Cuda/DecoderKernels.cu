// A Llama decoder layer's work around attention and its projections, one launch each, for decoding steps (one token
// per sequence), where a step's time is the number of launches: compiled at run time with NVRTC; the arithmetic of the
// tensor operations of Llama's RmsNorm and LlamaMlp (Hugging Face's LlamaRMSNorm and SwiGLU), rounding where they round:
//   rms_norm: h = x (+ residual, rounded to the dtype), y = w * dtype(h * rsqrt(mean(h^2) + eps)), fp32 inside; the
//             mean's sum is added in another order than torch's, the only difference
//   swiglu:   y = dtype(silu(g)) * u, silu(g) = g / (1 + exp(-g)) in fp32
// Compile-time: IN_BF16 (bf16 tensors, else fp32).

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

#define NORM_THREADS 256

struct NormArgs {
    const in_t* x;          // [N, C] rows
    const in_t* residual;   // [N, C] added to x first, or null
    const in_t* w;          // [C]
    in_t* sum;              // [N, C] x + residual (when residual is given)
    in_t* y;                // [N, C]
    long long C;
    float eps;
};

// The row's input as the tensor operations see it: x, or x + residual rounded to the dtype.
__device__ __forceinline__ float norm_input(const NormArgs& a, long long i)
{
    return a.residual ? to_f(from_f(to_f(a.x[i]) + to_f(a.residual[i]))) : to_f(a.x[i]);
}

// One CTA per row.
extern "C" __global__ void __launch_bounds__(NORM_THREADS) rms_norm(const NormArgs a)
{
    __shared__ float warp_sums[NORM_THREADS / 32];
    const long long row = (long long)blockIdx.x * a.C;
    float ss = 0.f;
    for (long long c = threadIdx.x; c < a.C; c += NORM_THREADS) {
        const float h = norm_input(a, row + c);
        if (a.residual) a.sum[row + c] = from_f(h);
        ss += h * h;
    }
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) ss += __shfl_xor_sync(0xffffffffu, ss, o);
    if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = ss;
    __syncthreads();
    float total = 0.f;
#pragma unroll
    for (int w = 0; w < NORM_THREADS / 32; w++) total += warp_sums[w];
    const float rstd = rsqrtf(total / (float)a.C + a.eps);
    for (long long c = threadIdx.x; c < a.C; c += NORM_THREADS)
        a.y[row + c] = from_f(to_f(a.w[c]) * to_f(from_f(norm_input(a, row + c) * rstd)));
}

struct SwiGluArgs {
    const in_t* g; const in_t* u;   // [n] each
    in_t* y;                        // [n]
    long long n;
};

extern "C" __global__ void __launch_bounds__(256) swiglu(const SwiGluArgs a)
{
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < a.n; i += (long long)gridDim.x * blockDim.x) {
        const float g = to_f(a.g[i]);
        a.y[i] = from_f(to_f(from_f(g / (1.f + expf(-g)))) * to_f(a.u[i]));
    }
}
