//! Per-CPU timers: Linux's `timer_list`s (`kernel/time/timer.c`) and
//! hrtimers (`kernel/time/hrtimer.c`) in one queue per CPU, in deadline
//! order, with hrtimer precision: the CPU's generic timer is programmed
//! for the earlier of the next tick and the first deadline, so a sleep
//! ends within microseconds of its time, not at the next tick.
//!
//! As in Linux, the two kinds expire in different contexts. An hrtimer's
//! function (`hrtimer_wakeup` ending a `nanosleep`, `it_real_fn`) runs in
//! the timer interrupt itself. An expired `timer_list` (`process_timeout`
//! of `schedule_timeout`, `delayed_work_timer_fn` of a delayed work item)
//! is moved to the CPU's expired list, and `TIMER_SOFTIRQ` runs it
//! (`run_timer_softirq`) on the way out of the interrupt. Each timer is a
//! heap object, so the `timer:*` events show its address as Linux shows a
//! `struct timer_list *`.

use crate::arch::{cpu, timer as hw};
use crate::percpu::{self, NR_CPUS};
use crate::sync::IrqSpinLock;
use crate::task::Task;
use crate::time;
use crate::trace::events as trace;
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use libkernel::trace::events::HRTIMER_MODE_REL;

/// `HRTIMER_MODE_ABS`: an hrtimer armed for a point in time.
const HRTIMER_MODE_ABS: i32 = 0;

/// What an expired timer does: its function, with what it acts on.
enum TimerFn {
    /// `process_timeout`: wakes a task sleeping in `schedule_timeout`.
    ProcessTimeout(Arc<Task>),
    /// `hrtimer_wakeup`: ends a `nanosleep` (an hrtimer).
    HrtimerWakeup(Arc<Task>),
    /// `it_real_fn`: the process's `ITIMER_REAL` (an hrtimer).
    ItimerReal(Arc<Task>),
    /// `delayed_work_timer_fn`: queues a delayed work item.
    DelayedWork(&'static crate::workqueue::DelayedWork),
}

impl TimerFn {
    /// An hrtimer (runs in the hard IRQ), not a `timer_list`.
    fn is_hrtimer(&self) -> bool {
        matches!(self, TimerFn::HrtimerWakeup(_) | TimerFn::ItimerReal(_))
    }

