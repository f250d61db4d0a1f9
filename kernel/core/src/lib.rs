//! Hardware-free pieces of the pikern kernel.
//!
//! Everything here takes plain data and returns plain data, so the same code
//! runs inside the kernel (`no_std`, aarch64) and under `cargo test` on the
//! host, where a failure can be debugged in seconds. The kernel wraps these
//! types with its locks and its hardware; nothing here touches a register.

#![cfg_attr(not(test), no_std)]

extern crate alloc;

pub mod abi;
pub mod bcm;
pub mod buddy;
pub mod chainload;
pub mod cmdline;
pub mod cpio;
pub mod elf;
pub mod esr;
pub mod fault_inject;
pub mod fdt_nop;
pub mod ktap;
pub mod lockdep;
pub mod path;
pub mod pid;
pub mod preempt;
pub mod range;
pub mod sched_fair;
pub mod trace;
pub mod user_stack;
