//! Vectored and ranged I/O at a position (Linux's `fs/read_write.c`):
//! `preadv`, `pwritev`, `preadv2`, `pwritev2` and `copy_file_range`,
//! sharing the iovec reading of `readv`/`writev`; and `close_range`
//! (`fs/file.c`) and `fallocate` (`fs/open.c`).

use super::syscalls::{fget, files, iovecs, CHUNK};
use super::{File, InodeKind, NR_OPEN};
use crate::errno::*;
use crate::mm::uaccess::{self, copy_from_user, copy_to_user};
use alloc::sync::Arc;
use libkernel::uapi;

/// The file behind `fd` for positioned I/O (`FMODE_PREAD`/`FMODE_PWRITE`):
/// `ESPIPE` for pipes, terminals and other files without positions.
fn positioned_file(fd: i64) -> Result<Arc<File>, Errno> {
    let f = fget(fd)?;
    if let InodeKind::Special(ops) = &f.inode.kind {
        if !ops.seekable() {
            return Err(ESPIPE);
        }
    }
    Ok(f)
}

/// Reads into the `cnt` buffers at `iov` from `pos` on (`vfs_readv`
/// with a position): stops at the end of the file or at the first short
/// piece; a fault after some bytes returns those bytes.
fn do_preadv(f: &File, iov: u64, cnt: u64, pos: u64) -> SysResult {
    preadv_at(f, &iovecs(iov, cnt)?, pos)
}

/// [`do_preadv`] with the buffers read already (`pread64` has one).
pub(super) fn preadv_at(f: &File, vecs: &[(u64, u64)], mut pos: u64) -> SysResult {
    if !f.readable() {
        return Err(EBADF);
    }
    if f.inode.is_dir() {
        return Err(EISDIR);
    }
    let total = vecs.iter().fold(0u64, |a, v| a.saturating_add(v.1));
    let mut done = 0u64;
    let mut tmp = alloc::vec![0u8; (total as usize).min(CHUNK)];
    for &(base, len) in vecs {
        let mut off = 0;
        while off < len {
            let want = ((len - off) as usize).min(CHUNK);
            let n = match f.read_at(&mut tmp[..want], pos) {
                Ok(n) => n,
                Err(_) if done > 0 => return Ok(done as i64),
                Err(e) => return Err(e),
            };
            if let Err(e) = copy_to_user(base + off, &tmp[..n]) {
                return if done > 0 { Ok(done as i64) } else { Err(e) };
            }
            done += n as u64;
            pos += n as u64;
            off += n as u64;
            if n < want {
                return Ok(done as i64);
            }
        }
    }
    Ok(done as i64)
}

/// Writes the `cnt` buffers at `iov` at `pos` on (at the end with
/// `O_APPEND` or `append`).
fn do_pwritev(f: &File, iov: u64, cnt: u64, pos: u64, append: bool) -> SysResult {
    pwritev_at(f, &iovecs(iov, cnt)?, pos, append)
}

/// [`do_pwritev`] with the buffers read already (`pwrite64` has one).
pub(super) fn pwritev_at(f: &File, vecs: &[(u64, u64)], mut pos: u64, append: bool) -> SysResult {
    if !f.writable() {
        return Err(EBADF);
    }
    if append {
        pos = f.inode.size();
    }
    let total = vecs.iter().fold(0u64, |a, v| a.saturating_add(v.1));
    let mut done = 0u64;
    let mut tmp = alloc::vec![0u8; (total as usize).min(CHUNK)];
    for &(base, len) in vecs {
        let mut off = 0;
        while off < len {
            let want = ((len - off) as usize).min(CHUNK);
            if let Err(e) = copy_from_user(&mut tmp[..want], base + off) {
                return if done > 0 { Ok(done as i64) } else { Err(e) };
            }
            let n = match f.write_at(&tmp[..want], pos) {
                Ok(n) => n,
                Err(_) if done > 0 => return Ok(done as i64),
                Err(e) => return Err(e),
            };
            done += n as u64;
            pos += n as u64;
            off += n as u64;
            if n < want {
                return Ok(done as i64);
            }
        }
    }
    Ok(done as i64)
}

