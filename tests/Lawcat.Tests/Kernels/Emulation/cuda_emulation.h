// Runs CUDA kernel source on the CPU, for tests. The threads of a CTA are fibers on one OS thread, switched at barriers
// and warp collectives (deterministic, and fast enough to run hundreds of CTAs in a test); CTAs run one at a time, so
// __shared__ variables are statics. Beyond the arithmetic and indexing it checks what the hardware would refuse or
// leave undefined, and reports the first violation with the kernel source line (emu_error):
//   - alignment of every typed access (a vector load of float4 needs 16 bytes, float2 8, unsigned 4, as in the PTX ISA's
//     ld/st): the kernels are compiled with -fsanitize=alignment and the sanitizer's check calls emu_misaligned below;
//   - warp collectives (shuffles, ldmatrix, mma, see ptx_emulation.h) reached by all 32 lanes at the same source line,
//     with a full-warp mask; __syncthreads reached by every thread at the same line; a wait no thread can leave is a
//     deadlock (a barrier some threads skipped or returned before), reported instead of hanging;
//   - dynamic shared memory: uninitialized at the start of every CTA (filled with NaN bytes) and writes past the bytes
//     the launch asked for;
//   - launch limits: 1 to 1,024 threads in whole warps, grid y and z at most 65,535, dynamic shared memory at most
//     227 KiB (the H100/H200 opt-in limit).
// Races surface by order: even CTAs run their threads in ascending order between synchronizations, odd CTAs descending.
#pragma once
#include <cmath>
#include <math.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <source_location>
#include <string>
#include <vector>

// ---- CUDA's vocabulary -------------------------------------------------------------------------------------------

struct emu_dim3 { unsigned x = 0, y = 0, z = 0; };
inline emu_dim3 threadIdx, blockIdx, blockDim, gridDim;   // threadIdx: the running thread's

#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __restrict__ __restrict
#define __align__(n) alignas(n)
#define __shared__ static

