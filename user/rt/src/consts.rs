//! Linux arm64 constants: open flags, `*at` flags, mmap/mprotect bits, file
//! types, clocks, wait options, signals, resource limits, auxv keys and
//! the rest of the values the system calls in [`crate::sys`] take.
//!
//! They are not defined here: this module re-exports `libkernel::uapi`, the
//! one home of every Linux ABI number (the kernel builds from the same
//! table), so `pikern_rt::consts::O_CREAT` and the kernel's `uapi::O_CREAT`
//! cannot disagree. The auxiliary-vector keys (`uapi::auxv::AT_*`) are
//! flattened in too. The types are uapi's: `u32` for flags and signal
//! numbers, `u64` for `CLONE_*`, `SIG_DFL`/`SIG_IGN`, `AT_*` keys and
//! `PAGE_SIZE`; the wrappers in [`crate::sys`] take those types.

pub use libkernel::uapi::auxv::*;
pub use libkernel::uapi::*;
