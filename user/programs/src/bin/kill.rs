//! `kill`: sends a signal to processes.
//!
//! ```text
//! kill [-SIGNAL | -s SIGNAL] [--] PID...
//! kill -l
//! ```
//!
//! SIGNAL is a number (`-9`) or a name with or without `SIG`, in any case
//! (`-KILL`, `-sigint`, `-s TERM`); the default is TERM. `-0` only checks
//! that the process exists. PIDs are numbers; after `--` negative ones are
//! allowed (`-1`: every process the caller may signal, as `kill(2)` says).
//! `-l` lists the signal numbers and names.
//!
//! A failure is reported per PID (`kill: (123) - No such process`).
//! Exit status 0 if every signal was sent, 1 otherwise; 2 for a usage error.

#![no_std]
#![no_main]

use pikern_rt::consts::SIGTERM;
use pikern_rt::{eprintln, println, signal, sys};

pikern_rt::entry!(main);

fn usage() -> i32 {
    eprintln!("usage: kill [-SIGNAL | -s SIGNAL] [--] PID...   or   kill -l");
    2
}

fn main(args: &[&str]) -> i32 {
    let mut rest = &args[1.min(args.len())..];
    let mut sig = SIGTERM;
    match rest.first() {
        Some(&"-l") => {
            for (n, name) in signal::all() {
                println!("{n:2}) SIG{name}");
            }
            return 0;
        }
        Some(&"-s") => {
            let Some(s) = rest.get(1).and_then(|s| signal::parse(s)) else {
                eprintln!("kill: invalid signal: {}", rest.get(1).unwrap_or(&""));
                return usage();
            };
            sig = s;
            rest = &rest[2..];
        }
        Some(&"--") => {}
        Some(opt) if opt.len() > 1 && opt.starts_with('-') => {
            let Some(s) = signal::parse(&opt[1..]) else {
                eprintln!("kill: invalid signal: {}", &opt[1..]);
                return usage();
            };
            sig = s;
            rest = &rest[1..];
        }
        _ => {}
    }
    if rest.first() == Some(&"--") {
        rest = &rest[1..];
    }
    if rest.is_empty() {
        return usage();
    }
    let mut status = 0;
    for &arg in rest {
        let Ok(pid) = arg.parse::<i32>() else {
            eprintln!("kill: invalid process id: {arg}");
            status = 1;
            continue;
        };
        if let Err(e) = sys::kill(pid, sig) {
            eprintln!("kill: ({pid}) - {}", e.message());
            status = 1;
        }
    }
    status
}
