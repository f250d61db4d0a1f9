//! `fuzz`: the system-call fuzzer (issue #10). Calls every system call the
//! kernel implements, and some it does not, with random and hostile
//! arguments from several processes on all CPUs at once, then checks that
//! the kernel's accounting (`/proc/meminfo`) is back where it started.
//!
//! ```text
//! fuzz [-s SEED] [-n COUNT] [-w WORKERS] [-v]
//! ```
//!
//! The master (this process) forks `WORKERS` workers (default 4), pins
//! worker slot `i` to CPU `i % 4`, and replaces each worker that finishes
//! its batch or dies until `COUNT` calls have been made. Each worker's
//! generator is derived from `SEED` and the worker's index, so a seed
//! reproduces the same call sequences; `-v` prints every call before it is
//! made (`fuzz[w3] 1234: read(0x3, 0xffffff8000000000, 0x10)`), so the last
//! line before a kernel crash names the call that killed it.
//!
//! What a worker never does (it would end the run legitimately, not find a
//! bug): `reboot`, `kill` of pid 1, of the master or of process groups
//! (`kill(0)`, `kill(-1)`, `kill(-pgrp)`), and calls that would destroy its
//! own state (writes into its own stack or heap, `munmap` of its own
//! image, `brk` below its heap). Those that end a process (`exit`,
//! `rt_sigreturn` with a garbage frame, `execve` of a real program, `clone`
//! with random flags, jumps into the kernel) run in short-lived children
//! of the workers, at most [`worker::MAX_CHILDREN`] at a time.
//!
//! Which call a worker makes next is a table of `(call, weight,
//! generator)` rows ([`gen::TABLE`]); the names, the list of implemented
//! calls and the argument kinds come from libkernel's system-call table
//! (`uapi::SYSCALLS`), so a call added there is fuzzed without a change
//! here (docs/robustness.md, "How a system call gets fuzzed").
//!
//! Output is KTAP (three suites: `warmup`, `fuzz`, `accounting`) so
//! `ktest-runner` can enforce deadlines; the human summary lines start with
//! `fuzz:`. Exit status 0 iff no worker died of a fault, no call returned
//! something impossible, and the accounting came back exactly.

#![no_std]
#![no_main]

extern crate alloc;

mod gen;
mod master;
mod meminfo;
mod rng;
mod worker;

pikern_rt::entry!(main);

/// The run's parameters.
#[derive(Clone, Copy)]
pub struct Options {
    pub seed: u64,
    pub count: u64,
    pub workers: usize,
    pub verbose: bool,
}

fn usage() -> i32 {
    pikern_rt::eprintln!("usage: fuzz [-s SEED] [-n COUNT] [-w WORKERS] [-v]");
    2
}

fn parse_num(s: &str) -> Option<u64> {
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// `fuzz --spin N`: N children spin in user space (pinned to CPU i % 4)
/// while the parent sleeps 10 ms 100 times; prints how long that took. A
/// scheduler that lets user loops starve sleepers shows it here.
fn spin(n: usize) -> i32 {
    use pikern_rt::{consts::*, println, process, sys};
    let mut pids = [0i32; 16];
    for (i, p) in pids.iter_mut().enumerate().take(n.min(16)) {
        match process::fork() {
            Ok(0) => {
                let _ = sys::sched_setaffinity(0, &[1u8 << (i % 4), 0, 0, 0, 0, 0, 0, 0]);
                #[allow(clippy::empty_loop)]
                loop {}
            }
            Ok(pid) => *p = pid,
            Err(_) => {}
        }
    }
    let t0 = sys::clock_gettime(CLOCK_MONOTONIC).map_or(0, |t| t.as_ns());
    for _ in 0..100 {
        let _ = process::sleep_ms(10);
    }
    let t1 = sys::clock_gettime(CLOCK_MONOTONIC).map_or(0, |t| t.as_ns());
    println!(
        "fuzz: spin: 100 sleeps of 10 ms took {} ms with {n} spinners",
        (t1 - t0) / 1_000_000
    );
    for &p in pids.iter().filter(|&&p| p > 0) {
        let _ = sys::kill(p, SIGKILL);
        let _ = process::waitpid(p, 0);
    }
    0
}

fn main(args: &[&str]) -> i32 {
    if let [_, "--spin", n] = args {
        return spin(n.parse().unwrap_or(4));
    }
    let mut o = Options {
        seed: 1,
        count: 10_000,
        workers: 4,
        verbose: false,
    };
    let mut i = 1;
    while i < args.len() {
        let value = args.get(i + 1).and_then(|v| parse_num(v));
        match (args[i], value) {
            ("-v", _) => {
                o.verbose = true;
                i += 1;
                continue;
            }
            ("-s", Some(v)) => o.seed = v,
            ("-n", Some(v)) => o.count = v,
            ("-w", Some(v)) if (1..=16).contains(&v) => o.workers = v as usize,
            _ => return usage(),
        }
        i += 2;
    }
    master::run(o)
}
