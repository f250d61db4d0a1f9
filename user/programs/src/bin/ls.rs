//! `ls`: lists directories and files.
//!
//! ```text
//! ls [-l] [-a] [PATH...]        no PATH: "."
//! ```
//!
//! A directory is listed as its entries' names, one per line, sorted by
//! byte value; names starting with `.` only with `-a`. Any other PATH is
//! printed as given. With several PATHs each directory's listing is headed
//! `PATH:` and separated by a blank line, after the plain files.
//!
//! `-l` adds the mode (as `drwxr-xr-x`) and the size in bytes before each
//! name, and a symbolic link's target after it (`self -> /proc/7`).
//!
//! A PATH that does not exist is reported (`ls: cannot access 'x': No such
//! file or directory`). Exit status 0; 1 if an entry could not be
//! examined; 2 if a PATH could not be accessed or listed (as GNU ls).

#![no_std]
#![no_main]

extern crate alloc;

use alloc::ffi::CString;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;
use pikern_rt::consts::*;
use pikern_rt::io::FdWriter;
use pikern_rt::process::cstring;
use pikern_rt::sys::{self, DirentIter, Stat};
use pikern_rt::{eprintln, Errno};

pikern_rt::entry!(main);

#[derive(Clone, Copy, Default)]
struct Options {
    long: bool,
    all: bool,
}

fn main(args: &[&str]) -> i32 {
    let mut opts = Options::default();
    let mut paths: Vec<&str> = Vec::new();
    for &arg in &args[1.min(args.len())..] {
        if arg.len() > 1 && arg.starts_with('-') && paths.is_empty() {
            for c in arg[1..].chars() {
                match c {
                    'l' => opts.long = true,
                    'a' => opts.all = true,
                    _ => {
                        eprintln!("ls: invalid option -- '{c}'\nusage: ls [-l] [-a] [PATH...]");
                        return 2;
                    }
                }
            }
        } else {
            paths.push(arg);
        }
    }
    if paths.is_empty() {
        paths.push(".");
    }

    let mut out = FdWriter::new(1);
    let mut status = 0;
    let mut dirs = Vec::new();
    let mut files_printed = false;
    for &path in &paths {
        match stat_arg(path) {
            Ok(st) if st.file_type() == S_IFDIR => dirs.push(path),
            Ok(st) => {
                print_entry(&mut out, opts, AT_FDCWD, path, &st);
                files_printed = true;
            }
            Err(e) => {
                let _ = out.flush();
                eprintln!("ls: cannot access '{path}': {}", e.message());
                status = 2;
            }
        }
    }
    for (i, dir) in dirs.iter().enumerate() {
        if paths.len() > 1 {
            if i > 0 || files_printed {
                let _ = out.write_str("\n");
            }
            let _ = writeln!(out, "{dir}:");
        }
        let r = list_dir(&mut out, opts, dir);
        status = status.max(r);
    }
    let _ = out.flush();
    status
}

/// A PATH argument's metadata: the target for a symbolic link, the link
/// itself if the target is missing.
fn stat_arg(path: &str) -> Result<Stat, Errno> {
    let c = cstring(path)?;
    let mut st = Stat::default();
    match sys::newfstatat(AT_FDCWD, &c, &mut st, 0) {
        Ok(_) => Ok(st),
        Err(Errno::ENOENT) => {
            sys::newfstatat(AT_FDCWD, &c, &mut st, AT_SYMLINK_NOFOLLOW).map(|_| st)
        }
        Err(e) => Err(e),
    }
}

/// Lists one directory; returns the exit status it earns.
fn list_dir(out: &mut FdWriter, opts: Options, dir: &str) -> i32 {
    let fd = match cstring(dir).and_then(|c| sys::open(&c, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = out.flush();
            eprintln!("ls: cannot open directory '{dir}': {}", e.message());
            return 2;
        }
    };
    let names = read_names(fd, opts.all);
    let mut status = 0;
    match names {
        Ok(names) => {
            for name in &names {
                let mut st = Stat::default();
                let r = if opts.long {
                    sys::newfstatat(fd, name, &mut st, AT_SYMLINK_NOFOLLOW)
                } else {
                    Ok(0)
                };
                let text = String::from_utf8_lossy(name.to_bytes());
                match r {
                    Ok(_) => print_entry(out, opts, fd, &text, &st),
                    Err(e) => {
                        let _ = out.flush();
                        eprintln!("ls: cannot access '{dir}/{text}': {}", e.message());
                        status = 1;
                    }
                }
            }
        }
        Err(e) => {
            let _ = out.flush();
            eprintln!("ls: reading directory '{dir}': {}", e.message());
            status = 2;
        }
    }
    let _ = sys::close(fd);
    status
}

/// Every entry name of the open directory `fd`, sorted; dot-files only if
/// `all`.
fn read_names(fd: i32, all: bool) -> Result<Vec<CString>, Errno> {
    let mut names = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = sys::getdents64(fd, &mut buf)?;
        if n == 0 {
            break;
        }
        let mut it = DirentIter::new(&buf[..n]);
        for d in &mut it {
            if all || !d.name.starts_with(b".") {
                names.push(CString::new(d.name).map_err(|_| Errno::EINVAL)?);
            }
        }
        if it.malformed {
            return Err(Errno::EIO);
        }
    }
    names.sort_unstable();
    Ok(names)
}

/// Prints one line: `name`, or with `-l` the mode, size and (for a link)
/// target; `name` is relative to `dirfd` (for readlinkat).
fn print_entry(out: &mut FdWriter, opts: Options, dirfd: i32, name: &str, st: &Stat) {
    if !opts.long {
        let _ = writeln!(out, "{name}");
        return;
    }
    let _ = write!(out, "{} {:>8} {name}", mode_string(st.st_mode), st.st_size);
    if st.file_type() == S_IFLNK {
        let mut target = [0u8; 256];
        if let Ok(c) = cstring(name) {
            if let Ok(n) = sys::readlinkat(dirfd, &c, &mut target) {
                let _ = write!(out, " -> {}", String::from_utf8_lossy(&target[..n]));
            }
        }
    }
    let _ = out.write_str("\n");
}

/// `st_mode` as `ls -l` shows it: the type, then rwx for owner, group and
/// others (setuid/setgid/sticky bits are not shown).
fn mode_string(mode: u32) -> String {
    let kind = match mode & S_IFMT {
        S_IFDIR => 'd',
        S_IFLNK => 'l',
        S_IFCHR => 'c',
        S_IFBLK => 'b',
        S_IFIFO => 'p',
        S_IFSOCK => 's',
        _ => '-',
    };
    let mut s = String::with_capacity(10);
    s.push(kind);
    for shift in [6, 3, 0] {
        let bits = (mode >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        s.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
    s
}
