//! Interrupts, softirqs and timers as the trace shows them: handler entry
//! and exit in hard-IRQ context (`h`), softirq actions in softirq context
//! (`s`), a `timer_list` expiring in `TIMER_SOFTIRQ` and an hrtimer in the
//! interrupt, a tasklet run where it was scheduled, and the `syscalls:*`
//! events switched through the one enable bit they share.

use super::trace::{entries, field};
use crate::ktest::{Suite, TestCase, TestResult};
use crate::sched::wait::msleep;
use crate::softirq::{self, Tasklet};
use crate::trace;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use libkernel::softirq::{SCHED_SOFTIRQ, TASKLET_SOFTIRQ, TIMER_SOFTIRQ};
use libkernel::trace::{id, Item, FLAG_HARDIRQ, FLAG_SOFTIRQ};

/// Runs `f` with events `ids` on (from a cleared buffer), then puts them
/// back as they were.
fn with_events(ids: &[u16], f: impl FnOnce()) {
    let was: Vec<bool> = ids.iter().map(|i| trace::event_enabled(*i)).collect();
    trace::clear();
    for i in ids {
        trace::set_event(*i, true);
    }
    f();
    for (i, w) in ids.iter().zip(was) {
        trace::set_event(*i, w);
    }
}

fn timer_interrupts_are_traced_in_hard_irq_context() -> TestResult {
    with_events(&[id::IRQ_HANDLER_ENTRY, id::IRQ_HANDLER_EXIT], || {
        msleep(30)
    });
    let entry = entries(id::IRQ_HANDLER_ENTRY);
    let exit = entries(id::IRQ_HANDLER_EXIT);
    let text = trace::trace_text();
    trace::clear();
    kassert!(entry.len() >= 2, "{} handler entries in 30 ms", entry.len());
    kassert!(
        entry
            .iter()
            .chain(&exit)
            .all(|r| r.flags & FLAG_HARDIRQ != 0),
        "an irq_handler_* event outside hard-IRQ context"
    );
    kassert!(
        exit.iter().all(|r| field(r, "ret") == 1),
        "an unhandled interrupt"
    );
    kassert!(
        text.contains(" name=arch_timer\n") && text.contains(": irq_handler_exit: irq="),
        "no arch_timer lines:\n{text}"
    );
    kassert!(text.contains("h. "), "no h flag:\n{text}");
    Ok(())
}

fn softirqs_are_raised_in_the_irq_and_run_with_the_s_flag() -> TestResult {
    let ids = [id::SOFTIRQ_RAISE, id::SOFTIRQ_ENTRY, id::SOFTIRQ_EXIT];
    // A schedule_timeout sleep: its timer_list expires in TIMER_SOFTIRQ;
    // 300 ms also cover a balance pass (SCHED_SOFTIRQ) on every CPU.
    with_events(&ids, || {
        for _ in 0..15 {
            msleep(20)
        }
    });
    let raise = entries(id::SOFTIRQ_RAISE);
    let entry = entries(id::SOFTIRQ_ENTRY);
    let exit = entries(id::SOFTIRQ_EXIT);
    trace::clear();
    for vec in [TIMER_SOFTIRQ, SCHED_SOFTIRQ] {
        let v = vec as i64;
        kassert!(
            raise
                .iter()
                .any(|r| field(r, "vec") == v && r.flags & FLAG_HARDIRQ != 0),
            "vec {vec} never raised in a hard IRQ"
        );
        kassert!(
            entry.iter().any(|r| field(r, "vec") == v),
            "vec {vec} never ran"
        );
    }
    kassert!(
        entry
            .iter()
            .chain(&exit)
            .all(|r| r.flags & FLAG_SOFTIRQ != 0),
        "a softirq_entry/exit without the s flag"
    );
    kassert!(
        entry.iter().all(|r| r.flags & FLAG_HARDIRQ == 0),
        "a softirq action ran in hard-IRQ context"
    );
    kassert_eq!(entry.len(), exit.len());
    Ok(())
}

