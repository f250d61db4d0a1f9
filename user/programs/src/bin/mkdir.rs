//! `mkdir`: creates directories.
//!
//! ```text
//! mkdir [-p] DIR...
//! ```
//!
//! Creates each DIR with mode 0777 (before the umask). With `-p`, missing
//! parent directories are created too and existing directories are not an
//! error. A failure is reported (`mkdir: cannot create directory 'x': File
//! exists`) and the next DIR is tried. Exit status 0, or 1 if any failed.

#![no_std]
#![no_main]

use pikern_rt::consts::*;
use pikern_rt::process::cstring;
use pikern_rt::sys::{self, Stat};
use pikern_rt::{eprintln, Errno};

pikern_rt::entry!(main);

fn main(args: &[&str]) -> i32 {
    let mut dirs = &args[1.min(args.len())..];
    let parents = dirs.first() == Some(&"-p");
    if parents {
        dirs = &dirs[1..];
    }
    if dirs.is_empty() {
        eprintln!("usage: mkdir [-p] DIR...");
        return 1;
    }
    let mut status = 0;
    for &dir in dirs {
        let r = if parents { mkdir_p(dir) } else { mkdir(dir) };
        if let Err(e) = r {
            eprintln!("mkdir: cannot create directory '{dir}': {}", e.message());
            status = 1;
        }
    }
    status
}

fn mkdir(path: &str) -> Result<(), Errno> {
    sys::mkdirat(AT_FDCWD, &cstring(path)?, 0o777).map(|_| ())
}

/// Creates every missing directory along `path`; an existing directory
/// (but not an existing file) is fine.
fn mkdir_p(path: &str) -> Result<(), Errno> {
    let mut end = 0;
    while end < path.len() {
        end = path[end + 1..]
            .find('/')
            .map_or(path.len(), |i| end + 1 + i);
        let prefix = &path[..end];
        if prefix.is_empty() || prefix.ends_with('/') {
            continue;
        }
        match mkdir(prefix) {
            Ok(()) => {}
            Err(Errno::EEXIST) => {
                let mut st = Stat::default();
                sys::newfstatat(AT_FDCWD, &cstring(prefix)?, &mut st, 0)?;
                if st.file_type() != S_IFDIR {
                    return Err(Errno::ENOTDIR);
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
