//! The file system calls: descriptors, reading and writing, paths, `stat`,
//! directories. User buffers go through `mm::uaccess`, and every length a
//! user passes is bounded before the kernel allocates for it.

use super::{lookup_path, FdTable, File, Inode, InodeKind};
use crate::errno::SysResult;
use crate::errno::*;
use crate::mm::uaccess::{self, copy_from_user, copy_to_user, strncpy_from_user};
use crate::mm::vm::Access;
use crate::sync::IrqSpinLock;
use crate::task;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use libkernel::uapi;

/// Largest single transfer the kernel stages at once (longer reads and
/// writes are done in pieces of this size).
const CHUNK: usize = 64 * 1024;

/// The current task's descriptor table.
pub fn files() -> Result<Arc<IrqSpinLock<FdTable>>, Errno> {
    let me = task::current();
    let files = me.files.lock().clone();
    files.ok_or(EBADF)
}

pub(super) fn fget(fd: i64) -> Result<Arc<File>, Errno> {
    let files = files()?;
    let f = files.lock().get(fd);
    f
}

fn cwd() -> String {
    let me = task::current();
    let cwd = me.cwd.lock().clone();
    cwd
}

fn user_path(p: u64) -> Result<Vec<u8>, Errno> {
    strncpy_from_user(p, uapi::PATH_MAX)
}

/// Resolves a `*at` path: absolute, or relative to `dirfd` (only
/// `AT_FDCWD` or a directory descriptor).
fn at_base(dirfd: i64, path: &[u8]) -> Result<String, Errno> {
    if path.first() == Some(&b'/') || dirfd == uapi::AT_FDCWD as i64 {
        return Ok(cwd());
    }
    let f = fget(dirfd)?;
    if !f.inode.is_dir() {
        return Err(ENOTDIR);
    }
    let p = f.path.lock().clone();
    if p.is_empty() {
        return Err(ENOENT);
    }
    Ok(p)
}

/// `read(fd, buf, count)`.
pub fn sys_read(fd: i64, buf: u64, count: u64) -> SysResult {
    let f = fget(fd)?;
    if f.inode.is_dir() {
        return Err(EISDIR);
    }
    let count = count.min(isize::MAX as u64) as usize;
    // Check the whole buffer first, so a bad pointer fails before any
    // input is consumed.
    uaccess::access_user(buf, count.min(CHUNK), Access::Write, |_, _| false)?;
    let mut tmp = alloc::vec![0u8; count.min(CHUNK)];
    let n = f.read(&mut tmp)?;
    copy_to_user(buf, &tmp[..n])?;
    Ok(n as i64)
}

/// `write(fd, buf, count)`.
pub fn sys_write(fd: i64, buf: u64, count: u64) -> SysResult {
    let f = fget(fd)?;
    let count = count.min(isize::MAX as u64) as usize;
    let mut done = 0usize;
    let mut tmp = alloc::vec![0u8; count.min(CHUNK)];
    while done < count {
        let n = (count - done).min(CHUNK);
        if let Err(e) = copy_from_user(&mut tmp[..n], buf + done as u64) {
            return if done > 0 { Ok(done as i64) } else { Err(e) };
        }
        let w = match f.write(&tmp[..n]) {
            Ok(w) => w,
            // What was written stays written (a full O_NONBLOCK pipe).
            Err(_) if done > 0 => break,
            Err(e) => return Err(e),
        };
        done += w;
        if w < n {
            break;
        }
    }
    Ok(done as i64)
}

fn iovecs(iov: u64, cnt: u64) -> Result<Vec<(u64, u64)>, Errno> {
    if cnt > 1024 {
        return Err(EINVAL);
    }
    let mut v = Vec::new();
    for i in 0..cnt {
        let base = uaccess::get_user_u64(iov + 16 * i)?;
        let len = uaccess::get_user_u64(iov + 16 * i + 8)?;
        if len > isize::MAX as u64 {
            return Err(EINVAL);
        }
        v.push((base, len));
    }
    Ok(v)
}

