//! Workqueues (Linux's `kernel/workqueue.c`): functions deferred to
//! process context, run by kernel threads called kworkers.
//!
//! Each online CPU has a worker pool whose kworker (`kworker/N:0`) is
//! pinned to it, and one unbound pool (`kworker/uK:0`, K being Linux's
//! pool id: the per-CPU pools take ids 0..2*NR_CPUS, a normal and a
//! high-priority one per CPU, so on 4 CPUs the first unbound pool is 8).
//! The kworkers are started by kthreadd at boot, sleep while their pool's
//! list is empty and run its items in order. A work item ([`Work`]) is
//! queued at most once at a time (`WORK_STRUCT_PENDING`); it may be
//! queued again once it started running. A [`DelayedWork`] is queued by a
//! `timer_list` (`delayed_work_timer_fn`, in `TIMER_SOFTIRQ`).
//!
//! Queueing works from any context, hard IRQs included: it takes only the
//! pool's IRQ-safe lock and wakes the worker. Workers never sleep with a
//! lock held. One worker per pool, without Linux's concurrency management:
//! a work function that sleeps holds up the items behind it on its pool,
//! and one that flushes an item queued behind it on its own pool would
//! wait forever (Linux would start another worker).

use crate::percpu::{self, NR_CPUS};
use crate::sched::wait::WaitQueue;
use crate::sync::IrqSpinLock;
use crate::task::TASK_INTERRUPTIBLE;
use crate::trace::events as trace;
use crate::{kthread, timer};
use alloc::collections::VecDeque;
use alloc::format;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// `req_cpu` of an item queued without a CPU (`WORK_CPU_UNBOUND`).
pub const WORK_CPU_UNBOUND: usize = NR_CPUS;

