//! `echo`: prints its arguments.
//!
//! ```text
//! echo [-n] [ARG...]
//! ```
//!
//! Writes the arguments separated by single spaces, then a newline unless
//! the first argument is `-n`. The whole line goes out in one `write`, so
//! `echo 1 > /sys/...` hands a control file the value in one piece. No
//! escape sequences are interpreted. Exit status 0, or 1 if the write
//! fails (e.g. `EBADF`, `EPIPE`).

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use pikern_rt::{eprintln, io};

pikern_rt::entry!(main);

fn main(args: &[&str]) -> i32 {
    let mut words = &args[1.min(args.len())..];
    let newline = words.first() != Some(&"-n");
    if !newline {
        words = &words[1..];
    }
    let mut line = Vec::new();
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            line.push(b' ');
        }
        line.extend_from_slice(w.as_bytes());
    }
    if newline {
        line.push(b'\n');
    }
    match io::write_all(1, &line) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("echo: write error: {}", e.message());
            1
        }
    }
}
