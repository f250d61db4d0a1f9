//! arm64: exception-syndrome decoding.

pub mod esr;
