//! `cat`: copies files, or standard input, to standard output.
//!
//! ```text
//! cat [FILE...]        no FILE, or "-": standard input
//! ```
//!
//! Copies each in order in 4 KiB reads. A file that cannot be opened or
//! read is reported (`cat: FILE: No such file or directory`) and skipped.
//!
//! pikern's console has no line discipline: reading it returns bytes as
//! typed. It turns a Ctrl-D that is the first byte of a read into end of
//! file, but one typed after other bytes still waiting arrives as byte
//! 0x04. So when standard input is a terminal, `cat` also treats a 0x04
//! byte as end of input, as a Linux terminal in canonical mode would
//! (which never delivers that byte).
//!
//! Exit status 0, or 1 if any file failed or a write failed.

#![no_std]
#![no_main]

use pikern_rt::consts::*;
use pikern_rt::process::cstring;
use pikern_rt::{eprintln, io, sys, Errno};

pikern_rt::entry!(main);

/// Ctrl-D.
const EOT: u8 = 0x04;

fn main(args: &[&str]) -> i32 {
    let files = &args[1.min(args.len())..];
    let mut status = 0;
    if files.is_empty() {
        return copy_reporting("-", 0, sys::isatty(0));
    }
    for &name in files {
        let r = if name == "-" {
            copy_reporting(name, 0, sys::isatty(0))
        } else {
            match cstring(name).and_then(|p| sys::open(&p, O_RDONLY | O_CLOEXEC)) {
                Ok(fd) => {
                    let r = copy_reporting(name, fd, false);
                    let _ = sys::close(fd);
                    r
                }
                Err(e) => {
                    eprintln!("cat: {name}: {}", e.message());
                    1
                }
            }
        };
        status |= r;
    }
    status
}

/// Copies `fd` to stdout; reports a failure and returns 1, else 0.
fn copy_reporting(name: &str, fd: i32, eot_ends: bool) -> i32 {
    match copy(fd, eot_ends) {
        Ok(()) => 0,
        Err((false, e)) => {
            eprintln!("cat: {name}: {}", e.message());
            1
        }
        Err((true, e)) => {
            eprintln!("cat: write error: {}", e.message());
            1
        }
    }
}

/// Copies until end of file (or a 0x04 byte if `eot_ends`). The error
/// says whether it was the write side (`true`) or the read side.
fn copy(fd: i32, eot_ends: bool) -> Result<(), (bool, Errno)> {
    let mut buf = [0u8; 4096];
    loop {
        let n = match sys::read(fd, &mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(Errno::EINTR) => continue,
            Err(e) => return Err((false, e)),
        };
        let chunk = &buf[..n];
        if eot_ends {
            if let Some(end) = chunk.iter().position(|&b| b == EOT) {
                io::write_all(1, &chunk[..end]).map_err(|e| (true, e))?;
                return Ok(());
            }
        }
        io::write_all(1, chunk).map_err(|e| (true, e))?;
    }
}