/// `readv(fd, iov, iovcnt)`.
pub fn sys_readv(fd: i64, iov: u64, cnt: u64) -> SysResult {
    let mut total = 0;
    for (base, len) in iovecs(iov, cnt)? {
        if len == 0 {
            continue;
        }
        let n = sys_read(fd, base, len)?;
        total += n;
        if (n as u64) < len {
            break;
        }
    }
    Ok(total)
}

/// `writev(fd, iov, iovcnt)`.
pub fn sys_writev(fd: i64, iov: u64, cnt: u64) -> SysResult {
    let mut total = 0;
    for (base, len) in iovecs(iov, cnt)? {
        if len == 0 {
            continue;
        }
        let n = sys_write(fd, base, len)?;
        total += n;
        if (n as u64) < len {
            break;
        }
    }
    Ok(total)
}

/// `openat(dirfd, path, flags, mode)`.
pub fn sys_openat(dirfd: i64, path: u64, flags: u32, mode: u32) -> SysResult {
    let p = user_path(path)?;
    let base = at_base(dirfd, &p)?;
    let f = super::open(&base, &p, flags, mode)?;
    let fd = files()?.lock().install(f, flags & uapi::O_CLOEXEC != 0)?;
    Ok(fd as i64)
}

/// `close(fd)`.
pub fn sys_close(fd: i64) -> SysResult {
    files()?.lock().close(fd)?;
    Ok(0)
}

/// `lseek(fd, offset, whence)`.
pub fn sys_lseek(fd: i64, off: i64, whence: u32) -> SysResult {
    Ok(fget(fd)?.lseek(off, whence)? as i64)
}

fn put_stat(inode: &super::Inode, buf: u64) -> SysResult {
    copy_to_user(buf, &inode.stat().to_bytes())?;
    Ok(0)
}

/// `newfstatat(dirfd, path, statbuf, flags)`.
pub fn sys_newfstatat(dirfd: i64, path: u64, buf: u64, flags: u32) -> SysResult {
    if flags & !(uapi::AT_SYMLINK_NOFOLLOW | uapi::AT_NO_AUTOMOUNT | uapi::AT_EMPTY_PATH) != 0 {
        return Err(EINVAL);
    }
    let p = user_path(path)?;
    if p.is_empty() && flags & uapi::AT_EMPTY_PATH != 0 {
        return put_stat(&fget(dirfd)?.inode, buf);
    }
    let base = at_base(dirfd, &p)?;
    let inode = if flags & uapi::AT_SYMLINK_NOFOLLOW != 0 {
        super::lookup_path_nofollow(&base, &p)?
    } else {
        lookup_path(&base, &p)?
    };
    put_stat(&inode, buf)
}

/// `fstat(fd, statbuf)`.
pub fn sys_fstat(fd: i64, buf: u64) -> SysResult {
    put_stat(&fget(fd)?.inode, buf)
}

/// `getdents64(fd, dirp, count)`.
pub fn sys_getdents64(fd: i64, dirp: u64, count: u64) -> SysResult {
    let f = fget(fd)?;
    let recs = super::getdents(&f, count.min(CHUNK as u64) as usize)?;
    copy_to_user(dirp, &recs)?;
    Ok(recs.len() as i64)
}

/// `ioctl(fd, cmd, arg)`: terminals answer `TCGETS`/`TIOCGWINSZ`, others
/// `-ENOTTY`.
pub fn sys_ioctl(fd: i64, cmd: u64, arg: u64) -> SysResult {
    let f = fget(fd)?;
    match &f.inode.kind {
        InodeKind::Special(ops) => ops.ioctl(&f.inode, cmd, arg),
        _ => Err(ENOTTY),
    }
}

/// `dup(fd)`.
pub fn sys_dup(fd: i64) -> SysResult {
    let t = files()?;
    let mut t = t.lock();
    let f = t.get(fd)?;
    Ok(t.install(f, false)? as i64)
}

