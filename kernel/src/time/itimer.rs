//! Interval timers (Linux's `kernel/time/itimer.c`): `setitimer` and
//! `getitimer`. `ITIMER_REAL` counts wall time and sends `SIGALRM` when it
//! expires, reloading itself from its interval (C's `alarm()` is built on
//! it). `ITIMER_VIRTUAL` counts the process's user CPU time and sends
//! `SIGVTALRM`; `ITIMER_PROF` counts its user and system time and sends
//! `SIGPROF`. Those two are charged by the tick, as the CPU time they
//! measure is (`crate::sched::cputime`), so they move in whole ticks.

use crate::errno::*;
use crate::mm::uaccess::{copy_from_user, copy_to_user};
use crate::sched::cputime::TICK_NSEC;
use crate::sync::IrqSpinLock;
use crate::task::{self, Task};
use crate::{signal, time, timer};
use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use libkernel::uapi::{self, Itimerval};

/// One CPU-time interval timer (`struct cpu_itimer`): the CPU time left
/// until it fires and its reload interval, both ns; `left` 0 when
/// disarmed.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuItimer {
    /// CPU time until it fires.
    pub left: u64,
    /// Its reload interval; 0 for one shot.
    pub incr: u64,
}

/// A process's `ITIMER_VIRTUAL` and `ITIMER_PROF`, in that order.
pub struct CpuItimers {
    /// Either is armed: the one thing the tick looks at otherwise.
    armed: AtomicBool,
    /// Expired while the process was in the kernel, signal not sent yet:
    /// bit 0 `SIGVTALRM`, bit 1 `SIGPROF`.
    due: AtomicU8,
    timers: IrqSpinLock<[CpuItimer; 2]>,
}

impl CpuItimers {
    /// Both disarmed (a new process).
    pub fn new() -> Self {
        CpuItimers {
            armed: AtomicBool::new(false),
            due: AtomicU8::new(0),
            timers: IrqSpinLock::named(&"&sig->cpu_itimers", [CpuItimer::default(); 2]),
        }
    }

    /// Whether the tick has anything to charge.
    pub fn armed(&self) -> bool {
        self.armed.load(Ordering::Relaxed)
    }
}

impl Default for CpuItimers {
    fn default() -> Self {
        Self::new()
    }
}

/// Slot of `which` (`ITIMER_VIRTUAL` or `ITIMER_PROF`) in [`CpuItimers`].
fn cpu_slot(which: u32) -> usize {
    (which - uapi::ITIMER_VIRTUAL) as usize
}

/// Charges one tick to the current process's CPU-time timers (the tick's
/// `check_cpu_itimer`): `ITIMER_PROF` always, `ITIMER_VIRTUAL` only if the
/// tick found it in user mode. An expired timer reloads, carrying what the
/// tick overshot into the next period, and signals the process: at once
/// if the tick interrupted user mode, else at the task's next system call
/// (Linux's `posix_cpu_timers_work`, which likewise runs on the way to
/// user space rather than inside the tick), so the signal is never sent
/// from an interrupt that may have stopped this task anywhere in the kernel.
pub fn run_cpu_itimers(user: bool) {
    let p = task::current_ptr();
    // SAFETY: called from the tick for the task running on this CPU, which
    // stays alive while it runs.
    let t = unsafe { &*p };
    let its = &t.signal.itimer_cpu;
    let mut fired = [false; 2];
    let mut timers = its.timers.lock();
    for (slot, it) in timers.iter_mut().enumerate() {
        let counts = slot == cpu_slot(uapi::ITIMER_PROF) || user;
        if it.left == 0 || !counts {
            continue;
        }
        if it.left > TICK_NSEC {
            it.left -= TICK_NSEC;
            continue;
        }
        let overshoot = TICK_NSEC - it.left;
        it.left = if it.incr != 0 {
            it.incr.saturating_sub(overshoot).max(1)
        } else {
            0
        };
        fired[slot] = true;
    }
    its.armed
        .store(timers.iter().any(|it| it.left != 0), Ordering::Relaxed);
    drop(timers);
    let bits = fired[0] as u8 | (fired[1] as u8) << 1;
    if bits != 0 {
        its.due.fetch_or(bits, Ordering::Relaxed);
        if !user {
            t.syscall_work
                .fetch_or(crate::ptrace::SYSCALL_WORK_CPU_TIMERS, Ordering::Relaxed);
            return;
        }
    }
    if user && its.due.load(Ordering::Relaxed) != 0 {
        send_due_signals(t);
    }
}

/// Sends the signals of the timers that expired (`cpu_timer_fire`).
fn send_due_signals(t: &Task) {
    let due = t.signal.itimer_cpu.due.swap(0, Ordering::Relaxed);
    if due == 0 {
        return;
    }
    let me = task::current();
    if due & 1 != 0 {
        signal::send_sig_priv(&me, uapi::SIGVTALRM);
    }
    if due & 2 != 0 {
        signal::send_sig_priv(&me, uapi::SIGPROF);
    }
}

/// At a system call's entry, the expiries the tick saw in the kernel
/// (`SYSCALL_WORK_CPU_TIMERS`): their signals, from process context.
pub fn posix_cpu_timers_work() {
    let me = task::current();
    me.syscall_work
        .fetch_and(!crate::ptrace::SYSCALL_WORK_CPU_TIMERS, Ordering::Relaxed);
    send_due_signals(&me);
}

/// `get_cpu_itimer`/`set_cpu_itimer`: reports `which`'s setting and, with
/// `new`, replaces it.
fn cpu_itimer(me: &Task, which: u32, new: Option<Itimerval>) -> Itimerval {
    let its = &me.signal.itimer_cpu;
    let mut timers = its.timers.lock();
    let it = &mut timers[cpu_slot(which)];
    let old = Itimerval {
        interval_ns: it.incr,
        value_ns: it.left,
    };
    if let Some(new) = new {
        // Linux adds a tick to a new value: the tick now under way may
        // be almost over, and a timer must never fire early.
        it.left = if new.value_ns != 0 {
            new.value_ns.saturating_add(TICK_NSEC)
        } else {
            0
        };
        it.incr = if new.value_ns != 0 {
            new.interval_ns
        } else {
            0
        };
        its.armed
            .store(timers.iter().any(|it| it.left != 0), Ordering::Relaxed);
    }
    drop(timers);
    old
}

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
        w @ (uapi::ITIMER_VIRTUAL | uapi::ITIMER_PROF) => cpu_itimer(&task::current(), w, None),
        _ => return Err(EINVAL),
    };
    copy_to_user(value, &v.to_bytes())?;
    Ok(0)
}

/// `setitimer(which, value, ovalue)`: arms (or with a zero value
/// disarms) one of the process's timers, reporting the old setting.
pub fn sys_setitimer(which: i32, value: u64, ovalue: u64) -> SysResult {
    let new = if value != 0 {
        let mut b = [0u8; 32];
        copy_from_user(&mut b, value)?;
        Some(Itimerval::from_bytes(&b).ok_or(EINVAL)?)
    } else {
        None
    };
    let me = task::current();
    match which as u32 {
        uapi::ITIMER_REAL => {}
        w @ (uapi::ITIMER_VIRTUAL | uapi::ITIMER_PROF) => {
            let old = cpu_itimer(&me, w, Some(new.unwrap_or_default()));
            if ovalue != 0 {
                copy_to_user(ovalue, &old.to_bytes())?;
            }
            return Ok(0);
        }
        _ => return Err(EINVAL),
    }
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
