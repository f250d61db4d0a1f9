//! Generators for the clock calls (`kernel/time/` in Linux).
//!
//! Sleeps are short: a `timespec` the worker builds is at most 2 ms, and
//! the hostile ones are addresses that cannot be read (readable garbage
//! could be a valid sleep of years).

use crate::worker::{Call, Worker};

/// `clock_gettime`/`clock_getres(clock, tp)`: a kernel `tp` must fail for
/// a valid clock.
pub fn clock_gettime_getres(w: &mut Worker, c: &mut Call) {
    c.a[0] = w
        .rng
        .pick(&[0, 1, 2, 3, 4, 7, 11, 12, u64::MAX, -1i64 as u64]);
    let (p, k) = w.wptr(16);
    c.a[1] = p;
    c.kout = k && c.a[0] <= 11 && p != 0;
}

/// `nanosleep(req, rem)`.
pub fn nanosleep(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.timespec();
    c.a[1] = if w.rng.chance(50) { 0 } else { w.wptr(16).0 };
}

/// `clock_nanosleep(clock, flags, req, rem)`.
pub fn clock_nanosleep(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.rng.pick(&[0, 1, 7, 12, u64::MAX]);
    // TIMER_ABSTIME with a tiny absolute time: already past.
    c.a[1] = w.rng.pick(&[0, 1, 2, u64::MAX]);
    c.a[2] = w.timespec();
    c.a[3] = if w.rng.chance(50) { 0 } else { w.wptr(16).0 };
}