/// `preadv(fd, iov, iovcnt, pos_l, pos_h)`: `readv` at `pos` (on arm64
/// the whole offset is `pos_l`), the file position left alone; `EINVAL`
/// for a negative position.
pub fn sys_preadv(fd: i64, iov: u64, cnt: u64, pos_l: i64, _pos_h: u64) -> SysResult {
    if pos_l < 0 {
        return Err(EINVAL);
    }
    do_preadv(&*positioned_file(fd)?, iov, cnt, pos_l as u64)
}

/// `pwritev(fd, iov, iovcnt, pos_l, pos_h)`: `writev` at `pos`.
pub fn sys_pwritev(fd: i64, iov: u64, cnt: u64, pos_l: i64, _pos_h: u64) -> SysResult {
    if pos_l < 0 {
        return Err(EINVAL);
    }
    do_pwritev(&*positioned_file(fd)?, iov, cnt, pos_l as u64, false)
}

/// The `RWF_*` flags of `preadv2`/`pwritev2` (`kiocb_set_rw_flags`):
/// unknown ones are `EOPNOTSUPP`, and so is `RWF_NOWAIT`, as on Linux's
/// tmpfs (no file here has `FMODE_NOWAIT`); `RWF_HIPRI`, `RWF_DSYNC` and
/// `RWF_SYNC` mean nothing more on RAM; `RWF_APPEND` writes at the end.
fn rw_flags(flags: u32) -> Result<bool, Errno> {
    if flags & !uapi::RWF_SUPPORTED != 0 || flags & uapi::RWF_NOWAIT != 0 {
        return Err(EOPNOTSUPP);
    }
    Ok(flags & uapi::RWF_APPEND != 0)
}

/// `preadv2(fd, iov, iovcnt, pos_l, pos_h, flags)`: `preadv`, or `readv`
/// at the file position when `pos` is -1, with `RWF_*` flags.
pub fn sys_preadv2(fd: i64, iov: u64, cnt: u64, pos_l: i64, _pos_h: u64, flags: u32) -> SysResult {
    if pos_l == -1 {
        fget(fd)?;
        rw_flags(flags)?;
        return super::syscalls::sys_readv(fd, iov, cnt);
    }
    if pos_l < 0 {
        return Err(EINVAL);
    }
    let f = positioned_file(fd)?;
    rw_flags(flags)?;
    do_preadv(&f, iov, cnt, pos_l as u64)
}

/// `pwritev2(fd, iov, iovcnt, pos_l, pos_h, flags)`: `pwritev`, or
/// `writev` at the file position when `pos` is -1, with `RWF_*` flags.
pub fn sys_pwritev2(fd: i64, iov: u64, cnt: u64, pos_l: i64, _pos_h: u64, flags: u32) -> SysResult {
    if pos_l == -1 {
        let f = fget(fd)?;
        if rw_flags(flags)? {
            // At the end, and the file position moves past what was
            // written, as with `O_APPEND`.
            let n = do_pwritev(&f, iov, cnt, 0, true)?;
            if let InodeKind::File(_) = f.inode.kind {
                *f.pos.lock() = f.inode.size();
            }
            return Ok(n);
        }
        return super::syscalls::sys_writev(fd, iov, cnt);
    }
    if pos_l < 0 {
        return Err(EINVAL);
    }
    let f = positioned_file(fd)?;
    let append = rw_flags(flags)?;
    do_pwritev(&f, iov, cnt, pos_l as u64, append)
}

/// The super block a file is on, for `copy_file_range`'s `EXDEV`: its
/// mount's, or none for an internal file (a memfd, a pipe).
fn file_sb(f: &File) -> *const super::namespace::SuperBlock {
    f.mnt
        .as_ref()
        .map_or(core::ptr::null(), |m| Arc::as_ptr(&m.sb))
}

