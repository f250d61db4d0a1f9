//! `tracedump`: sends the binary trace to the host over the console, as
//! `trace-cmd extract` would save it: every CPU's `trace_pipe_raw` pages
//! and the files that describe them.
//!
//! ```text
//! tracedump [DIR]      DIR: the tracefs mount, /sys/kernel/tracing
//! ```
//!
//! Writes `events/header_page`, `events/header_event`, every
//! `events/<system>/<event>/format`, `saved_cmdlines` and
//! `printk_formats` (when the kernel has them), then
//! `per_cpu/cpuN/trace_pipe_raw` for each CPU, read with `O_NONBLOCK`
//! until it has nothing more (the reads consume the entries, as
//! trace-cmd's do). The frame (`libkernel::trace_dump`) carries each
//! file's length and CRC-32; `pikern-trace dat` turns it into trace.dat.
//! Exit status 0; 1 if the mount or a CPU's buffer cannot be read.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::ffi::CString;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use libkernel::trace_dump::{checksum, encode_line, LINE_BYTES, LINE_CHARS, PREFIX};
use pikern_rt::consts::*;
use pikern_rt::io::{self, write_all};
use pikern_rt::process::cstring;
use pikern_rt::sys::{self, DirentIter};
use pikern_rt::{eprintln, Errno};

pikern_rt::entry!(main);

fn main(args: &[&str]) -> i32 {
    let root = args.get(1).copied().unwrap_or("/sys/kernel/tracing");
    match dump(root) {
        Ok(n) => {
            out(&format!("{PREFIX}end {n}\n"));
            0
        }
        Err((what, e)) => {
            eprintln!("tracedump: {root}/{what}: {}", e.message());
            1
        }
    }
}

fn out(s: &str) {
    let _ = write_all(1, s.as_bytes());
}

/// Writes one file's frame: its `file` line, then base64 lines.
fn send(path: &str, data: &[u8]) {
    let mut text = format!(
        "{PREFIX}file {path} {} {:08x}\n",
        data.len(),
        checksum(data)
    );
    for chunk in data.chunks(LINE_BYTES) {
        let mut line = [0u8; LINE_CHARS];
        let n = encode_line(chunk, &mut line);
        text.push_str(core::str::from_utf8(&line[..n]).unwrap_or(""));
        text.push('\n');
        // Written in pieces of a few KiB: the console is slow and the
        // heap small.
        if text.len() > 8192 {
            out(&text);
            text.clear();
        }
    }
    out(&text);
}

/// The names in directory `path`, sorted (none if it cannot be read).
fn names(path: &str) -> Vec<String> {
    let mut v = Vec::new();
    let Ok(fd) = cstring(path).and_then(|p| sys::open(&p, O_RDONLY | O_DIRECTORY)) else {
        return v;
    };
    let mut buf = [0u8; 2048];
    while let Ok(n) = sys::getdents64(fd, &mut buf) {
        if n == 0 {
            break;
        }
        for d in DirentIter::new(&buf[..n]) {
            if !d.name.starts_with(b".") {
                v.push(String::from_utf8_lossy(d.name).into_owned());
            }
        }
    }
    let _ = sys::close(fd);
    v.sort_unstable();
    v
}

fn read(path: &str) -> Result<Vec<u8>, Errno> {
    let p: CString = cstring(path)?;
    io::read_file(&p)
}

/// Every page `trace_pipe_raw` has now (reading until `EAGAIN`).
fn read_raw(path: &str) -> Result<Vec<u8>, Errno> {
    let fd = sys::open(&cstring(path)?, O_RDONLY | O_NONBLOCK)?;
    let mut data = Vec::new();
    let mut page = [0u8; 4096];
    let r = loop {
        match sys::read(fd, &mut page) {
            Ok(0) => break Ok(()),
            Ok(n) => data.extend_from_slice(&page[..n]),
            Err(Errno::EAGAIN) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    let _ = sys::close(fd);
    r.map(|_| data)
}

/// Dumps everything; returns the number of files sent.
fn dump(root: &str) -> Result<usize, (String, Errno)> {
    let mut files: Vec<String> = ["events/header_page", "events/header_event"]
        .iter()
        .map(|s| String::from(*s))
        .collect();
    let systems = names(&format!("{root}/events"));
    if systems.is_empty() {
        return Err((String::from("events"), Errno::ENOENT));
    }
    for sys in &systems {
        for ev in names(&format!("{root}/events/{sys}")) {
            let f = format!("events/{sys}/{ev}/format");
            if read(&format!("{root}/{f}")).is_ok() {
                files.push(f);
            }
        }
    }
    for f in ["saved_cmdlines", "printk_formats"] {
        if read(&format!("{root}/{f}")).is_ok() {
            files.push(String::from(f));
        }
    }
    out(&format!("{PREFIX}begin\n"));
    let mut n = 0;
    for f in &files {
        let data = read(&format!("{root}/{f}")).map_err(|e| (f.clone(), e))?;
        send(f, &data);
        n += 1;
    }
    for cpu in 0.. {
        let f = format!("per_cpu/cpu{cpu}/trace_pipe_raw");
        match read_raw(&format!("{root}/{f}")) {
            Ok(data) => send(&f, &data),
            Err(Errno::ENOENT) if cpu > 0 => break,
            Err(e) => return Err((f, e)),
        }
        n += 1;
    }
    Ok(n)
}
