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

/// An interruptible sleep until `ts` (from boot when `abs`, else from
/// now). A signal ends it early: with a handler the call fails `EINTR`
/// and, for a relative sleep, the time left is in `rem`; without one
/// (a stop and `SIGCONT`) it goes on for the time left, through
/// `restart_syscall` (`ERESTART_RESTARTBLOCK`).
pub fn hrtimer_nanosleep(ts: &uapi::Timespec, abs: bool, rem: u64) -> SysResult {
    if !ts.is_valid() {
        return Err(EINVAL);
    }
    let ns = ts.as_ns();
    let end = if abs {
        ns
    } else {
        time::uptime_ns().saturating_add(ns)
    };
    do_nanosleep(end, if abs { 0 } else { rem })
}

/// Sleeps until `end` (monotonic ns); interrupted, it writes the time left
/// to `rem` (if not 0) and leaves the rest to the restart block.
pub fn do_nanosleep(end: u64, rem: u64) -> SysResult {
    loop {
        let now = time::uptime_ns();
        if now >= end {
            return Ok(0);
        }
        if signal::signal_pending() {
            if rem != 0 {
                copy_to_user(rem, &uapi::Timespec::from_ns(end - now).to_bytes())?;
            }
            *task::current().restart_block.lock() = signal::RestartBlock::Nanosleep {
                expires: end,
                rmtp: rem,
            };
            return Err(ERESTART_RESTARTBLOCK);
        }
        task::set_current_state(task::TASK_INTERRUPTIBLE);
        if signal::signal_pending() {
            task::set_current_state(task::TASK_RUNNING);
            continue;
        }
        crate::sched::wait::schedule_timeout(end - now);
    }
}
