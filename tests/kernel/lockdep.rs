//! The lock validator and the preemption model: spin locks raise the
//! holder's preemption count, IRQ handlers run at hard-IRQ level, a task
//! in the scheduler's entry window cannot be moved to another CPU, and
//! lockdep reports an ABBA order, a lock used in and out of IRQs and a
//! lock held across schedule() the first time each becomes possible.
//!
//! The self-test locks are named `lockdep_selftest*`: the validator hands
//! their reports to the test (and stays on) instead of printing them.

use crate::ktest::{failed, wait_until, Suite, TestCase, TestResult};
use crate::lockdep;
use crate::panic::{expect_report, take_captured_report};
use crate::percpu;
use crate::preempt::preempt_count;
use crate::sched::core::RUNQUEUES;
use crate::sync::{IrqSpinLock, SpinLock};
use crate::task::{Task, PF_KTHREAD};
use crate::{arch::cpu, smp};
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU32, Ordering};
use libkernel::preempt::HARDIRQ_OFFSET;

static A: SpinLock<u32> = SpinLock::named("lockdep_selftest_A", 0);
static B: SpinLock<u32> = SpinLock::named("lockdep_selftest_B", 0);
static IRQ_LOCK: SpinLock<u32> = SpinLock::named("lockdep_selftest_irq", 0);
static SLEEPY: SpinLock<u32> = SpinLock::named("lockdep_selftest_sleep", 0);

fn expect_text(report: Option<String>, what: &str, wants: &[&str]) -> TestResult {
    let Some(r) = report else {
        return Err(failed(format!("expected a report for {what}, saw none")));
    };
    for w in wants {
        if !r.contains(w) {
            return Err(failed(format!(
                "the report for {what} lacks {w:?}; it reads:\n{r}"
            )));
        }
    }
    Ok(())
}

fn spin_locks_raise_the_holders_preempt_count() -> TestResult {
    let base = preempt_count();
    kassert_eq!(base, 0);
    {
        let _a = A.lock();
        kassert_eq!(preempt_count(), 1);
        kassert!(!cpu::irqs_disabled(), "a SpinLock masked IRQs");
        static I: IrqSpinLock<u32> = IrqSpinLock::named("lockdep_selftest_irqsave", 0);
        let _i = I.lock();
        kassert_eq!(preempt_count(), 2);
        kassert!(cpu::irqs_disabled(), "an IrqSpinLock left IRQs on");
    }
    kassert_eq!(preempt_count(), 0);
    kassert!(
        !cpu::irqs_disabled(),
        "IRQs stayed masked after the unlocks"
    );
    Ok(())
}

static IN_IRQ_COUNT: AtomicU32 = AtomicU32::new(0);

fn record_count() {
    IN_IRQ_COUNT.store(preempt_count(), Ordering::Release);
}

fn irq_handlers_run_at_hardirq_level() -> TestResult {
    IN_IRQ_COUNT.store(0, Ordering::Release);
    kassert!(smp::call_on_cpu(1, record_count, true), "CPU1 offline");
    let c = IN_IRQ_COUNT.load(Ordering::Acquire);
    kassert!(
        c & HARDIRQ_OFFSET != 0,
        "expected the hard-IRQ bit in the handler's preempt_count, saw {c:#x}"
    );
    Ok(())
}

fn taking_two_locks_in_both_orders_reports_a_circular_dependency() -> TestResult {
    kassert!(lockdep::enabled(), "the validator is off in the test build");
    {
        let _a = A.lock();
        let _b = B.lock();
    }
    let ((), same) = expect_report(|| {
        let _a = A.lock();
        let _b = B.lock();
    });
    kassert!(
        same.is_none(),
        "the same order twice was reported: {same:?}"
    );
    let ((), r) = expect_report(|| {
        let _b = B.lock();
        let _a = A.lock();
    });
    expect_text(
        r,
        "B then A after A then B",
        &[
            "WARNING: possible circular locking dependency detected",
            "is trying to acquire lock:",
            "lockdep_selftest_A",
            "lockdep_selftest_B",
            "which lock already depends on the new lock.",
            "*** DEADLOCK ***",
            "stack backtrace:",
        ],
    )?;
    kassert!(
        lockdep::enabled(),
        "a self-test report turned the validator off"
    );
    Ok(())
}