/// A deferred function (Linux's `work_struct`).
pub struct Work {
    func: fn(&'static Work),
    /// Queued and not yet started (`WORK_STRUCT_PENDING_BIT`).
    pending: AtomicBool,
}

impl Work {
    /// A work item that calls `func` (`DECLARE_WORK`).
    pub const fn new(func: fn(&'static Work)) -> Work {
        Work {
            func,
            pending: AtomicBool::new(false),
        }
    }

    /// Queued and not yet started (`work_pending`).
    pub fn is_pending(&self) -> bool {
        self.pending.load(Ordering::Acquire)
    }

    fn addr(&self) -> usize {
        self as *const Work as usize
    }
}

/// A work item queued after a delay (Linux's `delayed_work`).
pub struct DelayedWork {
    /// The item.
    pub work: Work,
    /// The armed timer, if any.
    timer: IrqSpinLock<Option<timer::TimerHandle>>,
    /// Where the timer queues it: the workqueue and the CPU asked for.
    target: IrqSpinLock<Option<(&'static Workqueue, usize)>>,
}

impl DelayedWork {
    /// A delayed item that calls `func` (`DECLARE_DELAYED_WORK`).
    pub const fn new(func: fn(&'static Work)) -> DelayedWork {
        DelayedWork {
            work: Work::new(func),
            timer: IrqSpinLock::new(None),
            target: IrqSpinLock::new(None),
        }
    }
}

/// A workqueue: a name and which pools serve it (`workqueue_struct`).
pub struct Workqueue {
    /// Its name, as the trace shows it.
    pub name: &'static str,
    /// Served by the unbound pool (`WQ_UNBOUND`), not the CPU's.
    unbound: bool,
}

/// `system_wq`: per-CPU, what `schedule_work` uses.
pub static SYSTEM_WQ: Workqueue = Workqueue {
    name: "events",
    unbound: false,
};

/// `system_unbound_wq`: any CPU.
pub static SYSTEM_UNBOUND_WQ: Workqueue = Workqueue {
    name: "events_unbound",
    unbound: true,
};

/// What a pool's lock protects (`worker_pool`'s list and state).
struct PoolState {
    worklist: VecDeque<&'static Work>,
    /// The item its worker is running (`current_work`).
    running: Option<&'static Work>,
}

/// A worker pool and its one worker (`worker_pool`).
struct WorkerPool {
    state: IrqSpinLock<PoolState>,
    /// Where the worker sleeps while the list is empty.
    more_work: WaitQueue,
    /// Whether its worker was started.
    online: AtomicBool,
}

impl WorkerPool {
    const fn new() -> WorkerPool {
        WorkerPool {
            state: IrqSpinLock::new(PoolState {
                worklist: VecDeque::new(),
                running: None,
            }),
            more_work: WaitQueue::new(),
            online: AtomicBool::new(false),
        }
    }
}

/// The per-CPU pools, then the unbound one.
static POOLS: [WorkerPool; NR_CPUS + 1] = [const { WorkerPool::new() }; NR_CPUS + 1];
const UNBOUND: usize = NR_CPUS;
/// Linux's id of the first unbound pool (see the module comment).
const UNBOUND_POOL_ID: usize = 2 * NR_CPUS;
/// Where `flush_work` waits for an item to finish.
static FLUSH_WAIT: WaitQueue = WaitQueue::new();
/// Items finished, ever (for tests).
static COMPLETED: AtomicUsize = AtomicUsize::new(0);

/// Starts the kworkers, through kthreadd (`workqueue_init`).
pub fn init() {
    for cpu in 0..crate::smp::num_online_cpus().min(NR_CPUS) {
        start_worker(cpu, format!("kworker/{cpu}:0"), Some(1 << cpu));
    }
    start_worker(UNBOUND, format!("kworker/u{UNBOUND_POOL_ID}:0"), None);
}

fn start_worker(pool: usize, name: alloc::string::String, mask: Option<u32>) {
    match kthread::kthread_create_on(move || worker_thread(pool), &name, mask) {
        Ok(t) => {
            POOLS[pool].online.store(true, Ordering::Release);
            crate::sched::wake_up_process(&t);
        }
        Err(e) => println!("workqueue: cannot start {name}: errno {}", e.0),
    }
}

/// A kworker's loop (`worker_thread`): run the pool's items in order,
/// sleep when there are none.
fn worker_thread(pool_nr: usize) -> i32 {
    let pool = &POOLS[pool_nr];
    loop {
        pool.more_work.wait_event(TASK_INTERRUPTIBLE, || {
            !pool.state.lock().worklist.is_empty()
        });
        while let Some(work) = next_work(pool) {
            process_one_work(work);
            let mut st = pool.state.lock();
            st.running = None;
            drop(st);
            COMPLETED.fetch_add(1, Ordering::Relaxed);
            FLUSH_WAIT.wake_up_all();
        }
    }
}

/// Takes the next item off `pool`'s list and marks it running and no
/// longer pending, in one step under the lock (so `flush_work` always
/// sees it as one or the other).
fn next_work(pool: &WorkerPool) -> Option<&'static Work> {
    let mut st = pool.state.lock();
    let work = st.worklist.pop_front();
    if st.worklist.is_empty() {
        // Back to no buffer: heap use returns to its baseline.
        st.worklist = VecDeque::new();
    }
    if let Some(w) = work {
        st.running = Some(w);
        w.pending.store(false, Ordering::Release);
    }
    drop(st);
    work
}

/// Runs one item (`process_one_work`).
#[inline(never)]
fn process_one_work(work: &'static Work) {
    let func = work.func as usize;
    trace::workqueue_execute_start(work.addr(), func);
    (work.func)(work);
    trace::workqueue_execute_end(work.addr(), func);
}

/// Puts `work` on the pool for `req_cpu` (`__queue_work`); its pending
/// bit is already set.
fn __queue_work(req_cpu: usize, wq: &'static Workqueue, work: &'static Work) {
    let flags = crate::arch::cpu::local_irq_save();
    let (pool_nr, cpu) = if wq.unbound {
        (UNBOUND, -1)
    } else {
        let c = if req_cpu == WORK_CPU_UNBOUND {
            percpu::smp_processor_id()
        } else {
            req_cpu
        };
        (c, c as i32)
    };
    // A CPU without a worker (not online at boot): the unbound pool.
    let (pool_nr, cpu) = if POOLS[pool_nr].online.load(Ordering::Acquire) {
        (pool_nr, cpu)
    } else {
        (UNBOUND, -1)
    };
    let pool = &POOLS[pool_nr];
    trace::workqueue_queue_work(
        wq.name,
        work.addr(),
        work.func as usize,
        req_cpu as i32,
        cpu,
    );
    trace::workqueue_activate_work(work.addr());
    let mut st = pool.state.lock();
    st.worklist.push_back(work);
    drop(st);
    pool.more_work.wake_up();
    crate::arch::cpu::raw_local_irq_restore(flags);
}

/// Queues `work` on `wq` for CPU `cpu` (`queue_work_on`); false if it was
/// already pending.
pub fn queue_work_on(cpu: usize, wq: &'static Workqueue, work: &'static Work) -> bool {
    if work.pending.swap(true, Ordering::AcqRel) {
        return false;
    }
    __queue_work(cpu.min(WORK_CPU_UNBOUND), wq, work);
    true
}

/// Queues `work` on `wq`, on this CPU's pool for a per-CPU workqueue
/// (`queue_work`).
pub fn queue_work(wq: &'static Workqueue, work: &'static Work) -> bool {
    queue_work_on(WORK_CPU_UNBOUND, wq, work)
}

/// Queues `work` on the system workqueue (`schedule_work`).
pub fn schedule_work(work: &'static Work) -> bool {
    queue_work(&SYSTEM_WQ, work)
}

/// Queues `dwork` on `wq` for `cpu` after `delay` jiffies
/// (`queue_delayed_work_on`); false if it was already pending.
pub fn queue_delayed_work_on(
    cpu: usize,
    wq: &'static Workqueue,
    dwork: &'static DelayedWork,
    delay: u64,
) -> bool {
    if dwork.work.pending.swap(true, Ordering::AcqRel) {
        return false;
    }
    let cpu = cpu.min(WORK_CPU_UNBOUND);
    if delay == 0 {
        __queue_work(cpu, wq, &dwork.work);
        return true;
    }
    *dwork.target.lock() = Some((wq, cpu));
    let expires = crate::time::uptime_ns() + delay * (1_000_000_000 / crate::time::HZ);
    let h = timer::add_delayed_work_timer(expires, dwork);
    let mut t = dwork.timer.lock();
    *t = Some(h);
    drop(t);
    true
}

/// `queue_delayed_work_on` without a CPU (`queue_delayed_work`).
pub fn queue_delayed_work(wq: &'static Workqueue, dwork: &'static DelayedWork, delay: u64) -> bool {
    queue_delayed_work_on(WORK_CPU_UNBOUND, wq, dwork, delay)
}

/// `queue_delayed_work` on the system workqueue (`schedule_delayed_work`).
pub fn schedule_delayed_work(dwork: &'static DelayedWork, delay: u64) -> bool {
    queue_delayed_work(&SYSTEM_WQ, dwork, delay)
}

/// The timer of a delayed item expired: queue it (`delayed_work_timer_fn`,
/// in `TIMER_SOFTIRQ`).
#[inline(never)]
pub fn delayed_work_timer_fn(dwork: &'static DelayedWork) {
    let mut t = dwork.timer.lock();
    *t = None;
    drop(t);
    let target = dwork.target.lock().take();
    let (wq, cpu) = target.unwrap_or((&SYSTEM_WQ, WORK_CPU_UNBOUND));
    __queue_work(cpu, wq, &dwork.work);
}

/// Whether `work` is queued or running anywhere.
fn busy(work: &'static Work) -> bool {
    if work.is_pending() {
        return true;
    }
    POOLS.iter().any(|p| {
        let st = p.state.lock();
        let running = st.running.is_some_and(|w| core::ptr::eq(w, work));
        drop(st);
        running
    })
}

/// Waits until `work`, as queued now, has finished (`flush_work`); true
/// if it had to wait. Must not be called from the item's own pool.
#[track_caller]
pub fn flush_work(work: &'static Work) -> bool {
    if !busy(work) {
        return false;
    }
    FLUSH_WAIT.wait_event(crate::task::TASK_UNINTERRUPTIBLE, || !busy(work));
    true
}

/// Takes `dwork`'s timer back and queues the item now, then waits for it
/// (`flush_delayed_work`).
#[track_caller]
pub fn flush_delayed_work(dwork: &'static DelayedWork) -> bool {
    let h = dwork.timer.lock().take();
    if let Some(h) = h {
        if timer::del_timer(h) {
            let target = dwork.target.lock().take();
            let (wq, cpu) = target.unwrap_or((&SYSTEM_WQ, WORK_CPU_UNBOUND));
            __queue_work(cpu, wq, &dwork.work);
        }
    }
    flush_work(&dwork.work)
}

/// Takes `work` off its pool's list if it has not started, then waits for
/// a running instance (`cancel_work_sync`); true if it was pending.
#[track_caller]
pub fn cancel_work_sync(work: &'static Work) -> bool {
    let mut was_pending = false;
    for p in POOLS.iter() {
        let mut st = p.state.lock();
        if let Some(i) = st.worklist.iter().position(|w| core::ptr::eq(*w, work)) {
            st.worklist.remove(i);
            work.pending.store(false, Ordering::Release);
            was_pending = true;
        }
        drop(st);
    }
    flush_work(work);
    was_pending
}

/// Cancels `dwork`'s timer or queued item and waits for a running one
/// (`cancel_delayed_work_sync`); true if it was pending.
#[track_caller]
pub fn cancel_delayed_work_sync(dwork: &'static DelayedWork) -> bool {
    let h = dwork.timer.lock().take();
    if let Some(h) = h {
        if timer::del_timer(h) {
            dwork.work.pending.store(false, Ordering::Release);
            flush_work(&dwork.work);
            return true;
        }
    }
    cancel_work_sync(&dwork.work)
}

/// Work items finished since boot.
pub fn completed() -> usize {
    COMPLETED.load(Ordering::Relaxed)
}
