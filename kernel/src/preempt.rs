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
//!
//! As on arm64 Linux, the word is 64 bits: the count, and above it the
//! CPU's need-resched flag (`percpu::PerCpu::need_resched`) folded in,
//! inverted, so that "count 0 and a reschedule pending" is the word being
//! 0. The flag is set here when this CPU asks itself to reschedule
//! (`resched_curr`), on the way out of an IRQ when another CPU asked, and
//! cleared by `__schedule`.

use crate::sched::core::{__schedule, need_resched, sched_ready};
use crate::task::current_ptr;
use core::sync::atomic::{compiler_fence, AtomicU32, AtomicU64, Ordering};
use libkernel::preempt::{in_hardirq, PREEMPT_OFFSET};

/// The running task's preempt word; `None` before the scheduler starts.
#[inline(always)]
fn word<'a>() -> Option<&'a AtomicU64> {
    // SAFETY: the running task stays alive while it runs; the reference is
    // used at once, by the task itself.
    unsafe { current_ptr().as_ref() }.map(|t| &t.preempt_count)
}

/// The halves of the word: the count (low 32 bits) and the inverted
/// need-resched flag (high 32 bits), each stored on its own, as arm64
/// Linux's `preempt.count` and `preempt.need_resched`: changing the count
/// must not write back a flag an IRQ changed meanwhile, nor the other way.
#[inline(always)]
fn halves(w: &AtomicU64) -> (&AtomicU32, &AtomicU32) {
    let p = w as *const AtomicU64 as *const AtomicU32;
    // SAFETY: an AtomicU64 is 8 bytes, 8-aligned: two AtomicU32s, the low
    // half first (little-endian). Only the word's task and IRQs on its CPU
    // touch it, never two CPUs at once; a 64-bit load and 32-bit stores of
    // aligned words are each single-copy atomic on arm64.
    unsafe { (&*p, &*p.add(1)) }
}

/// The running task's `preempt_count` (0 before the scheduler starts).
#[inline(always)]
pub fn preempt_count() -> u32 {
    word().map_or(0, |w| w.load(Ordering::Relaxed) as u32)
}

/// Adds `v` to the running task's count. Not an atomic read-modify-write:
/// only the task and IRQs on its CPU change it, and IRQs put it back as
/// they found it.
#[inline(always)]
pub fn preempt_count_add(v: u32) {
    if let Some(w) = word() {
        let count = halves(w).0;
        count.store(
            count.load(Ordering::Relaxed).wrapping_add(v),
            Ordering::Relaxed,
        );
    }
    // Nothing after this may be moved before it (`barrier()`).
    compiler_fence(Ordering::SeqCst);
}

/// Subtracts `v`; returns the new count (1 before the scheduler starts,
/// so nothing reschedules then).
#[inline(always)]
pub fn preempt_count_sub(v: u32) -> u32 {
    compiler_fence(Ordering::SeqCst);
    match word() {
        Some(w) => {
            let count = halves(w).0;
            let n = count.load(Ordering::Relaxed).wrapping_sub(v);
            count.store(n, Ordering::Relaxed);
            n
        }
        None => 1,
    }
}

/// Drops one `preempt_disable` and says whether the task should now be
/// preempted (`__preempt_count_dec_and_test`): the whole word reads 0.
/// If it did not with the value loaded, it is read again, as an IRQ may
/// have set the need-resched flag between that load and the store.
#[inline(always)]
fn preempt_count_dec_and_test() -> bool {
    compiler_fence(Ordering::SeqCst);
    let Some(w) = word() else {
        return false;
    };
    let pc = w
        .load(Ordering::Relaxed)
        .wrapping_sub(PREEMPT_OFFSET as u64);
    halves(w).0.store(pc as u32, Ordering::Relaxed);
    pc == 0 || w.load(Ordering::Relaxed) == 0
}

/// Marks the running task as needing a reschedule in its preempt word
/// (`set_preempt_need_resched`): the CPU's own request, or one another
/// CPU made, folded in on the way out of an IRQ.
#[inline(always)]
pub fn set_preempt_need_resched() {
    if let Some(w) = word() {
        halves(w).1.store(0, Ordering::Relaxed);
    }
}

/// Clears the running task's need-resched flag (`__schedule`).
#[inline(always)]
pub fn clear_preempt_need_resched() {
    if let Some(w) = word() {
        halves(w).1.store(1, Ordering::Relaxed);
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
/// reached 0 and a reschedule was asked for meanwhile (one compare: the
/// flag is folded into the word).
#[inline(always)]
pub fn preempt_enable() {
    if preempt_count_dec_and_test() {
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
