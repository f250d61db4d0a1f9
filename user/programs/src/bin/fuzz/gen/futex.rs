//! Generators for the futex calls (`kernel/futex/` in Linux).
//!
//! A wait sleeps until a wake-up that may never come (a worker has no
//! other thread to wake it), so every command that waits gets a timeout:
//! a readable `timespec` of at most 2 ms (the absolute ones that small
//! are long past), or an address that cannot be read (`EFAULT`); never
//! NULL. The words the kernel may change (`FUTEX_WAKE_OP`'s second word)
//! are in scratch or hostile, as for every call that writes.

use crate::worker::{scratch, Call, Worker, SCRATCH, SCRATCH_LEN};
use pikern_rt::consts::*;

/// A futex word: mostly in scratch (now and then unaligned), else a
/// hostile address.
fn word(w: &mut Worker) -> u64 {
    if w.rng.chance(70) {
        let off = w.rng.below(SCRATCH_LEN / 4) * 4;
        let skew = if w.rng.chance(10) { w.rng.below(4) } else { 0 };
        (SCRATCH + off + skew).min(SCRATCH + SCRATCH_LEN - 1)
    } else {
        w.hostile()
    }
}

/// The value at `uaddr` if it is an aligned word of scratch (so a wait
/// on it really sleeps, until its timeout), else anything.
fn current_value(w: &mut Worker, uaddr: u64) -> u64 {
    let off = uaddr.wrapping_sub(SCRATCH);
    if off < SCRATCH_LEN - 3 && off.is_multiple_of(4) && w.rng.chance(60) {
        let s = scratch();
        let o = off as usize;
        return u32::from_le_bytes([s[o], s[o + 1], s[o + 2], s[o + 3]]) as u64;
    }
    let any = w.rng.next();
    w.rng.pick(&[0, 1, u32::MAX as u64, any])
}

/// Whether the kernel reads `op`'s fourth argument as a timeout (Linux's
/// `futex_cmd_has_timeout`): then it must bound the wait.
fn waits(op: u64) -> bool {
    matches!(
        op as u32 & FUTEX_CMD_MASK,
        FUTEX_WAIT | FUTEX_WAIT_BITSET | FUTEX_LOCK_PI | FUTEX_LOCK_PI2 | FUTEX_WAIT_REQUEUE_PI
    )
}

/// `futex(uaddr, op, val, utime/val2, uaddr2, val3)`.
pub fn futex(w: &mut Worker, c: &mut Call) {
    c.a[0] = word(w);
    let cmd = w.rng.pick(&[
        FUTEX_WAIT,
        FUTEX_WAIT,
        FUTEX_WAKE,
        FUTEX_WAKE,
        FUTEX_REQUEUE,
        FUTEX_CMP_REQUEUE,
        FUTEX_WAKE_OP,
        FUTEX_WAKE_OP,
        FUTEX_WAIT_BITSET,
        FUTEX_WAKE_BITSET,
        FUTEX_FD,
        FUTEX_LOCK_PI,
        FUTEX_UNLOCK_PI,
        FUTEX_TRYLOCK_PI,
        FUTEX_WAIT_REQUEUE_PI,
        FUTEX_CMP_REQUEUE_PI,
        FUTEX_LOCK_PI2,
        14,
    ]);
    let flags = w.rng.pick(&[
        0,
        FUTEX_PRIVATE_FLAG,
        FUTEX_PRIVATE_FLAG,
        FUTEX_CLOCK_REALTIME,
        FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME,
    ]);
    c.a[1] = if w.rng.chance(5) {
        w.rng.next()
    } else {
        (cmd | flags) as u64
    };
    c.a[2] = current_value(w, c.a[0]);
    c.a[3] = if waits(c.a[1]) {
        let mut t = w.timespec();
        while t == 0 {
            t = w.timespec();
        }
        t
    } else {
        // A count for the requeue and wake-op commands.
        let any = w.rng.next();
        w.rng
            .pick(&[0, 1, 2, 100, u32::MAX as u64, i32::MAX as u64, any])
    };
    c.a[4] = word(w);
    c.a[5] = match cmd {
        FUTEX_WAKE_OP => {
            // Any operation (5..7 and the shift flag included), any
            // comparison (6..15 are ENOSYS), 12-bit arguments.
            let op = w.rng.below(16) as u32;
            let cmp = w.rng.below(16) as u32;
            futex_op(op, w.rng.below(4096) as u32, cmp, w.rng.below(4096) as u32) as u64
        }
        FUTEX_CMP_REQUEUE => current_value(w, c.a[0]),
        _ => {
            let any = w.rng.next() & 0xffff_ffff;
            w.rng.pick(&[FUTEX_BITSET_MATCH_ANY as u64, 0, 1, any])
        }
    };
}

/// `get_robust_list(pid, head_ptr, len_ptr)`: a kernel pointer must fail.
pub fn get_robust_list(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.pid();
    let (head, k1) = w.wptr(8);
    let (len, k2) = w.wptr(8);
    c.a[1] = head;
    c.a[2] = len;
    c.kout = k1 || k2;
}
