//! `sleep`: waits for a while.
//!
//! ```text
//! sleep SECONDS...
//! ```
//!
//! Sleeps for the sum of the arguments, each a decimal number of seconds
//! (`2`, `0.5`, `.25`). The sleep resumes after a handled signal, so it
//! lasts the whole time unless a signal kills the process. Exit status 0;
//! 1 for a missing or invalid argument (`sleep: invalid time interval 'x'`).

#![no_std]
#![no_main]

use pikern_rt::sys::Timespec;
use pikern_rt::{eprintln, process};

pikern_rt::entry!(main);

fn main(args: &[&str]) -> i32 {
    let intervals = &args[1.min(args.len())..];
    if intervals.is_empty() {
        eprintln!("sleep: missing operand");
        return 1;
    }
    let mut total_ns: u64 = 0;
    for &arg in intervals {
        match Timespec::parse_seconds(arg) {
            Some(t) => total_ns = total_ns.saturating_add(t.as_ns()),
            None => {
                eprintln!("sleep: invalid time interval '{arg}'");
                return 1;
            }
        }
    }
    match process::sleep(Timespec::from_ns(total_ns)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("sleep: {}", e.message());
            1
        }
    }
}
