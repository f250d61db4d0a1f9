//! The Linux arm64 user-space ABI (`include/uapi`): numbers and structure
//! layouts, one file per Linux header.
//!
//! User programs are stock static Linux executables, so every number they
//! pass in a register and every structure they read back must be the one
//! Linux uses on arm64 (the asm-generic tables; see
//! `shared/spec/linux-abi.md`). Keeping them in one host-testable place lets
//! the kernel and the tests agree, and lets the tests pin the layouts with
//! `size_of`/`offset_of!` instead of trusting a hand count.
//!
//! Structures copied to user memory have a `to_bytes` that serialises them
//! little-endian field by field, so the kernel needs no `unsafe` transmute
//! and padding bytes are always zero (never stale kernel data).

//! Every name is also re-exported here, so `uapi::ENOENT` and
//! `uapi::nr::OPENAT` read as the C names do, wherever the header is.

mod bytes;

pub mod auxvec;
pub mod dirent;
pub mod elf;
pub mod errno;
pub mod fadvise;
pub mod fcntl;
pub mod fs;
pub mod futex;
pub mod hwcap;
pub mod mman;
pub mod mount;
pub mod poll;
pub mod prctl;
pub mod ptrace;
pub mod random;
pub mod reboot;
pub mod resource;
pub mod sched;
pub mod signal;
pub mod socket;
pub mod stat;
pub mod sysinfo;
pub mod termios;
pub mod time;
pub mod unistd;
pub mod utsname;
pub mod wait;
pub mod xattr;

pub use auxvec::*;
pub use dirent::*;
pub use elf::*;
pub use errno::*;
pub use fadvise::*;
pub use fcntl::*;
pub use fs::*;
pub use futex::*;
pub use hwcap::*;
pub use mman::*;
pub use mount::*;
pub use poll::*;
pub use prctl::*;
pub use ptrace::*;
pub use random::*;
pub use reboot::*;
pub use resource::*;
pub use sched::*;
pub use signal::*;
pub use socket::*;
pub use stat::*;
pub use sysinfo::*;
pub use termios::*;
pub use time::*;
pub use unistd::*;
pub use utsname::*;
pub use wait::*;
pub use xattr::*;

#[cfg(test)]
mod tests;
