//! `ps`: lists every process, reading `/proc` as Linux's `ps` does.
//!
//! ```text
//! ps [-T | -L]
//! ```
//!
//! With `-T` (or `-L`) every thread gets a line, from
//! `/proc/<pid>/task/<tid>/stat`, with its process's pid in front (the
//! `SPID` column is the thread's id), as procps shows threads.
//!
//! For each numeric directory of `/proc`, in pid order, reads
//! `/proc/<pid>/stat` (Linux's one-line format: `pid (comm) state ppid
//! ...`) and prints:
//!
//! ```text
//!   PID  PPID S CPU  NI    FLAGS CMD
//!     1     0 S   0   0 00400100 init
//! ```
//!
//! from stat fields 1 (pid), 4 (ppid), 3 (state), 39 (processor: the CPU
//! it last ran on), 19 (nice), 9 (flags, the kernel's `PF_*` bits, in hex)
//! and 2 (comm). The comm is found between the first `(` and the *last*
//! `)`, since a command name may itself contain spaces and parentheses. A
//! field the line lacks is shown as `-`. A process that exits while `ps`
//! runs is left out.
//!
//! Exit status 0; 1 if `/proc` cannot be read.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;
use pikern_rt::consts::*;
use pikern_rt::io::{self, FdWriter};
use pikern_rt::sys::{self, DirentIter};
use pikern_rt::{eprintln, Errno};

pikern_rt::entry!(main);

fn main(args: &[&str]) -> i32 {
    let threads = match args.get(1).copied() {
        None => false,
        Some("-T" | "-L") => true,
        Some(other) => {
            eprintln!("ps: unknown option {other}; usage: ps [-T | -L]");
            return 1;
        }
    };
    let pids = match numeric_entries(c"/proc") {
        Ok(p) => p,
        Err(e) => {
            eprintln!("ps: cannot read /proc: {}", e.message());
            return 1;
        }
    };
    let mut out = FdWriter::new(1);
    if threads {
        let _ = writeln!(out, "  PID  SPID  PPID S CPU  NI    FLAGS CMD");
    } else {
        let _ = writeln!(out, "  PID  PPID S CPU  NI    FLAGS CMD");
    }
    for pid in pids {
        if !threads {
            if let Some(line) = stat_line(&format!("/proc/{pid}/stat\0")) {
                let _ = writeln!(out, "{line}");
            }
            continue;
        }
        let dir = format!("/proc/{pid}/task\0");
        let Ok(dir) = core::ffi::CStr::from_bytes_with_nul(dir.as_bytes()) else {
            continue;
        };
        // Gone since /proc was read: not an error.
        let Ok(tids) = numeric_entries(dir) else {
            continue;
        };
        for tid in tids {
            if let Some(line) = stat_line(&format!("/proc/{pid}/task/{tid}/stat\0")) {
                let _ = writeln!(out, "{pid:>5} {line}");
            }
        }
    }
    let _ = out.flush();
    0
}

/// The `ps` line of one `stat` file (a NUL-terminated path), `None` if it
/// is gone (the task exited since its directory was read: not an error)
/// or malformed.
fn stat_line(path: &str) -> Option<String> {
    let path = core::ffi::CStr::from_bytes_with_nul(path.as_bytes()).ok()?;
    let text = io::read_file(path).ok()?;
    format_line(&String::from_utf8_lossy(&text))
}

/// The numeric names in directory `dir`, sorted.
fn numeric_entries(dir: &core::ffi::CStr) -> Result<Vec<u32>, Errno> {
    let fd = sys::open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)?;
    let mut pids = Vec::new();
    let mut buf = [0u8; 4096];
    let r = loop {
        match sys::getdents64(fd, &mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => {
                for d in DirentIter::new(&buf[..n]) {
                    let pid = core::str::from_utf8(d.name)
                        .ok()
                        .and_then(|s| s.parse::<u32>().ok());
                    pids.extend(pid);
                }
            }
            Err(e) => break Err(e),
        }
    };
    let _ = sys::close(fd);
    r?;
    pids.sort_unstable();
    Ok(pids)
}

/// One `ps` line from a `/proc/<pid>/stat` line, or `None` if it does not
/// have the `pid (comm) ...` shape.
fn format_line(stat: &str) -> Option<String> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    if close < open {
        return None;
    }
    let pid = stat[..open].trim();
    let comm = &stat[open + 1..close];
    // fields[0] is field 3 (state): field N is fields[N - 3].
    let fields: Vec<&str> = stat[close + 1..].split_ascii_whitespace().collect();
    let field = |n: usize| fields.get(n - 3).copied().unwrap_or("-");
    let flags = field(9)
        .parse::<u64>()
        .map_or_else(|_| String::from("-"), |f| format!("{f:08x}"));
    Some(format!(
        "{pid:>5} {:>5} {} {:>3} {:>3} {flags:>8} {comm}",
        field(4),
        field(3),
        field(39),
        field(19),
    ))
}
