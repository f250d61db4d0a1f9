//! The file system calls: descriptors, reading and writing, paths, `stat`,
//! directories. User buffers go through `mm::uaccess`, and every length a
//! user passes is bounded before the kernel allocates for it.

use super::namespace::Mount;
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

pub(super) fn cwd() -> String {
    let me = task::current();
    let cwd = me.cwd.lock().clone();
    cwd
}

pub(super) fn user_path(p: u64) -> Result<Vec<u8>, Errno> {
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
    let mut done = 0usize;
    loop {
        let want = (count - done).min(CHUNK);
        let n = match f.read(&mut tmp[..want]) {
            Ok(n) => n,
            Err(_) if done > 0 => break,
            Err(e) => return Err(e),
        };
        if let Err(e) = copy_to_user(buf + done as u64, &tmp[..n]) {
            return if done > 0 { Ok(done as i64) } else { Err(e) };
        }
        done += n;
        // A file or a device that never waits gives the whole count, as
        // Linux's read does (`dd bs=1M` reads 1 MiB); a pipe or a terminal
        // returns what it had, never waiting for more.
        if n < want || done == count || !never_waits(&f) {
            break;
        }
    }
    Ok(done as i64)
}

/// Whether reading `f` can never sleep: a regular file, or a device that
/// says so (`/dev/zero`, `/dev/urandom`).
fn never_waits(f: &File) -> bool {
    match &f.inode.kind {
        InodeKind::File(_) => true,
        InodeKind::Special(ops) => ops.read_never_waits(),
        _ => false,
    }
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
    let f = super::open(&base, &p, flags, mode & uapi::S_IALLUGO & !current_umask())?;
    let fd = files()?.lock().install(f, flags & uapi::O_CLOEXEC != 0)?;
    Ok(fd as i64)
}

/// `close(fd)`.
pub fn sys_close(fd: i64) -> SysResult {
    let files = files()?;
    let f = files.lock().take(fd)?;
    // Dropped here, the table's lock released: a last close may sleep.
    drop(f);
    Ok(0)
}

/// `lseek(fd, offset, whence)`.
pub fn sys_lseek(fd: i64, off: i64, whence: u32) -> SysResult {
    Ok(fget(fd)?.lseek(off, whence)? as i64)
}

/// The `st_dev` of files in mount `mnt` (pipes: none).
fn st_dev(mnt: Option<&Arc<Mount>>) -> u64 {
    mnt.map_or(0, |m| m.sb.dev)
}

fn put_stat(inode: &Inode, mnt: Option<&Arc<Mount>>, buf: u64) -> SysResult {
    copy_to_user(buf, &inode.stat(st_dev(mnt)).to_bytes())?;
    Ok(0)
}

/// What a `*at` call with `flags` names: the file `dirfd` is open on
/// (`AT_EMPTY_PATH` with an empty path), or `path` relative to `dirfd`,
/// the last link followed unless `AT_SYMLINK_NOFOLLOW`.
fn at_lookup(dirfd: i64, p: &[u8], flags: u32) -> Result<(Arc<Inode>, Option<Arc<Mount>>), Errno> {
    if p.is_empty() && flags & uapi::AT_EMPTY_PATH != 0 {
        let f = if dirfd == uapi::AT_FDCWD as i64 {
            let w = super::kern_path(&cwd(), b".", true)?;
            return Ok((w.inode, Some(w.mnt)));
        } else {
            fget(dirfd)?
        };
        return Ok((f.inode.clone(), f.mnt.clone()));
    }
    let base = at_base(dirfd, p)?;
    let w = super::kern_path(&base, p, flags & uapi::AT_SYMLINK_NOFOLLOW == 0)?;
    Ok((w.inode, Some(w.mnt)))
}

/// `newfstatat(dirfd, path, statbuf, flags)`.
pub fn sys_newfstatat(dirfd: i64, path: u64, buf: u64, flags: u32) -> SysResult {
    if flags & !(uapi::AT_SYMLINK_NOFOLLOW | uapi::AT_NO_AUTOMOUNT | uapi::AT_EMPTY_PATH) != 0 {
        return Err(EINVAL);
    }
    let p = user_path(path)?;
    let (inode, mnt) = at_lookup(dirfd, &p, flags)?;
    put_stat(&inode, mnt.as_ref(), buf)
}