    /// The address of the function, for the trace's `function=`.
    fn function(&self) -> usize {
        match self {
            TimerFn::ProcessTimeout(_) => process_timeout as *const () as usize,
            TimerFn::HrtimerWakeup(_) => hrtimer_wakeup as *const () as usize,
            TimerFn::ItimerReal(_) => crate::time::itimer::it_real_fn as *const () as usize,
            TimerFn::DelayedWork(_) => {
                crate::workqueue::delayed_work_timer_fn as *const () as usize
            }
        }
    }
}

/// A pending timer (Linux's `timer_list` or `hrtimer`); boxed, so its
/// address is stable and names it in the trace.
struct Timer {
    function: TimerFn,
    /// An hrtimer's `HRTIMER_MODE_*` (how its caller gave the time).
    mode: i32,
}

/// (expiry in counter ticks, unique id) -> the timer.
type TimerQueue = BTreeMap<(u64, u64), Box<Timer>>;

/// One CPU's timers (`timer_base` and `hrtimer_cpu_base` in one).
struct TimerBase {
    /// Pending, by deadline.
    queue: TimerQueue,
    /// `timer_list`s past their deadline, waiting for `TIMER_SOFTIRQ`.
    expired: TimerQueue,
}

static TIMERS: [IrqSpinLock<TimerBase>; NR_CPUS] = [const {
    IrqSpinLock::new(TimerBase {
        queue: BTreeMap::new(),
        expired: BTreeMap::new(),
    })
}; NR_CPUS];
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A pending timer, for `del_timer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimerHandle {
    cpu: usize,
    key: (u64, u64),
}

/// Arms a `timer_list` on this CPU that wakes `task` at `expires_ns`
/// (uptime): `schedule_timeout`'s `process_timeout`.
pub fn add_wakeup_timer(expires_ns: u64, task: Arc<Task>) -> TimerHandle {
    add_timer(expires_ns, TimerFn::ProcessTimeout(task))
}

/// Arms an hrtimer on this CPU that ends `task`'s `nanosleep` at
/// `expires_ns` (`hrtimer_sleeper`); `relative`: the sleep was given as
/// a duration (`HRTIMER_MODE_REL`).
pub fn add_hrtimer_sleeper(expires_ns: u64, task: Arc<Task>, relative: bool) -> TimerHandle {
    let mode = if relative {
        HRTIMER_MODE_REL
    } else {
        HRTIMER_MODE_ABS
    };
    add_timer_mode(expires_ns, TimerFn::HrtimerWakeup(task), mode)
}

/// Arms `task`'s `ITIMER_REAL` (an hrtimer) to fire at `expires_ns`.
pub fn add_itimer_real(expires_ns: u64, task: Arc<Task>) -> TimerHandle {
    add_timer(expires_ns, TimerFn::ItimerReal(task))
}

/// Arms the timer of a delayed work item (`__queue_delayed_work`).
pub(crate) fn add_delayed_work_timer(
    expires_ns: u64,
    dwork: &'static crate::workqueue::DelayedWork,
) -> TimerHandle {
    add_timer(expires_ns, TimerFn::DelayedWork(dwork))
}

fn add_timer(expires_ns: u64, function: TimerFn) -> TimerHandle {
    add_timer_mode(expires_ns, function, HRTIMER_MODE_ABS)
}

fn add_timer_mode(expires_ns: u64, function: TimerFn, mode: i32) -> TimerHandle {
    let timer = Box::new(Timer { function, mode });
    let addr = &*timer as *const Timer as usize;
    let flags = cpu::local_irq_save();
    let cpu_nr = percpu::smp_processor_id();
    let key = (
        time::ns_to_cycles(expires_ns) + time::boot_counter(),
        NEXT_ID.fetch_add(1, Ordering::Relaxed),
    );
    if timer.function.is_hrtimer() {
        trace::hrtimer_init(addr, libkernel::uapi::CLOCK_MONOTONIC as i32, timer.mode);
        trace::hrtimer_start(addr, timer.function.function(), expires_ns, timer.mode);
    } else {
        let now = libkernel::time::ns_to_jiffies(time::uptime_ns());
        let expires = libkernel::time::ns_to_jiffies(expires_ns);
        trace::timer_start(addr, timer.function.function(), expires, now, cpu_nr);
    }
    let mut base = TIMERS[cpu_nr].lock();
    base.queue.insert(key, timer);
    program_next_event(&base.queue);
    drop(base);
    cpu::raw_local_irq_restore(flags);
    TimerHandle { cpu: cpu_nr, key }
}

/// Cancels a timer if it has not fired; true if it had not.
pub fn del_timer(t: TimerHandle) -> bool {
    let mut base = TIMERS[t.cpu].lock();
    let timer = match base.queue.remove(&t.key) {
        Some(x) => Some(x),
        None => base.expired.remove(&t.key),
    };
    drop(base);
    // The timer (and the task reference it holds) is dropped after the
    // lock: dropping a task may free it.
    let Some(timer) = timer else {
        return false;
    };
    let addr = &*timer as *const Timer as usize;
    if timer.function.is_hrtimer() {
        trace::hrtimer_cancel(addr);
    } else {
        trace::timer_cancel(addr);
    }
    true
}

/// Programs this CPU's timer for the earlier of the tick and the first
/// deadline in `q`.
fn program_next_event(q: &TimerQueue) {
    let tick = percpu::this_cpu().next_tick.load(Ordering::Relaxed);
    let first = q.keys().next().map_or(u64::MAX, |k| k.0);
    hw::set_deadline(tick.min(first));
}

/// The timer interrupt's work (`hrtimer_interrupt`): the tick if it is
/// due, expired hrtimers run here, expired `timer_list`s handed to
/// `TIMER_SOFTIRQ`, and the next deadline.
pub fn timer_interrupt() {
    let pc = percpu::this_cpu();
    let now = cpu::read_counter();
    if now >= pc.next_tick.load(Ordering::Relaxed) {
        time::tick(now);
    }
    let mut hard = Vec::new();
    let mut soft = false;
    {
        let mut base = TIMERS[pc.cpu].lock();
        while let Some(e) = base.queue.first_entry() {
            if e.key().0 > now {
                break;
            }
            let (key, timer) = e.remove_entry();
            if timer.function.is_hrtimer() {
                hard.push((key, timer));
            } else {
                base.expired.insert(key, timer);
                soft = true;
            }
        }
        program_next_event(&base.queue);
    }
    if soft {
        crate::softirq::raise_softirq_irqoff(crate::softirq::TIMER_SOFTIRQ);
    }
    let now_ns = time::cycles_to_ns(now.wrapping_sub(time::boot_counter()));
    for (key, timer) in hard {
        let addr = &*timer as *const Timer as usize;
        trace::hrtimer_expire_entry(addr, timer.function.function(), now_ns);
        match &timer.function {
            TimerFn::HrtimerWakeup(t) => hrtimer_wakeup(t),
            TimerFn::ItimerReal(t) => {
                crate::time::itimer::it_real_fn(t, TimerHandle { cpu: pc.cpu, key })
            }
            _ => {}
        }
        trace::hrtimer_expire_exit(addr);
    }
}

/// `TIMER_SOFTIRQ`'s action (`run_timer_softirq`): calls each expired
/// `timer_list`'s function, one at a time, with the base unlocked.
pub fn run_timer_softirq() {
    let cpu_nr = percpu::smp_processor_id();
    loop {
        let next = TIMERS[cpu_nr].lock().expired.pop_first();
        let Some((_, timer)) = next else { break };
        let addr = &*timer as *const Timer as usize;
        let now = libkernel::time::ns_to_jiffies(time::uptime_ns());
        trace::timer_expire_entry(addr, timer.function.function(), now);
        match &timer.function {
            TimerFn::ProcessTimeout(t) => process_timeout(t),
            TimerFn::DelayedWork(dw) => crate::workqueue::delayed_work_timer_fn(dw),
            _ => {}
        }
        trace::timer_expire_exit(addr);
    }
}

/// A `schedule_timeout` sleeper's time is up (`process_timeout`).
#[inline(never)]
fn process_timeout(t: &Arc<Task>) {
    crate::sched::wake_up_process(t);
}

/// A `nanosleep`'s hrtimer expired (`hrtimer_wakeup`). The sleep is
/// interruptible, and only that is woken: also what keeps this function's
/// code apart from [`process_timeout`]'s, so the compiler cannot fold the
/// two into one address and the trace names each.
#[inline(never)]
fn hrtimer_wakeup(t: &Arc<Task>) {
    crate::sched::core::try_to_wake_up(t, crate::task::TASK_INTERRUPTIBLE);
}

/// Creates the root nodes of `cpu`'s timer trees at boot (see
/// `init_idle`): later inserts in the interrupt path then rarely allocate.
pub fn prime(cpu: usize, t: &Arc<Task>) {
    let mut base = TIMERS[cpu].lock();
    let timer = || {
        Box::new(Timer {
            function: TimerFn::ProcessTimeout(t.clone()),
            mode: HRTIMER_MODE_ABS,
        })
    };
    base.queue.insert((u64::MAX, 0), timer());
    base.expired.insert((u64::MAX, 0), timer());
    let a = base.queue.remove(&(u64::MAX, 0));
    let b = base.expired.remove(&(u64::MAX, 0));
    drop(base);
    drop((a, b));
}

/// Pending timers on all CPUs (for leak checks).
pub fn pending_timers() -> usize {
    TIMERS
        .iter()
        .map(|t| {
            let b = t.lock();
            let n = b.queue.len() + b.expired.len();
            drop(b);
            n
        })
        .sum()
}
