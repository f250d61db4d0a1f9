//! Interval timers (Linux's `kernel/time/itimer.c`): `setitimer` and
//! `getitimer` with `ITIMER_REAL`, which sends `SIGALRM` when it expires
//! and reloads itself from its interval; C's `alarm()` is built on it.
//! The CPU-time timers (`ITIMER_VIRTUAL`, `ITIMER_PROF`) are not kept:
//! setting one is `EINVAL` rather than a timer that would never fire.

use crate::errno::*;
use crate::mm::uaccess::{copy_from_user, copy_to_user};
use crate::task::{self, Task};
use crate::{signal, time, timer};
use alloc::sync::Arc;
use libkernel::uapi::{self, Itimerval};

/// A process's `ITIMER_REAL` (`signal->real_timer`, `it_real_incr`).
#[derive(Debug, Default)]
pub struct ItimerReal {
    /// When it fires next (uptime ns); 0 when disarmed.
    pub expires: u64,
    /// Its reload interval (ns); 0 for one shot.
    pub interval: u64,
    /// The armed timer.
    pub handle: Option<timer::TimerHandle>,
}

/// The timer fired (`it_real_fn`, in the timer interrupt): `SIGALRM` to
/// the process, and the next period armed from the last expiry, so
/// periods do not drift. `t` is the thread that set it (kept until the
/// process ends, which cancels it).
pub fn it_real_fn(t: &Arc<Task>, fired: timer::TimerHandle) {
    let mut it = t.signal.itimer_real.lock();
    if it.handle != Some(fired) {
        // Cancelled (and maybe re-armed) while this expiry was on its way.
        return;
    }
    it.handle = None;
    if it.interval != 0 {
        it.expires = it
            .expires
            .saturating_add(it.interval)
            .max(time::uptime_ns());
        it.handle = Some(timer::add_itimer_real(it.expires, t.clone()));
    } else {
        it.expires = 0;
    }
    drop(it);
    signal::send_sig_priv(t, uapi::SIGALRM);
}

/// Disarms the process's timer (its last thread's exit, or `setitimer`
/// with a zero value).
pub fn itimer_cancel(t: &Task) {
    let handle = t.signal.itimer_real.lock().handle.take();
    if let Some(h) = handle {
        timer::del_timer(h);
    }
}

fn current_value(it: &ItimerReal) -> Itimerval {
    let left = if it.handle.is_some() {
        it.expires.saturating_sub(time::uptime_ns()).max(1)
    } else {
        0
    };
    Itimerval {
        interval_ns: it.interval,
        value_ns: left,
    }
}

/// `getitimer(which, value)`.
pub fn sys_getitimer(which: i32, value: u64) -> SysResult {
    let v = match which as u32 {
        uapi::ITIMER_REAL => current_value(&task::current().signal.itimer_real.lock()),
        uapi::ITIMER_VIRTUAL | uapi::ITIMER_PROF => Itimerval::default(),
        _ => return Err(EINVAL),
    };
    copy_to_user(value, &v.to_bytes())?;
    Ok(0)
}

/// `setitimer(which, value, ovalue)`: arms (or with a zero value
/// disarms) `ITIMER_REAL`, reporting the old setting.
pub fn sys_setitimer(which: i32, value: u64, ovalue: u64) -> SysResult {
    let new = if value != 0 {
        let mut b = [0u8; 32];
        copy_from_user(&mut b, value)?;
        Some(Itimerval::from_bytes(&b).ok_or(EINVAL)?)
    } else {
        None
    };
    if which as u32 != uapi::ITIMER_REAL {
        return Err(EINVAL);
    }
    let me = task::current();
    itimer_cancel(&me);
    let old = {
        let mut it = me.signal.itimer_real.lock();
        let old = Itimerval {
            interval_ns: it.interval,
            value_ns: if it.expires != 0 {
                it.expires.saturating_sub(time::uptime_ns()).max(1)
            } else {
                0
            },
        };
        // `setitimer(which, NULL, old)` only reads (Linux treats NULL as
        // a zero value since 5.x with a warning; glibc never passes it).
        let new = new.unwrap_or_default();
        it.interval = new.interval_ns;
        if new.value_ns != 0 {
            it.expires = time::uptime_ns().saturating_add(new.value_ns);
            it.handle = Some(timer::add_itimer_real(it.expires, me.clone()));
        } else {
            it.expires = 0;
        }
        old
    };
    if ovalue != 0 {
        copy_to_user(ovalue, &old.to_bytes())?;
    }
    Ok(0)
}