/// `fstat(fd, statbuf)`.
pub fn sys_fstat(fd: i64, buf: u64) -> SysResult {
    let f = fget(fd)?;
    put_stat(&f.inode, f.mnt.as_ref(), buf)
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

/// `fchdir(fd)`: the working directory becomes the directory `fd` was
/// opened at (`fs/open.c`: `set_fs_pwd` to the file's `f_path`).
pub fn sys_fchdir(fd: i64) -> SysResult {
    let f = fget(fd)?;
    if !f.inode.is_dir() {
        return Err(ENOTDIR);
    }
    let path = f.path.lock().clone();
    if path.is_empty() {
        return Err(ENOTDIR);
    }
    *task::current().cwd.lock() = path;
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
    if flags & !uapi::AT_REMOVEDIR != 0 {
        return Err(EINVAL);
    }
    let p = user_path(path)?;
    let base = at_base(dirfd, &p)?;
    let text = core::str::from_utf8(&p).map_err(|_| ENOENT)?;
    let full = if text.starts_with('/') {
        String::from(text)
    } else {
        alloc::format!("{}/{}", base.trim_end_matches('/'), text)
    };
    let (parent, name) = super::ramfs::parent_of(&full).map_err(|_| EINVAL)?;
    let rmdir = flags & uapi::AT_REMOVEDIR != 0;
    if let Some(op) = parent.i_op.get() {
        // On a disk, the volume decides first (an open directory, a
        // non-empty one), then the name leaves the tree below.
        let child = parent.lookup(&name)?;
        if child.is_mountpoint() {
            return Err(EBUSY);
        }
        match (child.is_dir(), rmdir) {
            (true, false) => return Err(EISDIR),
            (false, true) => return Err(ENOTDIR),
            _ => {}
        }
        op.remove(&parent, &name, rmdir)?;
    }
    let InodeKind::Dir(d) = &parent.kind else {
        return Err(EACCES);
    };
    let mut d = d.lock();
    let inode = d.get(&name).cloned().ok_or(ENOENT)?;
    if inode.is_mountpoint() {
        return Err(EBUSY);
    }
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
    drop(d);
    inode.drop_nlink();
    inode.touch_ctime();
    parent.touch_mtime();
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

/// The mount the directory holding absolute `path`'s last component is in.
fn parent_mount(path: &str) -> Result<Arc<Mount>, Errno> {
    let dir = path
        .trim_end_matches('/')
        .rsplit_once('/')
        .map_or("", |(d, _)| d);
    let dir = if dir.is_empty() { "/" } else { dir };
    Ok(super::kern_path("/", dir.as_bytes(), true)?.mnt)
}

/// `mkdirat(dirfd, path, mode)`.
pub fn sys_mkdirat(dirfd: i64, path: u64, mode: u32) -> SysResult {
    let p = user_path(path)?;
    let full = at_full_path(dirfd, &p)?;
    let (parent, name) = super::ramfs::parent_of(&full)?;
    let mode = mode & (0o777 | uapi::S_ISVTX) & !current_umask();
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
    if mode & uapi::X_OK != 0 && !inode.is_dir() && inode.mode() & 0o111 == 0 {
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
    op.fill()?;
    np.fill()?;
    let src = od.lock().get(&oname).cloned().ok_or(ENOENT)?;
    if Arc::ptr_eq(&op, &np) && oname == nname {
        return Ok(0);
    }
    if !Arc::ptr_eq(&parent_mount(&old)?.sb, &parent_mount(&new)?.sb) {
        return Err(EXDEV);
    }
    if src.is_mountpoint() {
        return Err(EBUSY);
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
    if let Some(dst) = &existing {
        if flags & RENAME_NOREPLACE != 0 {
            return Err(EEXIST);
        }
        if dst.is_mountpoint() {
            return Err(EBUSY);
        }
        if Arc::ptr_eq(dst, &src) {
            // Two names of one file: nothing happens (POSIX).
            return Ok(0);
        }
        match (src.is_dir(), &dst.kind) {
            (true, InodeKind::Dir(c)) if !c.lock().is_empty() => return Err(ENOTEMPTY),
            (true, InodeKind::Dir(_)) => {}
            (true, _) => return Err(ENOTDIR),
            (false, InodeKind::Dir(_) | InodeKind::PseudoDir(_)) => return Err(EISDIR),
            _ => {}
        }
    }
    if let Some(o) = op.i_op.get() {
        // Same mount, so the new directory is on the same volume.
        o.rename(&np, &oname, &nname, flags & RENAME_NOREPLACE != 0)?;
    }
    // One directory lock at a time: the name leaves its old directory,
    // then enters the new one (replacing what was there).
    od.lock().remove(&oname);
    nd.lock().insert(nname, src.clone());
    if let Some(dst) = existing {
        dst.drop_nlink();
        dst.touch_ctime();
    }
    src.touch_ctime();
    op.touch_mtime();
    np.touch_mtime();
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

/// The caller's file-creation mask.
fn current_umask() -> u32 {
    task::current()
        .umask
        .load(core::sync::atomic::Ordering::Relaxed)
}

/// `umask(mask)`: sets the file-creation mask, returns the old one.
pub fn sys_umask(mask: u32) -> SysResult {
    let old = task::current()
        .umask
        .swap(mask & 0o777, core::sync::atomic::Ordering::Relaxed);
    Ok(i64::from(old))
}

/// `linkat(olddirfd, oldpath, newdirfd, newpath, flags)`: a second name
/// for a file (`AT_SYMLINK_FOLLOW`: for what a link names; `AT_EMPTY_PATH`:
/// for the file `olddirfd` is open on). Not for directories (`EPERM`),
/// nor across mounts (`EXDEV`).
pub fn sys_linkat(olddfd: i64, oldname: u64, newdfd: i64, newname: u64, flags: u32) -> SysResult {
    if flags & !(uapi::AT_SYMLINK_FOLLOW | uapi::AT_EMPTY_PATH) != 0 {
        return Err(EINVAL);
    }
    let o = user_path(oldname)?;
    let follow = if flags & uapi::AT_SYMLINK_FOLLOW != 0 {
        0
    } else {
        uapi::AT_SYMLINK_NOFOLLOW
    };
    if o.is_empty() && flags & uapi::AT_EMPTY_PATH == 0 {
        return Err(ENOENT);
    }
    let (inode, omnt) = at_lookup(olddfd, &o, follow | (flags & uapi::AT_EMPTY_PATH))?;
    let n = user_path(newname)?;
    if n.is_empty() {
        return Err(ENOENT);
    }
    let full = at_full_path(newdfd, &n)?;
    let (parent, name) = super::ramfs::parent_of(&full)?;
    let nmnt = parent_mount(&full)?;
    if parent.lookup(&name).is_ok() {
        return Err(EEXIST);
    }
    if !omnt.is_some_and(|m| Arc::ptr_eq(&m.sb, &nmnt.sb)) {
        return Err(EXDEV);
    }
    if inode.is_dir() {
        return Err(EPERM);
    }
    super::ramfs::link(&parent, &name, inode.clone())?;
    inode.touch_ctime();
    Ok(0)
}

/// `fchmodat(dirfd, path, mode)`: new permission bits (`S_IALLUGO`).
pub fn sys_fchmodat(dirfd: i64, path: u64, mode: u32) -> SysResult {
    let p = user_path(path)?;
    let (inode, _) = at_lookup(dirfd, &p, 0)?;
    inode.set_perm(mode);
    Ok(0)
}

/// `fchmod(fd, mode)`.
pub fn sys_fchmod(fd: i64, mode: u32) -> SysResult {
    fget(fd)?.inode.set_perm(mode);
    Ok(0)
}

/// An id as `chown` takes it: -1 leaves it.
fn chown_id(id: u32) -> Option<u32> {
    (id != u32::MAX).then_some(id)
}

/// `fchownat(dirfd, path, owner, group, flags)`: new owner and group
/// (-1 keeps one); `AT_SYMLINK_NOFOLLOW` changes a link itself.
pub fn sys_fchownat(dirfd: i64, path: u64, uid: u32, gid: u32, flags: u32) -> SysResult {
    if flags & !(uapi::AT_SYMLINK_NOFOLLOW | uapi::AT_EMPTY_PATH) != 0 {
        return Err(EINVAL);
    }
    let p = user_path(path)?;
    let (inode, _) = at_lookup(dirfd, &p, flags)?;
    inode.set_owner(chown_id(uid), chown_id(gid));
    Ok(0)
}

/// `fchown(fd, owner, group)`.
pub fn sys_fchown(fd: i64, uid: u32, gid: u32) -> SysResult {
    fget(fd)?.inode.set_owner(chown_id(uid), chown_id(gid));
    Ok(0)
}

/// `utimensat(dirfd, path, times, flags)`: sets the access and
/// modification times to `times[0]` and `times[1]` (NULL: both now;
/// `UTIME_NOW`, `UTIME_OMIT` per time). A NULL `path` means the file
/// `dirfd` is open on, as `futimens` uses it.
pub fn sys_utimensat(dirfd: i64, path: u64, times: u64, flags: u32) -> SysResult {
    let now = super::current_time();
    let (atime, mtime) = if times != 0 {
        let mut b = [0u8; 32];
        copy_from_user(&mut b, times)?;
        let t = |o: usize| uapi::Timespec::from_bytes(b[o..o + 16].try_into().unwrap_or(&[0; 16]));
        let (a, m) = (t(0), t(16));
        // Nothing to do: not even the path is looked at.
        if a.tv_nsec == uapi::UTIME_OMIT && m.tv_nsec == uapi::UTIME_OMIT {
            return Ok(0);
        }
        let pick = |ts: uapi::Timespec| match ts.tv_nsec {
            uapi::UTIME_OMIT => Ok(None),
            uapi::UTIME_NOW => Ok(Some(now)),
            0..=999_999_999 => Ok(Some(ts)),
            _ => Err(EINVAL),
        };
        (pick(a)?, pick(m)?)
    } else {
        (Some(now), Some(now))
    };
    if flags & !(uapi::AT_SYMLINK_NOFOLLOW | uapi::AT_EMPTY_PATH) != 0 {
        return Err(EINVAL);
    }
    let inode = if path == 0 && dirfd != uapi::AT_FDCWD as i64 {
        if flags != 0 {
            return Err(EINVAL);
        }
        fget(dirfd)?.inode.clone()
    } else {
        let p = user_path(path)?;
        at_lookup(dirfd, &p, flags)?.0
    };
    inode.set_times(atime, mtime);
    Ok(0)
}

/// Sets a ramfs file's size to `len` (`do_truncate`): cut, or grown with
/// zeros within the limits a `write` has.
fn do_truncate(inode: &Inode, len: i64) -> Result<(), Errno> {
    let InodeKind::File(d) = &inode.kind else {
        return Err(EINVAL);
    };
    let len = usize::try_from(len).map_err(|_| EINVAL)?;
    if len > super::ramfs::MAX_FILE_SIZE {
        return Err(Errno(uapi::EFBIG));
    }
    if let Some(op) = inode.i_op.get() {
        inode.fill()?;
        op.write_begin(inode, len as u64)?;
    }
    let mut d = d.lock();
    // Growing makes a hole, which takes no pages until written (tmpfs).
    d.truncate(len as u64);
    drop(d);
    inode.touch_mtime();
    inode.mark_dirty();
    Ok(())
}

/// `truncate(path, length)`.
pub fn sys_truncate(path: u64, length: i64) -> SysResult {
    if length < 0 {
        return Err(EINVAL);
    }
    let p = user_path(path)?;
    let inode = lookup_path(&cwd(), &p)?;
    if inode.is_dir() {
        return Err(EISDIR);
    }
    do_truncate(&inode, length)?;
    Ok(0)
}

/// `ftruncate(fd, length)`: the file must be open for writing.
pub fn sys_ftruncate(fd: i64, length: i64) -> SysResult {
    if length < 0 {
        return Err(EINVAL);
    }
    let f = fget(fd)?;
    if f.flags() & uapi::O_ACCMODE == uapi::O_RDONLY {
        return Err(EINVAL);
    }
    do_truncate(&f.inode, length)?;
    Ok(0)
}

/// The file behind `fd` for `pread64`/`pwrite64`: `EINVAL` for a negative
/// position, `ESPIPE` if the file has no positions (pipes, terminals).
fn positional(fd: i64, pos: i64) -> Result<Arc<File>, Errno> {
    if pos < 0 {
        return Err(EINVAL);
    }
    let f = fget(fd)?;
    if let InodeKind::Special(ops) = &f.inode.kind {
        if !ops.seekable() {
            return Err(ESPIPE);
        }
    }
    Ok(f)
}

/// `pread64(fd, buf, count, pos)`: reads at `pos`; the file position
/// stays.
pub fn sys_pread64(fd: i64, buf: u64, count: u64, pos: i64) -> SysResult {
    let f = positional(fd, pos)?;
    let count = count.min(CHUNK as u64) as usize;
    uaccess::access_user(buf, count, Access::Write, |_, _| false)?;
    let mut tmp = alloc::vec![0u8; count];
    let n = f.read_at(&mut tmp, pos as u64)?;
    copy_to_user(buf, &tmp[..n])?;
    Ok(n as i64)
}

/// `pwrite64(fd, buf, count, pos)`: writes at `pos` (at the end with
/// `O_APPEND`, as Linux does); the file position stays.
pub fn sys_pwrite64(fd: i64, buf: u64, count: u64, pos: i64) -> SysResult {
    let f = positional(fd, pos)?;
    let count = count.min(CHUNK as u64) as usize;
    let mut tmp = alloc::vec![0u8; count];
    copy_from_user(&mut tmp, buf)?;
    Ok(f.write_at(&tmp, pos as u64)? as i64)
}

/// `sync()` (`ksys_sync`): every disk file system writes back its dirty
/// files and metadata, then every disk its dirty buffers. Never fails, as
/// on Linux.
pub fn sys_sync() -> SysResult {
    let _ = super::namespace::sync_filesystems(None);
    let _ = crate::block::sync_all();
    Ok(0)
}

/// `syncfs(fd)`: as `sync`, for the file system `fd` is on, the
/// write-back error reported.
pub fn sys_syncfs(fd: i64) -> SysResult {
    let f = fget(fd)?;
    let r = match &f.mnt {
        Some(m) => super::namespace::sync_filesystems(Some(&m.sb)),
        None => Ok(()),
    };
    crate::block::sync_all()?;
    r?;
    Ok(0)
}

/// `fsync(fd)`: `EINVAL` for files that cannot be synced (pipes,
/// terminals, `/proc`), as Linux says when `f_op->fsync` is missing.
pub fn sys_fsync(fd: i64) -> SysResult {
    let f = fget(fd)?;
    if let Some(op) = f.inode.i_op.get() {
        op.fsync(&f.inode)?;
        return Ok(0);
    }
    if f.inode.mode() & uapi::S_IFMT == uapi::S_IFBLK {
        crate::block::fops::blkdev_fsync(f.inode.rdev)?;
        return Ok(0);
    }
    match &f.inode.kind {
        InodeKind::File(_) | InodeKind::Dir(_) => Ok(0),
        InodeKind::Special(ops) if ops.fsync() => Ok(0),
        _ => Err(EINVAL),
    }
}

/// `fdatasync(fd)`: as `fsync`.
pub fn sys_fdatasync(fd: i64) -> SysResult {
    sys_fsync(fd)
}

/// A device special file for `mknod`: the kernel's device for the
/// number, or one whose every use fails `ENXIO` (no such device).
struct NoDevice;

impl super::FileOps for NoDevice {
    fn read(&self, _: &Inode, _: u64, _: &mut [u8]) -> Result<usize, Errno> {
        Err(ENXIO)
    }
    fn write(&self, _: &Inode, _: u64, _: &[u8]) -> Result<usize, Errno> {
        Err(ENXIO)
    }
    fn open(&self, _: &Inode, _: u32) -> Result<Option<Arc<File>>, Errno> {
        Err(ENXIO)
    }
}

/// `mknodat(dirfd, path, mode, dev)`: a regular file, a named pipe, a
/// character or block device or a socket node (`EPERM` for a directory,
/// `EINVAL` for an unknown type); the `umask` applies.
pub fn sys_mknodat(dirfd: i64, path: u64, mode: u32, dev: u32) -> SysResult {
    let kind = mode & uapi::S_IFMT;
    match kind {
        0 | uapi::S_IFREG | uapi::S_IFCHR | uapi::S_IFBLK | uapi::S_IFIFO | uapi::S_IFSOCK => {}
        uapi::S_IFDIR => return Err(EPERM),
        _ => return Err(EINVAL),
    }
    let p = user_path(path)?;
    let full = at_full_path(dirfd, &p)?;
    let (parent, name) = super::ramfs::parent_of(&full)?;
    let perm = mode & uapi::S_IALLUGO & !current_umask();
    // `dev` is the old 32-bit encoding (`new_decode_dev`).
    let rdev = uapi::makedev((dev & 0xfff00) >> 8, (dev & 0xff) | ((dev >> 12) & 0xfff00));
    let inode = match kind {
        0 | uapi::S_IFREG => super::ramfs::new_file(perm, &[])?,
        uapi::S_IFIFO => Inode::new(
            uapi::S_IFIFO | perm,
            InodeKind::Special(Arc::new(super::pipe::Fifo::new())),
        ),
        uapi::S_IFCHR => super::devfs::chrdev_node(rdev, perm).unwrap_or_else(|| {
            Inode::new_dev(
                uapi::S_IFCHR | perm,
                rdev,
                InodeKind::Special(Arc::new(NoDevice)),
            )
        }),
        uapi::S_IFBLK => super::devfs::blkdev_node(rdev, perm),
        _ => Inode::new_dev(kind | perm, rdev, InodeKind::Special(Arc::new(NoDevice))),
    };
    super::ramfs::link(&parent, &name, inode)?;
    Ok(0)
}

/// `statx(dirfd, path, flags, mask, buf)`: `stat` with a mask of the
/// fields filled (all of the basic ones and the mount id, whatever was
/// asked, as Linux may).
pub fn sys_statx(dirfd: i64, path: u64, flags: u32, mask: u32, buf: u64) -> SysResult {
    let known = uapi::AT_SYMLINK_NOFOLLOW
        | uapi::AT_NO_AUTOMOUNT
        | uapi::AT_EMPTY_PATH
        | uapi::AT_STATX_SYNC_TYPE;
    if flags & !known != 0
        || flags & uapi::AT_STATX_SYNC_TYPE == uapi::AT_STATX_SYNC_TYPE
        || mask & uapi::STATX__RESERVED != 0
    {
        return Err(EINVAL);
    }
    let p = user_path(path)?;
    let (inode, mnt) = at_lookup(dirfd, &p, flags)?;
    let st = inode.stat(st_dev(mnt.as_ref()));
    let mount_root = mnt
        .as_ref()
        .is_some_and(|m| Arc::ptr_eq(&m.sb.root, &inode));
    let x = uapi::Statx {
        stx_mask: uapi::STATX_BASIC_STATS | uapi::STATX_MNT_ID,
        stx_blksize: st.st_blksize as u32,
        stx_attributes: if mount_root {
            uapi::STATX_ATTR_MOUNT_ROOT
        } else {
            0
        },
        stx_nlink: st.st_nlink,
        stx_uid: st.st_uid,
        stx_gid: st.st_gid,
        stx_mode: st.st_mode as u16,
        stx_ino: st.st_ino,
        stx_size: st.st_size as u64,
        stx_blocks: st.st_blocks as u64,
        stx_attributes_mask: uapi::STATX_ATTR_MOUNT_ROOT,
        stx_atime: (st.st_atime, st.st_atime_nsec as u32),
        stx_btime: (0, 0),
        stx_ctime: (st.st_ctime, st.st_ctime_nsec as u32),
        stx_mtime: (st.st_mtime, st.st_mtime_nsec as u32),
        stx_rdev_major: uapi::dev_major(st.st_rdev),
        stx_rdev_minor: uapi::dev_minor(st.st_rdev),
        stx_dev_major: uapi::dev_major(st.st_dev),
        stx_dev_minor: uapi::dev_minor(st.st_dev),
        stx_mnt_id: mnt.map_or(0, |m| u64::from(m.id)),
    };
    copy_to_user(buf, &x.to_bytes())?;
    Ok(0)
}

/// `statfs(path, buf)`: the file system `path` is on.
pub fn sys_statfs(path: u64, buf: u64) -> SysResult {
    let p = user_path(path)?;
    let w = super::kern_path(&cwd(), &p, true)?;
    copy_to_user(buf, &super::namespace::statfs(&w.mnt).to_bytes())?;
    Ok(0)
}

/// `fstatfs(fd, buf)`: the file system `fd`'s file is on (pipes: pipefs,
/// which reports no blocks).
pub fn sys_fstatfs(fd: i64, buf: u64) -> SysResult {
    let f = fget(fd)?;
    let st = match &f.mnt {
        Some(m) => super::namespace::statfs(m),
        None => uapi::Statfs {
            f_type: uapi::PIPEFS_MAGIC,
            f_bsize: crate::mm::PAGE_SIZE as u64,
            f_namelen: uapi::NAME_MAX as u64,
            f_frsize: crate::mm::PAGE_SIZE as u64,
            f_flags: uapi::ST_VALID,
            ..Default::default()
        },
    };
    copy_to_user(buf, &st.to_bytes())?;
    Ok(0)
}

/// `sendfile(out_fd, in_fd, offset, count)`: copies from a file to any
/// writable descriptor in the kernel. With `offset` (a pointer to a
/// position) it reads from there and updates it, leaving `in_fd`'s
/// position alone. The input must be a regular file (`EINVAL`), the output
/// not `O_APPEND` (`EINVAL`).
pub fn sys_sendfile(out_fd: i64, in_fd: i64, offset: u64, count: u64) -> SysResult {
    let input = fget(in_fd)?;
    let output = fget(out_fd)?;
    if !input.readable() || !output.writable() {
        return Err(EBADF);
    }
    if !matches!(input.inode.kind, InodeKind::File(_)) || output.flags() & uapi::O_APPEND != 0 {
        return Err(EINVAL);
    }
    let mut pos = if offset != 0 {
        let p = uaccess::get_user_u64(offset)? as i64;
        if p < 0 {
            return Err(EINVAL);
        }
        Some(p as u64)
    } else {
        None
    };
    // Linux moves at most MAX_RW_COUNT per call.
    let count = count.min(0x7fff_f000) as usize;
    let mut done = 0;
    let mut tmp = alloc::vec![0u8; count.min(CHUNK)];
    while done < count {
        let want = (count - done).min(CHUNK);
        let n = match pos {
            Some(p) => input.read_at(&mut tmp[..want], p)?,
            None => input.read(&mut tmp[..want])?,
        };
        if n == 0 {
            break;
        }
        let w = match output.write(&tmp[..n]) {
            Ok(w) => w,
            Err(_) if done > 0 => break,
            Err(e) => return Err(e),
        };
        done += w;
        if let Some(p) = pos.as_mut() {
            *p += w as u64;
        } else if w < n {
            // What was read and not written goes back.
            let _ = input.lseek(-((n - w) as i64), uapi::SEEK_CUR);
        }
        if w < n {
            break;
        }
    }
    if let Some(p) = pos {
        uaccess::put_user_u64(offset, p)?;
    }
    Ok(done as i64)
}