/// `dup3(old, new, flags)`.
pub fn sys_dup3(old: i64, new: i64, flags: u32) -> SysResult {
    if new < 0 {
        return Err(EBADF);
    }
    if old == new || flags & !uapi::O_CLOEXEC != 0 {
        return Err(EINVAL);
    }
    let t = files()?;
    let mut t = t.lock();
    let f = t.get(old)?;
    t.install_at(new as usize, f, flags & uapi::O_CLOEXEC != 0)?;
    Ok(new)
}

/// `fcntl(fd, cmd, arg)`: `F_DUPFD`, `F_DUPFD_CLOEXEC`, `F_GETFD`,
/// `F_SETFD` (the close-on-exec flag), `F_GETFL`, `F_SETFL` (`O_APPEND`,
/// `O_NONBLOCK`).
pub fn sys_fcntl(fd: i64, cmd: u32, arg: u64) -> SysResult {
    let f = fget(fd)?;
    match cmd {
        uapi::F_DUPFD | uapi::F_DUPFD_CLOEXEC => {
            let min = usize::try_from(arg).map_err(|_| EINVAL)?;
            let files = files()?;
            let fd = files
                .lock()
                .install_min(f, min, cmd == uapi::F_DUPFD_CLOEXEC)?;
            Ok(fd as i64)
        }
        uapi::F_GETFD => Ok(i64::from(files()?.lock().cloexec(fd)?)),
        uapi::F_SETFD => {
            files()?
                .lock()
                .set_cloexec(fd, arg & u64::from(uapi::FD_CLOEXEC) != 0)?;
            Ok(0)
        }
        uapi::F_GETFL => Ok(f.flags() as i64),
        uapi::F_SETFL => {
            f.set_flags(arg as u32);
            Ok(0)
        }
        _ => Err(EINVAL),
    }
}

/// `getcwd(buf, size)`.
pub fn sys_getcwd(buf: u64, size: u64) -> SysResult {
    let c = cwd();
    if (c.len() + 1) as u64 > size {
        return Err(ERANGE);
    }
    let mut b = c.into_bytes();
    b.push(0);
    copy_to_user(buf, &b)?;
    Ok(b.len() as i64)
}

/// `chdir(path)`.
pub fn sys_chdir(path: u64) -> SysResult {
    let p = user_path(path)?;
    let base = cwd();
    let inode = lookup_path(&base, &p)?;
    if !inode.is_dir() {
        return Err(ENOTDIR);
    }
    let joined = if p.first() == Some(&b'/') {
        p
    } else {
        let mut j = base.into_bytes();
        j.push(b'/');
        j.extend_from_slice(&p);
        j
    };
    let root = libkernel::fs::path::AbsPath::root();
    let r = libkernel::fs::path::resolve(&root, &joined).map_err(|e| Errno(e.errno()))?;
    *task::current().cwd.lock() = String::from_utf8_lossy(r.path.as_bytes()).into_owned();
    Ok(0)
}

/// `readlinkat(dirfd, path, buf, size)`.
pub fn sys_readlinkat(dirfd: i64, path: u64, buf: u64, size: u64) -> SysResult {
    let p = user_path(path)?;
    let base = at_base(dirfd, &p)?;
    let (parent, name) = match p.iter().rposition(|&c| c == b'/') {
        Some(i) => (&p[..i.max(1)], &p[i + 1..]),
        None => (&b"."[..], &p[..]),
    };
    let dir = lookup_path(&base, parent)?;
    let inode = dir.lookup(core::str::from_utf8(name).map_err(|_| ENOENT)?)?;
    match &inode.kind {
        InodeKind::Symlink(t) => {
            let n = t.len().min(size as usize);
            copy_to_user(buf, &t.as_bytes()[..n])?;
            Ok(n as i64)
        }
        _ => Err(EINVAL),
    }
}

