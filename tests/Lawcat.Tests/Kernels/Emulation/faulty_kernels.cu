// Kernels that break one rule of the PTX ISA or of CUDA each, for the emulator's own tests (never compiled for a GPU):
// the emulator must report each (EmulatorTests), and run the *_ok variants, which follow the rules, without a report.
// One CTA of 64 threads; out holds 64 floats, in 64 + 8 floats (16-byte aligned).

struct FaultArgs { float* out; const float* in; };

// A float4 load from shared memory 8 bytes off a 16-byte boundary (the LawcatKernels.cu bug found on a GPU).
extern "C" __global__ void vector_load_misaligned(const FaultArgs a)
{
    DYNAMIC_SHARED(float, sm);
    sm[threadIdx.x] = a.in[threadIdx.x];
    __syncthreads();
    const float4 w = *(const float4*)(sm + 2 + (threadIdx.x % 8) * 4);
    a.out[threadIdx.x] = w.x + w.y + w.z + w.w;
}

extern "C" __global__ void vector_load_ok(const FaultArgs a)
{
    DYNAMIC_SHARED(float, sm);
    sm[threadIdx.x] = a.in[threadIdx.x];
    __syncthreads();
    const float4 w = *(const float4*)(sm + (threadIdx.x % 8) * 4);
    a.out[threadIdx.x] = w.x + w.y + w.z + w.w;
}

// A float2 store to global memory at an odd float index.
extern "C" __global__ void vector_store_misaligned(const FaultArgs a)
{
    if (threadIdx.x == 0) *(float2*)(a.out + 1) = make_float2(1.f, 2.f);
}

// ldmatrix rows 68 bf16 (136 bytes) apart: only every other row starts on a 16-byte boundary.
template <int PITCH>
__device__ void ldmatrix_rows(const FaultArgs& a)
{
    DYNAMIC_SHARED(unsigned short, tile);
    for (int i = threadIdx.x; i < 16 * PITCH; i += blockDim.x) tile[i] = (unsigned short)i;
    __syncthreads();
    const int lane = threadIdx.x % 32;
    unsigned r[4];
    ldsm_x4(r, smem_addr(tile + (lane % 16) * PITCH + (lane / 16) * 8));
    a.out[threadIdx.x] = (float)(r[0] & 0xFFFF);
}

extern "C" __global__ void ldmatrix_misaligned(const FaultArgs a) { ldmatrix_rows<68>(a); }
extern "C" __global__ void ldmatrix_ok(const FaultArgs a) { ldmatrix_rows<72>(a); }

// cp.async from a source 8 bytes off a 16-byte boundary.
extern "C" __global__ void cp_async_misaligned(const FaultArgs a)
{
    DYNAMIC_SHARED(float, sm);
    if (threadIdx.x < 16) cp16(sm + 4 * threadIdx.x, a.in + 2 + 4 * threadIdx.x, true);
    cp_commit();
    cp_wait_all();
    __syncthreads();
    a.out[threadIdx.x] = sm[threadIdx.x];
}

// Reads a cp.async destination without waiting for the copy: the bytes are still uninitialized (NaN here).
extern "C" __global__ void cp_async_read_before_wait(const FaultArgs a)
{
    DYNAMIC_SHARED(float, sm);
    if (threadIdx.x < 16) cp16(sm + 4 * threadIdx.x, a.in + 4 * threadIdx.x, true);
    cp_commit();
    __syncthreads();
    a.out[threadIdx.x] = sm[threadIdx.x];
    cp_wait_all();
}

extern "C" __global__ void cp_async_ok(const FaultArgs a)
{
    DYNAMIC_SHARED(float, sm);
    if (threadIdx.x < 16) cp16(sm + 4 * threadIdx.x, a.in + 4 * threadIdx.x, true);
    cp_commit();
    cp_wait_all();
    __syncthreads();
    a.out[threadIdx.x] = sm[threadIdx.x];
}

// Half of each warp shuffles at one line, the other half at another.
extern "C" __global__ void shuffle_divergent(const FaultArgs a)
{
    float v = a.in[threadIdx.x];
    if (threadIdx.x % 32 < 16) v = __shfl_xor_sync(0xffffffffu, v, 1);
    else v = __shfl_xor_sync(0xffffffffu, v, 2);
    a.out[threadIdx.x] = v;
}

// The second warp returns before a barrier the first waits at.
extern "C" __global__ void barrier_skipped(const FaultArgs a)
{
    if (threadIdx.x >= 32) return;
    __syncthreads();
    a.out[threadIdx.x] = 1.f;
}

// Writes one float past the 256 bytes of dynamic shared memory the test launches with.
extern "C" __global__ void shared_overrun(const FaultArgs a)
{
    DYNAMIC_SHARED(float, sm);
    sm[threadIdx.x + 1] = a.in[threadIdx.x];
    __syncthreads();
    a.out[threadIdx.x] = sm[threadIdx.x + 1];
}

// Reads shared memory nobody wrote: uninitialized (NaN here).
extern "C" __global__ void shared_uninitialized(const FaultArgs a)
{
    DYNAMIC_SHARED(float, sm);
    a.out[threadIdx.x] = sm[threadIdx.x];
}