fn timer_lists_expire_in_softirq_and_hrtimers_in_the_irq() -> TestResult {
    let ids = [
        id::TIMER_START,
        id::TIMER_EXPIRE_ENTRY,
        id::TIMER_EXPIRE_EXIT,
        id::TIMER_CANCEL,
        id::HRTIMER_INIT,
        id::HRTIMER_START,
        id::HRTIMER_EXPIRE_ENTRY,
        id::HRTIMER_EXPIRE_EXIT,
        id::HRTIMER_CANCEL,
    ];
    let mut slept = Ok(0);
    with_events(&ids, || {
        msleep(20);
        let end = crate::time::uptime_ns() + 20_000_000;
        slept = crate::time::hrtimer::do_nanosleep(end, 0);
    });
    kassert!(slept.is_ok(), "nanosleep failed");
    let text = trace::trace_text();
    let me = crate::task::current().pid();
    let start = entries(id::TIMER_START);
    let expire = entries(id::TIMER_EXPIRE_ENTRY);
    let hstart = entries(id::HRTIMER_START);
    let hexpire = entries(id::HRTIMER_EXPIRE_ENTRY);
    trace::clear();
    // msleep's timer: armed by this task, expired in TIMER_SOFTIRQ.
    let Some(mine) = start.iter().find(|r| r.pid == me) else {
        return Err(crate::ktest::Fail::Failed(alloc::format!(
            "no timer_start by pid {me}:\n{text}"
        )));
    };
    let t = field(mine, "timer");
    let fired: Vec<_> = expire.iter().filter(|r| field(r, "timer") == t).collect();
    kassert_eq!(fired.len(), 1);
    kassert!(
        fired[0].flags & FLAG_SOFTIRQ != 0 && fired[0].flags & FLAG_HARDIRQ == 0,
        "timer_expire_entry flags {:#x}",
        fired[0].flags
    );
    kassert!(
        field(mine, "timeout") == 2 || field(mine, "timeout") == 3,
        "timeout {} jiffies for 20 ms",
        field(mine, "timeout")
    );
    kassert!(
        text.contains("function=process_timeout expires="),
        "no process_timeout:\n{text}"
    );
    // The nanosleep's hrtimer: expired in the hard IRQ.
    let Some(h) = hstart.iter().find(|r| r.pid == me) else {
        return Err(crate::ktest::Fail::Failed(alloc::format!(
            "no hrtimer_start by pid {me}:\n{text}"
        )));
    };
    let ht = field(h, "hrtimer");
    let hf: Vec<_> = hexpire
        .iter()
        .filter(|r| field(r, "hrtimer") == ht)
        .collect();
    kassert_eq!(hf.len(), 1);
    kassert!(
        hf[0].flags & FLAG_HARDIRQ != 0,
        "hrtimer expired outside the IRQ"
    );
    kassert!(
        text.contains("function=hrtimer_wakeup")
            && text.contains("clockid=CLOCK_MONOTONIC mode=ABS"),
        "no hrtimer_wakeup lines:\n{text}"
    );
    Ok(())
}

static TASKLET_RAN: AtomicUsize = AtomicUsize::new(0);
static TASKLET_COUNT: AtomicU32 = AtomicU32::new(0);
static TASKLET_CPU: AtomicUsize = AtomicUsize::new(usize::MAX);
static TASKLET_IN_SOFTIRQ: AtomicBool = AtomicBool::new(false);

static PROBE: Tasklet = Tasklet::new(|| {
    let count = crate::preempt::preempt_count();
    TASKLET_IN_SOFTIRQ.store(
        libkernel::preempt::in_serving_softirq(count) && !libkernel::preempt::in_hardirq(count),
        Ordering::Relaxed,
    );
    TASKLET_CPU.store(crate::percpu::smp_processor_id(), Ordering::Relaxed);
    TASKLET_COUNT.fetch_add(1, Ordering::Release);
});

fn schedule_probe_twice() {
    softirq::tasklet_schedule(&PROBE);
    softirq::tasklet_schedule(&PROBE);
    TASKLET_RAN.store(1, Ordering::Relaxed);
}

fn a_tasklet_runs_once_in_softirq_on_the_cpu_that_scheduled_it() -> TestResult {
    TASKLET_COUNT.store(0, Ordering::Relaxed);
    let cpu = 1 % crate::smp::num_online_cpus();
    let mut raised = Vec::new();
    with_events(&[id::SOFTIRQ_RAISE], || {
        crate::smp::call_on_cpu(cpu, schedule_probe_twice, true);
        for _ in 0..100 {
            if TASKLET_COUNT.load(Ordering::Acquire) > 0 {
                break;
            }
            msleep(1);
        }
        raised = entries(id::SOFTIRQ_RAISE);
    });
    trace::clear();
    kassert_eq!(TASKLET_RAN.load(Ordering::Relaxed), 1);
    kassert_eq!(TASKLET_COUNT.load(Ordering::Acquire), 1);
    kassert_eq!(TASKLET_CPU.load(Ordering::Relaxed), cpu);
    kassert!(
        TASKLET_IN_SOFTIRQ.load(Ordering::Relaxed),
        "not in softirq context"
    );
    kassert!(
        raised
            .iter()
            .any(|r| field(r, "vec") == TASKLET_SOFTIRQ as i64),
        "TASKLET_SOFTIRQ never raised"
    );
    Ok(())
}

