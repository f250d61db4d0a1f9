//! Bringing up cores 1-3 and inter-processor interrupts (IPIs). How a
//! parked core is started is the architecture's business
//! (`arch::smp_spin_table`), how an IPI is raised the interrupt
//! controller's (`IrqChip::send_ipi`).

use crate::arch::barrier::dsb_ishst;
use crate::arch::{cpu, smp_spin_table::smp_spin_table_cpu_boot};
use crate::percpu::{self, NR_CPUS};
use crate::{bsp::Board, time};
use core::sync::atomic::Ordering;

/// Why a core was interrupted by another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum IpiKind {
    /// Only count it (tests, wake-ups from WFI).
    Ping = 0,
    /// Stop this core for good (panic).
    Stop = 1,
    /// Reschedule (used by the scheduler).
    Reschedule = 2,
    /// Run the function in `PerCpu::call_fn`.
    CallFunction = 3,
}

/// Releases cores 1-3 and waits (up to a second each) until they report
/// online; returns how many cores run.
pub fn boot_secondaries(_board: &Board) -> usize {
    extern "C" {
        fn secondary_entry();
    }
    percpu::cpu(0).online.store(true, Ordering::Release);
    for cpu_nr in 1..NR_CPUS {
        // The parked core runs with the MMU off: it needs the physical
        // address of its entry point.
        let entry = crate::mm::virt_to_phys(secondary_entry as *const () as usize);
        if !smp_spin_table_cpu_boot(cpu_nr, entry) {
            continue;
        }
        let deadline = time::uptime_ns() + 1_000_000_000;
        while !percpu::cpu(cpu_nr).online.load(Ordering::Acquire) && time::uptime_ns() < deadline {
            core::hint::spin_loop();
        }
        if !percpu::cpu(cpu_nr).online.load(Ordering::Acquire) {
            println!("smp: CPU{cpu_nr} did not come online");
        }
    }
    num_online_cpus()
}

/// Called by a secondary core at the end of its bring-up.
pub fn mark_online(cpu_nr: usize) {
    percpu::cpu(cpu_nr).online.store(true, Ordering::Release);
}

/// Number of cores online.
pub fn num_online_cpus() -> usize {
    percpu::all()
        .filter(|c| c.online.load(Ordering::Acquire))
        .count()
}

/// Is core `n` online?
pub fn cpu_online(n: usize) -> bool {
    n < NR_CPUS && percpu::cpu(n).online.load(Ordering::Acquire)
}

/// Sends an IPI of `kind` to core `target`.
pub fn send_ipi(target: usize, kind: IpiKind) {
    percpu::cpu(target)
        .ipi_pending
        .fetch_or(1 << kind as u32, Ordering::AcqRel);
    // The request must be visible before the interrupt can be taken.
    dsb_ishst();
    crate::bsp::board().intc().send_ipi(target);
}

/// The IPI interrupt on this core.
pub fn ipi_interrupt() {
    let pc = percpu::this_cpu();
    pc.ipis.fetch_add(1, Ordering::Relaxed);
    let pending = pc.ipi_pending.swap(0, Ordering::AcqRel);
    if pending & (1 << IpiKind::Stop as u32) != 0 {
        pc.online.store(false, Ordering::Release);
        cpu::halt();
    }
    if pending & (1 << IpiKind::CallFunction as u32) != 0 {
        let f = pc.call_fn.swap(0, Ordering::AcqRel);
        if f != 0 {
            // SAFETY: call_fn only ever holds a `fn()` stored by call_on_cpu.
            let f: fn() = unsafe { core::mem::transmute::<usize, fn()>(f) };
            f();
            pc.calls_done.fetch_add(1, Ordering::AcqRel);
        }
    }
}

/// Runs `f` on core `target` in interrupt context (like Linux's
/// `smp_call_function_single`); with `wait`, returns after it ran.
/// Returns false if the core is offline.
pub fn call_on_cpu(target: usize, f: fn(), wait: bool) -> bool {
    if !cpu_online(target) {
        return false;
    }
    let pc = percpu::cpu(target);
    let before = pc.calls_done.load(Ordering::Acquire);
    while pc
        .call_fn
        .compare_exchange(0, f as usize, Ordering::AcqRel, Ordering::Relaxed)
        .is_err()
    {
        core::hint::spin_loop();
    }
    send_ipi(target, IpiKind::CallFunction);
    if wait {
        while pc.calls_done.load(Ordering::Acquire) == before {
            core::hint::spin_loop();
        }
    }
    true
}

/// Stops every other online core (panic path).
pub fn stop_other_cpus() {
    let me = percpu::smp_processor_id();
    for n in 0..NR_CPUS {
        if n != me && cpu_online(n) {
            send_ipi(n, IpiKind::Stop);
        }
    }
}
