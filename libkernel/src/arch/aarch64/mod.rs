//! arm64: exception-syndrome decoding and the address-space layout.

pub mod esr;
pub mod memory;
