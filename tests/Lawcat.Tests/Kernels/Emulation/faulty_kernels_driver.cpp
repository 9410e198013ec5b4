// The emulator's own test kernels (faulty_kernels.cu), with the PTX primitives of ptx_emulation.h.
#include "ptx_emulation.h"

#include KERNELS_SOURCE

int emu_kernels(const char* name, emu_dim3 grid, unsigned threads, unsigned shared_bytes, const void* args)
{
    EMU_KERNEL(vector_load_misaligned, FaultArgs)
    EMU_KERNEL(vector_load_ok, FaultArgs)
    EMU_KERNEL(vector_store_misaligned, FaultArgs)
    EMU_KERNEL(ldmatrix_misaligned, FaultArgs)
    EMU_KERNEL(ldmatrix_ok, FaultArgs)
    EMU_KERNEL(cp_async_misaligned, FaultArgs)
    EMU_KERNEL(cp_async_read_before_wait, FaultArgs)
    EMU_KERNEL(cp_async_ok, FaultArgs)
    EMU_KERNEL(shuffle_divergent, FaultArgs)
    EMU_KERNEL(barrier_skipped, FaultArgs)
    EMU_KERNEL(shared_overrun, FaultArgs)
    EMU_KERNEL(shared_uninitialized, FaultArgs)
    return 0;
}
