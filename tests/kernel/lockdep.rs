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
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use libkernel::preempt::HARDIRQ_OFFSET;

static A: SpinLock<u32> = SpinLock::named(&"lockdep_selftest_A", 0);
static B: SpinLock<u32> = SpinLock::named(&"lockdep_selftest_B", 0);
static IRQ_LOCK: SpinLock<u32> = SpinLock::named(&"lockdep_selftest_irq", 0);
static SLEEPY: SpinLock<u32> = SpinLock::named(&"lockdep_selftest_sleep", 0);

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
        static I: IrqSpinLock<u32> = IrqSpinLock::named(&"lockdep_selftest_irqsave", 0);
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

static SAFE: SpinLock<u32> = SpinLock::named(&"lockdep_selftest_safe", 0);
static SAFE_INNER: SpinLock<u32> = SpinLock::named(&"lockdep_selftest_safe_inner", 0);
static UNSAFE_OUTER: SpinLock<u32> = SpinLock::named(&"lockdep_selftest_unsafe_outer", 0);
static UNSAFE: SpinLock<u32> = SpinLock::named(&"lockdep_selftest_unsafe", 0);

fn take_safe_lock() {
    let _g = SAFE.lock();
}

/// SAFE is taken in an IRQ handler, UNSAFE with IRQs on; SAFE_INNER is
/// taken under SAFE and UNSAFE under UNSAFE_OUTER, both with IRQs masked,
/// which is fine so far. Taking UNSAFE_OUTER under SAFE_INNER would join
/// the two chains: an IRQ taking SAFE on a CPU that holds UNSAFE (IRQs on)
/// can wait for a CPU that holds SAFE (IRQs off) and waits for UNSAFE.
/// Lockdep reports it as Linux does, with both chains, before it happens.
fn an_irq_safe_lock_ordered_before_an_irq_unsafe_one_is_reported() -> TestResult {
    take_captured_report();
    kassert!(smp::call_on_cpu(2, take_safe_lock, true), "CPU2 offline");
    kassert!(
        take_captured_report().is_none(),
        "taking a lock in an IRQ handler alone was reported"
    );
    {
        let _u = UNSAFE.lock();
    }
    let flags = cpu::local_irq_save();
    {
        let _s = SAFE.lock();
        let _i = SAFE_INNER.lock();
    }
    {
        let _o = UNSAFE_OUTER.lock();
        let _u = UNSAFE.lock();
    }
    let ((), r) = expect_report(|| {
        let _i = SAFE_INNER.lock();
        let _o = UNSAFE_OUTER.lock();
    });
    cpu::local_irq_restore(flags);
    expect_text(
        r,
        "SAFE_INNER then UNSAFE_OUTER",
        &[
            "WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected",
            "is trying to acquire:\n",
            "which would create a new lock dependency:\n (lockdep_selftest_safe_inner){.} -> (lockdep_selftest_unsafe_outer){.}\n",
            "but this new dependency connects a HARDIRQ-irq-safe lock:\n (lockdep_selftest_safe){-}\n",
            "... which became HARDIRQ-irq-safe at:\n",
            "to a HARDIRQ-irq-unsafe lock:\n (lockdep_selftest_unsafe){+}\n",
            "Chain exists of:\n  lockdep_selftest_safe --> lockdep_selftest_safe_inner --> lockdep_selftest_unsafe\n",
            "  <Interrupt>\n    lock(lockdep_selftest_safe);\n",
            "the dependencies between HARDIRQ-irq-safe lock and the holding lock:\n -> (lockdep_selftest_safe){-} ops: ",
            "\n-> (lockdep_selftest_safe_inner){.} ops: ",
            "the dependencies between the lock to be acquired and HARDIRQ-irq-unsafe lock:\n -> (lockdep_selftest_unsafe){+} ops: ",
            "\n-> (lockdep_selftest_unsafe_outer){.} ops: ",
            "stack backtrace:",
        ],
    )
}

