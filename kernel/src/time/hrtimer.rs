//! `kernel/time/hrtimer.c`: sleeping for a time (`nanosleep`), on an
//! hrtimer that ends the sleep from the timer interrupt (`timer:hrtimer_*`
//! events).

use crate::errno::*;
use crate::mm::uaccess::{copy_from_user, copy_to_user};
use crate::{signal, task, time, timer};
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
    do_nanosleep_mode(end, if abs { 0 } else { rem }, !abs)
}

/// Sleeps until `end` (monotonic ns); interrupted, it writes the time left
/// to `rem` (if not 0) and leaves the rest to the restart block.
pub fn do_nanosleep(end: u64, rem: u64) -> SysResult {
    do_nanosleep_mode(end, rem, false)
}

/// [`do_nanosleep`] on an hrtimer sleeper (`HRTIMER_MODE_REL` when the
/// caller gave a duration, as the trace's `mode=` shows).
fn do_nanosleep_mode(end: u64, rem: u64, relative: bool) -> SysResult {
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
        // `hrtimer_sleeper_start_expires`, `schedule`, `hrtimer_cancel`.
        crate::sched::core::might_sleep();
        let t = timer::add_hrtimer_sleeper(end, task::current(), relative);
        crate::sched::schedule();
        timer::del_timer(t);
    }
}
