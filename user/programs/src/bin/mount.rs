//! `mount`: mounts a file system, or lists the mounted ones.
//!
//! ```text
//! mount                                 list /proc/mounts
//! mount -t TYPE [-o OPTIONS] SOURCE DIR
//! ```
//!
//! What a script needs to reach the tracer at Linux's paths:
//! `mount -t debugfs none /sys/kernel/debug`, `mount -t tracefs nodev
//! /sys/kernel/tracing`. A failure is reported as busybox and util-linux
//! do (`mount: mounting none on /x failed: No such device`). Exit status 0,
//! or 1 on failure.

#![no_std]
#![no_main]

use pikern_rt::process::cstring;
use pikern_rt::{eprintln, io, sys, Errno};

pikern_rt::entry!(main);

fn main(args: &[&str]) -> i32 {
    let args = &args[1.min(args.len())..];
    if args.is_empty() {
        return match list() {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("mount: /proc/mounts: {}", e.message());
                1
            }
        };
    }
    let (mut fstype, mut opts, mut rest) = (None, None, [""; 2]);
    let mut n = 0;
    let mut i = 0;
    while i < args.len() {
        match args[i] {
            "-t" | "-o" if i + 1 < args.len() => {
                if args[i] == "-t" {
                    fstype = Some(args[i + 1]);
                } else {
                    opts = Some(args[i + 1]);
                }
                i += 2;
                continue;
            }
            a if n < 2 && !a.starts_with('-') => {
                rest[n] = a;
                n += 1;
            }
            _ => return usage(),
        }
        i += 1;
    }
    let (Some(fstype), 2) = (fstype, n) else {
        return usage();
    };
    let [source, dir] = rest;
    match mount(source, dir, fstype, opts) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("mount: mounting {source} on {dir} failed: {}", e.message());
            1
        }
    }
}

fn usage() -> i32 {
    eprintln!("usage: mount [-t TYPE [-o OPTIONS] SOURCE DIR]");
    1
}

fn mount(source: &str, dir: &str, fstype: &str, opts: Option<&str>) -> Result<(), Errno> {
    let data = opts.map(cstring).transpose()?;
    sys::mount(
        &cstring(source)?,
        &cstring(dir)?,
        &cstring(fstype)?,
        0,
        data.as_deref(),
    )
    .map(|_| ())
}

/// Copies `/proc/mounts` to standard output.
fn list() -> Result<(), Errno> {
    let fd = sys::openat(
        pikern_rt::consts::AT_FDCWD,
        &cstring("/proc/mounts")?,
        pikern_rt::consts::O_RDONLY,
        0,
    )?;
    let mut buf = [0u8; 1024];
    loop {
        let n = sys::read(fd, &mut buf)?;
        if n == 0 {
            break;
        }
        io::write_all(1, &buf[..n])?;
    }
    let _ = sys::close(fd);
    Ok(())
}
