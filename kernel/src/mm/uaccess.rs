//! Copying to and from user space. Every user pointer the kernel follows
//! goes through [`access_user`], the one place that checks bounds: the range
//! must lie below the end of user space without wrapping, and each page must
//! belong to an area that allows the access. Pages are reached through the
//! kernel's linear map after a software walk (faulting them in as user space
//! would), so a bad pointer is an `EFAULT`, never a kernel fault.
//!
//! Faulting a page in allocates (and copies, for copy-on-write), so code
//! that holds spin locks uses the no-fault accessors instead (the futex
//! word reads and atomics): they touch only present pages and fail
//! `EFAULT` otherwise, and the caller drops its locks, faults the page in
//! and retries, as Linux does under `pagefault_disable()`.

use crate::errno::{Errno, EFAULT, ENAMETOOLONG};
use crate::mm::vm::{Access, MmStruct, USER_VA_END};
use crate::mm::{phys_to_virt, PAGE_SIZE};
use crate::task;
use alloc::sync::Arc;
use alloc::vec::Vec;

fn current_mm() -> Result<Arc<MmStruct>, Errno> {
    let me = task::current();
    let mm = me.mm.lock().clone();
    mm.ok_or(EFAULT)
}

/// Calls `f(kernel_chunk, offset)` for each piece of `[uaddr, uaddr+len)`
/// of the current address space, page by page, after checking the whole
/// range once.
pub fn access_user(
    uaddr: u64,
    len: usize,
    access: Access,
    f: impl FnMut(&mut [u8], usize) -> bool,
) -> Result<(), Errno> {
    if len == 0 {
        // Range checks only: no address space needed.
        return access_mm_checked(None, uaddr, len, access, f);
    }
    let mm = current_mm()?;
    access_mm_checked(Some(&mm), uaddr, len, access, f)
}

/// [`access_user`] on address space `mm`, which need not be the current
/// one: an exiting task's, whose `mm` is already detached
/// (`exit_robust_list`), or a test's.
pub fn access_mm(
    mm: &MmStruct,
    uaddr: u64,
    len: usize,
    access: Access,
    f: impl FnMut(&mut [u8], usize) -> bool,
) -> Result<(), Errno> {
    access_mm_checked(Some(mm), uaddr, len, access, f)
}

fn access_mm_checked(
    mm: Option<&MmStruct>,
    uaddr: u64,
    len: usize,
    access: Access,
    mut f: impl FnMut(&mut [u8], usize) -> bool,
) -> Result<(), Errno> {
    let end = uaddr.checked_add(len as u64).ok_or(EFAULT)?;
    if end > USER_VA_END {
        return Err(EFAULT);
    }
    let Some(mm) = mm.filter(|_| len != 0) else {
        return Ok(());
    };
    let mut done = 0usize;
    while done < len {
        let va = uaddr + done as u64;
        let off = (va as usize) % PAGE_SIZE;
        let n = (PAGE_SIZE - off).min(len - done);
        let pa = mm.translate(va, access)?;
        // SAFETY: `pa` is a user page of `mm` (kept alive by the caller's
        // reference), mapped in the linear map; the chunk stays inside it.
        let chunk =
            unsafe { core::slice::from_raw_parts_mut((phys_to_virt(pa) + off) as *mut u8, n) };
        if !f(chunk, done) {
            break;
        }
        done += n;
    }
    Ok(())
}

/// Copies `dst.len()` bytes from user address `src` of address space `mm`.
pub fn copy_from_mm(mm: &MmStruct, dst: &mut [u8], src: u64) -> Result<(), Errno> {
    access_mm(mm, src, dst.len(), Access::Read, |chunk, off| {
        dst[off..off + chunk.len()].copy_from_slice(chunk);
        true
    })
}

/// Reads the aligned `u32` at `uaddr` of `mm` without faulting a page in
/// (`__get_user` with page faults disabled): `EFAULT` if the page is not
/// present. For callers holding spin locks (`futex_get_value_locked`).
pub fn get_user_u32_nofault(mm: &MmStruct, uaddr: u64) -> Result<u32, Errno> {
    if !uaddr.is_multiple_of(4) {
        return Err(EFAULT);
    }
    mm.with_page_nofault(uaddr, Access::Read, |kva| {
        // SAFETY: an aligned word of a present user page, which stays
        // mapped while `with_page_nofault` holds the mm's lock.
        unsafe { (kva as *const u32).read_volatile() }
    })
}

