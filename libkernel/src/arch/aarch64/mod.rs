//! arm64: exception-syndrome decoding, the address-space layout, the FP/SIMD
//! state's layout and the signal frame's.

pub mod esr;
pub mod fpsimd;
pub mod memory;
pub mod signal;
