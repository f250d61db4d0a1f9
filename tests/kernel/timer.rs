//! Timer ticks: every core takes its own periodic tick at HZ.
//!
//! Margins are wide on purpose: the host may stall a vCPU for milliseconds,
//! and the tick catches up afterwards, so counts are checked against time
//! read from the same counter with a generous tolerance.

use crate::ktest::{Suite, TestCase, TestResult};
use crate::percpu::{self, NR_CPUS};
use crate::{smp, time};

fn ticks_arrive_on_every_cpu() -> TestResult {
    let start: [u64; NR_CPUS] = core::array::from_fn(|n| percpu::load(&percpu::cpu(n).ticks));
    let deadline = time::uptime_ns() + 10_000_000_000;
    loop {
        let behind = (0..NR_CPUS)
            .filter(|&n| smp::cpu_online(n))
            .find(|&n| percpu::load(&percpu::cpu(n).ticks) < start[n] + 10);
        match behind {
            None => break,
            Some(n) if time::uptime_ns() > deadline => {
                kassert!(false, "CPU{n} took fewer than 10 ticks in 10 s");
            }
            Some(_) => core::hint::spin_loop(),
        }
    }
    kassert_eq!(smp::num_online_cpus(), NR_CPUS);
    Ok(())
}

fn tick_rate_matches_hz() -> TestResult {
    let me = percpu::this_cpu();
    let t0 = time::uptime_ns();
    let k0 = percpu::load(&me.ticks);
    time::mdelay(500);
    let k1 = percpu::load(&me.ticks);
    let elapsed_ms = (time::uptime_ns() - t0) / 1_000_000;
    let expected = elapsed_ms * time::HZ / 1000;
    let got = k1 - k0;
    kassert!(
        got * 2 >= expected && got <= expected + expected / 5 + 2,
        "expected about {expected} ticks in {elapsed_ms} ms, got {got}"
    );
    Ok(())
}

fn uptime_is_monotonic_and_advances() -> TestResult {
    let mut last = time::uptime_ns();
    for _ in 0..10_000 {
        let now = time::uptime_ns();
        kassert!(now >= last, "uptime went back from {last} to {now}");
        last = now;
    }
    let t = time::uptime_ns();
    time::udelay(2000);
    kassert!(
        time::uptime_ns() - t >= 2_000_000,
        "udelay(2000) returned early"
    );
    Ok(())
}

/// The timer suite.
pub const SUITE: Suite = Suite {
    name: "timer",
    cases: &[
        TestCase {
            name: "ticks_arrive_on_every_cpu",
            run: ticks_arrive_on_every_cpu,
        },
        TestCase {
            name: "tick_rate_matches_hz",
            run: tick_rate_matches_hz,
        },
        TestCase {
            name: "uptime_is_monotonic_and_advances",
            run: uptime_is_monotonic_and_advances,
        },
    ],
    manual: false,
};
