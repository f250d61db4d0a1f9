//! Per-CPU timers (Linux's `kernel/time/timer.c`, with hrtimer precision):
//! each CPU keeps its own deadlines in order, and its generic timer is
//! programmed for the earlier of the next tick and the first deadline, so
//! a sleep ends within microseconds of its time, not at the next tick.

use crate::arch::{cpu, timer as hw};
use crate::percpu::{self, NR_CPUS};
use crate::sync::IrqSpinLock;
use crate::task::Task;
use crate::time;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

/// What an expired timer does.
enum TimerAction {
    /// Wakes a sleeping task (`schedule_timeout`, `nanosleep`).
    Wake(Arc<Task>),
    /// The process's real-time interval timer (`it_real_fn`).
    ItimerReal(Arc<Task>),
}

/// (expiry in counter ticks, unique id) -> what to do.
type TimerQueue = BTreeMap<(u64, u64), TimerAction>;

static TIMERS: [IrqSpinLock<TimerQueue>; NR_CPUS] =
    [const { IrqSpinLock::new(BTreeMap::new()) }; NR_CPUS];
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A pending timer, for `del_timer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimerHandle {
    cpu: usize,
    key: (u64, u64),
}

/// Arms a timer on this CPU that wakes `task` at `expires_ns` (uptime).
pub fn add_wakeup_timer(expires_ns: u64, task: Arc<Task>) -> TimerHandle {
    add_timer(expires_ns, TimerAction::Wake(task))
}

/// Arms `task`'s `ITIMER_REAL` to fire at `expires_ns` (uptime).
pub fn add_itimer_real(expires_ns: u64, task: Arc<Task>) -> TimerHandle {
    add_timer(expires_ns, TimerAction::ItimerReal(task))
}

fn add_timer(expires_ns: u64, action: TimerAction) -> TimerHandle {
    let cpu_nr = percpu::smp_processor_id();
    let key = (
        time::ns_to_cycles(expires_ns) + time::boot_counter(),
        NEXT_ID.fetch_add(1, Ordering::Relaxed),
    );
    let mut q = TIMERS[cpu_nr].lock();
    q.insert(key, action);
    program_next_event(&q);
    TimerHandle { cpu: cpu_nr, key }
}

/// Cancels a timer if it has not fired; true if it had not.
pub fn del_timer(t: TimerHandle) -> bool {
    // The action (and the task reference it holds) is dropped after the
    // lock: dropping a task may free it.
    let action = TIMERS[t.cpu].lock().remove(&t.key);
    action.is_some()
}

/// Programs this CPU's timer for the earlier of the tick and the first
/// deadline in `q`.
fn program_next_event(q: &TimerQueue) {
    let tick = percpu::this_cpu().next_tick.load(Ordering::Relaxed);
    let first = q.keys().next().map_or(u64::MAX, |k| k.0);
    hw::set_deadline(tick.min(first));
}

/// The timer interrupt's work: the tick if it is due, expired timers, and
/// the next deadline.
pub fn timer_interrupt() {
    let pc = percpu::this_cpu();
    let now = cpu::read_counter();
    if now >= pc.next_tick.load(Ordering::Relaxed) {
        time::tick(now);
    }
    let mut expired = Vec::new();
    {
        let mut q = TIMERS[pc.cpu].lock();
        while let Some(e) = q.first_entry() {
            if e.key().0 > now {
                break;
            }
            let key = *e.key();
            expired.push((key, e.remove()));
        }
        program_next_event(&q);
    }
    for (key, action) in expired {
        match action {
            TimerAction::Wake(t) => {
                crate::sched::wake_up_process(&t);
            }
            TimerAction::ItimerReal(t) => {
                crate::time::itimer::it_real_fn(&t, TimerHandle { cpu: pc.cpu, key })
            }
        }
    }
}

/// Creates the root node of `cpu`'s timer tree at boot (see `init_idle`).
pub fn prime(cpu: usize, t: &Arc<Task>) {
    let mut q = TIMERS[cpu].lock();
    q.insert((u64::MAX, 0), TimerAction::Wake(t.clone()));
    drop(q.remove(&(u64::MAX, 0)));
}

/// Pending timers on all CPUs (for leak checks).
pub fn pending_timers() -> usize {
    TIMERS.iter().map(|t| t.lock().len()).sum()
}
