//! Memory system calls: `brk`, `mmap` (anonymous, private), `munmap`,
//! `mprotect`, on the current task's address space.

use crate::errno::SysResult;
use crate::errno::*;
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

/// `mmap(addr, len, prot, flags, fd, off)`: only anonymous private
/// mappings (`MAP_SHARED` or a file gives `-EINVAL`/`-ENODEV`).
pub fn sys_mmap(addr: u64, len: u64, prot: u32, flags: u32, fd: i64, off: u64) -> SysResult {
    if prot & !(PROT_READ | PROT_WRITE | PROT_EXEC) != 0
        || !off.is_multiple_of(crate::mm::PAGE_SIZE as u64)
    {
        return Err(EINVAL);
    }
    let kind = flags & 3;
    if kind != uapi::MAP_PRIVATE {
        return Err(EINVAL);
    }
    if flags & uapi::MAP_ANONYMOUS == 0 {
        // A file mapping: the descriptor is checked first, as on Linux;
        // mapping files is not supported (ENODEV).
        crate::fs::syscalls::files()?.lock().get(fd)?;
        return Err(Errno(19));
    }
    let fixed = flags & uapi::MAP_FIXED != 0;
    Ok(mm()?.mmap_anon(addr, len, prot, fixed)? as i64)
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
