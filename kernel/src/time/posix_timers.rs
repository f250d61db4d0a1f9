//! `kernel/time/posix-timers.c` and `kernel/time/time.c`: the clock system
//! calls. The clocks the vDSO serves are read from its data page with its
//! arithmetic (`crate::time::clock_ns`), so a system call and the vDSO
//! never disagree; they count from boot (there is no real-time clock on a
//! Pi). The CPU-time clocks are the tasks' run time.

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
        copy_to_user(tz, &[0u8; 8])?;
    }
    Ok(0)
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
