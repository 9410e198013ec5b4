// Runs CUDA kernel source on the CPU, for tests: each CTA's threads are OS threads, __syncthreads is a barrier, warp
// shuffles exchange through a per-warp buffer between two barriers, __shared__ variables are statics (CTAs run one
// at a time). It checks a kernel's arithmetic and indexing, not its speed or its memory-model corners.
#pragma once
#include <barrier>
#include <cmath>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

struct emu_dim3 { unsigned x = 0, y = 0, z = 0; };
inline thread_local emu_dim3 threadIdx;
inline emu_dim3 blockIdx, blockDim, gridDim;

#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __restrict__ __restrict
#define __align__(n) alignas(n)
#define __shared__ static

struct float2 { float x, y; };
struct alignas(16) float4 { float x, y, z, w; };
inline float2 make_float2(float x, float y) { return {x, y}; }

inline float __expf(float x) { return std::exp(x); }
inline float __uint_as_float(unsigned x) { float f; std::memcpy(&f, &x, 4); return f; }
inline unsigned __float_as_uint(float x) { unsigned u; std::memcpy(&u, &x, 4); return u; }
using std::fmaxf;
using std::fminf;

struct emu_block {
    std::unique_ptr<std::barrier<>> all;
    std::vector<std::unique_ptr<std::barrier<>>> warps;
    std::vector<float> lanes;      // one slot per thread, for shuffles
    std::vector<unsigned> words;   // eight slots per thread, for warp-wide exchanges (emu_gather)
    int flag = 0;                  // for __syncthreads_or
};
inline emu_block emu;

inline void __syncthreads() { emu.all->arrive_and_wait(); }

inline int __syncthreads_or(int p)
{
    emu.all->arrive_and_wait();
    if (threadIdx.x == 0) emu.flag = 0;
    emu.all->arrive_and_wait();
    if (p) __atomic_store_n(&emu.flag, 1, __ATOMIC_SEQ_CST);
    emu.all->arrive_and_wait();
    const int r = __atomic_load_n(&emu.flag, __ATOMIC_SEQ_CST);
    emu.all->arrive_and_wait();
    return r;
}

inline float __shfl_xor_sync(unsigned, float v, int mask)
{
    const unsigned warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    emu.lanes[threadIdx.x] = v;
    emu.warps[warp]->arrive_and_wait();
    const float r = emu.lanes[warp * 32 + (lane ^ (unsigned)mask)];
    emu.warps[warp]->arrive_and_wait();
    return r;
}

inline float __shfl_sync(unsigned, float v, int src)
{
    const unsigned warp = threadIdx.x / 32;
    emu.lanes[threadIdx.x] = v;
    emu.warps[warp]->arrive_and_wait();
    const float r = emu.lanes[warp * 32 + (unsigned)src % 32];
    emu.warps[warp]->arrive_and_wait();
    return r;
}

// Every lane's N words (N <= 8), as the lanes of this thread's warp hold them: all[lane][i].
template <int N>
void emu_gather(const unsigned (&mine)[N], unsigned (&all)[32][N])
{
    const unsigned warp = threadIdx.x / 32;
    for (int i = 0; i < N; i++) emu.words[threadIdx.x * 8 + i] = mine[i];
    emu.warps[warp]->arrive_and_wait();
    for (unsigned l = 0; l < 32; l++)
        for (int i = 0; i < N; i++) all[l][i] = emu.words[(warp * 32 + l) * 8 + i];
    emu.warps[warp]->arrive_and_wait();
}

// Runs kernel(arg) over the grid, one CTA at a time, each with `threads` threads (a multiple of 32).
template <typename Arg>
void emu_launch(void (*kernel)(Arg), emu_dim3 grid, unsigned threads, const Arg& arg)
{
    gridDim = grid;
    blockDim = {threads, 1, 1};
    emu.all = std::make_unique<std::barrier<>>(threads);
    emu.warps.clear();
    for (unsigned w = 0; w < threads / 32; w++) emu.warps.push_back(std::make_unique<std::barrier<>>(32));
    emu.lanes.assign(threads, 0.f);
    emu.words.assign(threads * 8, 0u);
    for (unsigned z = 0; z < grid.z; z++)
        for (unsigned y = 0; y < grid.y; y++)
            for (unsigned x = 0; x < grid.x; x++) {
                blockIdx = {x, y, z};
                std::vector<std::thread> pool;
                for (unsigned t = 0; t < threads; t++)
                    pool.emplace_back([=] { threadIdx = {t, 0, 0}; kernel(arg); });
                for (auto& th : pool) th.join();
            }
}
