//! Per-CPU timers (Linux's `kernel/time/timer.c`, with hrtimer precision):
//! each CPU keeps its own list of deadlines, and its generic timer is
//! programmed for the earlier of the next tick and the first deadline, so
//! a sleep ends within microseconds of its time, not at the next tick.

use crate::arch::{cpu, timer as hw};
use crate::percpu::{self, NR_CPUS};
use crate::sync::IrqSpinLock;
use crate::task::Task;
use crate::time;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

struct Entry {
    expires_cycles: u64,
    id: u64,
    task: Arc<Task>,
}

static TIMERS: [IrqSpinLock<Vec<Entry>>; NR_CPUS] =
    [const { IrqSpinLock::new(Vec::new()) }; NR_CPUS];
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A pending timer, for `del_timer`.
#[derive(Clone, Copy, Debug)]
pub struct TimerHandle {
    cpu: usize,
    id: u64,
}

/// Arms a timer on this CPU that wakes `task` at `expires_ns` (uptime).
pub fn add_wakeup_timer(expires_ns: u64, task: Arc<Task>) -> TimerHandle {
    let cpu_nr = percpu::smp_processor_id();
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let expires_cycles = time::ns_to_cycles(expires_ns) + time::boot_counter();
    {
        let mut list = TIMERS[cpu_nr].lock();
        let pos = list.partition_point(|e| e.expires_cycles <= expires_cycles);
        list.insert(
            pos,
            Entry {
                expires_cycles,
                id,
                task,
            },
        );
        program_next_event(&list);
    }
    TimerHandle { cpu: cpu_nr, id }
}

/// Cancels a timer if it has not fired.
pub fn del_timer(t: TimerHandle) {
    TIMERS[t.cpu].lock().retain(|e| e.id != t.id);
}

/// Programs this CPU's timer for the earlier of the tick and `list`'s
/// first deadline.
fn program_next_event(list: &[Entry]) {
    let tick = percpu::this_cpu().next_tick.load(Ordering::Relaxed);
    let first = list.first().map_or(u64::MAX, |e| e.expires_cycles);
    hw::set_deadline(tick.min(first));
}

/// The timer interrupt's work: the tick if it is due, expired timers, and
/// the next deadline.
pub fn timer_interrupt() {
    let pc = percpu::this_cpu();
    let now = cpu::read_counter();
    let next_tick = pc.next_tick.load(Ordering::Relaxed);
    if now >= next_tick {
        time::tick(now);
    }
    let cpu_nr = pc.cpu;
    let mut expired = Vec::new();
    {
        let mut list = TIMERS[cpu_nr].lock();
        let n = list.partition_point(|e| e.expires_cycles <= now);
        expired.extend(list.drain(..n).map(|e| e.task));
        program_next_event(&list);
    }
    for t in expired {
        crate::sched::wake_up_process(&t);
    }
}

/// Pending timers on all CPUs (for leak checks).
pub fn pending_timers() -> usize {
    TIMERS.iter().map(|t| t.lock().len()).sum()
}
