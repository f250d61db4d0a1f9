//! `usertests`: the user-space test suite. Exercises every system call the
//! runtime wraps, with good and bad inputs, and the kernel behaviours a
//! Linux program relies on (faults become signals, state survives context
//! switches, exec and fork semantics), printing KTAP.
//!
//! ```text
//! usertests [--slow] [SUITE...]    run all suites, or only the named ones
//! ```
//!
//! `initrd`, `initrd_refused` and `block` run only when named (see
//! `initrd.rs`, `block.rs`),
//! and so does `threads` until pikern has threads (see `threads.rs`).
//!
//! `--slow` also runs the tests that take long (the seed's 6-second
//! `raspbian_fork_c`).
//!
//! Exit status 0 iff every test passed or skipped. The last line is
//! `# usertests: pass:X fail:Y skip:Z` (leaf tests). The same binary must
//! pass under `qemu-aarch64` on Linux and on pikern: where the two
//! legitimately differ (which files exist, what the host allows), tests
//! accept both or skip with a reason.
//!
//! Internal modes: `usertests --exec-check ...` is the image the execve
//! test runs; `usertests --script-check ...` the interpreter of the `#!`
//! script test; `usertests --sleep-exit MS CODE` sleeps MS milliseconds and
//! exits with CODE (the image the vfork test execs).

#![no_std]
#![no_main]

extern crate alloc;

#[macro_use]
mod macros;
#[macro_use]
mod ktap;
mod util;

mod spawn;

mod abi;
mod block;
mod dynlink;
mod fork;
mod fs;
mod fsmeta;
mod futex;
mod initrd;
mod mem;
mod mmap;
mod proc;
mod procfs;
mod programs;
mod rt;
mod sched;
mod signal;
mod startup;
mod threads;
mod time;
mod tty;

use core::sync::atomic::{AtomicBool, Ordering};
use pikern_rt::{eprintln, process};

pikern_rt::entry!(main);

/// Every suite, in running order: start-up state first (before anything
/// changes it), the runtime next (everything else relies on it).
static SUITES: &[&ktap::Suite] = &[
    &startup::SUITE,
    &rt::SUITE,
    &abi::SUITE,
    &fs::SUITE,
    &fsmeta::SUITE,
    &mem::SUITE,
    &mmap::SUITE,
    &proc::SUITE,
    &sched::SUITE,
    &time::SUITE,
    &signal::SUITE,
    &futex::SUITE,
    &tty::SUITE,
    &procfs::SUITE,
    &fork::SUITE,
    &threads::SUITE,
    &programs::SUITE,
    &dynlink::SUITE,
];

/// Suites that run only when named: they check what a particular boot
/// set up (`tools/initrd-test.sh` boots with an external initramfs).
static ON_REQUEST: &[&ktap::Suite] = &[&initrd::SUITE, &initrd::REFUSED, &block::SUITE];

static SLOW: AtomicBool = AtomicBool::new(false);

/// True with `--slow`: run the tests that take seconds.
pub fn slow_tests() -> bool {
    SLOW.load(Ordering::Relaxed)
}

fn main(args: &[&str]) -> i32 {
    if args.get(1) == Some(&"--exec-check") {
        return proc::exec_check(args);
    }
    if args.get(1).is_some_and(|a| a.starts_with("--script-check")) {
        return proc::script_check(args);
    }
    if let [_, "--sleep-exit", ms, code] = args {
        let _ = process::sleep_ms(ms.parse().unwrap_or(0));
        return code.parse().unwrap_or(1);
    }
    let mut wanted = &args[1.min(args.len())..];
    if wanted.first() == Some(&"--slow") {
        SLOW.store(true, Ordering::Relaxed);
        wanted = &wanted[1..];
    }
    let selected: alloc::vec::Vec<&ktap::Suite> = SUITES
        .iter()
        .copied()
        .filter(|s| wanted.is_empty() || wanted.contains(&s.name))
        .chain(
            ON_REQUEST
                .iter()
                .copied()
                .filter(|s| wanted.contains(&s.name)),
        )
        .collect();
    if selected.len() < wanted.len() {
        eprintln!("usertests: unknown suite; suites are:");
        for s in SUITES.iter().chain(ON_REQUEST) {
            eprintln!("  {}", s.name);
        }
        return 2;
    }
    let totals = ktap::run(&selected);
    i32::from(totals.fail != 0)
}
