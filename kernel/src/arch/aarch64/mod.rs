//! AArch64 (ARMv8.0-A, Cortex-A53/A72): exception vectors, the exception
//! report, the MMU set-up, the generic timer, CPU primitives, the FP/SIMD
//! state, the signal frame, memcpy and the futex atomics.

pub mod backtrace;
pub mod barrier;
pub mod context;
pub mod cpu;
pub mod exception;
pub mod fpsimd;
pub mod ftrace;
pub mod futex;
pub mod mmu;
pub mod pgtable;
pub mod semihosting;
pub mod signal;
pub mod smp_spin_table;
pub mod timer;

// The first instructions of the image (see boot/start.S and linker/kernel.ld).
core::arch::global_asm!(include_str!("../../../../boot/start.S"), options(raw));
// The kernel's memcpy (overrides the generic one from compiler_builtins).
core::arch::global_asm!(include_str!("memcpy.S"), options(raw));
