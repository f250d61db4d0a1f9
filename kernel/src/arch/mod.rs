//! Architecture-specific code. pikern runs on AArch64 only; the module split
//! keeps everything that names a system register out of the generic kernel.

mod aarch64;
pub use aarch64::*;
