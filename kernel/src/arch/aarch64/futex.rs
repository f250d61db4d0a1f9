//! `arch/arm64/include/asm/futex.h`: the atomic read-modify-write
//! (`FUTEX_WAKE_OP`) and compare-and-exchange (robust futexes at exit) of
//! a user futex word, as exclusive load/store loops: the Cortex-A53 and
//! A72 are ARMv8.0, without the LSE atomics.
//!
//! The word is reached through the kernel's linear map, as every user
//! access is (`crate::mm::uaccess`): the caller found the page present and
//! holds the address space's lock across the call, so the access cannot
//! fault and needs no exception-table fixup, where Linux's, made on the
//! user address with page faults disabled, has one. As in Linux, a loop
//! that keeps losing its reservation gives up after `FUTEX_MAX_LOOPS`
//! failed stores with `EAGAIN`: user space hammering the cache line must
//! not keep the kernel spinning with bucket locks held. The caller drops
//! its locks and tries again.

use crate::errno::{Errno, EAGAIN};
use core::arch::asm;
use libkernel::futex::AtomicOp;

/// Failed store-exclusives before giving up (`FUTEX_MAX_LOOPS`).
const FUTEX_MAX_LOOPS: u32 = 128;

/// One exclusive loop: `$insn` computes `{new}` from `{old}` and
/// `{oparg}`; release store, then a full barrier (`dmb ish`), so the
/// operation is ordered against the wake-ups that follow it.
macro_rules! futex_atomic_op {
    ($insn:literal, $uaddr:expr, $oparg:expr) => {{
        let mut failed: u32;
        let old: u32;
        // SAFETY: the caller of `futex_atomic_op` guarantees `$uaddr` is a
        // mapped, aligned word for the whole call.
        unsafe {
            asm!(
                "prfm pstl1strm, [{uaddr}]",
                "1: ldxr {old:w}, [{uaddr}]",
                $insn,
                "stlxr {failed:w}, {new:w}, [{uaddr}]",
                "cbz {failed:w}, 3f",
                "sub {loops:w}, {loops:w}, {failed:w}",
                "cbnz {loops:w}, 1b",
                "3: dmb ish",
                uaddr = in(reg) $uaddr,
                oparg = in(reg) $oparg,
                old = out(reg) old,
                new = out(reg) _,
                failed = out(reg) failed,
                loops = inout(reg) FUTEX_MAX_LOOPS => _,
                options(nostack),
            )
        };
        if failed != 0 {
            Err(EAGAIN)
        } else {
            Ok(old)
        }
    }};
}

/// Applies `op` with `oparg` to the word at `uaddr`, atomically
/// (`arch_futex_atomic_op_inuser`); returns the old value.
///
/// # Safety
/// `uaddr` is a 4-byte aligned kernel address of a user page that stays
/// mapped for the call (the caller holds the address space's lock).
pub unsafe fn futex_atomic_op(op: AtomicOp, oparg: u32, uaddr: *mut u32) -> Result<u32, Errno> {
    match op {
        AtomicOp::Set => futex_atomic_op!("mov {new:w}, {oparg:w}", uaddr, oparg),
        AtomicOp::Add => futex_atomic_op!("add {new:w}, {old:w}, {oparg:w}", uaddr, oparg),
        AtomicOp::Or => futex_atomic_op!("orr {new:w}, {old:w}, {oparg:w}", uaddr, oparg),
        AtomicOp::AndN => futex_atomic_op!("and {new:w}, {old:w}, {oparg:w}", uaddr, !oparg),
        AtomicOp::Xor => futex_atomic_op!("eor {new:w}, {old:w}, {oparg:w}", uaddr, oparg),
    }
}

/// Stores `newval` at `uaddr` if it holds `oldval`, atomically
/// (`futex_atomic_cmpxchg_inatomic`); returns the value found, which is
/// `oldval` if the store was made.
///
/// # Safety
/// As [`futex_atomic_op()`].
pub unsafe fn futex_atomic_cmpxchg(
    uaddr: *mut u32,
    oldval: u32,
    newval: u32,
) -> Result<u32, Errno> {
    let mut failed: u32 = 0;
    let val: u32;
    // SAFETY: the caller guarantees `uaddr` is a mapped, aligned word for
    // the whole call. A mismatch leaves at 4 without storing or a barrier,
    // as Linux's does.
    unsafe {
        asm!(
            "prfm pstl1strm, [{uaddr}]",
            "1: ldxr {val:w}, [{uaddr}]",
            "sub {tmp:w}, {val:w}, {oldval:w}",
            "cbnz {tmp:w}, 4f",
            "stlxr {tmp:w}, {newval:w}, [{uaddr}]",
            "cbz {tmp:w}, 3f",
            "sub {loops:w}, {loops:w}, {tmp:w}",
            "cbnz {loops:w}, 1b",
            "mov {failed:w}, #1",
            "3: dmb ish",
            "4:",
            uaddr = in(reg) uaddr,
            oldval = in(reg) oldval,
            newval = in(reg) newval,
            val = out(reg) val,
            tmp = out(reg) _,
            loops = inout(reg) FUTEX_MAX_LOOPS => _,
            failed = inout(reg) failed,
            options(nostack),
        )
    };
    if failed != 0 {
        Err(EAGAIN)
    } else {
        Ok(val)
    }
}
