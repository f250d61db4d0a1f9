//! Frame-pointer backtraces. The kernel is built with frame pointers, so x29
//! points at a `{previous fp, return address}` record on every call; the
//! exception entry adds one for the interrupted context too.

use crate::mm;

/// Calls `f` with each return address, innermost first, starting from the
/// frame record at `fp`; stops at a null, misaligned or out-of-RAM pointer,
/// or after `max` frames.
pub fn walk(fp: usize, max: usize, f: impl FnMut(usize)) {
    walk_frames(fp, max, |fp| mm::is_kernel_ram(fp, 16), f);
}

/// Like [`walk`], but only through frame records inside `[lo, hi)`: the
/// stack of a task that is not running, whose saved frame pointer may be
/// stale by the time it is read (the caller keeps the stack allocated).
pub fn walk_within(fp: usize, lo: usize, hi: usize, max: usize, f: impl FnMut(usize)) {
    walk_frames(fp, max, |fp| fp >= lo && fp.saturating_add(16) <= hi, f);
}

/// The walk itself: follows frame records while `readable` accepts them.
fn walk_frames(
    mut fp: usize,
    max: usize,
    readable: impl Fn(usize) -> bool,
    mut f: impl FnMut(usize),
) {
    for _ in 0..max {
        if fp == 0 || !fp.is_multiple_of(16) || !readable(fp) {
            break;
        }
        // SAFETY: fp is aligned and `readable` vouched for the 16 bytes.
        let (next, lr) = unsafe { (*(fp as *const usize), *((fp + 8) as *const usize)) };
        if lr == 0 {
            break;
        }
        f(lr);
        if next <= fp {
            // Frames grow towards higher addresses as we unwind; anything
            // else is a corrupt chain or a switch to another stack.
            break;
        }
        fp = next;
    }
}

/// The current frame pointer.
#[inline(always)]
pub fn current_fp() -> usize {
    let fp: usize;
    // SAFETY: reads x29 only.
    unsafe { core::arch::asm!("mov {}, x29", out(reg) fp, options(nomem, nostack)) };
    fp
}
