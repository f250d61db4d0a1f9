//! Scheduling: per-CPU runqueues and affinity, fairness by nice weight,
//! tick preemption, sleeps and cross-CPU wake-ups without lost wake-ups,
//! and load balancing.

use crate::ktest::{failed, wait_until, Fail, Suite, TestCase, TestResult};
use crate::kthread::{kthread_create_on, kthread_run_on};
use crate::percpu;
use crate::sched::wait::{msleep, WaitQueue};
use crate::sched::{self, core::RUNQUEUES};
use crate::task::{Task, TASK_INTERRUPTIBLE, TASK_UNINTERRUPTIBLE};
use crate::time;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// Waits until every task in `ts` is gone (exited and reaped).
fn wait_gone(ts: &[Arc<Task>]) -> bool {
    wait_until(10_000, || {
        ts.iter()
            .all(|t| crate::pid::find_task_by_pid(t.pid()).is_none() && Arc::strong_count(t) == 1)
    })
}

fn pinned_task_only_runs_on_its_cpu() -> TestResult {
    let bad = Arc::new(AtomicUsize::new(usize::MAX));
    let runs = Arc::new(AtomicUsize::new(0));
    let (b, r) = (bad.clone(), runs.clone());
    let t = kthread_run_on(
        move || {
            for i in 0..200 {
                let c = percpu::smp_processor_id();
                if c != 2 {
                    b.store(c, Ordering::Relaxed);
                }
                r.fetch_add(1, Ordering::Relaxed);
                if i % 2 == 0 {
                    msleep(1);
                } else {
                    sched::yield_now();
                }
            }
            0
        },
        "pinned2",
        1 << 2,
    )
    .map_err(|e| failed(alloc::format!("kthread_run_on: errno {}", e.0)))?;
    kassert!(wait_gone(&[t]), "pinned thread did not finish");
    kassert_eq!(runs.load(Ordering::Relaxed), 200);
    kassert_eq!(bad.load(Ordering::Relaxed), usize::MAX);
    Ok(())
}

