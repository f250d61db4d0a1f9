//! The hardware-free half of the kernel's terminals (`kernel/src/tty.rs`):
//! the line discipline.

pub mod n_tty;
