//! Architecture-specific decoding that needs no hardware.

pub mod aarch64;