fn runqueues_are_per_cpu() -> TestResult {
    // A task queued on CPU 3 appears in CPU 3's runqueue and no other.
    let stop = Arc::new(AtomicBool::new(false));
    let mut ts = Vec::new();
    for i in 0..2 {
        let s = stop.clone();
        let t = kthread_run_on(
            move || {
                while !s.load(Ordering::Relaxed) {
                    core::hint::spin_loop();
                }
                0
            },
            if i == 0 { "spin3a" } else { "spin3b" },
            1 << 3,
        )
        .map_err(|e| failed(alloc::format!("errno {}", e.0)))?;
        ts.push(t);
    }
    msleep(50);
    let mut seen = [0usize; 4];
    for (c, rq) in RUNQUEUES.iter().enumerate() {
        let rq = rq.lock();
        for t in &ts {
            let queued = rq.cfs.iter().any(|(_, q)| Arc::ptr_eq(q, t));
            if queued || rq.is_curr(t) {
                seen[c] += 1;
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    kassert!(wait_gone(&ts), "spinners did not finish");
    kassert_eq!(seen, [0, 0, 0, 2]);
    Ok(())
}

/// Runs two CPU-bound threads with the given nice values on CPU 1 for
/// `ms` and returns their run times.
fn compete(nice: [i32; 2], ms: u64) -> Result<[u64; 2], Fail> {
    let stop = Arc::new(AtomicBool::new(false));
    let mut ts = Vec::new();
    for n in nice {
        let s = stop.clone();
        let t = kthread_create_on(
            move || {
                while !s.load(Ordering::Relaxed) {
                    core::hint::spin_loop();
                }
                0
            },
            "hog",
            Some(1 << 1),
        )
        .map_err(|e| failed(alloc::format!("errno {}", e.0)))?;
        sched::set_user_nice(&t, n);
        ts.push(t);
    }
    for t in &ts {
        sched::wake_up_process(t);
    }
    // Let both get going, then measure a window.
    msleep(50);
    let start: Vec<u64> = ts
        .iter()
        .map(|t| t.se.sum_exec_runtime.load(Ordering::Relaxed))
        .collect();
    msleep(ms);
    let end: Vec<u64> = ts
        .iter()
        .map(|t| t.se.sum_exec_runtime.load(Ordering::Relaxed))
        .collect();
    stop.store(true, Ordering::Relaxed);
    if !wait_gone(&ts) {
        return Err(failed("hogs did not exit".into()));
    }
    Ok([end[0] - start[0], end[1] - start[1]])
}

/// What a host stall of the vCPU can add to one task's run time: the
/// counter keeps going while QEMU is descheduled, the running task is
/// charged for it, and CFS can only pay the other back in later slices,
/// which may fall outside the window.
const STALL_ALLOWANCE_NS: u64 = 40_000_000;

fn equal_nice_threads_get_equal_time() -> TestResult {
    let [a, b] = compete([0, 0], 2000)?;
    let diff = a.abs_diff(b).saturating_sub(STALL_ALLOWANCE_NS) as f64 / a.max(b).max(1) as f64;
    kassert!(
        diff <= 0.05,
        "run times {} ms and {} ms differ by {:.1}% beyond the 40 ms stall allowance",
        a / 1_000_000,
        b / 1_000_000,
        diff * 100.0
    );
    Ok(())
}

fn nice_5_gets_its_weight_share() -> TestResult {
    let [a, b] = compete([0, 5], 2000)?;
    let want = 1024.0 / 335.0;
    let got = a as f64 / b.max(1) as f64;
    // The stall allowance, as a ratio error on the smaller share.
    let slack = STALL_ALLOWANCE_NS as f64 / b.max(1) as f64;
    kassert!(
        (got - want).abs() / want <= 0.10 + slack,
        "nice 0 / nice 5 run-time ratio {got:.2}, expected {want:.2} within 10% ({} ms vs {} ms)",
        a / 1_000_000,
        b / 1_000_000
    );
    Ok(())
}

fn spinning_thread_does_not_block_another() -> TestResult {
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let spinner = kthread_run_on(
        move || {
            while !s.load(Ordering::Relaxed) {
                core::hint::spin_loop();
            }
            0
        },
        "spinner",
        1 << 3,
    )
    .map_err(|e| failed(alloc::format!("errno {}", e.0)))?;
    msleep(30);
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let other = kthread_run_on(
        move || {
            r.store(true, Ordering::Release);
            0
        },
        "other",
        1 << 3,
    )
    .map_err(|e| failed(alloc::format!("errno {}", e.0)))?;
    let ok = wait_until(2000, || ran.load(Ordering::Acquire));
    stop.store(true, Ordering::Relaxed);
    kassert!(wait_gone(&[spinner, other]), "threads did not finish");
    kassert!(ok, "a thread spinning on CPU 3 kept another off it for 2 s");
    Ok(())
}

fn msleep_sleeps_at_least_n_and_wakes_within_a_tick() -> TestResult {
    let tick_ns = 1_000_000_000 / time::HZ;
    for ms in [1u64, 5, 20, 50] {
        let t0 = time::uptime_ns();
        msleep(ms);
        let slept = time::uptime_ns() - t0;
        kassert!(
            slept >= ms * 1_000_000,
            "msleep({ms}) returned after {slept} ns"
        );
        kassert!(
            slept <= ms * 1_000_000 + tick_ns,
            "msleep({ms}) took {} us, more than a tick late",
            slept / 1000
        );
    }
    Ok(())
}

fn cross_cpu_wakeup_arrives() -> TestResult {
    static WQ: WaitQueue = WaitQueue::new();
    let flag = Arc::new(AtomicBool::new(false));
    let woke_on = Arc::new(AtomicUsize::new(usize::MAX));
    let (f, w) = (flag.clone(), woke_on.clone());
    let t = kthread_run_on(
        move || {
            WQ.wait_event(TASK_INTERRUPTIBLE, || f.load(Ordering::Acquire));
            w.store(percpu::smp_processor_id(), Ordering::Release);
            0
        },
        "sleeper1",
        1 << 1,
    )
    .map_err(|e| failed(alloc::format!("errno {}", e.0)))?;
    kassert!(
        wait_until(2000, || t.state() == TASK_INTERRUPTIBLE),
        "sleeper never went to sleep"
    );
    flag.store(true, Ordering::Release);
    WQ.wake_up_all();
    kassert!(wait_gone(&[t]), "sleeper on CPU 1 was never woken");
    kassert_eq!(woke_on.load(Ordering::Acquire), 1);
    Ok(())
}

fn ping_pong_10000_times_between_two_cpus_loses_no_wakeup() -> TestResult {
    const ROUNDS: u64 = 10_000;
    static WQ: [WaitQueue; 2] = [WaitQueue::new(), WaitQueue::new()];
    let turn = Arc::new(AtomicU64::new(0));
    let mut ts = Vec::new();
    for side in 0..2u64 {
        let turn = turn.clone();
        let t = kthread_run_on(
            move || loop {
                let me = &WQ[side as usize];
                me.wait_event(TASK_UNINTERRUPTIBLE, || {
                    let v = turn.load(Ordering::Acquire);
                    v >= 2 * ROUNDS || v % 2 == side
                });
                let v = turn.load(Ordering::Acquire);
                if v >= 2 * ROUNDS {
                    WQ[1 - side as usize].wake_up_all();
                    return 0;
                }
                turn.store(v + 1, Ordering::Release);
                WQ[1 - side as usize].wake_up_all();
            },
            if side == 0 { "ping" } else { "pong" },
            1 << (1 + side),
        )
        .map_err(|e| failed(alloc::format!("errno {}", e.0)))?;
        ts.push(t);
    }
    let done = wait_until(120_000, || turn.load(Ordering::Acquire) >= 2 * ROUNDS);
    let reached = turn.load(Ordering::Acquire);
    if !done {
        // Unstick them so the test does not leak two sleeping threads.
        turn.store(2 * ROUNDS, Ordering::Release);
        WQ[0].wake_up_all();
        WQ[1].wake_up_all();
    }
    kassert!(wait_gone(&ts), "ping/pong threads did not exit");
    kassert!(
        done,
        "ping-pong stalled at {reached} of {} hand-overs",
        2 * ROUNDS
    );
    Ok(())
}

fn load_balance_spreads_8_threads_over_4_cpus() -> TestResult {
    let stop = Arc::new(AtomicBool::new(false));
    let mut ts = Vec::new();
    for _ in 0..8 {
        let s = stop.clone();
        let t = kthread_create_on(
            move || {
                while !s.load(Ordering::Relaxed) {
                    core::hint::spin_loop();
                }
                0
            },
            "hog8",
            Some(1 << 1),
        )
        .map_err(|e| failed(alloc::format!("errno {}", e.0)))?;
        ts.push(t);
    }
    // All start on CPU 1, then may go anywhere.
    for t in &ts {
        sched::wake_up_process(t);
    }
    msleep(20);
    let all_on_1 = ts.iter().all(|t| t.task_cpu() == 1);
    for t in &ts {
        t.cpus_allowed.store(0xf, Ordering::Release);
    }
    let spread = wait_until(5000, || {
        (0..4).all(|c| ts.iter().any(|t| t.task_cpu() == c))
    });
    let cpus: Vec<usize> = ts.iter().map(|t| t.task_cpu()).collect();
    stop.store(true, Ordering::Relaxed);
    kassert!(wait_gone(&ts), "hogs did not exit");
    kassert!(all_on_1, "threads did not start on CPU 1");
    kassert!(spread, "8 hogs not spread over 4 CPUs after 5 s: {cpus:?}");
    Ok(())
}

/// The scheduler suite.
pub const SUITE: Suite = Suite {
    name: "sched",
    cases: &[
        TestCase {
            name: "runqueues_are_per_cpu",
            run: runqueues_are_per_cpu,
        },
        TestCase {
            name: "pinned_task_only_runs_on_its_cpu",
            run: pinned_task_only_runs_on_its_cpu,
        },
        TestCase {
            name: "equal_nice_threads_get_equal_time",
            run: equal_nice_threads_get_equal_time,
        },
        TestCase {
            name: "nice_5_gets_its_weight_share",
            run: nice_5_gets_its_weight_share,
        },
        TestCase {
            name: "spinning_thread_does_not_block_another",
            run: spinning_thread_does_not_block_another,
        },
        TestCase {
            name: "msleep_sleeps_at_least_n_and_wakes_within_a_tick",
            run: msleep_sleeps_at_least_n_and_wakes_within_a_tick,
        },
        TestCase {
            name: "cross_cpu_wakeup_arrives",
            run: cross_cpu_wakeup_arrives,
        },
        TestCase {
            name: "ping_pong_10000_times_between_two_cpus_loses_no_wakeup",
            run: ping_pong_10000_times_between_two_cpus_loses_no_wakeup,
        },
        TestCase {
            name: "load_balance_spreads_8_threads_over_4_cpus",
            run: load_balance_spreads_8_threads_over_4_cpus,
        },
    ],
    manual: false,
};