static REMARKED: SpinLock<u32> = SpinLock::named(&"lockdep_selftest_remarked", 0);

fn take_remarked_lock() {
    let _g = REMARKED.lock();
}

/// A lock taken with IRQs masked is not IRQ-unsafe, until IRQs come back
/// on while it is still held: from then on an IRQ handler taking it on
/// this CPU spins for ever. Linux marks the held locks when IRQs are
/// enabled (`mark_held_locks`); a lock already used in an IRQ handler is
/// then an inconsistent lock state.
fn a_lock_held_when_irqs_come_back_on_is_irq_unsafe() -> TestResult {
    take_captured_report();
    kassert!(
        smp::call_on_cpu(3, take_remarked_lock, true),
        "CPU3 offline"
    );
    kassert!(
        take_captured_report().is_none(),
        "taking a lock in an IRQ handler alone was reported"
    );
    let flags = cpu::local_irq_save();
    kassert!(
        !cpu::irqs_disabled_flags(flags),
        "the test ran with IRQs masked"
    );
    let ((), r) = expect_report(|| {
        let g = REMARKED.lock();
        cpu::local_irq_restore(flags);
        drop(g);
    });
    kassert!(!cpu::irqs_disabled(), "IRQs stayed masked");
    expect_text(
        r,
        "IRQs enabled with a lock held that an IRQ handler takes",
        &[
            "WARNING: inconsistent lock state",
            "inconsistent {IN-HARDIRQ-W} -> {HARDIRQ-ON-W} usage.",
            "lockdep_selftest_remarked",
            "{IN-HARDIRQ-W} state was registered at:",
            "<Interrupt>",
            "1 lock held by",
        ],
    )
}

static INVERTED_SAFE: SpinLock<u32> = SpinLock::named(&"lockdep_selftest_inv_safe", 0);
static INVERTED_UNSAFE: SpinLock<u32> = SpinLock::named(&"lockdep_selftest_inv_unsafe", 0);

fn take_inverted_safe_lock() {
    let _g = INVERTED_SAFE.lock();
}

