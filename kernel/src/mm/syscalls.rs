//! Memory system calls (Linux's `mm/mmap.c`, `mm/mremap.c`, `mm/madvise.c`,
//! `mm/msync.c`, `mm/mincore.c`): `brk`, `mmap` of anonymous memory and
//! files, `munmap`, `mprotect`, on the current task's address space.

use crate::errno::SysResult;
use crate::errno::*;
use crate::fs::InodeKind;
use crate::mm::vm::{MmStruct, PROT_EXEC, PROT_READ, PROT_WRITE};
use crate::task;
use alloc::sync::Arc;
use libkernel::uapi;

fn mm() -> Result<Arc<MmStruct>, Errno> {
    let me = task::current();
    let mm = me.mm.lock().clone();
    mm.ok_or(ENOMEM)
}

/// `brk(addr)`: returns the new break, or the old one if it cannot move.
pub fn sys_brk(addr: u64) -> SysResult {
    Ok(mm()?.brk(addr) as i64)
}

/// Flags `MAP_SHARED_VALIDATE` knows (Linux's `LEGACY_MAP_MASK`): any
/// other is `EOPNOTSUPP` there, and ignored with plain `MAP_SHARED`.
const LEGACY_MAP_MASK: u32 = uapi::MAP_SHARED
    | uapi::MAP_PRIVATE
    | uapi::MAP_FIXED
    | uapi::MAP_ANONYMOUS
    | uapi::MAP_DENYWRITE
    | uapi::MAP_EXECUTABLE
    | uapi::MAP_GROWSDOWN
    | uapi::MAP_LOCKED
    | uapi::MAP_NORESERVE
    | uapi::MAP_POPULATE
    | uapi::MAP_NONBLOCK
    | uapi::MAP_STACK
    | uapi::MAP_HUGETLB;

/// `mmap(addr, len, prot, flags, fd, off)` (`ksys_mmap_pgoff`, `do_mmap`):
/// anonymous memory or a RAM file, private (copy-on-write) or shared.
/// The file must be open for reading, and for writing if shared and
/// writable (`EACCES`); a file without pages (a pipe, a directory, a
/// device) cannot be mapped (`ENODEV`).
pub fn sys_mmap(addr: u64, len: u64, prot: u32, flags: u32, fd: i64, off: u64) -> SysResult {
    if !off.is_multiple_of(crate::mm::PAGE_SIZE as u64) {
        return Err(EINVAL);
    }
    let file = if flags & uapi::MAP_ANONYMOUS == 0 {
        let files = crate::fs::syscalls::files()?;
        let table = files.lock();
        let f = table.get(fd);
        drop(table);
        Some(f?)
    } else {
        None
    };
    if prot & !(PROT_READ | PROT_WRITE | PROT_EXEC) != 0 || len == 0 {
        return Err(EINVAL);
    }
    let kind = flags & uapi::MAP_TYPE;
    let shared = match kind {
        uapi::MAP_SHARED => true,
        uapi::MAP_SHARED_VALIDATE => {
            if flags & !(LEGACY_MAP_MASK | uapi::MAP_FIXED_NOREPLACE) != 0 {
                return Err(EOPNOTSUPP);
            }
            true
        }
        uapi::MAP_PRIVATE => false,
        _ => return Err(EINVAL),
    };
    if let Some(f) = &file {
        if !matches!(f.inode.kind, InodeKind::File(_)) {
            return Err(ENODEV);
        }
        if !f.readable() {
            return Err(EACCES);
        }
        if shared && prot & PROT_WRITE != 0 && (!f.writable() || f.flags() & uapi::O_APPEND != 0) {
            return Err(EACCES);
        }
        if shared && f.writable() {
            // Stores through the mapping change the page cache unseen: a
            // disk file is written back at its last close, sync or umount.
            f.inode.mark_dirty();
        }
    }
    let pgoff = off / crate::mm::PAGE_SIZE as u64;
    Ok(mm()?.mmap_region(addr, len, prot, flags, file, pgoff)? as i64)
}

/// `munmap(addr, len)`.
pub fn sys_munmap(addr: u64, len: u64) -> SysResult {
    mm()?.munmap(addr, len)?;
    Ok(0)
}

/// `mprotect(addr, len, prot)`.
pub fn sys_mprotect(addr: u64, len: u64, prot: u32) -> SysResult {
    mm()?.mprotect(addr, len, prot)?;
    Ok(0)
}

/// `mremap(addr, old_len, new_len, flags, new_addr)`.
pub fn sys_mremap(addr: u64, old_len: u64, new_len: u64, flags: u32, new_addr: u64) -> SysResult {
    Ok(mm()?.mremap(addr, old_len, new_len, flags, new_addr)? as i64)
}

/// `madvise(addr, len, advice)`.
pub fn sys_madvise(addr: u64, len: u64, advice: i64) -> SysResult {
    let advice = u32::try_from(advice).map_err(|_| EINVAL)?;
    mm()?.madvise(addr, len, advice)?;
    Ok(0)
}

/// `msync(addr, len, flags)`.
pub fn sys_msync(addr: u64, len: u64, flags: u32) -> SysResult {
    mm()?.msync(addr, len, flags)?;
    Ok(0)
}

/// `mincore(addr, len, vec)`: one byte per page into `vec`.
pub fn sys_mincore(addr: u64, len: u64, vec: u64) -> SysResult {
    let v = mm()?.mincore(addr, len)?;
    crate::mm::uaccess::copy_to_user(vec, &v)?;
    Ok(0)
}
