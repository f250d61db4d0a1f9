//! Workqueues: items run on the kworker of the pool they were queued to,
//! once however often they were queued before running, after their delay
//! when delayed, not at all when cancelled in time, and also when queued
//! from a hard IRQ; the `workqueue:*` events name the kworker that ran
//! them.

use super::trace::{entries, field};
use crate::ktest::{Fail, Suite, TestCase, TestResult};
use crate::percpu::NR_CPUS;
use crate::sched::wait::msleep;
use crate::sync::IrqSpinLock;
use crate::trace;
use crate::workqueue::{self as wq, DelayedWork, Work};
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use libkernel::trace::{id, Record};

/// Where an item ran: CPU and comm, and how many times.
struct Ran {
    count: AtomicUsize,
    cpu: AtomicUsize,
    comm: IrqSpinLock<String>,
}

impl Ran {
    const fn new() -> Ran {
        Ran {
            count: AtomicUsize::new(0),
            cpu: AtomicUsize::new(usize::MAX),
            comm: IrqSpinLock::new(String::new()),
        }
    }

    fn note(&self) {
        let me = crate::task::current();
        let comm = String::from(me.comm().as_str());
        let mut c = self.comm.lock();
        *c = comm;
        drop(c);
        self.cpu.store(me.task_cpu(), Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Release);
    }

    fn reset(&self) {
        self.count.store(0, Ordering::Relaxed);
        self.cpu.store(usize::MAX, Ordering::Relaxed);
    }

    fn comm(&self) -> String {
        self.comm.lock().clone()
    }
}

static RAN: Ran = Ran::new();
static NOTE: Work = Work::new(|_| RAN.note());

/// Waits up to `ms` for `cond`.
fn wait_for(ms: u64, cond: impl Fn() -> bool) -> bool {
    for _ in 0..ms {
        if cond() {
            return true;
        }
        msleep(1);
    }
    cond()
}

fn queue_work_on_a_cpu_runs_on_its_kworker() -> TestResult {
    for cpu in 0..crate::smp::num_online_cpus().min(NR_CPUS) {
        RAN.reset();
        kassert!(wq::queue_work_on(cpu, &wq::SYSTEM_WQ, &NOTE), "not queued");
        wq::flush_work(&NOTE);
        kassert_eq!(RAN.count.load(Ordering::Acquire), 1);
        kassert_eq!(RAN.cpu.load(Ordering::Relaxed), cpu);
        kassert_eq!(RAN.comm(), alloc::format!("kworker/{cpu}:0"));
    }
    RAN.reset();
    kassert!(wq::queue_work(&wq::SYSTEM_UNBOUND_WQ, &NOTE), "not queued");
    wq::flush_work(&NOTE);
    kassert_eq!(RAN.count.load(Ordering::Acquire), 1);
    kassert_eq!(RAN.comm(), alloc::format!("kworker/u{}:0", 2 * NR_CPUS));
    Ok(())
}

static BLOCKER_DONE: AtomicBool = AtomicBool::new(false);
/// Keeps its kworker busy for 30 ms.
static BLOCKER: Work = Work::new(|_| {
    msleep(30);
    BLOCKER_DONE.store(true, Ordering::Release);
});

fn an_item_queued_twice_before_it_runs_runs_once() -> TestResult {
    RAN.reset();
    BLOCKER_DONE.store(false, Ordering::Relaxed);
    kassert!(wq::queue_work_on(1, &wq::SYSTEM_WQ, &BLOCKER), "blocker");
    kassert!(wq::queue_work_on(1, &wq::SYSTEM_WQ, &NOTE), "first queue");
    kassert!(NOTE.is_pending(), "not pending while queued");
    kassert!(
        !wq::queue_work_on(1, &wq::SYSTEM_WQ, &NOTE),
        "queued again while pending"
    );
    // flush_work waits for the blocker (running) and then the item.
    kassert!(wq::flush_work(&NOTE), "flush did not wait");
    kassert!(
        BLOCKER_DONE.load(Ordering::Acquire),
        "ran before the blocker"
    );
    kassert_eq!(RAN.count.load(Ordering::Acquire), 1);
    kassert!(!wq::flush_work(&NOTE), "nothing left to wait for");
    Ok(())
}