/// `copy_file_range(fd_in, off_in, fd_out, off_out, len, flags)`: copies
/// between two regular files in the kernel (Linux 6.1's
/// `vfs_copy_file_range` with `generic_copy_file_checks`): `flags` must
/// be 0 (`EINVAL`), the input open for reading and the output for
/// writing, not `O_APPEND` (`EBADF`); both regular files (`EISDIR` for a
/// directory, `EINVAL` otherwise), on the same file system (`EXDEV`: no
/// file system here copies across); overlapping ranges of one file are
/// `EINVAL`. A NULL offset means the file position, which moves; a given
/// one is read and updated instead. Returns the bytes copied (fewer at
/// the end of the input).
pub fn sys_copy_file_range(
    fd_in: i64,
    off_in: u64,
    fd_out: i64,
    off_out: u64,
    len: u64,
    flags: u32,
) -> SysResult {
    if flags != 0 {
        return Err(EINVAL);
    }
    let fin = fget(fd_in)?;
    let fout = fget(fd_out)?;
    let get_pos = |f: &File, p: u64| -> Result<u64, Errno> {
        if p == 0 {
            return Ok(*f.pos.lock());
        }
        let v = uaccess::get_user_u64(p)? as i64;
        u64::try_from(v).map_err(|_| EINVAL)
    };
    let pos_in = get_pos(&fin, off_in)?;
    let pos_out = get_pos(&fout, off_out)?;
    if fin.inode.is_dir() || fout.inode.is_dir() {
        return Err(EISDIR);
    }
    if !matches!(fin.inode.kind, InodeKind::File(_))
        || !matches!(fout.inode.kind, InodeKind::File(_))
    {
        return Err(EINVAL);
    }
    if !fin.readable() || !fout.writable() || fout.flags() & uapi::O_APPEND != 0 {
        return Err(EBADF);
    }
    if file_sb(&fin) != file_sb(&fout) {
        return Err(EXDEV);
    }
    // Linux moves at most MAX_RW_COUNT per call.
    let len = len.min(0x7fff_f000);
    if pos_in.checked_add(len).is_none_or(|e| e > i64::MAX as u64)
        || pos_out.checked_add(len).is_none_or(|e| e > i64::MAX as u64)
    {
        return Err(EOVERFLOW);
    }
    if Arc::ptr_eq(&fin.inode, &fout.inode) && pos_in < pos_out + len && pos_out < pos_in + len {
        return Err(EINVAL);
    }
    let mut done = 0u64;
    let mut tmp = alloc::vec![0u8; (len as usize).min(CHUNK)];
    while done < len {
        let want = ((len - done) as usize).min(CHUNK);
        let n = fin.read_at(&mut tmp[..want], pos_in + done)?;
        if n == 0 {
            break;
        }
        let w = match fout.write_at(&tmp[..n], pos_out + done) {
            Ok(w) => w,
            Err(_) if done > 0 => break,
            Err(e) => return Err(e),
        };
        done += w as u64;
        if w < n {
            break;
        }
    }
    for (f, p, at) in [(&fin, off_in, pos_in), (&fout, off_out, pos_out)] {
        if p == 0 {
            *f.pos.lock() = at + done;
        } else {
            uaccess::put_user_u64(p, at + done)?;
        }
    }
    Ok(done as i64)
}

/// `close_range(fd, max_fd, flags)`: closes (or with
/// `CLOSE_RANGE_CLOEXEC` marks close-on-exec) every open descriptor from
/// `fd` to `max_fd`; `EINVAL` for unknown flags or `fd > max_fd`. With
/// `CLOSE_RANGE_UNSHARE` a table shared with other tasks (`CLONE_FILES`)
/// is copied first, so only the caller's own copy changes (`unshare_fd`);
/// a table used by the caller alone is already its own.
pub fn sys_close_range(fd: u32, max_fd: u32, flags: u32) -> SysResult {
    if flags & !(uapi::CLOSE_RANGE_UNSHARE | uapi::CLOSE_RANGE_CLOEXEC) != 0 || fd > max_fd {
        return Err(EINVAL);
    }
    let mut table = files()?;
    if flags & uapi::CLOSE_RANGE_UNSHARE != 0 && Arc::strong_count(&table) > 2 {
        // Two references are the task's and ours: more means sharers.
        if crate::fault_inject::should_fail_alloc(core::mem::size_of::<super::FdTable>()) {
            return Err(ENOMEM);
        }
        let copy = table.lock().clone();
        let new = Arc::new(crate::sync::IrqSpinLock::new(copy));
        let me = crate::task::current();
        *me.files.lock() = Some(new.clone());
        table = new;
    }
    let last = (max_fd as usize).min(NR_OPEN - 1);
    let mut t = table.lock();
    for i in (fd as usize)..(last + 1) {
        if flags & uapi::CLOSE_RANGE_CLOEXEC != 0 {
            let _ = t.set_cloexec(i as i64, true);
        } else {
            let _ = t.close(i as i64);
        }
    }
    drop(t);
    Ok(0)
}

