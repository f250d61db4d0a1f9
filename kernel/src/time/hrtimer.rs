//! `kernel/time/hrtimer.c`: sleeping for a time (`nanosleep`).

use crate::errno::*;
use crate::mm::uaccess::{copy_from_user, copy_to_user};
use crate::{signal, task, time};
use libkernel::uapi;

/// `nanosleep(req, rem)`: `clock_nanosleep` on the monotonic clock.
pub fn sys_nanosleep(req: u64, rem: u64) -> SysResult {
    let mut b = [0u8; 16];
    copy_from_user(&mut b, req)?;
    hrtimer_nanosleep(&uapi::Timespec::from_bytes(&b), false, rem)
}

/// An interruptible sleep until `ts` (from boot when `abs`, else from now);
/// a signal ends it early with `-EINTR` and, for a relative sleep, the time
/// left in `rem`.
pub fn hrtimer_nanosleep(ts: &uapi::Timespec, abs: bool, rem: u64) -> SysResult {
    if !ts.is_valid() {
        return Err(EINVAL);
    }
    let ns = (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64);
    let now = time::uptime_ns();
    let end = if abs { ns } else { now.saturating_add(ns) };
    loop {
        let now = time::uptime_ns();
        if now >= end {
            return Ok(0);
        }
        if signal::signal_pending() {
            if rem != 0 && !abs {
                let left = end - now;
                let t = uapi::Timespec {
                    tv_sec: (left / 1_000_000_000) as i64,
                    tv_nsec: (left % 1_000_000_000) as i64,
                };
                copy_to_user(rem, &t.to_bytes())?;
            }
            return Err(EINTR);
        }
        task::set_current_state(task::TASK_INTERRUPTIBLE);
        if signal::signal_pending() {
            task::set_current_state(task::TASK_RUNNING);
            continue;
        }
        crate::sched::wait::schedule_timeout(end - now);
    }
}
