//! Test-only hooks in kernel paths (ktest builds only): they let a test
//! widen a race window that the normal kernel passes in nanoseconds, so a
//! regression shows in every run instead of one in thousands.

use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The task (its descriptor address) that stops at the entry of
/// `__schedule`, once; 0 for none.
pub static SCHED_ENTRY_VICTIM: AtomicUsize = AtomicUsize::new(0);
/// Set when the victim has arrived in the window.
pub static SCHED_ENTRY_ARRIVED: AtomicBool = AtomicBool::new(false);
/// The CPU the victim was on when it left the window (+1; 0: not yet).
pub static SCHED_ENTRY_LEFT_ON: AtomicUsize = AtomicUsize::new(0);

/// How long the victim waits in the window for a migration.
const WINDOW_NS: u64 = 300_000_000;

/// At the entry of `__schedule`, before the runqueue is locked: where the
/// old code had already read its CPU with IRQs on. The victim waits here,
/// IRQs as they were, until it runs on another CPU or the window closes.
/// With preemption counted, nothing can move it; without, the tick and a
/// changed affinity would.
pub fn schedule_entry() {
    let me = crate::task::current_ptr() as usize;
    if me == 0 || SCHED_ENTRY_VICTIM.load(Ordering::Acquire) != me {
        return;
    }
    SCHED_ENTRY_VICTIM.store(0, Ordering::Release);
    let cpu = crate::percpu::smp_processor_id();
    SCHED_ENTRY_ARRIVED.store(true, Ordering::Release);
    let end = crate::time::uptime_ns() + WINDOW_NS;
    while crate::time::uptime_ns() < end && crate::percpu::smp_processor_id() == cpu {
        core::hint::spin_loop();
    }
    SCHED_ENTRY_LEFT_ON.store(crate::percpu::smp_processor_id() + 1, Ordering::Release);
}