fn take_irq_lock() {
    let _g = IRQ_LOCK.lock();
}

fn a_lock_taken_in_irq_and_with_irqs_on_is_inconsistent() -> TestResult {
    take_captured_report();
    kassert!(!cpu::irqs_disabled(), "the test runs with IRQs masked");
    {
        let _g = IRQ_LOCK.lock();
    }
    kassert!(smp::call_on_cpu(2, take_irq_lock, true), "CPU2 offline");
    expect_text(
        take_captured_report(),
        "a lock taken with IRQs on, then in an IRQ handler",
        &[
            "WARNING: inconsistent lock state",
            "inconsistent {HARDIRQ-ON-W} -> {IN-HARDIRQ-W} usage.",
            "lockdep_selftest_irq",
            "<Interrupt>",
        ],
    )
}

fn sleeping_with_a_spin_lock_held_is_reported() -> TestResult {
    let ((), r) = expect_report(|| {
        let _g = SLEEPY.lock();
        crate::sched::core::might_sleep();
    });
    expect_text(
        r,
        "might_sleep under a spin lock",
        &[
            "BUG: sleeping function called from invalid context at",
            "in_atomic(): 1, irqs_disabled(): 0",
            "1 lock held by",
            "lockdep_selftest_sleep",
        ],
    )?;
    let ((), r) = expect_report(|| {
        let _g = SLEEPY.lock();
        crate::sched::schedule();
    });
    expect_text(
        r,
        "schedule() under a spin lock",
        &[
            "BUG: scheduling while atomic:",
            "/0x00000001",
            "lockdep_selftest_sleep",
        ],
    )
}

fn proc_lockdep_lists_classes_and_dependencies() -> TestResult {
    let text = lockdep::proc_show();
    for w in ["&rq->lock", "&p->pi_lock", "lockdep_selftest_A", " -> ["] {
        kassert!(text.contains(w), "/proc/lockdep lacks {w:?}:\n{text}");
    }
    Ok(())
}

/// The race behind the fuzzer's hard lockup: a task preempted between
/// reading its CPU and locking that CPU's runqueue, and moved meanwhile,
/// locked a runqueue it no longer ran on. A test hook holds the victim in
/// that window for 300 ms while its affinity is changed under it; with
/// preemption counted it stays put, then moves through __schedule.
fn a_task_in_the_schedule_window_is_not_migrated() -> TestResult {
    use crate::ktest::hooks::{SCHED_ENTRY_ARRIVED, SCHED_ENTRY_LEFT_ON, SCHED_ENTRY_VICTIM};
    use alloc::sync::Arc;
    use core::sync::atomic::AtomicBool;
    SCHED_ENTRY_ARRIVED.store(false, Ordering::Release);
    SCHED_ENTRY_LEFT_ON.store(0, Ordering::Release);
    let done = Arc::new(AtomicBool::new(false));
    let d2 = done.clone();
    let victim = crate::kthread::kthread_run_on(
        move || {
            SCHED_ENTRY_VICTIM.store(crate::task::current_ptr() as usize, Ordering::Release);
            // Ask for a switch, as a tick would, and enter the scheduler.
            percpu::this_cpu()
                .need_resched
                .store(true, Ordering::Release);
            crate::sched::schedule();
            d2.store(true, Ordering::Release);
            0
        },
        "sched_window",
        1 << 1,
    )
    .map_err(|e| failed(format!("kthread: {e:?}")))?;
    kassert!(
        wait_until(2000, || SCHED_ENTRY_ARRIVED.load(Ordering::Acquire)),
        "the victim never reached the window"
    );
    // Move it while it waits there: CPU 1 is no longer allowed.
    crate::sched::core::sched_setaffinity(&victim, 1 << 2)
        .map_err(|e| failed(format!("setaffinity: {e:?}")))?;
    kassert!(
        wait_until(3000, || done.load(Ordering::Acquire)),
        "the victim never came back from schedule()"
    );
    let left = SCHED_ENTRY_LEFT_ON.load(Ordering::Acquire);
    kassert!(
        left == 2,
        "the victim left the window on CPU {}, expected CPU 1 (it must not move inside it)",
        left as isize - 1
    );
    kassert_eq!(victim.task_cpu(), 2);
    // No runqueue lock left behind.
    for (c, rq) in RUNQUEUES.iter().enumerate() {
        kassert!(
            wait_until(1000, || !rq.is_locked()),
            "runqueue {c} stayed locked (owner {:?})",
            rq.owner_cpu()
        );
    }
    Ok(())
}