fn flush_work_waits_for_a_running_item() -> TestResult {
    BLOCKER_DONE.store(false, Ordering::Relaxed);
    wq::queue_work_on(2, &wq::SYSTEM_WQ, &BLOCKER);
    msleep(5);
    kassert!(wq::flush_work(&BLOCKER), "flush did not wait");
    kassert!(
        BLOCKER_DONE.load(Ordering::Acquire),
        "returned before it ended"
    );
    Ok(())
}

static DNOTE: DelayedWork = DelayedWork::new(|_| RAN.note());

fn delayed_work_runs_after_its_delay() -> TestResult {
    RAN.reset();
    let start = crate::time::uptime_ns();
    // 5 jiffies: 50 ms at HZ=100.
    kassert!(wq::schedule_delayed_work(&DNOTE, 5), "not queued");
    kassert!(!wq::schedule_delayed_work(&DNOTE, 5), "queued twice");
    msleep(20);
    kassert_eq!(RAN.count.load(Ordering::Acquire), 0);
    kassert!(
        wait_for(500, || RAN.count.load(Ordering::Acquire) == 1),
        "did not run"
    );
    let took = crate::time::uptime_ns() - start;
    kassert!(took >= 50_000_000, "ran after {took} ns, before its delay");
    kassert!(RAN.comm().starts_with("kworker/"), "ran in {}", RAN.comm());
    Ok(())
}

fn cancel_delayed_work_sync_stops_a_pending_item() -> TestResult {
    RAN.reset();
    kassert!(wq::schedule_delayed_work(&DNOTE, 10), "not queued");
    kassert!(wq::cancel_delayed_work_sync(&DNOTE), "was not pending");
    msleep(150);
    kassert_eq!(RAN.count.load(Ordering::Acquire), 0);
    kassert!(!DNOTE.work.is_pending(), "still pending");
    // And it can be queued again.
    kassert!(wq::schedule_delayed_work(&DNOTE, 0), "not queued again");
    wq::flush_delayed_work(&DNOTE);
    kassert_eq!(RAN.count.load(Ordering::Acquire), 1);
    Ok(())
}

static QUEUED_IN_IRQ: AtomicBool = AtomicBool::new(false);

fn queue_from_irq() {
    QUEUED_IN_IRQ.store(crate::preempt::in_irq(), Ordering::Relaxed);
    wq::schedule_work(&NOTE);
}

fn work_queued_from_a_hard_irq_runs_on_that_cpus_kworker() -> TestResult {
    RAN.reset();
    let cpu = 3 % crate::smp::num_online_cpus();
    kassert!(crate::smp::call_on_cpu(cpu, queue_from_irq, true), "IPI");
    kassert!(
        QUEUED_IN_IRQ.load(Ordering::Relaxed),
        "not queued in hard IRQ"
    );
    kassert!(
        wait_for(500, || RAN.count.load(Ordering::Acquire) == 1),
        "did not run"
    );
    kassert_eq!(RAN.cpu.load(Ordering::Relaxed), cpu);
    kassert_eq!(RAN.comm(), alloc::format!("kworker/{cpu}:0"));
    Ok(())
}

