//! The lockup detector: a kernel thread that spins with preemption
//! disabled is reported as a soft lockup, one that spins with interrupts
//! off is reported as a hard lockup by another CPU, each within its
//! threshold; a long but preemptible kernel loop is not reported.
//!
//! The threshold is lowered to 1 s (soft: 2 s, hard: 1 s) for the suite.
//! The host may stall a vCPU, so "within the threshold" allows 2 s of
//! slack, and the spinning threads give up after twice that.

use crate::ktest::{failed, wait_until, Fail, Suite, TestCase, TestResult};
use crate::kthread::kthread_run_on;
use crate::preempt::{preempt_disable, preempt_enable};
use crate::watchdog::{self, HARDLOCKUPS, SOFTLOCKUPS};
use crate::{arch::cpu, pid, time};
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, Ordering};

const SLACK_NS: u64 = 2_000_000_000;

/// Runs `spin` on CPU `cpu` until `counter` moves past its current value
/// or `limit_ns` pass; returns nanoseconds from the start to the report
/// (None: no report).
fn spin_until_reported(
    cpu: usize,
    counter: &'static AtomicU64,
    limit_ns: u64,
    irqs_off: bool,
) -> Result<Option<u64>, Fail> {
    let before = counter.load(Ordering::Relaxed);
    let took = Arc::new(AtomicU64::new(u64::MAX));
    let t2 = took.clone();
    let t = kthread_run_on(
        move || {
            let start = time::uptime_ns();
            let flags = if irqs_off {
                cpu::local_irq_save()
            } else {
                preempt_disable();
                0
            };
            while counter.load(Ordering::Relaxed) == before {
                if time::uptime_ns() - start > limit_ns {
                    break;
                }
                core::hint::spin_loop();
            }
            let end = time::uptime_ns();
            if irqs_off {
                cpu::local_irq_restore(flags);
            } else {
                preempt_enable();
            }
            if counter.load(Ordering::Relaxed) != before {
                t2.store(end - start, Ordering::Relaxed);
            }
            0
        },
        "lockup",
        1 << cpu,
    )
    .map_err(|e| failed(alloc::format!("kthread_run_on: errno {}", e.0)))?;
    wait_until(limit_ns / 1_000_000 + 10_000, || {
        pid::find_task_by_pid(t.pid()).is_none()
    });
    let ns = took.load(Ordering::Relaxed);
    Ok((ns != u64::MAX).then_some(ns))
}

/// Lowers the threshold for one test and restores it after.
fn with_thresh(secs: u64, f: impl FnOnce() -> TestResult) -> TestResult {
    let old = watchdog::thresh();
    watchdog::set_thresh(secs);
    let r = f();
    watchdog::set_thresh(old);
    r
}

/// With the threshold at 1 s, a thread spinning on `cpu` (preemption or
/// IRQs off) is reported via `counter` after `expect_ns`, give or take.
fn expect_lockup(
    cpu: usize,
    counter: &'static AtomicU64,
    expect_ns: u64,
    irqs_off: bool,
) -> TestResult {
    with_thresh(1, || {
        let limit = 2 * (expect_ns + SLACK_NS);
        let Some(ns) = spin_until_reported(cpu, counter, limit, irqs_off)? else {
            return Err(failed(alloc::format!(
                "no lockup reported in {} ms",
                limit / 1_000_000
            )));
        };
        kassert!(
            ns + 100_000_000 >= expect_ns && ns <= expect_ns + SLACK_NS,
            "reported after {} ms (threshold {} ms)",
            ns / 1_000_000,
            expect_ns / 1_000_000
        );
        Ok(())
    })
}

fn soft_lockup_is_reported_within_the_threshold() -> TestResult {
    expect_lockup(1, &SOFTLOCKUPS, 2_000_000_000, false)
}

fn hard_lockup_is_reported_by_another_cpu() -> TestResult {
    expect_lockup(2, &HARDLOCKUPS, 1_000_000_000, true)
}

fn a_long_preemptible_loop_is_not_a_lockup() -> TestResult {
    with_thresh(1, || {
        let before = SOFTLOCKUPS.load(Ordering::Relaxed);
        // 3 s in the kernel without sleeping, but preemptible: the
        // detector preempts it instead of reporting it.
        let t = kthread_run_on(
            || {
                time::mdelay(3000);
                0
            },
            "busy",
            1 << 3,
        )
        .map_err(|e| failed(alloc::format!("kthread_run_on: errno {}", e.0)))?;
        kassert!(
            wait_until(20_000, || pid::find_task_by_pid(t.pid()).is_none()),
            "the busy thread did not finish"
        );
        kassert_eq!(SOFTLOCKUPS.load(Ordering::Relaxed), before);
        Ok(())
    })
}

/// The suite.
pub const SUITE: Suite = Suite {
    name: "watchdog",
    manual: false,
    cases: &[
        TestCase {
            name: "soft_lockup_is_reported_within_the_threshold",
            run: soft_lockup_is_reported_within_the_threshold,
        },
        TestCase {
            name: "hard_lockup_is_reported_by_another_cpu",
            run: hard_lockup_is_reported_by_another_cpu,
        },
        TestCase {
            name: "a_long_preemptible_loop_is_not_a_lockup",
            run: a_long_preemptible_loop_is_not_a_lockup,
        },
    ],
};