/// The order comes first (with IRQs masked, harmless then), the usages
/// after: INVERTED_UNSAFE is taken with IRQs on, then INVERTED_SAFE in an
/// IRQ handler. The second usage completes the same deadlock as above and
/// is reported when it appears ("possible irq lock inversion").
fn a_lock_turning_irq_safe_above_an_irq_unsafe_one_is_an_inversion() -> TestResult {
    let flags = cpu::local_irq_save();
    {
        let _s = INVERTED_SAFE.lock();
        let _u = INVERTED_UNSAFE.lock();
    }
    cpu::local_irq_restore(flags);
    {
        let _u = INVERTED_UNSAFE.lock();
    }
    take_captured_report();
    kassert!(
        smp::call_on_cpu(1, take_inverted_safe_lock, true),
        "CPU1 offline"
    );
    expect_text(
        take_captured_report(),
        "a lock first used in an IRQ handler after it took an IRQ-unsafe lock",
        &[
            "WARNING: possible irq lock inversion dependency detected",
            "just changed the state of lock:",
            "(lockdep_selftest_inv_safe){-}",
            "but this lock took another, HARDIRQ-unsafe lock in the past:\n (lockdep_selftest_inv_unsafe){+}\n",
            "and interrupts could create inverse lock ordering between them.",
            "the shortest dependencies between 2nd lock and 1st lock:",
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

static PE_GO: AtomicBool = AtomicBool::new(false);
static PE_VICTIM_DONE: AtomicBool = AtomicBool::new(false);
static PE_TICKS_BEFORE: AtomicU64 = AtomicU64::new(0);
/// Whether CPU 1 took no tick between disabling preemption and the
/// request's IPI: then the request came from the other CPU alone.
static PE_CONCLUSIVE: AtomicBool = AtomicBool::new(false);
/// CPU 1's tick count when the woken task ran (u64::MAX: not yet), and
/// whether the victim had left its preempt_enable by then.
static PE_TICKS_AT_RUN: AtomicU64 = AtomicU64::new(u64::MAX);
static PE_RAN_AFTER_VICTIM: AtomicBool = AtomicBool::new(false);

/// One try of the test below: Ok(None) if CPU 1 ticked meanwhile (its
/// own tick may then have asked for the reschedule), else whether the
/// woken task ran inside the victim's preempt_enable, and how.
fn preempt_enable_try() -> Result<Option<(bool, String)>, crate::ktest::Fail> {
    use crate::task::{TASK_INTERRUPTIBLE, TASK_RUNNING};
    PE_GO.store(false, Ordering::Release);
    PE_VICTIM_DONE.store(false, Ordering::Release);
    PE_CONCLUSIVE.store(false, Ordering::Release);
    PE_TICKS_AT_RUN.store(u64::MAX, Ordering::Release);
    let sleeper = crate::kthread::kthread_run_on(
        || {
            loop {
                crate::task::set_current_state(TASK_INTERRUPTIBLE);
                if PE_GO.load(Ordering::Acquire) {
                    break;
                }
                crate::sched::schedule();
            }
            crate::task::set_current_state(TASK_RUNNING);
            PE_RAN_AFTER_VICTIM.store(PE_VICTIM_DONE.load(Ordering::Acquire), Ordering::Release);
            PE_TICKS_AT_RUN.store(
                percpu::cpu(1).ticks.load(Ordering::Acquire),
                Ordering::Release,
            );
            0
        },
        "pe_sleeper",
        1 << 1,
    )
    .map_err(|e| failed(format!("kthread: {e:?}")))?;
    let ready = Arc::new(AtomicBool::new(false));
    let r2 = ready.clone();
    let victim = crate::kthread::kthread_run_on(
        move || {
            // Run a while, so the sleeper's wake-up preempts it.
            let end = crate::time::uptime_ns() + 30_000_000;
            while crate::time::uptime_ns() < end {
                core::hint::spin_loop();
            }
            crate::preempt::preempt_disable();
            let pc = percpu::this_cpu();
            let (ipis, ticks) = (
                pc.ipis.load(Ordering::Acquire),
                pc.ticks.load(Ordering::Acquire),
            );
            r2.store(true, Ordering::Release);
            // The request, then its IPI (handled here: IRQs are on).
            let end = crate::time::uptime_ns() + 500_000_000;
            while (!pc.need_resched.load(Ordering::Acquire)
                || pc.ipis.load(Ordering::Acquire) == ipis)
                && crate::time::uptime_ns() < end
            {
                core::hint::spin_loop();
            }
            let now = pc.ticks.load(Ordering::Acquire);
            PE_CONCLUSIVE.store(
                now == ticks && pc.need_resched.load(Ordering::Acquire),
                Ordering::Release,
            );
            PE_TICKS_BEFORE.store(now, Ordering::Release);
            crate::preempt::preempt_enable();
            PE_VICTIM_DONE.store(true, Ordering::Release);
            0
        },
        "pe_victim",
        1 << 1,
    )
    .map_err(|e| failed(format!("kthread: {e:?}")))?;
    kassert!(
        wait_until(3000, || ready.load(Ordering::Acquire)),
        "the victim never disabled preemption"
    );
    PE_GO.store(true, Ordering::Release);
    crate::sched::wake_up_process(&sleeper);
    kassert!(
        wait_until(3000, || PE_TICKS_AT_RUN.load(Ordering::Acquire) != u64::MAX),
        "the woken task never ran"
    );
    for t in [&sleeper, &victim] {
        kassert!(
            wait_until(3000, || Arc::strong_count(t) == 1),
            "{} did not exit",
            t.comm()
        );
    }
    if !PE_CONCLUSIVE.load(Ordering::Acquire) {
        return Ok(None);
    }
    let (before, at_run) = (
        PE_TICKS_BEFORE.load(Ordering::Acquire),
        PE_TICKS_AT_RUN.load(Ordering::Acquire),
    );
    let after = PE_RAN_AFTER_VICTIM.load(Ordering::Acquire);
    let how = format!(
        "the woken task ran {} ticks after the victim's preempt_enable (victim done first: {after})",
        at_run.wrapping_sub(before)
    );
    // A tick may still land between the switch and the woken task's read
    // of the count: whether the victim got past preempt_enable first is
    // what tells.
    Ok(Some((!after, how)))
}

/// A wake-up on another CPU asks CPU 1, which has preemption disabled (as
/// under a spin lock, IRQs on), to reschedule: its IPI folds the request
/// into the running task's preempt word, and the preempt_enable that ends
/// the section switches at once, with no tick in between, as the request
/// was always acted on there. Without the fold only the next IRQ would.
/// A try in which CPU 1 ticked meanwhile proves nothing (the tick may ask
/// itself) and is repeated.
fn a_reschedule_asked_while_preemption_is_off_happens_at_preempt_enable() -> TestResult {
    for _ in 0..8 {
        if let Some((ok, how)) = preempt_enable_try()? {
            kassert!(ok, "{how}: the reschedule waited for a later IRQ");
            return Ok(());
        }
    }
    Err(failed(String::from(
        "CPU 1 ticked in every try before the request arrived",
    )))
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
    // Catch it queued (woken, not yet running) or running: on_rq set. It
    // is for microseconds in each tick it sleeps, so try for a time, not
    // a number of times (2000 tries missed it on a loaded host).
    let end = crate::time::uptime_ns() + 3_000_000_000;
    let mut checked = false;
    while crate::time::uptime_ns() < end && !checked {
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

/// A wake-up raced against a move of a queued task from one runqueue to
/// another. The victim sets a sleeping state and works until preempted,
/// as any wait loop can between set_current_state and schedule(), on a
/// CPU of `victim_mask` kept busy by a hog (one per CPU of `hog_mask`).
/// Caught queued there with that state, it is moved by `do_move`, which
/// stops in `window` between the two runqueues while a waker on CPU 3
/// wakes it. A wake-up that saw the task on no runqueue queued it itself,
/// and the move then queued it a second time; done right, the wake-up
/// waits for the move. `do_move` returns whether it moved (a try that
/// found the victim running is repeated).
fn wake_up_races_a_move(
    window: &'static crate::ktest::hooks::MoveWindow,
    victim_mask: u32,
    hog_mask: u32,
    mut do_move: impl FnMut(&Arc<Task>) -> Result<(), crate::ktest::Fail>,
) -> TestResult {
    use crate::task::{TASK_INTERRUPTIBLE, TASK_RUNNING};
    let stop = Arc::new(AtomicBool::new(false));
    // Keep the victim's CPUs busy, so the tick preempts it there.
    let mut hogs = alloc::vec::Vec::new();
    for cpu in (0..32).filter(|c| hog_mask & (1 << c) != 0) {
        let s = stop.clone();
        let hog = crate::kthread::kthread_run_on(
            move || {
                while !s.load(Ordering::Acquire) {
                    core::hint::spin_loop();
                }
                0
            },
            "move_hog",
            1 << cpu,
        )
        .map_err(|e| failed(format!("kthread: {e:?}")))?;
        hogs.push(hog);
    }
    let s2 = stop.clone();
    let victim = crate::kthread::kthread_run_on(
        move || {
            let me = crate::task::current();
            while !s2.load(Ordering::Acquire) {
                crate::task::set_current_state(TASK_INTERRUPTIBLE);
                let n = me.nivcsw.load(Ordering::Relaxed);
                let end = crate::time::uptime_ns() + 20_000_000;
                while me.nivcsw.load(Ordering::Relaxed) == n
                    && crate::time::uptime_ns() < end
                    && !s2.load(Ordering::Acquire)
                {
                    core::hint::spin_loop();
                }
                crate::task::set_current_state(TASK_RUNNING);
            }
            0
        },
        "move_victim",
        victim_mask,
    )
    .map_err(|e| failed(format!("kthread: {e:?}")))?;
    let (v, s3) = (victim.clone(), stop.clone());
    let waker = crate::kthread::kthread_run_on(
        move || {
            while !s3.load(Ordering::Acquire) {
                if window.arrived.load(Ordering::Acquire) && !window.release.load(Ordering::Acquire)
                {
                    crate::sched::wake_up_process(&v);
                    window.release.store(true, Ordering::Release);
                }
                core::hint::spin_loop();
            }
            0
        },
        "move_waker",
        1 << 3,
    )
    .map_err(|e| failed(format!("kthread: {e:?}")))?;
    let mut arrived = false;
    for _ in 0..40 {
        // Queued, not running, a sleeping state set.
        let caught = wait_until(500, || {
            victim.state() == TASK_INTERRUPTIBLE
                && victim.se.rb_key().is_some()
                && victim_mask & (1 << victim.task_cpu()) != 0
        });
        if !caught {
            continue;
        }
        window.release.store(false, Ordering::Release);
        window.arrived.store(false, Ordering::Release);
        window
            .victim
            .store(Arc::as_ptr(&victim) as usize, Ordering::Release);
        do_move(&victim)?;
        window.victim.store(0, Ordering::Release);
        arrived = window.arrived.load(Ordering::Acquire);
        if arrived {
            break;
        }
    }
    let woken = wait_until(1000, || window.release.load(Ordering::Acquire));
    let (places, bad) = scheduler_snapshot(&victim);
    stop.store(true, Ordering::Release);
    crate::sched::wake_up_process(&victim);
    kassert!(
        arrived,
        "never caught the victim queued with a sleeping state"
    );
    kassert!(woken, "the waker never woke the victim");
    kassert!(
        places <= 1,
        "the victim is in {places} places after a wake-up raced its move"
    );
    kassert!(bad.is_none(), "after the move: {}", bad.unwrap_or_default());
    for t in hogs.iter().chain([&victim, &waker]) {
        kassert!(
            wait_until(3000, || Arc::strong_count(t) == 1),
            "{} did not exit",
            t.comm()
        );
    }
    Ok(())
}

/// sched_setaffinity moving another queued task (CPU 1 to CPU 2) races a
/// wake-up: under the task's pi_lock the wake-up waits for the move.
fn sched_setaffinity_on_a_queued_task_races_no_wake_up() -> TestResult {
    wake_up_races_a_move(
        &crate::ktest::hooks::AFFINITY_MOVE,
        1 << 1,
        1 << 1,
        |victim| {
            crate::sched::core::sched_setaffinity(victim, 1 << 2)
                .map_err(|e| failed(format!("setaffinity: {e:?}")))?;
            if !crate::ktest::hooks::AFFINITY_MOVE
                .arrived
                .load(Ordering::Acquire)
            {
                // Missed it (it ran meanwhile): back to CPU 1 and try again.
                crate::sched::core::sched_setaffinity(victim, 1 << 1)
                    .map_err(|e| failed(format!("setaffinity: {e:?}")))?;
            }
            Ok(())
        },
    )
}

/// The load balancer pulling a queued task (between CPUs 1 and 2, each
/// with a hog: `move_one_task`, load_balance's move) races a wake-up. It holds both runqueue locks but not the
/// task's pi_lock; the wake-up read `on_rq` false in the middle of the
/// move and queued the task itself, and the balancer then queued it again
/// (fuzz-test's "enqueue_entity: already queued" panic, from a parent
/// woken by its child's release_task). `on_rq` now stays set through the
/// move, so the wake-up waits for the runqueue lock instead.
fn load_balance_of_a_queued_task_races_no_wake_up() -> TestResult {
    wake_up_races_a_move(
        &crate::ktest::hooks::BALANCE_MOVE,
        (1 << 1) | (1 << 2),
        (1 << 1) | (1 << 2),
        |victim| {
            // Pull into the victim's other CPU, as that CPU's idle
            // balance would from the victim's (its hog and the victim):
            // named directly, as another CPU may count as busy as well.
            let from = victim.task_cpu();
            crate::sched::core::move_one_task(3 - from, from, true);
            Ok(())
        },
    )
}

/// A task whose new affinity excludes its CPU steps off it through
/// schedule(); the CPU it leaves queues it on an allowed CPU in
/// finish_task_switch. That must happen before IRQs come back on there:
/// after, an IRQ (and whatever it wakes) could run first while the task,
/// runnable, sat on no runqueue. A hook makes the old CPU wait, IRQs on,
/// for the task to run on its new CPU.
fn a_task_switched_out_for_its_affinity_is_queued_before_irqs_come_back() -> TestResult {
    use crate::ktest::hooks::{MIGRATE_RAN_IN_WINDOW, MIGRATE_VICTIM, MIGRATE_VICTIM_RAN};
    MIGRATE_VICTIM_RAN.store(false, Ordering::Release);
    MIGRATE_RAN_IN_WINDOW.store(0, Ordering::Release);
    let go = Arc::new(AtomicBool::new(false));
    let g2 = go.clone();
    let victim = crate::kthread::kthread_run_on(
        move || {
            while !g2.load(Ordering::Acquire) {
                crate::sched::wait::msleep(1);
            }
            let me = crate::task::current();
            MIGRATE_VICTIM.store(Arc::as_ptr(&me) as usize, Ordering::Release);
            let _ = crate::sched::core::sched_setaffinity(&me, 1 << 2);
            MIGRATE_VICTIM_RAN.store(true, Ordering::Release);
            0
        },
        "migrate_victim",
        1 << 1,
    )
    .map_err(|e| failed(format!("kthread: {e:?}")))?;
    go.store(true, Ordering::Release);
    kassert!(
        wait_until(3000, || MIGRATE_RAN_IN_WINDOW.load(Ordering::Acquire) != 0),
        "the CPU the victim left never reached the window"
    );
    kassert!(
        MIGRATE_RAN_IN_WINDOW.load(Ordering::Acquire) == 1,
        "the victim could not run on its new CPU while the CPU it left had IRQs on: it was on no runqueue"
    );
    kassert!(
        wait_until(3000, || Arc::strong_count(&victim) == 1),
        "the victim did not exit"
    );
    Ok(())
}

/// Where the last reference to the parent is dropped (in an IRQ handler).
static DOOMED: IrqSpinLock<Option<Arc<Task>>> =
    IrqSpinLock::named(&"lockdep_selftest_doomed", None);

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
            name: "an_irq_safe_lock_ordered_before_an_irq_unsafe_one_is_reported",
            run: an_irq_safe_lock_ordered_before_an_irq_unsafe_one_is_reported,
        },
        TestCase {
            name: "a_lock_held_when_irqs_come_back_on_is_irq_unsafe",
            run: a_lock_held_when_irqs_come_back_on_is_irq_unsafe,
        },
        TestCase {
            name: "a_lock_turning_irq_safe_above_an_irq_unsafe_one_is_an_inversion",
            run: a_lock_turning_irq_safe_above_an_irq_unsafe_one_is_an_inversion,
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
            name: "a_reschedule_asked_while_preemption_is_off_happens_at_preempt_enable",
            run: a_reschedule_asked_while_preemption_is_off_happens_at_preempt_enable,
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
            name: "sched_setaffinity_on_a_queued_task_races_no_wake_up",
            run: sched_setaffinity_on_a_queued_task_races_no_wake_up,
        },
        TestCase {
            name: "load_balance_of_a_queued_task_races_no_wake_up",
            run: load_balance_of_a_queued_task_races_no_wake_up,
        },
        TestCase {
            name: "a_task_switched_out_for_its_affinity_is_queued_before_irqs_come_back",
            run: a_task_switched_out_for_its_affinity_is_queued_before_irqs_come_back,
        },
        TestCase {
            name: "a_task_freed_in_an_irq_handler_unlinks_its_children_consistently",
            run: a_task_freed_in_an_irq_handler_unlinks_its_children_consistently,
        },
    ],
};
