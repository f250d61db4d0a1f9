//! `fadvise64` (Linux's `mm/fadvise.c`): advice about how a file will be
//! read.
//!
//! Linux uses the advice to start or drop readahead; here a file's pages
//! are all in memory already (ramfs and its page cache), so there is
//! nothing to start or drop. The checks are Linux's, so a program gets
//! the same answer: `EBADF`, `ESPIPE` for a pipe, `EINVAL` for unknown
//! advice or a negative length, else success. coreutils (`cat`, `sort`,
//! `tr`, `wc`) give `POSIX_FADV_SEQUENTIAL` before reading a file.

use crate::errno::SysResult;
use crate::errno::*;
use crate::fs::syscalls::files;
use libkernel::uapi;

/// `fadvise64(fd, offset, len, advice)` (`ksys_fadvise64_64`).
pub fn sys_fadvise64_64(fd: i64, _offset: i64, len: i64, advice: i32) -> SysResult {
    let file = files()?.lock().get(fd);
    let file = file?;
    if file.inode.mode() & uapi::S_IFMT == uapi::S_IFIFO {
        return Err(ESPIPE);
    }
    if len < 0 || !(uapi::POSIX_FADV_NORMAL..=uapi::POSIX_FADV_NOREUSE).contains(&advice) {
        return Err(EINVAL);
    }
    Ok(0)
}
