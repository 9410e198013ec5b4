// The fused LAWCAT kernels (src/Lawcat/Kernels/Cuda/LawcatKernels.cu) built for the CPU emulator, with one C entry point
// that launches a kernel by name on an argument block laid out as the kernel's parameter.
#include "cuda_emulation.h"

alignas(16) static float emu_dynamic_shared[1 << 16];
#define DYNAMIC_SHARED(T, name) T* name = reinterpret_cast<T*>(emu_dynamic_shared)

#include KERNELS_SOURCE

extern "C" int emu_run(const char* name, unsigned gx, unsigned gy, unsigned gz, unsigned threads, const void* args)
{
    const emu_dim3 grid{gx, gy, gz};
    if (!std::strcmp(name, "lawcat_features")) emu_launch(lawcat_features, grid, threads, *static_cast<const FeatureArgs*>(args));
    else if (!std::strcmp(name, "lawcat_decode")) emu_launch(lawcat_decode, grid, threads, *static_cast<const DecodeArgs*>(args));
    else if (!std::strcmp(name, "gla_normalized_step")) emu_launch(gla_normalized_step, grid, threads, *static_cast<const StepArgs*>(args));
    else return 1;
    return 0;
}