// Vector types with CUDA's alignment (what a vector load or store of them needs).
struct alignas(8) float2 { float x, y; };
struct alignas(16) float4 { float x, y, z, w; };
struct alignas(8) int2 { int x, y; };
struct alignas(16) int4 { int x, y, z, w; };
struct alignas(8) uint2 { unsigned x, y; };
struct alignas(16) uint4 { unsigned x, y, z, w; };
inline float2 make_float2(float x, float y) { return {x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
inline uint2 make_uint2(unsigned x, unsigned y) { return {x, y}; }
inline uint4 make_uint4(unsigned x, unsigned y, unsigned z, unsigned w) { return {x, y, z, w}; }

inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float __fdividef(float x, float y) { return x / y; }
inline float rsqrtf(float x) { return 1.f / std::sqrt(x); }
inline float __uint_as_float(unsigned x) { float f; std::memcpy(&f, &x, 4); return f; }
inline unsigned __float_as_uint(float x) { unsigned u; std::memcpy(&u, &x, 4); return u; }
using std::fmaxf;
using std::fminf;

// ---- Violations ---------------------------------------------------------------------------------------------------

struct emu_run_state {
    const char* kernel = "";
    std::string error;              // the first violation of the launch
    unsigned dynamic_shared = 0;    // bytes the launch asked for
};
inline emu_run_state emu_now;

inline const char* emu_base_name(const char* path)
{
    const char* slash = std::strrchr(path, '/');
    return slash ? slash + 1 : path;
}

// Records the first violation of a launch: what, where in the source, which thread.
inline void emu_fail(const std::string& what, const char* file, unsigned line)
{
    if (!emu_now.error.empty()) return;
    char where[256];
    std::snprintf(where, sizeof where, " at %s:%u (kernel %s, block (%u, %u, %u), thread %u)", emu_base_name(file), line,
                  emu_now.kernel, blockIdx.x, blockIdx.y, blockIdx.z, threadIdx.x);
    emu_now.error = what + where;
}

inline void emu_fail(const std::string& what, std::source_location at) { emu_fail(what, at.file_name(), at.line()); }

// -fsanitize=alignment calls this for an access through a pointer not aligned for its type (GCC's and Clang's layout);
// defined here (one translation unit per emulator build), it takes the place of the sanitizer runtime's report.
struct emu_ubsan_location { const char* file; unsigned line, column; };
struct emu_ubsan_type { unsigned short kind, info; char name[1]; };
struct emu_ubsan_mismatch { emu_ubsan_location at; const emu_ubsan_type* type; unsigned char log_alignment, check_kind; };

extern "C" __attribute__((visibility("default"))) void __ubsan_handle_type_mismatch_v1(emu_ubsan_mismatch* d, uintptr_t address)
{
    static const char* const kinds[] = { "load of", "store to", "reference to", "member access in", "member call on" };
    char what[200];
    std::snprintf(what, sizeof what, "misaligned address: %s %s at 0x%llx, which needs %u-byte alignment",
                  d->check_kind < 5 ? kinds[d->check_kind] : "access to", d->type->name, (unsigned long long)address, 1u << d->log_alignment);
    emu_fail(what, d->at.file, d->at.line);
}

// ---- Fibers -------------------------------------------------------------------------------------------------------

// Stack switch: saves the callee-saved registers and the FP control words on the current stack, stores its pointer in
// *from and continues on `to` (x86-64 System V). Other platforms use ucontext.
#if defined(__x86_64__)
extern "C" void emu_switch(void** from, void* to);
asm(R"(
    .text
    .p2align 4
    .hidden emu_switch
    .globl emu_switch
    .type emu_switch, @function
emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size emu_switch, .-emu_switch
)");
#else
#include <ucontext.h>
#endif

struct emu_fiber {
    std::vector<unsigned char> stack;
#if defined(__x86_64__)
    void* sp = nullptr;
#else
    ucontext_t context;
#endif
    bool done = false;
    const void* waiting = nullptr;     // the barrier this thread waits at, or null
    unsigned long long generation = 0; // which release of it
};

struct emu_scheduler {
    std::vector<emu_fiber> fibers;
#if defined(__x86_64__)
    void* sp = nullptr;
#else
    ucontext_t context;
#endif
    void (*body)(const void*) = nullptr;
    const void* arg = nullptr;
    unsigned current = 0;
};
inline emu_scheduler emu_sched;

constexpr size_t emu_stack_bytes = 256 * 1024;

inline void emu_to_scheduler()
{
    emu_fiber& f = emu_sched.fibers[emu_sched.current];
#if defined(__x86_64__)
    emu_switch(&f.sp, emu_sched.sp);
#else
    swapcontext(&f.context, &emu_sched.context);
#endif
}

inline void emu_fiber_main()
{
    emu_sched.body(emu_sched.arg);
    emu_sched.fibers[emu_sched.current].done = true;
    emu_to_scheduler();   // never resumed
}

inline void emu_fiber_start(emu_fiber& f)
{
    if (f.stack.empty()) f.stack.resize(emu_stack_bytes);
    f.done = false;
    f.waiting = nullptr;
#if defined(__x86_64__)
    // A frame emu_switch can "return" from into emu_fiber_main, entered as if called (rsp = 8 mod 16 there).
    auto top = reinterpret_cast<uintptr_t>(f.stack.data() + f.stack.size()) & ~uintptr_t(15);
    auto* slots = reinterpret_cast<uint64_t*>(top) - 9;
    std::memset(slots, 0, 9 * sizeof(uint64_t));
    const uint32_t control[2] = { 0x1F80u, 0x037Fu };   // default MXCSR and x87 control word
    std::memcpy(&slots[0], control, 8);
    slots[7] = reinterpret_cast<uint64_t>(&emu_fiber_main);
    f.sp = slots;
#else
    getcontext(&f.context);
    f.context.uc_stack.ss_sp = f.stack.data();
    f.context.uc_stack.ss_size = f.stack.size();
    f.context.uc_link = nullptr;
    makecontext(&f.context, &emu_fiber_main, 0);
#endif
}

inline void emu_resume(unsigned t)
{
    emu_sched.current = t;
    threadIdx = {t, 0, 0};
    emu_fiber& f = emu_sched.fibers[t];
#if defined(__x86_64__)
    emu_switch(&emu_sched.sp, f.sp);
#else
    swapcontext(&emu_sched.context, &f.context);
#endif
}

// ---- Barriers and collectives -------------------------------------------------------------------------------------

// A barrier of `expected` threads. Each arrival names its source line; they must agree (divergent barriers and
// collectives are undefined behaviour on the GPU). The last arrival runs `complete` (the collective's work) before
// anyone leaves: the others read its results after resuming, and none can overwrite them before all have, since the
// next completion needs every thread again.
struct emu_barrier {
    unsigned expected = 0, arrived = 0;
    unsigned long long generation = 0;
    std::source_location first_site;
    const char* what = "";
    std::string divergence;
};

template <typename Complete>
inline void emu_arrive(emu_barrier& b, const char* what, std::source_location at, Complete complete)
{
    if (b.arrived == 0) { b.first_site = at; b.what = what; b.divergence.clear(); }
    else if (b.divergence.empty() && (at.line() != b.first_site.line() || std::strcmp(at.file_name(), b.first_site.file_name()) != 0))
        b.divergence = std::string(what) + " reached at line " + std::to_string(at.line()) + " while other threads of its group wait at " +
                       b.what + " on line " + std::to_string(b.first_site.line()) + " (divergent)";
    if (++b.arrived == b.expected) {
        if (!b.divergence.empty()) emu_fail(b.divergence, at);
        complete();
        b.arrived = 0;
        b.generation++;
        return;
    }
    emu_fiber& f = emu_sched.fibers[emu_sched.current];
    f.waiting = &b;
    f.generation = b.generation;
    emu_to_scheduler();
    f.waiting = nullptr;
}

struct emu_block_state {
    emu_barrier block;
    std::vector<emu_barrier> warps;
    std::vector<unsigned char> lane_in, lane_out;   // per-thread slots of a collective's operands and results
    int flag = 0;
};
inline emu_block_state emu_block;

constexpr size_t emu_slot_bytes = 64;

inline void __syncthreads(std::source_location at = std::source_location::current())
{
    emu_arrive(emu_block.block, "__syncthreads", at, [] {});
}

// __syncthreads_or / _and / _count: a barrier that also combines one predicate per thread.
inline int emu_sync_predicate(int p, int kind, const char* what, std::source_location at)
{
    static_assert(sizeof(int) <= emu_slot_bytes);
    const unsigned t = threadIdx.x;
    std::memcpy(&emu_block.lane_in[t * emu_slot_bytes], &p, sizeof p);
    emu_arrive(emu_block.block, what, at, [kind] {
        int any = 0, all = 1, count = 0;
        for (unsigned i = 0; i < blockDim.x; i++) {
            int v;
            std::memcpy(&v, &emu_block.lane_in[i * emu_slot_bytes], sizeof v);
            any |= v != 0; all &= v != 0; count += v != 0;
        }
        emu_block.flag = kind == 0 ? any : kind == 1 ? all : count;
    });
    return emu_block.flag;
}

inline int __syncthreads_or(int p, std::source_location at = std::source_location::current()) { return emu_sync_predicate(p, 0, "__syncthreads_or", at); }
inline int __syncthreads_and(int p, std::source_location at = std::source_location::current()) { return emu_sync_predicate(p, 1, "__syncthreads_and", at); }
inline int __syncthreads_count(int p, std::source_location at = std::source_location::current()) { return emu_sync_predicate(p, 2, "__syncthreads_count", at); }

// A warp-wide operation: every lane of the calling thread's warp hands in `in`; once all 32 have, op(ins[32], outs[32])
// runs once; each lane gets its out.
template <typename In, typename Out, typename Op>
inline Out emu_warp(const char* what, const In& in, Op op, std::source_location at)
{
    static_assert(sizeof(In) <= emu_slot_bytes && sizeof(Out) <= emu_slot_bytes);
    const unsigned t = threadIdx.x, warp = t / 32, lane = t % 32;
    std::memcpy(&emu_block.lane_in[t * emu_slot_bytes], &in, sizeof in);
    emu_arrive(emu_block.warps[warp], what, at, [&] {
        In ins[32];
        Out outs[32];
        for (unsigned l = 0; l < 32; l++) std::memcpy(&ins[l], &emu_block.lane_in[(warp * 32 + l) * emu_slot_bytes], sizeof(In));
        op(ins, outs);
        for (unsigned l = 0; l < 32; l++) std::memcpy(&emu_block.lane_out[(warp * 32 + l) * emu_slot_bytes], &outs[l], sizeof(Out));
    });
    Out out;
    std::memcpy(&out, &emu_block.lane_out[t * emu_slot_bytes], sizeof out);
    return out;
}

inline void emu_full_mask(unsigned mask, const char* what, std::source_location at)
{
    if (mask != 0xffffffffu) emu_fail(std::string(what) + " with a partial mask (the emulator runs full warps only)", at);
}

// __shfl_sync / __shfl_xor_sync of 32-bit values (float, int, unsigned).
template <typename T>
inline T __shfl_sync(unsigned mask, T v, int src, std::source_location at = std::source_location::current())
{
    static_assert(sizeof(T) == 4);
    emu_full_mask(mask, "__shfl_sync", at);
    struct In { T v; int src; };
    return emu_warp<In, T>("__shfl_sync", In{v, src}, [](const In* ins, T* outs) {
        for (unsigned l = 0; l < 32; l++) outs[l] = ins[(unsigned)ins[l].src % 32].v;
    }, at);
}

template <typename T>
inline T __shfl_xor_sync(unsigned mask, T v, int lane_mask, std::source_location at = std::source_location::current())
{
    static_assert(sizeof(T) == 4);
    emu_full_mask(mask, "__shfl_xor_sync", at);
    struct In { T v; int m; };
    return emu_warp<In, T>("__shfl_xor_sync", In{v, lane_mask}, [](const In* ins, T* outs) {
        for (unsigned l = 0; l < 32; l++) outs[l] = ins[l ^ ((unsigned)ins[l].m & 31)].v;
    }, at);
}

inline void __syncwarp(unsigned mask = 0xffffffffu, std::source_location at = std::source_location::current())
{
    emu_full_mask(mask, "__syncwarp", at);
    emu_warp<int, int>("__syncwarp", 0, [](const int*, int* outs) { for (unsigned l = 0; l < 32; l++) outs[l] = 0; }, at);
}

// ---- Dynamic shared memory ----------------------------------------------------------------------------------------

constexpr unsigned emu_shared_limit = 227 * 1024;                 // the H100/H200 per-block opt-in maximum
alignas(16) inline unsigned char emu_dynamic_shared[emu_shared_limit + 4096];
#define DYNAMIC_SHARED(T, name) T* name = reinterpret_cast<T*>(emu_dynamic_shared)
constexpr unsigned char emu_poison = 0xFF;                        // NaN in fp32 and bf16

// Whether [p, p + bytes) lies in the dynamic shared memory the launch asked for; its offset there.
inline bool emu_in_shared(const void* p, unsigned bytes, unsigned& offset)
{
    const auto* c = static_cast<const unsigned char*>(p);
    if (c < emu_dynamic_shared || c + bytes > emu_dynamic_shared + emu_now.dynamic_shared) return false;
    offset = (unsigned)(c - emu_dynamic_shared);
    return true;
}

// ---- Launch -------------------------------------------------------------------------------------------------------

inline unsigned emu_order(unsigned i, unsigned n, bool descending) { return descending ? n - 1 - i : i; }

// Runs one CTA: resumes runnable threads round-robin until all are done, or reports a deadlock.
inline void emu_run_block(unsigned threads, bool descending)
{
    unsigned done = 0;
    while (done < threads) {
        bool progress = false;
        for (unsigned i = 0; i < threads; i++) {
            const unsigned t = emu_order(i, threads, descending);
            emu_fiber& f = emu_sched.fibers[t];
            if (f.done) continue;
            if (f.waiting && static_cast<const emu_barrier*>(f.waiting)->generation == f.generation) continue;
            emu_resume(t);
            progress = true;
            if (f.done) done++;
        }
        if (!progress) {
            for (unsigned t = 0; t < threads; t++) {
                const emu_fiber& f = emu_sched.fibers[t];
                if (f.done) continue;
                const auto* b = static_cast<const emu_barrier*>(f.waiting);
                threadIdx = {t, 0, 0};
                emu_fail(std::string("deadlock: ") + b->what + " waits for " + std::to_string(b->expected - b->arrived) +
                         " threads that exited or never reach it", b->first_site);
                break;
            }
            return;
        }
    }
}

inline bool emu_check_launch(emu_dim3 grid, unsigned threads, unsigned shared_bytes)
{
    char what[200] = "";
    if (threads == 0 || threads > 1024 || threads % 32 != 0)
        std::snprintf(what, sizeof what, "invalid launch: %u threads per block (1 to 1024, whole warps here)", threads);
    else if (grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.y > 65535 || grid.z > 65535)
        std::snprintf(what, sizeof what, "invalid launch: grid (%u, %u, %u) (each at least 1; y and z at most 65535)", grid.x, grid.y, grid.z);
    else if (shared_bytes > emu_shared_limit)
        std::snprintf(what, sizeof what, "invalid launch: %u bytes of dynamic shared memory (at most %u)", shared_bytes, emu_shared_limit);
    if (!*what) return true;
    emu_now.error = std::string(what) + " (kernel " + emu_now.kernel + ")";
    return false;
}

// Called at the start of every CTA (the PTX primitives' emulation drops what a previous CTA left pending).
inline void (*emu_on_block_start)() = nullptr;

// Whether the bytes past what the launch asked for are still as poisoned.
inline bool emu_shared_overrun()
{
    for (size_t i = emu_now.dynamic_shared; i < sizeof emu_dynamic_shared; i++)
        if (emu_dynamic_shared[i] != emu_poison) return true;
    return false;
}

template <typename Arg>
struct emu_entry {
    static inline void (*kernel)(Arg) = nullptr;
    static inline Arg arg{};
    static void run(const void*) { kernel(arg); }
};

// Runs kernel(arg) over the grid, CTA after CTA. Returns false after the first violation (emu_now.error says which).
template <typename Arg>
bool emu_launch(void (*kernel)(Arg), const char* name, emu_dim3 grid, unsigned threads, unsigned shared_bytes, const Arg& arg)
{
    emu_now = emu_run_state{ name, "", shared_bytes };
    if (!emu_check_launch(grid, threads, shared_bytes)) return false;
    gridDim = grid;
    blockDim = {threads, 1, 1};
    emu_block.block = emu_barrier{};
    emu_block.block.expected = threads;
    emu_block.warps.assign(threads / 32, emu_barrier{});
    for (auto& w : emu_block.warps) w.expected = 32;
    emu_block.lane_in.assign(threads * emu_slot_bytes, 0);
    emu_block.lane_out.assign(threads * emu_slot_bytes, 0);
    if (emu_sched.fibers.size() < threads) emu_sched.fibers.resize(threads);
    emu_entry<Arg>::kernel = kernel;
    emu_entry<Arg>::arg = arg;
    emu_sched.body = &emu_entry<Arg>::run;
    unsigned long long cta = 0;
    for (unsigned z = 0; z < grid.z; z++)
        for (unsigned y = 0; y < grid.y; y++)
            for (unsigned x = 0; x < grid.x; x++, cta++) {
                blockIdx = {x, y, z};
                std::memset(emu_dynamic_shared, emu_poison, sizeof emu_dynamic_shared);
                if (emu_on_block_start) emu_on_block_start();
                for (unsigned t = 0; t < threads; t++) emu_fiber_start(emu_sched.fibers[t]);
                emu_run_block(threads, cta % 2 == 1);
                if (emu_now.error.empty() && emu_shared_overrun())
                    emu_now.error = "out of bounds: a write past the " + std::to_string(shared_bytes) +
                                    " bytes of dynamic shared memory the launch asked for (kernel " + name + ", block (" +
                                    std::to_string(x) + ", " + std::to_string(y) + ", " + std::to_string(z) + "))";
                if (!emu_now.error.empty()) return false;
            }
    return true;
}

// The entry points of every emulator build: emu_run launches a kernel by name (0 done, 1 unknown kernel, 2 violation,
// then emu_error says which); each driver defines emu_kernels(name, ...) to dispatch.
int emu_kernels(const char* name, emu_dim3 grid, unsigned threads, unsigned shared_bytes, const void* args);

extern "C" __attribute__((visibility("default"))) int emu_run(const char* name, unsigned gx, unsigned gy, unsigned gz, unsigned threads,
                                                              unsigned shared_bytes, const void* args)
{
    emu_now = emu_run_state{ name, "", shared_bytes };
    const int found = emu_kernels(name, emu_dim3{gx, gy, gz}, threads, shared_bytes, args);
    if (found == 0) return 1;
    return emu_now.error.empty() ? 0 : 2;
}

extern "C" __attribute__((visibility("default"))) const char* emu_error() { return emu_now.error.c_str(); }

// Dispatch helper for drivers: launches `kernel` when `name` is its name.
#define EMU_KERNEL(kernel, Arg)                                                                  \
    if (!std::strcmp(name, #kernel)) {                                                           \
        emu_launch(kernel, #kernel, grid, threads, shared_bytes, *static_cast<const Arg*>(args)); \
        return 1;                                                                                \
    }
