//! `usertests`: the user-space test suite. Exercises every system call the
//! runtime wraps, with good and bad inputs, and the kernel behaviours a
//! Linux program relies on (faults become signals, state survives context
//! switches, exec and fork semantics), printing KTAP.
//!
//! ```text
//! usertests [SUITE...]     run all suites, or only the named ones
//! ```
//!
//! Exit status 0 iff every test passed or skipped. The last line is
//! `# usertests: pass:X fail:Y skip:Z` (leaf tests). The same binary must
//! pass under `qemu-aarch64` on Linux and on pikern: where the two
//! legitimately differ (which files exist, what the host allows), tests
//! accept both or skip with a reason.
//!
//! Internal modes: `usertests --exec-check ...` is the image the execve
//! test runs.

#![no_std]
#![no_main]

extern crate alloc;

#[macro_use]
mod macros;
#[macro_use]
mod ktap;
mod util;

mod abi;
mod fs;
mod mem;
mod proc;
mod rt;
mod sched;
mod signal;
mod startup;
mod time;

use pikern_rt::eprintln;

pikern_rt::entry!(main);

/// Every suite, in running order: start-up state first (before anything
/// changes it), the runtime next (everything else relies on it).
static SUITES: &[&ktap::Suite] = &[
    &startup::SUITE,
    &rt::SUITE,
    &abi::SUITE,
    &fs::SUITE,
    &mem::SUITE,
    &proc::SUITE,
    &sched::SUITE,
    &time::SUITE,
    &signal::SUITE,
];

fn main(args: &[&str]) -> i32 {
    if args.get(1) == Some(&"--exec-check") {
        return proc::exec_check(args);
    }
    let wanted = &args[1.min(args.len())..];
    let selected: alloc::vec::Vec<&ktap::Suite> = SUITES
        .iter()
        .copied()
        .filter(|s| wanted.is_empty() || wanted.contains(&s.name))
        .collect();
    if selected.len() < wanted.len() {
        eprintln!("usertests: unknown suite; suites are:");
        for s in SUITES {
            eprintln!("  {}", s.name);
        }
        return 2;
    }
    let totals = ktap::run(&selected);
    i32::from(totals.fail != 0)
}
