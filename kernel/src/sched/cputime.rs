//! CPU time accounting at the tick (Linux's `kernel/sched/cputime.c`):
//! each tick charges one tick's worth of time to the interrupted task as
//! user or system time, depending on where the tick found it, then runs
//! the process's CPU-time interval timers. The split is a sample; what
//! user space sees is the exact run time divided in its proportion
//! (`libkernel::sched::cputime::cputime_adjust`).

use crate::task::{self, PF_IDLE};
use core::sync::atomic::Ordering;

/// Nanoseconds per tick (`TICK_NSEC`).
pub const TICK_NSEC: u64 = 1_000_000_000 / crate::time::HZ;

/// `account_process_tick(p, user_tick)`: `user` says the tick interrupted
/// EL0. The idle task's time is nobody's; a kernel thread's is all
/// system time.
pub fn account_process_tick(user: bool) {
    let p = task::current_ptr();
    if p.is_null() {
        return;
    }
    // SAFETY: the current task stays alive while it runs on this CPU, and
    // the tick runs on its stack with IRQs masked.
    let t = unsafe { &*p };
    if t.flags() & PF_IDLE != 0 {
        return;
    }
    if user {
        t.utime.fetch_add(TICK_NSEC, Ordering::Relaxed);
    } else {
        t.stime.fetch_add(TICK_NSEC, Ordering::Relaxed);
    }
    if t.signal.itimer_cpu.armed() {
        crate::time::itimer::run_cpu_itimers(user);
    }
}
