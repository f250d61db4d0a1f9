//! `/proc/PID/fd` (Linux's `fs/proc/fd.c`) and `/dev/fd`, its symbolic
//! link in devfs: one entry per open descriptor of the process, and
//! opening `/proc/PID/fd/N` gives that descriptor's open file.
//!
//! bash's process substitution, `cmd <(producer)`, hands `cmd` the path
//! `/dev/fd/63` of a pipe it holds open on descriptor 63; `cmd` opens the
//! path. Linux's entries are "magic" symbolic links whose `open` goes
//! straight to the file (`proc_fd_link`); here an entry is a special file
//! whose `open` returns the descriptor's file itself, so the new
//! descriptor shares it as `dup` would (one offset: for a pipe, the only
//! case that matters, Linux's reopened file behaves the same).

use super::{DirOps, File, FileOps, Inode, InodeKind, NR_OPEN};
use crate::errno::*;
use crate::pid::find_task_by_pid;
use crate::task::Pid;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use libkernel::uapi;

/// `/proc/PID/fd`.
pub struct FdDir(pub Pid);

/// The file process `pid` has open on `fd`, if it is still there.
fn task_file(pid: Pid, fd: i64) -> Result<Arc<File>, Errno> {
    let task = find_task_by_pid(pid).ok_or(ENOENT)?;
    let files = task.files.lock().clone();
    let files = files.ok_or(ENOENT)?;
    let f = files.lock().get(fd);
    f.map_err(|_| ENOENT)
}

impl DirOps for FdDir {
    fn lookup(&self, name: &str) -> Option<Arc<Inode>> {
        let fd: i64 = name.parse().ok()?;
        if format!("{fd}") != name {
            return None; // "07" or "+7" is not descriptor 7
        }
        let file = task_file(self.0, fd).ok()?;
        // lr-x------ for a file open for reading, l-wx------ for writing,
        // lrwx------ for both, as Linux shows f_mode.
        let perm = match file.flags() & 3 {
            uapi::O_RDONLY => 0o500,
            uapi::O_WRONLY => 0o300,
            _ => 0o700,
        };
        Some(Inode::new(
            uapi::S_IFLNK | perm,
            InodeKind::Special(Arc::new(FdLink { pid: self.0, fd })),
        ))
    }

    fn readdir(&self) -> Vec<(String, u64, u8)> {
        (0..NR_OPEN as i64)
            .filter(|&fd| task_file(self.0, fd).is_ok())
            .map(|fd| (format!("{fd}"), 0, uapi::DT_LNK))
            .collect()
    }
}

/// One entry of `/proc/PID/fd`.
struct FdLink {
    pid: Pid,
    fd: i64,
}

impl FileOps for FdLink {
    fn read(&self, _inode: &Inode, _off: u64, _buf: &mut [u8]) -> Result<usize, Errno> {
        Err(EINVAL)
    }

    fn write(&self, _inode: &Inode, _off: u64, _buf: &[u8]) -> Result<usize, Errno> {
        Err(EINVAL)
    }

    /// The file's path (`d_path`), with ` (deleted)` once unlinked; a
    /// pipe or socket, which has none, as `pipe:[INO]` or `socket:[INO]`.
    fn readlink(&self) -> Option<String> {
        let file = task_file(self.pid, self.fd).ok()?;
        let path = file.path.lock().clone();
        let mode = file.inode.mode() & uapi::S_IFMT;
        if path.is_empty() {
            return Some(match mode {
                uapi::S_IFIFO => format!("pipe:[{}]", file.inode.ino),
                uapi::S_IFSOCK => format!("socket:[{}]", file.inode.ino),
                _ => format!("anon_inode:[{}]", file.inode.ino),
            });
        }
        if matches!(file.inode.kind, InodeKind::File(_))
            && file.inode.nlink() == 0
            && !path.ends_with(" (deleted)")
        {
            return Some(format!("{path} (deleted)"));
        }
        Some(path)
    }

    /// The descriptor's file, if it is still open and allows the access
    /// asked for (`EACCES` otherwise, as the magic link's permission
    /// check gives).
    fn open(&self, _inode: &Inode, flags: u32) -> Result<Option<Arc<File>>, Errno> {
        let file = task_file(self.pid, self.fd)?;
        let have = file.flags() & 3;
        let want = flags & 3;
        if have != uapi::O_RDWR && want != have {
            return Err(EACCES);
        }
        Ok(Some(file))
    }
}
