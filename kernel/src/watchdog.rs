//! The lockup detector (Linux's kernel/watchdog.c, at this kernel's scale).
//!
//! - Soft lockup: a CPU keeps taking its timer tick but never gets to
//!   schedule, because kernel code loops with preemption disabled. Every
//!   pass through `__schedule`, and every tick that finds the CPU in user
//!   mode or idle, "touches" the CPU. Kernel code that runs for
//!   `watchdog_thresh` seconds without a touch is preempted if it can be
//!   (Linux's watchdog thread has the same effect); a CPU still untouched
//!   after `2 * watchdog_thresh` seconds is reported: `BUG: soft lockup`,
//!   the interrupted code's backtrace and the ftrace buffer.
//! - Hard lockup: a CPU stops taking ticks at all (interrupts off, or hung
//!   in a way even the tick cannot break). Without an NMI the stuck CPU
//!   cannot report itself, so, like Linux's buddy detector, the other CPUs
//!   watch its tick count from their own ticks and report it after
//!   `watchdog_thresh` seconds, with the task it was running and the code
//!   its last tick interrupted.
//!
//! `watchdog_thresh=N` (seconds, default 10) and `nowatchdog` on the
//! command line, as in Linux. Each stall is reported once.

use crate::arch::exception::PtRegs;
use crate::percpu::{self, NR_CPUS};
use crate::{smp, time};
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// Seconds; 0 = detector off.
static WATCHDOG_THRESH: AtomicU64 = AtomicU64::new(10);
/// Soft lockups reported since boot (tests read these).
pub static SOFTLOCKUPS: AtomicU64 = AtomicU64::new(0);
/// Hard lockups reported since boot.
pub static HARDLOCKUPS: AtomicU64 = AtomicU64::new(0);

/// One CPU's detector state.
struct Watch {
    /// Counter value when the CPU was last seen able to schedule.
    touch_ts: AtomicU64,
    soft_reported: AtomicBool,
    /// This CPU's tick count as last seen by another CPU, and when.
    seen_ticks: AtomicU64,
    seen_at: AtomicU64,
    hard_reported: AtomicBool,
    /// Counter value of this CPU's previous tick (detects our own stalls).
    last_tick: AtomicU64,
    /// The code the last tick interrupted, and the task running then.
    last_pc: AtomicU64,
    last_pid: AtomicUsize,
}

impl Watch {
    const fn new() -> Watch {
        Watch {
            touch_ts: AtomicU64::new(0),
            soft_reported: AtomicBool::new(false),
            seen_ticks: AtomicU64::new(0),
            seen_at: AtomicU64::new(0),
            hard_reported: AtomicBool::new(false),
            last_tick: AtomicU64::new(0),
            last_pc: AtomicU64::new(0),
            last_pid: AtomicUsize::new(0),
        }
    }
}

static WATCH: [Watch; NR_CPUS] = [const { Watch::new() }; NR_CPUS];

/// Reads `watchdog_thresh=` / `nowatchdog`.
pub fn init() {
    let cl = crate::cmdline::get();
    if cl.has("nowatchdog") {
        set_thresh(0);
    } else if let Some(s) = cl.get_u64("watchdog_thresh") {
        set_thresh(s);
    }
}

/// Sets the threshold in seconds (0 turns the detector off) and restarts
/// every CPU's clock, so the change itself reports nothing.
pub fn set_thresh(secs: u64) {
    let now = crate::arch::cpu::read_counter();
    for w in &WATCH {
        w.touch_ts.store(now, Ordering::Relaxed);
        w.seen_at.store(now, Ordering::Relaxed);
    }
    WATCHDOG_THRESH.store(secs, Ordering::Relaxed);
}

/// The threshold in seconds.
pub fn thresh() -> u64 {
    WATCHDOG_THRESH.load(Ordering::Relaxed)
}

/// This CPU can schedule (`touch_softlockup_watchdog`).
pub fn touch_softlockup_watchdog() {
    touch_softlockup_watchdog_at(percpu::smp_processor_id(), crate::arch::cpu::read_counter());
}