fn workqueue_events_show_queue_and_execution_by_the_kworker() -> TestResult {
    let ids = [
        id::WORKQUEUE_QUEUE_WORK,
        id::WORKQUEUE_ACTIVATE_WORK,
        id::WORKQUEUE_EXECUTE_START,
        id::WORKQUEUE_EXECUTE_END,
    ];
    let was: Vec<bool> = ids.iter().map(|i| trace::event_enabled(*i)).collect();
    trace::clear();
    for i in ids {
        trace::set_event(i, true);
    }
    wq::queue_work_on(1, &wq::SYSTEM_WQ, &NOTE);
    wq::flush_work(&NOTE);
    for (i, w) in ids.iter().zip(was) {
        trace::set_event(*i, w);
    }
    let addr = &NOTE as *const Work as i64;
    let mine = |ev: u16| -> Vec<Record> {
        entries(ev)
            .into_iter()
            .filter(|r| field(r, "work") == addr)
            .collect()
    };
    let q = mine(id::WORKQUEUE_QUEUE_WORK);
    kassert_eq!(q.len(), 1);
    kassert_eq!(field(&q[0], "req_cpu"), 1);
    kassert_eq!(field(&q[0], "cpu"), 1);
    kassert_eq!(mine(id::WORKQUEUE_ACTIVATE_WORK).len(), 1);
    let start = mine(id::WORKQUEUE_EXECUTE_START);
    let end = mine(id::WORKQUEUE_EXECUTE_END);
    kassert!(
        start.len() == 1 && end.len() == 1,
        "{} starts, {} ends",
        start.len(),
        end.len()
    );
    let comm = crate::task::Comm(start[0].comm);
    kassert_eq!(comm.as_str(), "kworker/1:0");
    kassert!(
        start[0].ts <= end[0].ts && q[0].ts <= start[0].ts,
        "out of order"
    );
    let text = trace::trace_text();
    kassert!(
        text.contains("workqueue=events req_cpu=1 cpu=1")
            && text.contains("workqueue_execute_start: work struct "),
        "no workqueue lines:\n{text}"
    );
    trace::clear();
    Ok(())
}

fn the_final_put_of_a_reaped_task_runs_in_a_kworker() -> TestResult {
    let was = trace::event_enabled(id::SCHED_PROCESS_FREE);
    trace::clear();
    trace::set_event(id::SCHED_PROCESS_FREE, true);
    let pid = crate::fork::kernel_thread(
        alloc::boxed::Box::new(|| 0),
        "wq_reaped",
        libkernel::uapi::SIGCHLD as u64,
    )
    .map_err(|e| Fail::Failed(alloc::format!("kernel_thread: {}", e.0)))?;
    let _ = crate::exit::do_wait(pid, 0);
    let freed = wait_for(500, || {
        entries(id::SCHED_PROCESS_FREE)
            .iter()
            .any(|r| field(r, "pid") == pid as i64)
    });
    trace::set_event(id::SCHED_PROCESS_FREE, was);
    kassert!(freed, "pid {pid} never freed");
    let by: Vec<String> = entries(id::SCHED_PROCESS_FREE)
        .iter()
        .filter(|r| field(r, "pid") == pid as i64)
        .map(|r| String::from(crate::task::Comm(r.comm).as_str()))
        .collect();
    kassert!(
        by.iter().all(|c| c.starts_with("kworker/")),
        "freed by {by:?}, not a kworker"
    );
    trace::clear();
    Ok(())
}

/// The workqueue suite.
pub const SUITE: Suite = Suite {
    name: "workqueue",
    cases: &[
        TestCase {
            name: "queue_work_on_a_cpu_runs_on_its_kworker",
            run: queue_work_on_a_cpu_runs_on_its_kworker,
        },
        TestCase {
            name: "an_item_queued_twice_before_it_runs_runs_once",
            run: an_item_queued_twice_before_it_runs_runs_once,
        },
        TestCase {
            name: "flush_work_waits_for_a_running_item",
            run: flush_work_waits_for_a_running_item,
        },
        TestCase {
            name: "delayed_work_runs_after_its_delay",
            run: delayed_work_runs_after_its_delay,
        },
        TestCase {
            name: "cancel_delayed_work_sync_stops_a_pending_item",
            run: cancel_delayed_work_sync_stops_a_pending_item,
        },
        TestCase {
            name: "work_queued_from_a_hard_irq_runs_on_that_cpus_kworker",
            run: work_queued_from_a_hard_irq_runs_on_that_cpus_kworker,
        },
        TestCase {
            name: "workqueue_events_show_queue_and_execution_by_the_kworker",
            run: workqueue_events_show_queue_and_execution_by_the_kworker,
        },
        TestCase {
            name: "the_final_put_of_a_reaped_task_runs_in_a_kworker",
            run: the_final_put_of_a_reaped_task_runs_in_a_kworker,
        },
    ],
    manual: false,
};
