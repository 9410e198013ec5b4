// The fused LAWCAT kernels (src/Lawcat/Kernels/Cuda/LawcatKernels.cu) built for the CPU emulator, with the hardware
// primitives written out from the PTX ISA (ptx_emulation.h).
#include "ptx_emulation.h"
#define EMULATED_PRIMITIVES

#include KERNELS_SOURCE

int emu_kernels(const char* name, emu_dim3 grid, unsigned threads, unsigned shared_bytes, const void* args)
{
    EMU_KERNEL(lawcat_features, FeatureArgs)
    EMU_KERNEL(lawcat_features_backward, FeatureGradArgs)
    EMU_KERNEL(lawcat_decode, DecodeArgs)
    EMU_KERNEL(gla_normalized_step, StepArgs)
    return 0;
}