/// `pipe2(fds, flags)`.
pub fn sys_pipe2(fds: u64, flags: u32) -> SysResult {
    if flags & !(uapi::O_CLOEXEC | uapi::O_NONBLOCK) != 0 {
        return Err(EINVAL);
    }
    // Check the destination before creating anything.
    copy_to_user(fds, &[0u8; 8])?;
    let (r, w) = super::pipe::create(flags);
    let t = files()?;
    let mut t = t.lock();
    let cloexec = flags & uapi::O_CLOEXEC != 0;
    let rfd = t.install(r, cloexec)?;
    let wfd = match t.install(w, cloexec) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = t.close(rfd as i64);
            return Err(e);
        }
    };
    drop(t);
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&(rfd as i32).to_le_bytes());
    b[4..].copy_from_slice(&(wfd as i32).to_le_bytes());
    copy_to_user(fds, &b)?;
    Ok(0)
}

/// `unlinkat(dirfd, path, flags)`: removes a file (or, with
/// `AT_REMOVEDIR`, an empty directory) from the RAM filesystem.
pub fn sys_unlinkat(dirfd: i64, path: u64, flags: u32) -> SysResult {
    let p = user_path(path)?;
    let base = at_base(dirfd, &p)?;
    let text = core::str::from_utf8(&p).map_err(|_| ENOENT)?;
    let full = if text.starts_with('/') {
        String::from(text)
    } else {
        alloc::format!("{}/{}", base.trim_end_matches('/'), text)
    };
    let (parent, name) = super::ramfs::parent_of(&full).map_err(|_| EINVAL)?;
    let InodeKind::Dir(d) = &parent.kind else {
        return Err(EACCES);
    };
    let mut d = d.lock();
    let inode = d.get(&name).cloned().ok_or(ENOENT)?;
    let rmdir = flags & 0x200 != 0;
    match (&inode.kind, rmdir) {
        // The child's lock nested under its parent's, as Linux's
        // I_MUTEX_PARENT / I_MUTEX_CHILD.
        (InodeKind::Dir(c), true) if c.lock_nested(1).is_empty() => {}
        (InodeKind::Dir(_), true) => return Err(ENOTEMPTY),
        (InodeKind::Dir(_) | InodeKind::PseudoDir(_), false) => return Err(EISDIR),
        (_, true) => return Err(ENOTDIR),
        _ => {}
    }
    d.remove(&name);
    Ok(0)
}

/// The absolute path `path` names relative to `dirfd` (the `*at` rule).
fn at_full_path(dirfd: i64, p: &[u8]) -> Result<String, Errno> {
    let base = at_base(dirfd, p)?;
    let text = core::str::from_utf8(p).map_err(|_| EINVAL)?;
    Ok(if text.starts_with('/') {
        String::from(text)
    } else {
        alloc::format!("{}/{}", base.trim_end_matches('/'), text)
    })
}

/// `mkdirat(dirfd, path, mode)`.
pub fn sys_mkdirat(dirfd: i64, path: u64, mode: u32) -> SysResult {
    let p = user_path(path)?;
    let full = at_full_path(dirfd, &p)?;
    let (parent, name) = super::ramfs::parent_of(&full)?;
    super::ramfs::link(&parent, &name, super::ramfs::new_dir(mode))?;
    Ok(0)
}

/// `faccessat(dirfd, path, mode)`: `faccessat2` without flags.
pub fn sys_faccessat(dirfd: i64, path: u64, mode: u32) -> SysResult {
    sys_faccessat2(dirfd, path, mode, 0)
}

/// `faccessat2(dirfd, path, mode, flags)`: whether the caller may read,
/// write or execute `path` (`F_OK`: whether it exists). Everything runs
/// as root, which may read and write anything and execute what has an
/// execute bit or is a directory.
pub fn sys_faccessat2(dirfd: i64, path: u64, mode: u32, flags: u32) -> SysResult {
    let all = uapi::R_OK | uapi::W_OK | uapi::X_OK;
    let known = uapi::AT_EACCESS | uapi::AT_SYMLINK_NOFOLLOW | uapi::AT_EMPTY_PATH;
    if mode & !all != 0 || flags & !known != 0 {
        return Err(EINVAL);
    }
    let p = user_path(path)?;
    let inode = if p.is_empty() && flags & uapi::AT_EMPTY_PATH != 0 {
        fget(dirfd)?.inode.clone()
    } else {
        let base = at_base(dirfd, &p)?;
        if flags & uapi::AT_SYMLINK_NOFOLLOW != 0 {
            super::lookup_path_nofollow(&base, &p)?
        } else {
            lookup_path(&base, &p)?
        }
    };
    if mode & uapi::X_OK != 0 && !inode.is_dir() && inode.mode & 0o111 == 0 {
        return Err(EACCES);
    }
    Ok(0)
}

