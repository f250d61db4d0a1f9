//! pikern-rt: the runtime every no_std pikern user program links against.
//!
//! User programs speak the Linux arm64 system-call ABI (see
//! `shared/spec/linux-abi.md`), so everything here is equally valid on
//! Linux: the same binaries run under `qemu-aarch64` on a development host,
//! which is how the test suite itself is checked.
//!
//! What it provides:
//! - [`entry!`]: names the program's `fn main(args: &[&str]) -> i32`; the
//!   runtime's `_start` parses the initial stack (argc, argv, envp, auxv),
//!   calls it and passes the result to `exit_group`.
//! - [`syscall`]: raw `svc #0` system calls and the arm64 call numbers.
//! - [`sys`]: typed wrappers returning `Result<usize, Errno>`, with the
//!   Linux structures they use ([`sys::Stat`], [`sys::Timespec`], ...).
//! - [`errno`], [`consts`] (re-exporting [`uapi`], libkernel's one table of
//!   Linux ABI numbers): error numbers, flag values, system-call numbers.
//! - [`print!`], [`println!`], [`eprint!`], [`eprintln!`]: formatted output
//!   to fd 1 / fd 2, one `write` per call.
//! - a `#[global_allocator]` on `brk` ([`heap`]) and a panic handler that
//!   reports on stderr and exits with status 101.
//! - [`process`]: `fork`, `waitpid`, `exec`, `sleep_ms`, wait-status decoding.
//! - [`env`](mod@env): the arguments, environment and auxiliary vector.
//! - [`signal`]: signal names and descriptions (`kill -TERM`, "Terminated").
//! - [`io::read_file`], [`io::read_to_end`]: whole-file reads for tools.
//! - [`thread`]: `spawn` and `join` on raw `clone(CLONE_THREAD | ...)`
//!   and a futex, as `pthread_create` / `pthread_join` do.
//!
//! The runtime itself is single-threaded: its heap and start-up state
//! assume one thread at a time, so the threads [`thread::spawn`] makes
//! must not allocate (see there).

#![no_std]

extern crate alloc;

pub mod consts;
/// The Linux ABI tables themselves (`uapi::SYSCALLS`, `uapi::signal_name`,
/// ...), the one home [`consts`] re-exports from.
pub use libkernel::uapi;
pub mod env;
pub mod errno;
pub mod heap;
pub mod io;
pub mod process;
pub mod signal;
mod start;
pub mod sys;
pub mod syscall;
pub mod thread;

pub use errno::Errno;

/// Declares the program's entry point.
///
/// `entry!(main)` with `fn main(args: &[&str]) -> i32`: the runtime calls it
/// with the program's arguments (`args[0]` is the program name) and exits the
/// whole process with the returned status.
///
/// ```ignore
/// #![no_std]
/// #![no_main]
/// pikern_rt::entry!(main);
/// fn main(args: &[&str]) -> i32 {
///     pikern_rt::println!("hello from {}", args[0]);
///     0
/// }
/// ```
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        /// The symbol the runtime's start-up code calls (see `pikern_rt::entry!`).
        #[unsafe(no_mangle)]
        pub fn __pikern_main(args: &[&str]) -> i32 {
            // The coercion checks the entry point's signature at compile time.
            let main: fn(&[&str]) -> i32 = $main;
            main(args)
        }
    };
}
