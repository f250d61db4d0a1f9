//! Preemption control (Linux's `include/linux/preempt.h`; the counter's
//! layout is `libkernel::preempt`).
//!
//! The count lives in the running task (`Task::preempt_count`), reached
//! through `SP_EL0`, as arm64 Linux keeps it in `thread_info`: a per-CPU
//! counter could be read on one CPU and written back on another if the
//! task were preempted in between. An IRQ preempts only at count 0
//! (`preempt_schedule_irq`); `preempt_enable` reaching 0 with a
//! reschedule pending preempts at once (`preempt_schedule`), as a
//! `CONFIG_PREEMPT` kernel does.

use crate::sched::core::{__schedule, need_resched, sched_ready};
use crate::task::current_ptr;
use core::sync::atomic::{compiler_fence, AtomicU32, Ordering};
use libkernel::preempt::{in_hardirq, PREEMPT_OFFSET};

/// The running task's counter; `None` before the scheduler starts.
#[inline(always)]
fn count_word<'a>() -> Option<&'a AtomicU32> {
    // SAFETY: the running task stays alive while it runs; the reference is
    // used at once, by the task itself.
    unsafe { current_ptr().as_ref() }.map(|t| &t.preempt_count)
}

/// The running task's `preempt_count` (0 before the scheduler starts).
#[inline(always)]
pub fn preempt_count() -> u32 {
    count_word().map_or(0, |c| c.load(Ordering::Relaxed))
}

/// Adds `v` to the running task's count. Not an atomic read-modify-write:
/// only the task and IRQs on its CPU change it, and IRQs put it back as
/// they found it.
#[inline(always)]
pub fn preempt_count_add(v: u32) {
    if let Some(c) = count_word() {
        c.store(c.load(Ordering::Relaxed).wrapping_add(v), Ordering::Relaxed);
    }
    // Nothing after this may be moved before it (`barrier()`).
    compiler_fence(Ordering::SeqCst);
}

/// Subtracts `v`; returns the new count (1 before the scheduler starts,
/// so nothing reschedules then).
#[inline(always)]
pub fn preempt_count_sub(v: u32) -> u32 {
    compiler_fence(Ordering::SeqCst);
    match count_word() {
        Some(c) => {
            let n = c.load(Ordering::Relaxed).wrapping_sub(v);
            c.store(n, Ordering::Relaxed);
            n
        }
        None => 1,
    }
}

/// Stops the running task from being preempted until the matching
/// [`preempt_enable`] (nestable).
#[inline(always)]
pub fn preempt_disable() {
    preempt_count_add(PREEMPT_OFFSET);
}

/// Ends a [`preempt_disable`] section without acting on a pending
/// reschedule (the scheduler's own paths, which loop on it anyway).
#[inline(always)]
pub fn preempt_enable_no_resched() {
    preempt_count_sub(PREEMPT_OFFSET);
}

/// Ends a [`preempt_disable`] section; reschedules at once if the count
/// reached 0 and a reschedule was asked for meanwhile.
#[inline(always)]
pub fn preempt_enable() {
    if preempt_count_sub(PREEMPT_OFFSET) == 0 && need_resched() {
        preempt_schedule();
    }
}

/// True when the running task may be preempted: count 0, IRQs on.
#[inline]
pub fn preemptible() -> bool {
    preempt_count() == 0 && !crate::arch::cpu::irqs_disabled()
}

/// True inside a hard-IRQ handler (`in_irq`).
#[inline]
pub fn in_irq() -> bool {
    in_hardirq(preempt_count())
}

/// Preempts the running task from a `preempt_enable` (`preempt_schedule`).
#[cold]
#[inline(never)]
pub fn preempt_schedule() {
    if !preemptible() || !sched_ready() {
        return;
    }
    loop {
        preempt_disable();
        __schedule(true, None);
        preempt_enable_no_resched();
        if !need_resched() {
            break;
        }
    }
}