/// Applies `op` with `oparg` to the aligned user word at `uaddr` of `mm`
/// atomically, without faulting (`arch_futex_atomic_op_inuser` with page
/// faults disabled); returns the old value. `EFAULT` if the page is not
/// present and writable (fault it in with [`fault_in_user_writeable`]),
/// `EAGAIN` if the exclusive store kept failing.
pub fn futex_atomic_op_inuser(
    mm: &MmStruct,
    uaddr: u64,
    op: libkernel::futex::AtomicOp,
    oparg: u32,
) -> Result<u32, Errno> {
    if !uaddr.is_multiple_of(4) {
        return Err(EFAULT);
    }
    mm.with_page_nofault(uaddr, Access::Write, |kva| {
        // SAFETY: an aligned word of a present, writable user page, which
        // stays mapped while `with_page_nofault` holds the mm's lock.
        unsafe { crate::arch::futex::futex_atomic_op(op, oparg, kva as *mut u32) }
    })?
}

/// Stores `newval` at the aligned user word `uaddr` of `mm` if it holds
/// `oldval`, without faulting (`futex_atomic_cmpxchg_inatomic`); returns
/// the value found. Errors as [`futex_atomic_op_inuser`].
pub fn futex_atomic_cmpxchg_inatomic(
    mm: &MmStruct,
    uaddr: u64,
    oldval: u32,
    newval: u32,
) -> Result<u32, Errno> {
    if !uaddr.is_multiple_of(4) {
        return Err(EFAULT);
    }
    mm.with_page_nofault(uaddr, Access::Write, |kva| {
        // SAFETY: as in `futex_atomic_op_inuser`.
        unsafe { crate::arch::futex::futex_atomic_cmpxchg(kva as *mut u32, oldval, newval) }
    })?
}

/// Faults the page of `uaddr` in for writing, copying it if it is shared
/// copy-on-write (`fault_in_user_writeable`): after an `EFAULT` from the
/// no-fault accessors above.
pub fn fault_in_user_writeable(mm: &MmStruct, uaddr: u64) -> Result<(), Errno> {
    mm.translate(uaddr, Access::Write).map(|_| ())
}

/// Copies `dst.len()` bytes from user address `src`.
pub fn copy_from_user(dst: &mut [u8], src: u64) -> Result<(), Errno> {
    access_user(src, dst.len(), Access::Read, |chunk, off| {
        dst[off..off + chunk.len()].copy_from_slice(chunk);
        true
    })
}

/// Copies `src` to user address `dst`.
pub fn copy_to_user(dst: u64, src: &[u8]) -> Result<(), Errno> {
    access_user(dst, src.len(), Access::Write, |chunk, off| {
        let n = chunk.len();
        chunk.copy_from_slice(&src[off..off + n]);
        true
    })
}

/// Reads a NUL-terminated string of at most `max` bytes (NUL excluded).
pub fn strncpy_from_user(src: u64, max: usize) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    let mut addr = src;
    loop {
        // Never cross into the next page before knowing we need it.
        let in_page = PAGE_SIZE - (addr as usize % PAGE_SIZE);
        let mut found = false;
        access_user(addr, in_page, Access::Read, |chunk, _| {
            match chunk.iter().position(|&b| b == 0) {
                Some(i) => {
                    out.extend_from_slice(&chunk[..i]);
                    found = true;
                }
                None => out.extend_from_slice(chunk),
            }
            false
        })?;
        if found {
            return Ok(out);
        }
        if out.len() > max {
            return Err(ENAMETOOLONG);
        }
        addr += in_page as u64;
    }
}

/// Reads a `u64` from user space.
pub fn get_user_u64(addr: u64) -> Result<u64, Errno> {
    let mut b = [0u8; 8];
    copy_from_user(&mut b, addr)?;
    Ok(u64::from_le_bytes(b))
}

/// Writes a `u64` to user space.
pub fn put_user_u64(addr: u64, v: u64) -> Result<(), Errno> {
    copy_to_user(addr, &v.to_le_bytes())
}

/// Writes a `u32` to user space.
pub fn put_user_u32(addr: u64, v: u32) -> Result<(), Errno> {
    copy_to_user(addr, &v.to_le_bytes())
}

/// Reads a NULL-terminated array of string pointers (argv, envp), with
/// limits on count and total size (`E2BIG`).
pub fn copy_strings(array: u64, max_count: usize, max_total: usize) -> Result<Vec<Vec<u8>>, Errno> {
    let mut v = Vec::new();
    if array == 0 {
        return Ok(v);
    }
    let mut total = 0usize;
    for i in 0.. {
        if i >= max_count {
            return Err(crate::errno::E2BIG);
        }
        let p = get_user_u64(array + 8 * i as u64)?;
        if p == 0 {
            break;
        }
        let s = strncpy_from_user(p, max_total.saturating_sub(total)).map_err(|e| {
            if e == ENAMETOOLONG {
                crate::errno::E2BIG
            } else {
                e
            }
        })?;
        total += s.len() + 1;
        if total > max_total {
            return Err(crate::errno::E2BIG);
        }
        v.push(s);
    }
    Ok(v)
}
