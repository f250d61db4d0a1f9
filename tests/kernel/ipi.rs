//! Inter-processor interrupts reach every core, from every core.

use crate::ktest::{Suite, TestCase, TestResult};
use crate::percpu::{self, NR_CPUS};
use crate::smp::{self, IpiKind};
use crate::time;
use core::sync::atomic::{AtomicUsize, Ordering};

fn wait_for(cond: impl Fn() -> bool) -> bool {
    let deadline = time::uptime_ns() + 5_000_000_000;
    while !cond() {
        if time::uptime_ns() > deadline {
            return false;
        }
        core::hint::spin_loop();
    }
    true
}

fn ipi_from_cpu0_reaches_every_cpu() -> TestResult {
    for n in 1..NR_CPUS {
        kassert!(smp::cpu_online(n), "CPU{n} is offline");
        let before = percpu::load(&percpu::cpu(n).ipis);
        smp::send_ipi(n, IpiKind::Ping);
        kassert!(
            wait_for(|| percpu::load(&percpu::cpu(n).ipis) > before),
            "CPU{n} never took the IPI"
        );
    }
    Ok(())
}

static RAN_ON: AtomicUsize = AtomicUsize::new(usize::MAX);

fn record_cpu() {
    RAN_ON.store(percpu::smp_processor_id(), Ordering::Release);
}

fn call_function_runs_on_the_target_cpu() -> TestResult {
    for n in 1..NR_CPUS {
        RAN_ON.store(usize::MAX, Ordering::Release);
        kassert!(smp::call_on_cpu(n, record_cpu, true), "CPU{n} offline");
        kassert_eq!(RAN_ON.load(Ordering::Acquire), n);
    }
    Ok(())
}

fn ping_next_cpu() {
    let me = percpu::smp_processor_id();
    smp::send_ipi((me + 1) % NR_CPUS, IpiKind::Ping);
}

fn every_cpu_can_interrupt_another() -> TestResult {
    // CPU n pings CPU n+1 (CPU3 pings CPU0): IPIs between secondaries too.
    for n in 1..NR_CPUS {
        let target = (n + 1) % NR_CPUS;
        let before = percpu::load(&percpu::cpu(target).ipis);
        kassert!(smp::call_on_cpu(n, ping_next_cpu, true), "CPU{n} offline");
        kassert!(
            wait_for(|| percpu::load(&percpu::cpu(target).ipis) > before),
            "CPU{target} never took the IPI sent by CPU{n}"
        );
    }
    Ok(())
}

/// The IPI suite.
pub const SUITE: Suite = Suite {
    name: "ipi",
    cases: &[
        TestCase {
            name: "ipi_from_cpu0_reaches_every_cpu",
            run: ipi_from_cpu0_reaches_every_cpu,
        },
        TestCase {
            name: "call_function_runs_on_the_target_cpu",
            run: call_function_runs_on_the_target_cpu,
        },
        TestCase {
            name: "every_cpu_can_interrupt_another",
            run: every_cpu_can_interrupt_another,
        },
    ],
    manual: false,
};