/// `renameat(olddirfd, oldpath, newdirfd, newpath)`.
pub fn sys_renameat(olddfd: i64, oldname: u64, newdfd: i64, newname: u64) -> SysResult {
    sys_renameat2(olddfd, oldname, newdfd, newname, 0)
}

/// `RENAME_NOREPLACE`: fail with `EEXIST` instead of replacing.
const RENAME_NOREPLACE: u32 = 1;

/// `renameat2(olddirfd, oldpath, newdirfd, newpath, flags)`: moves a name
/// (`RENAME_NOREPLACE` is the one flag taken). A file replaces a file, a
/// directory an empty directory; a directory cannot move into itself.
pub fn sys_renameat2(
    olddfd: i64,
    oldname: u64,
    newdfd: i64,
    newname: u64,
    flags: u32,
) -> SysResult {
    if flags & !RENAME_NOREPLACE != 0 {
        return Err(EINVAL);
    }
    let (o, n) = (user_path(oldname)?, user_path(newname)?);
    if o.is_empty() || n.is_empty() {
        return Err(ENOENT);
    }
    let old = at_full_path(olddfd, &o)?;
    let new = at_full_path(newdfd, &n)?;
    let (op, oname) = super::ramfs::parent_of(&old).map_err(|_| EBUSY)?;
    let (np, nname) = super::ramfs::parent_of(&new).map_err(|_| EBUSY)?;
    if nname.len() > uapi::NAME_MAX {
        return Err(ENAMETOOLONG);
    }
    let (InodeKind::Dir(od), InodeKind::Dir(nd)) = (&op.kind, &np.kind) else {
        return Err(EXDEV);
    };
    let src = od.lock().get(&oname).cloned().ok_or(ENOENT)?;
    if Arc::ptr_eq(&op, &np) && oname == nname {
        return Ok(0);
    }
    if src.is_dir()
        && new
            .trim_end_matches('/')
            .starts_with(&alloc::format!("{}/", old.trim_end_matches('/')))
    {
        return Err(EINVAL);
    }
    // Bound first: the directory's lock must be released before a child
    // directory's is taken below.
    let existing = nd.lock().get(&nname).cloned();
    if let Some(dst) = existing {
        if flags & RENAME_NOREPLACE != 0 {
            return Err(EEXIST);
        }
        match (src.is_dir(), &dst.kind) {
            (true, InodeKind::Dir(c)) if !c.lock().is_empty() => return Err(ENOTEMPTY),
            (true, InodeKind::Dir(_)) => {}
            (true, _) => return Err(ENOTDIR),
            (false, InodeKind::Dir(_) | InodeKind::PseudoDir(_)) => return Err(EISDIR),
            _ => {}
        }
    }
    // One directory lock at a time: the name leaves its old directory,
    // then enters the new one (replacing what was there).
    od.lock().remove(&oname);
    nd.lock().insert(nname, src);
    Ok(0)
}

/// `symlinkat(target, newdirfd, linkpath)`: a link holding `target` as
/// given (not resolved, not checked to exist, as on Linux).
pub fn sys_symlinkat(target: u64, newdirfd: i64, linkpath: u64) -> SysResult {
    let t = user_path(target)?;
    let target = String::from(core::str::from_utf8(&t).map_err(|_| EINVAL)?);
    let p = user_path(linkpath)?;
    if p.is_empty() || t.is_empty() {
        return Err(ENOENT);
    }
    let full = at_full_path(newdirfd, &p)?;
    let (parent, name) = super::ramfs::parent_of(&full)?;
    let link = Inode::new(uapi::S_IFLNK | 0o777, InodeKind::Symlink(target));
    super::ramfs::link(&parent, &name, link)?;
    Ok(0)
}