/// move_queued_task runs after a task was switched out for its affinity;
/// if something queued it meanwhile it must not be queued twice.
/// With every runqueue locked at once (in CPU order): in how many places
/// the scheduler has `t` (entries in any tree, plus running as a CPU's
/// `curr`: never more than one), and the first runqueue whose count of
/// runnable tasks disagrees with what it holds (its tree, plus `curr`
/// unless idle). A task queued twice and later dequeued once leaves the
/// second kind of trace for good.
fn scheduler_snapshot(t: &Arc<Task>) -> (usize, Option<String>) {
    let mut rqs: alloc::vec::Vec<_> = RUNQUEUES
        .iter()
        .enumerate()
        .map(|(i, rq)| rq.lock_nested(i as u8))
        .collect();
    let places = rqs
        .iter()
        .map(|rq| rq.cfs.iter().filter(|(_, x)| Arc::ptr_eq(x, t)).count() + rq.is_curr(t) as usize)
        .sum();
    let bad = rqs.iter().find_map(|rq| {
        let holds = rq.cfs.len() + !rq.curr_is_idle() as usize;
        (rq.nr_running != holds).then(|| {
            format!(
                "cpu#{}: nr_running {} but {} queued and {} running",
                rq.cpu,
                rq.nr_running,
                rq.cfs.len(),
                !rq.curr_is_idle() as usize
            )
        })
    });
    // Unlocked newest first: each guard restores the IRQ state from before
    // its own lock, and only the first one's had IRQs on.
    while let Some(g) = rqs.pop() {
        drop(g);
    }
    (places, bad)
}

fn move_queued_task_leaves_a_queued_task_alone() -> TestResult {
    use core::sync::atomic::AtomicBool;
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = stop.clone();
    let t = crate::kthread::kthread_run_on(
        move || {
            while !s2.load(Ordering::Acquire) {
                crate::sched::wait::msleep(1);
            }
            0
        },
        "mqt",
        1 << 3,
    )
    .map_err(|e| failed(format!("kthread: {e:?}")))?;
    // Catch it queued (woken, not yet running) or running: on_rq set.
    let mut tries = 0;
    let mut checked = false;
    while tries < 2000 && !checked {
        tries += 1;
        let _pi = t.pi_lock.lock();
        if t.on_rq.load(Ordering::Acquire) {
            drop(_pi);
            crate::sched::core::move_queued_task(&t);
            let (n, bad) = scheduler_snapshot(&t);
            kassert!(
                n <= 1,
                "move_queued_task queued a queued task again: it is in {n} places"
            );
            kassert!(
                bad.is_none(),
                "after move_queued_task: {}",
                bad.unwrap_or_default()
            );
            checked = true;
        }
    }
    stop.store(true, Ordering::Release);
    kassert!(checked, "never caught the task queued");
    kassert!(
        wait_until(2000, || Arc::strong_count(&t) == 1),
        "the task did not exit"
    );
    let (_, bad) = scheduler_snapshot(&t);
    kassert!(
        bad.is_none(),
        "after the task exited: {}",
        bad.unwrap_or_default()
    );
    Ok(())
}

