//! `raspbian_fork`: the seed experiment's fork program
//! (`shared/seeds/000_*.txt`), in Rust on pikern-rt. Same output and the
//! same system calls as the C version (`/bin/raspbian_fork_c`), so either
//! can be traced:
//!
//! ```text
//! raspbian_fork [-n TIMES] [-s SECONDS]
//! ```
//!
//! Prints `About to fork process ` and forks; then parent and child each
//! print `raspbian tracing ppid:<getppid()> pid:<getpid()> ` and sleep
//! SECONDS, TIMES times, and exit with status 0 (`exit_group`). The
//! defaults, TIMES 3 and SECONDS 2, are the seed's; SECONDS may have a
//! fraction (`-s 0.1`) so tests can run it quickly. The lines keep the
//! seed's trailing space.
//!
//! Like the C program, the parent does not wait for the child: whichever
//! exits last is an orphan for a moment and is reaped by init.
//!
//! Each line is written with one `write` as it is produced (no stdio
//! buffer), so unlike the C version it prints `About to fork process` once
//! even when stdout is a file.
//!
//! Exit status: 0; 1 if fork fails; 2 for a usage error.

#![no_std]
#![no_main]

use pikern_rt::consts::CLOCK_REALTIME;
use pikern_rt::sys::{self, Timespec};
use pikern_rt::{eprintln, println, process};

pikern_rt::entry!(main);

/// The seed's PROC_TIMES.
const PROC_TIMES: u32 = 3;
/// The seed's SLEEP_DURATION, in seconds.
const SLEEP_DURATION: i64 = 2;

fn main(args: &[&str]) -> i32 {
    let Some((times, pause)) = parse_args(&args[1.min(args.len())..]) else {
        eprintln!("usage: raspbian_fork [-n TIMES] [-s SECONDS]");
        return 2;
    };
    println!("About to fork process ");
    if let Err(e) = process::fork() {
        eprintln!("raspbian_fork: fork: {}", e.message());
        return 1;
    }
    raspbian_proc_process(times, &pause)
}

/// What parent and child both run (the seed's `raspbian_proc_process`).
fn raspbian_proc_process(times: u32, pause: &Timespec) -> ! {
    for _ in 0..times {
        println!(
            "raspbian tracing ppid:{} pid:{} ",
            sys::getppid(),
            sys::getpid()
        );
        // glibc's sleep(): clock_nanosleep(CLOCK_REALTIME, 0, ...). Like
        // sleep(), a signal only cuts this round short.
        let _ = sys::clock_nanosleep(CLOCK_REALTIME, 0, pause, None);
    }
    sys::exit_group(0)
}

/// `-n TIMES` and `-s SECONDS`, in any order.
fn parse_args(args: &[&str]) -> Option<(u32, Timespec)> {
    let mut times = PROC_TIMES;
    let mut pause = Timespec {
        tv_sec: SLEEP_DURATION,
        tv_nsec: 0,
    };
    let mut it = args.iter();
    while let Some(&opt) = it.next() {
        let value = it.next()?;
        match opt {
            "-n" => times = value.parse().ok()?,
            "-s" => pause = Timespec::parse_seconds(value)?,
            _ => return None,
        }
    }
    Some((times, pause))
}