/// Keeps the softirq busy for 25 ms with IRQs on: a tick comes in.
static SPINNER: Tasklet = Tasklet::new(|| crate::time::mdelay(25));

fn schedule_spinner() {
    softirq::tasklet_schedule(&SPINNER);
}

fn a_hard_irq_inside_a_softirq_shows_capital_h() -> TestResult {
    let cpu = 2 % crate::smp::num_online_cpus();
    let mut nested = Vec::new();
    with_events(&[id::IRQ_HANDLER_ENTRY], || {
        crate::smp::call_on_cpu(cpu, schedule_spinner, true);
        msleep(60);
        nested = trace::snapshot()
            .into_iter()
            .filter_map(|i| match i {
                Item::Entry(c, r) if c == cpu && r.id == id::IRQ_HANDLER_ENTRY => Some(r),
                _ => None,
            })
            .filter(|r| r.flags & FLAG_SOFTIRQ != 0)
            .collect();
    });
    let text = trace::trace_text();
    trace::clear();
    kassert!(
        !nested.is_empty(),
        "no interrupt inside the softirq on CPU {cpu}"
    );
    kassert!(
        nested.iter().all(|r| r.flags & FLAG_HARDIRQ != 0),
        "softirq flag without hardirq on irq_handler_entry"
    );
    kassert!(
        text.contains("H. ") || text.contains("H1 "),
        "no H column:\n{text}"
    );
    Ok(())
}

fn syscall_events_share_one_enable_bit() -> TestResult {
    let nr = libkernel::uapi::nr::OPENAT;
    let enter = libkernel::trace::syscalls::enter_id(nr).unwrap_or(0);
    kassert!(enter != 0, "openat has no events");
    kassert!(!trace::event_enabled(enter), "already on");
    kassert!(
        trace::tracefs::apply_set_event("syscalls:sys_enter_openat"),
        "set_event refused it"
    );
    let on = trace::event_enabled(enter)
        && trace::syscall_event_on(nr, true)
        && !trace::syscall_event_on(nr, false)
        && trace::event_enabled(id::SYSCALL_EVENTS);
    trace::tracefs::apply_set_event("!syscalls:*");
    kassert!(on, "sys_enter_openat not on");
    // raw_syscalls:* alone also turns the one bit on.
    trace::set_event(id::SYS_EXIT, true);
    let raw_on = trace::event_enabled(id::SYSCALL_EVENTS);
    trace::set_event(id::SYS_EXIT, false);
    kassert!(raw_on, "raw_syscalls:sys_exit left the syscall bit off");
    kassert!(
        !trace::event_enabled(enter) && !trace::event_enabled(id::SYSCALL_EVENTS),
        "still on after !syscalls:*"
    );
    Ok(())
}

/// The softirq suite.
pub const SUITE: Suite = Suite {
    name: "softirq",
    cases: &[
        TestCase {
            name: "timer_interrupts_are_traced_in_hard_irq_context",
            run: timer_interrupts_are_traced_in_hard_irq_context,
        },
        TestCase {
            name: "softirqs_are_raised_in_the_irq_and_run_with_the_s_flag",
            run: softirqs_are_raised_in_the_irq_and_run_with_the_s_flag,
        },
        TestCase {
            name: "timer_lists_expire_in_softirq_and_hrtimers_in_the_irq",
            run: timer_lists_expire_in_softirq_and_hrtimers_in_the_irq,
        },
        TestCase {
            name: "a_tasklet_runs_once_in_softirq_on_the_cpu_that_scheduled_it",
            run: a_tasklet_runs_once_in_softirq_on_the_cpu_that_scheduled_it,
        },
        TestCase {
            name: "a_hard_irq_inside_a_softirq_shows_capital_h",
            run: a_hard_irq_inside_a_softirq_shows_capital_h,
        },
        TestCase {
            name: "syscall_events_share_one_enable_bit",
            run: syscall_events_share_one_enable_bit,
        },
    ],
    manual: false,
};