/// Where the last reference to the parent is dropped (in an IRQ handler).
static DOOMED: IrqSpinLock<Option<Arc<Task>>> = IrqSpinLock::named("lockdep_selftest_doomed", None);

fn drop_doomed() {
    let p = DOOMED.lock().take();
    drop(p);
}

/// A task can be freed in an IRQ handler (the last reference dropped
/// there); freeing it unlinks its children, taking each child's `sibling`
/// lock at hard-IRQ level, so that lock must mask IRQs wherever it is
/// taken. While `sibling` was a plain spin lock, this was lockdep's
/// "inconsistent lock state" (and a real deadlock if the IRQ hit a CPU
/// inside `Children::insert`).
fn a_task_freed_in_an_irq_handler_unlinks_its_children_consistently() -> TestResult {
    let family = || {
        let parent = Arc::new(Task::new(0, "sib-parent", PF_KTHREAD, None));
        let child = Arc::new(Task::new(0, "sib-child", PF_KTHREAD, None));
        parent.family.lock().children.insert(child.clone());
        (parent, child)
    };
    let warnings = crate::panic::WARNINGS.load(Ordering::Relaxed);
    // Freed here first, with IRQs on, as a reaped task usually is.
    kassert!(!cpu::irqs_disabled(), "test entered with IRQs masked");
    let (parent, child) = family();
    drop(parent);
    kassert_eq!(Arc::strong_count(&child), 1);
    let (parent, child) = family();
    *DOOMED.lock() = Some(parent);
    kassert!(smp::call_on_cpu(1, drop_doomed, true), "CPU1 offline");
    kassert!(DOOMED.lock().is_none(), "the IRQ handler did not run");
    kassert!(
        lockdep::enabled(),
        "the validator turned itself off: it reported freeing a task in an IRQ handler"
    );
    kassert_eq!(crate::panic::WARNINGS.load(Ordering::Relaxed), warnings);
    kassert_eq!(Arc::strong_count(&child), 1);
    Ok(())
}

pub const SUITE: Suite = Suite {
    name: "lockdep",
    manual: false,
    cases: &[
        TestCase {
            name: "spin_locks_raise_the_holders_preempt_count",
            run: spin_locks_raise_the_holders_preempt_count,
        },
        TestCase {
            name: "irq_handlers_run_at_hardirq_level",
            run: irq_handlers_run_at_hardirq_level,
        },
        TestCase {
            name: "taking_two_locks_in_both_orders_reports_a_circular_dependency",
            run: taking_two_locks_in_both_orders_reports_a_circular_dependency,
        },
        TestCase {
            name: "a_lock_taken_in_irq_and_with_irqs_on_is_inconsistent",
            run: a_lock_taken_in_irq_and_with_irqs_on_is_inconsistent,
        },
        TestCase {
            name: "sleeping_with_a_spin_lock_held_is_reported",
            run: sleeping_with_a_spin_lock_held_is_reported,
        },
        TestCase {
            name: "proc_lockdep_lists_classes_and_dependencies",
            run: proc_lockdep_lists_classes_and_dependencies,
        },
        TestCase {
            name: "a_task_in_the_schedule_window_is_not_migrated",
            run: a_task_in_the_schedule_window_is_not_migrated,
        },
        TestCase {
            name: "move_queued_task_leaves_a_queued_task_alone",
            run: move_queued_task_leaves_a_queued_task_alone,
        },
        TestCase {
            name: "a_task_freed_in_an_irq_handler_unlinks_its_children_consistently",
            run: a_task_freed_in_an_irq_handler_unlinks_its_children_consistently,
        },
    ],
};
