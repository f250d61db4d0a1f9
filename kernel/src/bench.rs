//! In-kernel micro-benchmarks for `make bench` (docs/performance.md).
//!
//! Linux measures these with ad-hoc modules (`ring_buffer_benchmark.c`,
//! `test_kmod`); pikern has one file, `/proc/bench`, present only when the
//! command line says `bench`. Reading it runs each loop once (the result
//! is kept, so a second read repeats nothing) and returns lines in the
//! format the bench program prints, `bench: NAME ITERATIONS TOTAL [UNIT]`,
//! which `bench-report` parses. Time comes from the generic counter, as
//! user space's `clock_gettime` does; under QEMU's `-icount shift=0` one
//! nanosecond is one instruction.

use crate::arch::cpu;
use crate::{mm, task, time, trace};
use alloc::boxed::Box;
use alloc::string::String;
use core::fmt::Write;
use core::hint::black_box;
use core::sync::atomic::{AtomicU64, Ordering};
use libkernel::trace::id;

/// The counter value when pid 1 first dropped to EL0 (0: not yet).
static INIT_ENTRY_COUNTER: AtomicU64 = AtomicU64::new(0);

static REPORT: spin::Once<String> = spin::Once::new();

/// Is `/proc/bench` offered (`bench` on the command line)?
pub fn enabled() -> bool {
    crate::cmdline::get().has("bench")
}

/// Notes the moment the current task enters user space for the first time
/// from the kernel (exec from a kernel thread); only pid 1's counts.
pub fn note_user_entry() {
    if task::current_pid() == 1 {
        let _ = INIT_ENTRY_COUNTER.compare_exchange(
            0,
            cpu::read_counter(),
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }
}

/// Nanoseconds `f` takes for `n` rounds, with IRQs masked so no tick lands
/// inside (the loops are short).
fn time_loop(n: u64, mut f: impl FnMut()) -> u64 {
    let flags = cpu::local_irq_save();
    let start = time::uptime_ns();
    for _ in 0..n {
        f();
    }
    let ns = time::uptime_ns() - start;
    cpu::local_irq_restore(flags);
    ns
}

/// The text of `/proc/bench` (the loops run on the first call).
pub fn report() -> String {
    REPORT.call_once(run).clone()
}

fn run() -> String {
    const N: u64 = 10_000;
    let mut s = String::new();
    let mut line = |name: &str, n: u64, total: u64, unit: &str| {
        let _ = writeln!(s, "bench: {name} {n} {total}{unit}");
    };
    let me = task::current();

    // A trace site whose event is off costs a load and a branch; with the
    // event on (and tracing on) it formats and stores a record.
    let was_on = trace::tracing_on();
    let was_enabled = trace::event_enabled(id::SCHED_PROCESS_WAIT);
    trace::set_event(id::SCHED_PROCESS_WAIT, false);
    let off = time_loop(N, || {
        trace::events::sched_process_wait(black_box(&me), 0);
    });
    line("kernel_trace_site_disabled", N, off, "");
    trace::set_event(id::SCHED_PROCESS_WAIT, true);
    trace::set_tracing_on(true);
    let on = time_loop(N, || {
        trace::events::sched_process_wait(black_box(&me), 0);
    });
    line("kernel_trace_event_recorded", N, on, "");
    trace::set_event(id::SCHED_PROCESS_WAIT, was_enabled);
    trace::set_tracing_on(was_on);
    // The records are benchmark noise, not history.
    trace::clear();

    let pages = time_loop(N, || {
        if let Ok(pa) = mm::page_alloc::alloc_pages(0) {
            let _ = mm::page_alloc::free_pages(black_box(pa), 0);
        }
    });
    line("kernel_page_alloc_free", N, pages, "");
    let heap = time_loop(N, || {
        drop(black_box(Box::new([0u64; 8])));
    });
    line("kernel_kmalloc_free_64", N, heap, "");

    let entry = INIT_ENTRY_COUNTER.load(Ordering::Relaxed);
    line("boot_to_init", 1, time::cycles_to_ns(entry), "");
    // What one process costs the kernel besides its address space: the
    // descriptor with the parts it owns on the heap, and the kernel stack
    // (its guard page is address space, not memory).
    let task_bytes = core::mem::size_of::<task::Task>()
        + core::mem::size_of::<crate::arch::fpsimd::UserFpsimdState>()
        + core::mem::size_of::<[crate::signal::SigAction; 64]>()
        + core::mem::size_of::<[(u64, u64); 16]>();
    line("task_struct", 1, task_bytes as u64, " bytes");
    line("kernel_stack", 1, mm::vmap_stack::STACK_SIZE, " bytes");
    s
}
