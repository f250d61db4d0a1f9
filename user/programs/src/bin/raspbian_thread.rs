//! `raspbian_thread`: the thread twin of `raspbian_fork`, in Rust on
//! pikern-rt's threads ([`pikern_rt::thread`]). Same output and the same
//! system calls as the C version (`/bin/raspbian_thread_c`, glibc's
//! pthreads), so either can be traced:
//!
//! ```text
//! raspbian_thread [-n THREADS] [-s SECONDS]
//! ```
//!
//! Prints `About to create threads ` and makes THREADS threads (default 3)
//! with `clone(CLONE_VM | CLONE_THREAD | ...)`; thread i pins itself to
//! the i-th CPU it may use (modulo their number). main and every thread
//! print `raspbian tracing tgid:<getpid()> tid:<gettid()> cpu:<CPU> `
//! (the seed's trailing space kept). Once all have printed, the last
//! thread sleeps SECONDS (default 2, the seed's SLEEP_DURATION; a fraction
//! such as `-s 0.2` is allowed), prints `raspbian exit tgid:P tid:T ` and
//! calls `exit_group(0)`, as glibc's `exit()` does: the kernel's
//! `zap_other_threads` kills the others in their sleep (main waits in
//! `FUTEX_WAIT` on the last thread's tid word), and the parent gets one
//! SIGCHLD for the whole process.
//!
//! Exit status: 0 (from the exiting thread); 1 if a thread cannot be made
//! or the process outlived that `exit_group` (main's join returned); 2
//! for a usage error.

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use pikern_rt::consts::CLOCK_REALTIME;
use pikern_rt::sys::{self, Timespec};
use pikern_rt::{eprintln, println, process, thread};

pikern_rt::entry!(main);

/// Threads made besides main (the C version's THREADS).
const THREADS: i32 = 3;
/// The seed's SLEEP_DURATION, in seconds.
const SLEEP_DURATION: i64 = 2;

/// Threads made (set by main before the first one starts).
static NTHREADS: AtomicI32 = AtomicI32::new(THREADS);
/// How long the last thread sleeps before it exits, in nanoseconds.
static PAUSE_NS: AtomicU64 = AtomicU64::new(0);
/// The CPUs the process may use (the first 64), for pinning.
static CPUS: AtomicU64 = AtomicU64::new(0);
/// Tracing lines printed so far: a futex word the last thread waits on.
static PRINTED: AtomicI32 = AtomicI32::new(0);

fn main(args: &[&str]) -> i32 {
    let Some((n, pause)) = parse_args(&args[1.min(args.len())..]) else {
        eprintln!("usage: raspbian_thread [-n THREADS] [-s SECONDS]");
        return 2;
    };
    NTHREADS.store(n, Ordering::Relaxed);
    PAUSE_NS.store(pause.as_ns(), Ordering::Relaxed);
    let mut mask = [0u8; 8];
    if sys::sched_getaffinity(0, &mut mask).is_ok() {
        CPUS.store(u64::from_le_bytes(mask), Ordering::Relaxed);
    }
    println!("About to create threads ");
    let mut last = None;
    for i in 1..=n {
        // SAFETY: the threads share only atomics, print from the stack
        // and never allocate.
        match unsafe { thread::spawn(raspbian_thread_fn, i as usize) } {
            // The others are never joined: the exit ends them.
            Ok(t) => last = Some(t),
            Err(e) => {
                eprintln!("raspbian_thread: clone: {}", e.message());
                return 1;
            }
        }
    }
    raspbian_thread_trace();
    if let Some(t) = last {
        // Never returns: the last thread's exit_group ends main too.
        t.join();
    }
    eprintln!("raspbian_thread: the process outlived exit_group in a thread");
    1
}

/// Prints this thread's line and counts it.
fn raspbian_thread_trace() {
    let cpu = sys::getcpu().map_or(-1, |(cpu, _)| cpu as i64);
    println!(
        "raspbian tracing tgid:{} tid:{} cpu:{} ",
        sys::getpid(),
        sys::gettid(),
        cpu
    );
    PRINTED.fetch_add(1, Ordering::Release);
    let _ = sys::futex_wake(&PRINTED, i32::MAX);
}

/// What thread `i` (1..=THREADS) runs.
fn raspbian_thread_fn(i: usize) {
    pin_to_cpu(i);
    raspbian_thread_trace();
    let n = NTHREADS.load(Ordering::Relaxed);
    if i as i32 != n {
        // Until the exit_group: the kernel kills this thread in its sleep.
        loop {
            let _ = process::sleep_ms(3_600_000);
        }
    }
    // The last thread waits until everyone has printed (as the C
    // version's barrier), sleeps like the seed's processes and exits.
    loop {
        let printed = PRINTED.load(Ordering::Acquire);
        if printed > n {
            break;
        }
        let _ = sys::futex_wait(&PRINTED, printed, None);
    }
    let pause = Timespec::from_ns(PAUSE_NS.load(Ordering::Relaxed));
    // glibc's sleep()/nanosleep: a signal only cuts it short.
    let _ = sys::clock_nanosleep(CLOCK_REALTIME, 0, &pause, None);
    println!(
        "raspbian exit tgid:{} tid:{} ",
        sys::getpid(),
        sys::gettid()
    );
    sys::exit_group(0)
}

/// Pins the calling thread to the `i`-th allowed CPU (modulo their
/// number). Best effort: an unpinned thread still shows its CPU.
fn pin_to_cpu(i: usize) {
    let cpus = CPUS.load(Ordering::Relaxed);
    let count = cpus.count_ones() as usize;
    if count == 0 {
        return;
    }
    let Some(cpu) = (0..64).filter(|c| cpus & (1 << c) != 0).nth(i % count) else {
        return;
    };
    let _ = sys::sched_setaffinity(0, &(1u64 << cpu).to_le_bytes());
}

/// `-n THREADS` (1..=64) and `-s SECONDS`, in any order.
fn parse_args(args: &[&str]) -> Option<(i32, Timespec)> {
    let mut n = THREADS;
    let mut pause = Timespec {
        tv_sec: SLEEP_DURATION,
        tv_nsec: 0,
    };
    let mut it = args.iter();
    while let Some(&opt) = it.next() {
        let value = it.next()?;
        match opt {
            "-n" => n = value.parse().ok().filter(|n| (1..=64).contains(n))?,
            "-s" => pause = Timespec::parse_seconds(value)?,
            _ => return None,
        }
    }
    Some((n, pause))
}
