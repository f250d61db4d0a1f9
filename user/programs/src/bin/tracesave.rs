//! `tracesave`: saves the tracer's `trace` file to the SD card as text, an
//! SVG timeline and Chrome trace-event JSON, so that a student without a
//! serial cable reads the run on a PC from the card's `trace/` folder.
//!
//! ```text
//! tracesave [TRACE [DIR]]    TRACE: /sys/kernel/tracing/trace
//!                            DIR:   /boot/trace
//! ```
//!
//! Writes `DIR/trace.txt` (the `trace` file byte for byte, as sysrq-z
//! dumps it over the console), `DIR/trace.svg` and `DIR/trace.json` (drawn
//! by the same libkernel code as `pikern-trace svg` and `pikern-trace
//! json` on the host, from the malformed-line-tolerant parse), then calls
//! `sync()` so the card holds them before anyone pulls it out.
//!
//! DIR's parent must be a mounted file system other than the root: with
//! no card, `/boot` is a directory of the RAM root, and the files would
//! vanish at power-off. Then it prints `tracesave: /boot is not mounted
//! (no SD card?): trace not saved` and exits 1, as it does (with the
//! reason) when a file cannot be written, for example on a full card.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use libkernel::trace::export::{json, parse_trace_lenient, svg, timeline::Timeline};
use pikern_rt::consts::*;
use pikern_rt::process::cstring;
use pikern_rt::{eprintln, io, println, sys, Errno};

pikern_rt::entry!(main);

fn main(args: &[&str]) -> i32 {
    let trace = args.get(1).copied().unwrap_or("/sys/kernel/tracing/trace");
    let dir = args.get(2).copied().unwrap_or("/boot/trace");
    let parent = match dir.rsplit_once('/') {
        Some(("", _)) | None => "/",
        Some((p, _)) => p,
    };
    if !is_mount_point(parent) {
        eprintln!("tracesave: {parent} is not mounted (no SD card?): trace not saved");
        return 1;
    }
    let text = match cstring(trace).and_then(|p| io::read_file(&p)) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("tracesave: {trace}: {}", e.message());
            return 1;
        }
    };
    match save(dir, &text) {
        Ok(sizes) => {
            sys::sync();
            println!("tracesave: wrote {dir}/: {sizes}");
            0
        }
        Err((what, e)) => {
            // Whatever was written is still flushed: a half-saved trace is
            // better than a file the card never got.
            sys::sync();
            eprintln!(
                "tracesave: {what}: {}: trace not (fully) saved",
                e.message()
            );
            1
        }
    }
}

/// Writes the three files; returns "trace.txt (N bytes), ..." or the file
/// that failed and why.
fn save(dir: &str, text: &[u8]) -> Result<String, (String, Errno)> {
    if let Err(e) = cstring(dir).and_then(|d| sys::mkdirat(AT_FDCWD, &d, 0o755)) {
        if e != Errno::EEXIST {
            return Err((String::from(dir), e));
        }
    }
    let mut sizes = Vec::new();
    let mut put = |name: &str, data: &[u8]| {
        let path = format!("{dir}/{name}");
        write_file(&path, data).map_err(|e| (path, e))?;
        sizes.push(format!("{name} ({} bytes)", data.len()));
        Ok(())
    };
    put("trace.txt", text)?;
    // Invalid UTF-8 cannot come from the tracer; if it did, the text file
    // is still saved and the pictures show what parses.
    let parsed = parse_trace_lenient(&String::from_utf8_lossy(text)).0;
    let timeline = Timeline::build(&parsed);
    put("trace.svg", svg::to_svg(&timeline).as_bytes())?;
    put("trace.json", json::to_json(&timeline).as_bytes())?;
    Ok(sizes.join(", "))
}

fn write_file(path: &str, data: &[u8]) -> Result<(), Errno> {
    let fd = sys::openat(
        AT_FDCWD,
        &cstring(path)?,
        O_WRONLY | O_CREAT | O_TRUNC,
        0o644,
    )?;
    let r = io::write_all(fd, data);
    let c = sys::close(fd);
    r?;
    c.map(|_| ())
}

/// Whether `path` is on another file system than `/`.
fn is_mount_point(path: &str) -> bool {
    let (mut root, mut st) = (sys::Stat::default(), sys::Stat::default());
    let Ok(p) = cstring(path) else {
        return false;
    };
    sys::newfstatat(AT_FDCWD, c"/", &mut root, 0).is_ok()
        && sys::newfstatat(AT_FDCWD, &p, &mut st, 0).is_ok()
        && st.st_dev != root.st_dev
}