/// [`touch_softlockup_watchdog`] for `cpu` (the caller's) with a counter
/// value the caller has just read: `__schedule` passes the one its clock
/// update read, rather than reading the counter a second time.
pub fn touch_softlockup_watchdog_at(cpu: usize, counter: u64) {
    let w = &WATCH[cpu];
    w.touch_ts.store(counter, Ordering::Relaxed);
    w.soft_reported.store(false, Ordering::Relaxed);
}

/// Called by every tick with the counter value and the interrupted
/// registers.
pub fn watchdog_tick(now: u64, regs: Option<&PtRegs>) {
    let secs = thresh();
    let cpu = percpu::smp_processor_id();
    let w = &WATCH[cpu];
    let freq = time::counter_frequency().max(1);
    let prev = w.last_tick.swap(now, Ordering::Relaxed);
    if let Some(r) = regs {
        w.last_pc.store(r.pc, Ordering::Relaxed);
    }
    w.last_pid
        .store(crate::task::current_pid() as usize, Ordering::Relaxed);
    if secs == 0 {
        return;
    }
    if prev != 0 && now.saturating_sub(prev) > secs * freq {
        // This CPU itself was stalled (a debugger, a descheduled vCPU): what
        // it would see now is not a lockup of anyone else.
        set_thresh(secs);
        return;
    }
    let from_user = regs.is_some_and(|r| r.user_mode());
    let idle = crate::task::current_flags() & crate::task::PF_IDLE != 0;
    if from_user || idle {
        touch_softlockup_watchdog();
    } else {
        let stuck = now.saturating_sub(w.touch_ts.load(Ordering::Relaxed));
        // The count of the interrupted code, less this handler's own level.
        let preemptible = crate::preempt::preempt_count() & !libkernel::preempt::HARDIRQ_MASK == 0;
        if preemptible && stuck > secs * freq {
            // Kernel code that has run long but may be preempted: do what
            // Linux's watchdog thread does and preempt it. Passing through
            // __schedule touches the watchdog; only a CPU that cannot
            // schedule stays untouched.
            percpu::this_cpu()
                .need_resched
                .store(true, Ordering::Release);
        }
        if stuck > 2 * secs * freq && !w.soft_reported.swap(true, Ordering::Relaxed) {
            SOFTLOCKUPS.fetch_add(1, Ordering::Relaxed);
            report_soft(cpu, stuck / freq, regs);
        }
    }
    for other in (0..NR_CPUS).filter(|&c| c != cpu && smp::cpu_online(c)) {
        check_hard(other, now, secs * freq, freq);
    }
}

/// The buddy check of CPU `c` from another CPU's tick.
fn check_hard(c: usize, now: u64, limit: u64, freq: u64) {
    let w = &WATCH[c];
    let ticks = percpu::load(&percpu::cpu(c).ticks);
    if ticks != w.seen_ticks.load(Ordering::Relaxed) {
        w.seen_ticks.store(ticks, Ordering::Relaxed);
        w.seen_at.store(now, Ordering::Relaxed);
        w.hard_reported.store(false, Ordering::Relaxed);
        return;
    }
    let silent = now.saturating_sub(w.seen_at.load(Ordering::Relaxed));
    if silent > limit && !w.hard_reported.swap(true, Ordering::Relaxed) {
        HARDLOCKUPS.fetch_add(1, Ordering::Relaxed);
        let pc = w.last_pc.load(Ordering::Relaxed);
        crate::printk::with_raw(|out| {
            let _ = writeln!(
                out,
                "watchdog: Watchdog detected hard LOCKUP on cpu {c}\n\
                 CPU#{c}: no timer tick for {}s; its last tick interrupted pid {} at {:#018x} {}",
                silent / freq,
                w.last_pid.load(Ordering::Relaxed),
                pc,
                crate::trace::kallsyms::lookup_text(pc as usize)
            );
        });
        let _ = crate::printk::with_raw(|out| write_rq_owners(out));
        crate::trace::ftrace_dump();
    }
}

