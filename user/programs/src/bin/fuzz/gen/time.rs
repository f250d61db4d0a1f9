//! Generators for the clock calls (`kernel/time/` in Linux).
//!
//! Sleeps are short: a `timespec` the worker builds is at most 2 ms, and
//! the hostile ones are addresses that cannot be read (readable garbage
//! could be a valid sleep of years).

use crate::worker::{put_u64, Call, Worker, SCRATCH, SCRATCH_LEN};

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

/// `setitimer(which, value, ovalue)`: `ITIMER_REAL` armed for at least
/// 20 ms with an interval of 0 or at least 50 ms, disarmed, or with a
/// bad `which` or microsecond field. A garbage `itimerval` could ask for a
/// SIGALRM every microsecond, and a worker with a handler would then do
/// nothing but run it (seed 2662858372 stalled so).
pub fn setitimer(w: &mut Worker, c: &mut Call) {
    let off = (SCRATCH_LEN as usize) - 8192 + 256;
    let interval_us = w.rng.pick(&[0, 0, 50_000, 1_000_000]);
    let value_us = w.rng.pick(&[0, 0, 0, 20_000, 100_000, 2_000_000]);
    put_u64(off, interval_us / 1_000_000);
    put_u64(off + 8, interval_us % 1_000_000);
    put_u64(off + 16, value_us / 1_000_000);
    // Now and then a microsecond field Linux rejects (EINVAL).
    put_u64(
        off + 24,
        if w.rng.chance(10) {
            1_000_000
        } else {
            value_us % 1_000_000
        },
    );
    c.a[0] = w.rng.pick(&[0, 0, 0, 1, 2, 3, u64::MAX]);
    c.a[1] = if w.rng.chance(85) {
        SCRATCH + off as u64
    } else {
        0
    };
    c.a[2] = if w.rng.chance(50) { 0 } else { w.wptr(32).0 };
}

/// `settimeofday(tv, tz)` and `clock_settime(clock, tp)`: the time zone,
/// the clocks that cannot be set, and times that are invalid, before
/// boot or unreadable; never a valid new `CLOCK_REALTIME` (the run's
/// timestamps would jump).
pub fn settime(w: &mut Worker, c: &mut Call) {
    let off = (SCRATCH_LEN - 8192 + 768) as usize;
    // An invalid or pre-boot time: sec 0 is before boot once the run has
    // been up a second; the others fail their checks.
    let (sec, frac) = match w.rng.below(4) {
        0 => (0, 0),
        1 => (5, 2_000_000_000),
        2 => (-1i64 as u64, 0),
        _ => (1, -1i64 as u64),
    };
    put_u64(off, sec);
    put_u64(off + 8, frac);
    // A time zone, within 15 hours of Greenwich or not.
    let west = w
        .rng
        .pick(&[0, 60, (-120i32) as u32 as u64, 16 * 60, u32::MAX as u64]);
    put_u64(off + 16, west);
    let ts = match w.rng.below(3) {
        0 => w.unreadable(),
        1 => w.hostile(),
        _ => SCRATCH + off as u64,
    };
    if c.nr == pikern_rt::syscall::nr::CLOCK_SETTIME as u64 {
        c.a[0] = w.rng.pick(&[0, 1, 4, 7, 11, 12, u64::MAX]);
        c.a[1] = ts;
        if c.a[0] == 0 && ts == SCRATCH + off as u64 && sec == 0 {
            // Before boot, unless the run is under a second old: push it
            // to the invalid nanoseconds instead.
            put_u64(off + 8, 2_000_000_000);
        }
    } else {
        c.a[0] = if w.rng.chance(50) { 0 } else { ts };
        if c.a[0] == SCRATCH + off as u64 && sec == 0 {
            put_u64(off + 8, 1_000_000);
        }
        c.a[1] = if w.rng.chance(50) {
            0
        } else {
            SCRATCH + off as u64 + 16
        };
    }
}
