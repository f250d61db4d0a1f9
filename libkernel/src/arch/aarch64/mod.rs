//! arm64: the hwcaps from the ID registers, exception-syndrome decoding,
//! the address-space layout, the FP/SIMD state's layout and the signal
//! frame's.

pub mod cpufeature;
pub mod esr;
pub mod fpsimd;
pub mod memory;
pub mod signal;
