// The tensor-core GLA kernels (src/Lawcat/Kernels/Cuda/GlaMmaKernels.cu) built for the CPU emulator, with the hardware
// primitives written out from the PTX ISA (ptx_emulation.h).
#include "ptx_emulation.h"
#define EMULATED_PRIMITIVES

#include KERNELS_SOURCE

int emu_kernels(const char* name, emu_dim3 grid, unsigned threads, unsigned shared_bytes, const void* args)
{
    EMU_KERNEL(gla_mma_cumsum, CumsumArgs)
    EMU_KERNEL(gla_mma_segment, GlaArgs)
    EMU_KERNEL(gla_mma_output, GlaArgs)
    return 0;
}