/// `fallocate(fd, mode, offset, len)` (`vfs_fallocate`, then
/// `shmem_fallocate`): on a RAM file, mode 0 makes the pages of the range
/// and extends the size to its end, `FALLOC_FL_KEEP_SIZE` makes them
/// without changing the size, `FALLOC_FL_PUNCH_HOLE | KEEP_SIZE` frees
/// them (the range reads as zeros). Linux's argument checks in Linux's
/// order; other modes are `EOPNOTSUPP` as on tmpfs; `ENOSPC` when pages
/// run out (the pages made before stay, inside the file or past its end,
/// until it is truncated or freed), `EFBIG` past the largest file.
pub fn sys_fallocate(fd: i64, mode: u32, offset: i64, len: i64) -> SysResult {
    use uapi::{FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_INSERT_RANGE, FALLOC_FL_KEEP_SIZE};
    use uapi::{FALLOC_FL_PUNCH_HOLE, FALLOC_FL_UNSHARE_RANGE, FALLOC_FL_ZERO_RANGE};
    let f = fget(fd)?;
    if offset < 0 || len <= 0 {
        return Err(EINVAL);
    }
    if mode & !uapi::FALLOC_FL_SUPPORTED_MASK != 0
        || mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)
            == FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE
        || (mode & FALLOC_FL_PUNCH_HOLE != 0 && mode & FALLOC_FL_KEEP_SIZE == 0)
    {
        return Err(EOPNOTSUPP);
    }
    if (mode & FALLOC_FL_COLLAPSE_RANGE != 0 && mode != FALLOC_FL_COLLAPSE_RANGE)
        || (mode & FALLOC_FL_INSERT_RANGE != 0 && mode != FALLOC_FL_INSERT_RANGE)
        || (mode & FALLOC_FL_UNSHARE_RANGE != 0
            && mode & !(FALLOC_FL_UNSHARE_RANGE | FALLOC_FL_KEEP_SIZE) != 0)
    {
        return Err(EINVAL);
    }
    if !f.writable() {
        return Err(EBADF);
    }
    if f.flags() & uapi::O_APPEND != 0 && mode & !FALLOC_FL_KEEP_SIZE != 0 {
        return Err(EPERM);
    }
    let data = match &f.inode.kind {
        InodeKind::File(d) => d,
        InodeKind::Dir(_) | InodeKind::PseudoDir(_) => return Err(EISDIR),
        _ if f.inode.mode() & uapi::S_IFMT == uapi::S_IFIFO => return Err(ESPIPE),
        _ => return Err(ENODEV),
    };
    let end = (offset as u64)
        .checked_add(len as u64)
        .ok_or(Errno(uapi::EFBIG))?;
    if end > super::ramfs::MAX_FILE_SIZE as u64 {
        return Err(Errno(uapi::EFBIG));
    }
    if mode & !(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE) != 0 {
        return Err(EOPNOTSUPP);
    }
    let mut d = data.lock();
    let r = if mode & FALLOC_FL_PUNCH_HOLE != 0 {
        d.punch_hole(offset as u64, end);
        Ok(())
    } else {
        d.fallocate(offset as u64, end, mode & FALLOC_FL_KEEP_SIZE != 0)
    };
    drop(d);
    r.map_err(|_| ENOSPC)?;
    f.inode.touch_mtime();
    Ok(0)
}
