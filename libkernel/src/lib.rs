//! libkernel: the hardware-free half of the pikern kernel.
//!
//! Everything here takes plain data and returns plain data, so the same code
//! runs inside the kernel (`no_std`, aarch64) and under `cargo test` on the
//! host, where a failure can be debugged in seconds. The kernel wraps these
//! types with its locks and its hardware; nothing here touches a register.
//!
//! The folders mirror the kernel's: `sched/fair.rs` here is the pure half of
//! `kernel/src/sched/fair.rs`, `uapi/` is Linux's `include/uapi`. Without the
//! `alloc` feature only the parts that need no heap are built: the user
//! runtime and the chainloader use those.

#![cfg_attr(not(test), no_std)]

#[cfg(feature = "alloc")]
extern crate alloc;

pub mod arch;
#[cfg(feature = "alloc")]
pub mod block;
pub mod bsp;
pub mod cmdline;
#[cfg(feature = "alloc")]
pub mod exec;
pub mod fault_inject;
pub mod fdt_nop;
pub mod fs;
pub mod futex;
pub mod ktest;
#[cfg(feature = "alloc")]
pub mod lockdep;
pub mod mm;
pub mod mmc;
pub mod pid;
pub mod preempt;
pub mod sched;
pub mod softirq;
pub mod time;
#[cfg(feature = "alloc")]
pub mod trace;
pub mod trace_dump;
pub mod tty;
pub mod uapi;
pub mod vdso;
