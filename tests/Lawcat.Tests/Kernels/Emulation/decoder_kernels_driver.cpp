// The decoder kernels (src/Lawcat/Kernels/Cuda/DecoderKernels.cu) built for the CPU emulator.
#include "cuda_emulation.h"

#include KERNELS_SOURCE

int emu_kernels(const char* name, emu_dim3 grid, unsigned threads, unsigned shared_bytes, const void* args)
{
    EMU_KERNEL(rms_norm, NormArgs)
    EMU_KERNEL(swiglu, SwiGluArgs)
    return 0;
}