/// One line naming the CPU that holds each locked runqueue: a lockup
/// report then says whose lock the stuck CPUs wait for.
fn write_rq_owners(out: &mut dyn core::fmt::Write) -> core::fmt::Result {
    write!(out, "runqueue locks:")?;
    for (c, rq) in crate::sched::core::RUNQUEUES.iter().enumerate() {
        match (rq.is_locked(), rq.owner_cpu()) {
            (false, _) => write!(out, " cpu#{c} free")?,
            (true, Some(o)) => write!(out, " cpu#{c} held by cpu#{o}")?,
            (true, None) => write!(out, " cpu#{c} held")?,
        }
    }
    writeln!(out)
}

/// A CPU has spun on one lock for more than a second (Linux's spinlock
/// debugging, "spinlock lockup suspected"): names the lock, the CPU
/// holding it, what that CPU's last tick interrupted, and the spinner's
/// backtrace. Reported once per wait; the spinning goes on.
#[cold]
#[inline(never)]
pub fn spinlock_lockup(name: crate::lockdep::ClassName, lock: usize, owner: Option<usize>) {
    let cpu = percpu::smp_processor_id();
    let (comm, pid) = crate::task::with_current_raw(|t| (t.comm(), t.pid()))
        .unwrap_or((crate::task::Comm([0; 16]), 0));
    crate::printk::with_raw(|out| {
        let _ = writeln!(
            out,
            "BUG: spinlock lockup suspected on CPU#{cpu}, {}/{pid}",
            comm.as_str()
        );
        let _ = write!(out, " lock: {name} ({lock:#018x}), .owner_cpu: ");
        let _ = match owner {
            Some(o) => write!(out, "{o}, whose ").and_then(|_| write_last_tick(out, o)),
            None => writeln!(
                out,
                "-1 (released meanwhile, or taken without owner tracking)"
            ),
        };
        let _ = write_rq_owners(out);
        let _ = crate::panic::write_backtrace(out, crate::arch::backtrace::current_fp(), None);
    });
}

/// "last tick interrupted pid P at PC symbol": where `cpu` was when its
/// timer last got through.
fn write_last_tick(out: &mut dyn core::fmt::Write, cpu: usize) -> core::fmt::Result {
    let Some(w) = WATCH.get(cpu) else {
        return writeln!(out, "last tick is unknown");
    };
    let pc = w.last_pc.load(Ordering::Relaxed);
    writeln!(
        out,
        "last tick interrupted pid {} at {pc:#018x} {}",
        w.last_pid.load(Ordering::Relaxed),
        crate::trace::kallsyms::lookup_text(pc as usize)
    )
}

/// A CPU has waited a second for a task to be switched out elsewhere
/// (`__schedule` or `try_to_wake_up` spinning on `on_cpu`): names the
/// task, what its CPU's last tick interrupted, and the waiter's backtrace.
#[cold]
#[inline(never)]
pub fn on_cpu_wait_report(p: &crate::task::Task) {
    let cpu = percpu::smp_processor_id();
    let on = p.task_cpu();
    crate::printk::with_raw(|out| {
        let _ = writeln!(
            out,
            "BUG: on_cpu wait suspected on CPU#{cpu}: {}/{} still on CPU#{on} after 1s",
            p.comm(),
            p.pid()
        );
        let _ = write!(out, " CPU#{on}'s ");
        let _ = write_last_tick(out, on);
        let _ = write_rq_owners(out);
        let _ = crate::panic::write_backtrace(out, crate::arch::backtrace::current_fp(), None);
    });
}

fn report_soft(cpu: usize, secs: u64, regs: Option<&PtRegs>) {
    let me = crate::task::current();
    crate::printk::with_raw(|out| {
        let _ = writeln!(
            out,
            "watchdog: BUG: soft lockup - CPU#{cpu} stuck for {secs}s! [{}:{}]",
            me.comm(),
            me.pid()
        );
        if let Some(r) = regs {
            let _ = writeln!(
                out,
                "pc : {:#018x} {}",
                r.pc,
                crate::trace::kallsyms::lookup_text(r.pc as usize)
            );
            let _ = crate::panic::write_backtrace(out, r.regs[29] as usize, Some(r.pc as usize));
        }
    });
    crate::trace::ftrace_dump();
}
