//! `kernel/time/posix-timers.c`: the clock system calls. All clocks count
//! from boot: there is no real-time clock on a Pi.

use super::hrtimer::hrtimer_nanosleep;
use crate::errno::*;
use crate::mm::uaccess::{copy_from_user, copy_to_user};
use crate::time;
use libkernel::uapi;

/// Highest clock id Linux defines (`CLOCK_TAI`); ids above fail `EINVAL`.
const MAX_CLOCKS: u32 = 11;

/// `clock_gettime(clock, tp)`.
pub fn sys_clock_gettime(clock: u32, tp: u64) -> SysResult {
    if clock > MAX_CLOCKS {
        return Err(EINVAL);
    }
    let ns = time::uptime_ns();
    let ts = uapi::Timespec {
        tv_sec: (ns / 1_000_000_000) as i64,
        tv_nsec: (ns % 1_000_000_000) as i64,
    };
    copy_to_user(tp, &ts.to_bytes())?;
    Ok(0)
}

/// `clock_getres(clock, tp)`: one counter tick, whatever the clock.
pub fn sys_clock_getres(_clock: u32, tp: u64) -> SysResult {
    if tp != 0 {
        let ns = (1_000_000_000 / time::counter_frequency()).max(1);
        copy_to_user(
            tp,
            &uapi::Timespec {
                tv_sec: 0,
                tv_nsec: ns as i64,
            }
            .to_bytes(),
        )?;
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
