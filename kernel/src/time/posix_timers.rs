//! `kernel/time/posix-timers.c` and `kernel/time/time.c`: the clock system
//! calls. The clocks the vDSO serves are read from its data page with its
//! arithmetic (`crate::time::clock_ns`), so a system call and the vDSO
//! never disagree; they count from boot (there is no real-time clock on a
//! Pi) until `settimeofday` or `clock_settime` sets `CLOCK_REALTIME`.
//! The CPU-time clocks are the tasks' run time.

use super::hrtimer::hrtimer_nanosleep;
use crate::errno::*;
use crate::mm::uaccess::{copy_from_user, copy_to_user};
use crate::time;
use libkernel::uapi;
use libkernel::vdso::{self, VdsoClock};

/// Highest clock id Linux defines (`CLOCK_TAI`); ids above fail `EINVAL`.
const MAX_CLOCKS: u32 = 11;

/// `clock_gettime(clock, tp)`.
pub fn sys_clock_gettime(clock: u32, tp: u64) -> SysResult {
    if clock > MAX_CLOCKS {
        return Err(EINVAL);
    }
    let ns = match VdsoClock::from_id(clock) {
        Some(c) => time::clock_ns(c),
        None => other_clock_ns(clock),
    };
    copy_to_user(tp, &vdso::ns_to_timespec(ns).to_bytes())?;
    Ok(0)
}

/// The clocks the vDSO leaves to the system call: the CPU-time ones (the
/// process's threads' run time, the thread's), and the alarm clocks and
/// TAI, which read as the clocks they are based on (no suspend, no leap
/// seconds).
fn other_clock_ns(clock: u32) -> u64 {
    let me = crate::task::current();
    match clock {
        uapi::CLOCK_PROCESS_CPUTIME_ID => crate::exit::thread_group_usage(&me)[crate::exit::RTIME],
        uapi::CLOCK_THREAD_CPUTIME_ID => crate::exit::task_usage(&me)[crate::exit::RTIME],
        uapi::CLOCK_BOOTTIME_ALARM => time::clock_ns(VdsoClock::Mono),
        _ => time::clock_ns(VdsoClock::Real),
    }
}

/// `clock_getres(clock, tp)`: one counter tick for the high-resolution
/// clocks, one scheduler tick for the coarse ones (as the vDSO says).
pub fn sys_clock_getres(clock: u32, tp: u64) -> SysResult {
    if clock > MAX_CLOCKS {
        return Err(EINVAL);
    }
    if tp != 0 {
        let hres = vdso::hrtimer_res_ns(time::counter_frequency());
        let ns = VdsoClock::from_id(clock).map_or(hres, |c| vdso::clock_res_ns(c, hres));
        copy_to_user(tp, &vdso::ns_to_timespec(ns).to_bytes())?;
    }
    Ok(0)
}

/// `gettimeofday(tv, tz)`: `CLOCK_REALTIME` in microseconds, and the time
/// zone (Greenwich, no DST correction: nothing sets another).
pub fn sys_gettimeofday(tv: u64, tz: u64) -> SysResult {
    if tv != 0 {
        let (s, us) = vdso::ns_to_timeval(time::clock_ns(VdsoClock::Real));
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&s.to_le_bytes());
        b[8..].copy_from_slice(&us.to_le_bytes());
        copy_to_user(tv, &b)?;
    }
    if tz != 0 {
        let (west, dst) = crate::vdso::timezone();
        let mut b = [0u8; 8];
        b[..4].copy_from_slice(&west.to_le_bytes());
        b[4..].copy_from_slice(&dst.to_le_bytes());
        copy_to_user(tz, &b)?;
    }
    Ok(0)
}

/// Largest settable `tv_sec` (`timespec64_valid_settod`: below
/// `KTIME_SEC_MAX` less 30 years of headroom).
const SETTOD_SEC_MAX: i64 = i64::MAX / 1_000_000_000 - 30 * 365 * 86400;

/// `settimeofday(tv, tz)`: moves `CLOCK_REALTIME` to `tv` and/or sets the
/// time zone `gettimeofday` reports (`EINVAL` for microseconds outside
/// 0..1e6, a negative time, a time before boot, or a zone more than 15
/// hours from Greenwich; `EFAULT` for bad memory, nothing changed then).
pub fn sys_settimeofday(tv: u64, tz: u64) -> SysResult {
    let mut new_ts = None;
    if tv != 0 {
        let mut b = [0u8; 16];
        copy_from_user(&mut b, tv)?;
        let sec = i64::from_le_bytes(b[..8].try_into().unwrap_or([0; 8]));
        let usec = i64::from_le_bytes(b[8..].try_into().unwrap_or([0; 8]));
        if sec < 0 || !(0..1_000_000).contains(&usec) {
            return Err(EINVAL);
        }
        new_ts = Some(uapi::Timespec {
            tv_sec: sec,
            tv_nsec: usec * 1000,
        });
    }
    let mut new_tz = None;
    if tz != 0 {
        let mut b = [0u8; 8];
        copy_from_user(&mut b, tz)?;
        let west = i32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let dst = i32::from_le_bytes([b[4], b[5], b[6], b[7]]);
        new_tz = Some((west, dst));
    }
    do_sys_settimeofday(new_ts, new_tz)
}

/// `do_sys_settimeofday64`: checks, then the zone, then the time.
fn do_sys_settimeofday(ts: Option<uapi::Timespec>, tz: Option<(i32, i32)>) -> SysResult {
    if ts.is_some_and(|t| !t.is_valid() || t.tv_sec >= SETTOD_SEC_MAX) {
        return Err(EINVAL);
    }
    if let Some((west, dst)) = tz {
        if !(-15 * 60..=15 * 60).contains(&west) {
            return Err(EINVAL);
        }
        crate::vdso::set_timezone(west, dst);
    }
    if let Some(t) = ts {
        crate::vdso::do_settimeofday(t.as_ns())?;
    }
    Ok(0)
}

/// `clock_settime(clock, tp)`: only `CLOCK_REALTIME` can be set (as
/// `settimeofday`); every other clock is `EINVAL`, checked before `tp`
/// is read, as Linux's missing `clock_set` is.
pub fn sys_clock_settime(clock: u32, tp: u64) -> SysResult {
    if clock != uapi::CLOCK_REALTIME {
        return Err(EINVAL);
    }
    let mut b = [0u8; 16];
    copy_from_user(&mut b, tp)?;
    do_sys_settimeofday(Some(uapi::Timespec::from_bytes(&b)), None)
}

/// `clock_nanosleep(clock, flags, req, rem)`.
pub fn sys_clock_nanosleep(clock: u32, flags: u32, req: u64, rem: u64) -> SysResult {
    if clock > MAX_CLOCKS {
        return Err(EINVAL);
    }
    let mut b = [0u8; 16];
    copy_from_user(&mut b, req)?;
    hrtimer_nanosleep(
        &uapi::Timespec::from_bytes(&b),
        flags & uapi::TIMER_ABSTIME != 0,
        rem,
    )
}
