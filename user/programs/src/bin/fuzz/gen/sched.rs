//! Generators for the scheduler calls (`kernel/sched/` in Linux):
//! affinity, nice values, the current CPU.
//!
//! Pids here only look at or tune a process, so any pid goes, the
//! master's and init's included.

use crate::worker::{put_u64, Call, Worker, SCRATCH, SCRATCH_LEN};

/// `sched_setaffinity`/`sched_getaffinity(pid, len, mask)`.
pub fn sched_affinity(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.pid();
    c.a[1] = w.rng.pick(&[0, 1, 4, 8, 16, 128, u64::MAX, 7]);
    let off = (SCRATCH_LEN as usize) - 8192 + 256;
    put_u64(off, w.rng.pick(&[0, 1, 2, 4, 8, 15, 0xf0, u64::MAX]));
    c.a[2] = if w.rng.chance(70) {
        SCRATCH + off as u64
    } else {
        w.wptr(8).0
    };
}

/// `setpriority`/`getpriority(which, who, nice)`.
pub fn priority(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.rng.pick(&[0, 1, 2, 3, u64::MAX]);
    c.a[1] = w.pid();
    c.a[2] = w
        .rng
        .pick(&[0, 19, 20, -20i64 as u64, -21i64 as u64, 100, u64::MAX, 5]);
}

/// `getcpu(cpu, node, cache)`: NULL pointers are allowed.
pub fn getcpu(w: &mut Worker, c: &mut Call) {
    c.a[0] = if w.rng.chance(30) { 0 } else { w.wptr(4).0 };
    c.a[1] = if w.rng.chance(30) { 0 } else { w.wptr(4).0 };
}
