//! Softirqs and tasklets (Linux's `kernel/softirq.c`): work a hard-IRQ
//! handler defers to run right after it, on the same CPU, with IRQs on
//! again and `SOFTIRQ_OFFSET` in `preempt_count` (the trace's `s`).
//!
//! A handler marks a vector pending ([`raise_softirq_irqoff`]); on the
//! way out of the interrupt, `irq_exit` ([`irq_exit`]) runs the pending
//! vectors' actions in priority order ([`__do_softirq`]). The vectors used
//! here: `TIMER_SOFTIRQ` (expired `timer_list`s, `crate::timer`),
//! `TASKLET_SOFTIRQ` ([`Tasklet`]s: the console UART's receive path) and
//! `SCHED_SOFTIRQ` (the load balancing the tick asks for). A vector raised
//! outside an interrupt waits for the next one on its CPU (at most a tick;
//! pikern has no `ksoftirqd`).

use crate::arch::cpu;
use crate::percpu::{self, NR_CPUS};
use crate::preempt;
use crate::sync::IrqSpinLock;
use crate::trace::events;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use libkernel::preempt::{in_interrupt, SOFTIRQ_OFFSET};
pub use libkernel::softirq::{
    pending_vectors, MAX_SOFTIRQ_RESTART, SCHED_SOFTIRQ, TASKLET_SOFTIRQ, TIMER_SOFTIRQ,
};

/// Per CPU: the raised vectors, a bit each (`local_softirq_pending`).
static PENDING: [AtomicU32; NR_CPUS] = [const { AtomicU32::new(0) }; NR_CPUS];

/// The vectors raised on this CPU and not yet run.
pub fn local_softirq_pending() -> u32 {
    PENDING[percpu::smp_processor_id()].load(Ordering::Relaxed)
}

/// Marks `nr` pending on this CPU; IRQs are off (`raise_softirq_irqoff`).
pub fn raise_softirq_irqoff(nr: u32) {
    events::softirq_raise(nr);
    PENDING[percpu::smp_processor_id()].fetch_or(1 << nr, Ordering::Relaxed);
}

/// [`raise_softirq_irqoff`] from any context (`raise_softirq`).
pub fn raise_softirq(nr: u32) {
    let flags = cpu::local_irq_save();
    raise_softirq_irqoff(nr);
    cpu::raw_local_irq_restore(flags);
}

/// The action of vector `nr` (Linux's `softirq_vec[nr].action`, which
/// `open_softirq` fills in at boot; here a fixed table).
fn softirq_action(nr: u32) {
    match nr {
        TIMER_SOFTIRQ => crate::timer::run_timer_softirq(),
        TASKLET_SOFTIRQ => tasklet_action(),
        SCHED_SOFTIRQ => crate::sched::core::run_rebalance_domains(),
        _ => {}
    }
}

/// The end of a hard interrupt (`irq_exit`), called with IRQs masked and
/// the hard-IRQ count already dropped: runs the pending softirqs unless
/// this interrupt came in while one was already running (that one will
/// see them: its loop re-reads the mask).
pub fn irq_exit() {
    if local_softirq_pending() != 0 && !in_interrupt(preempt::preempt_count()) {
        __do_softirq();
    }
}

/// Runs the pending vectors with IRQs on, again while more were raised
/// meanwhile, at most [`MAX_SOFTIRQ_RESTART`] times; what is left waits
/// for the next interrupt. Preemption stays off throughout (the softirq
/// count), so the CPU read here stays this CPU's.
#[inline(never)]
pub fn __do_softirq() {
    preempt::preempt_count_add(SOFTIRQ_OFFSET);
    let pending = &PENDING[percpu::smp_processor_id()];
    for _ in 0..MAX_SOFTIRQ_RESTART {
        let mask = pending.swap(0, Ordering::Relaxed);
        if mask == 0 {
            break;
        }
        cpu::local_irq_enable();
        for nr in pending_vectors(mask) {
            events::softirq_entry(nr);
            softirq_action(nr);
            events::softirq_exit(nr);
        }
        cpu::local_irq_disable();
    }
    preempt::preempt_count_sub(SOFTIRQ_OFFSET);
}

/// A function to run once, soon, in softirq context on the CPU that
/// scheduled it (Linux's `tasklet_struct`). Scheduling it again before it
/// ran is a no-op; once it starts, it may be scheduled again.
pub struct Tasklet {
    func: fn(),
    scheduled: AtomicBool,
}

impl Tasklet {
    /// A tasklet that calls `func` (`DECLARE_TASKLET`).
    pub const fn new(func: fn()) -> Tasklet {
        Tasklet {
            func,
            scheduled: AtomicBool::new(false),
        }
    }
}

/// Per CPU: the tasklets scheduled and not yet run (`tasklet_vec`).
static TASKLET_VEC: [IrqSpinLock<Vec<&'static Tasklet>>; NR_CPUS] =
    [const { IrqSpinLock::new(Vec::new()) }; NR_CPUS];

/// Queues `t` on this CPU and raises `TASKLET_SOFTIRQ`
/// (`tasklet_schedule`).
pub fn tasklet_schedule(t: &'static Tasklet) {
    if t.scheduled.swap(true, Ordering::AcqRel) {
        return;
    }
    let flags = cpu::local_irq_save();
    TASKLET_VEC[percpu::smp_processor_id()].lock().push(t);
    raise_softirq_irqoff(TASKLET_SOFTIRQ);
    cpu::raw_local_irq_restore(flags);
}

/// `TASKLET_SOFTIRQ`'s action: runs this CPU's scheduled tasklets.
fn tasklet_action() {
    let list = core::mem::take(&mut *TASKLET_VEC[percpu::smp_processor_id()].lock());
    for t in list {
        // Cleared first: a tasklet may be scheduled again while it runs.
        t.scheduled.store(false, Ordering::Release);
        (t.func)();
    }
}
