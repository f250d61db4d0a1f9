//! Magic SysRq (Linux's `drivers/tty/sysrq.c`): one-letter commands that
//! report the kernel's state when nothing else can, from a write to
//! `/proc/sysrq-trigger` or from the console: a serial BREAK followed by
//! the letter (in QEMU with a multiplexed console, Ctrl-A b, then the
//! letter). The test runner sends BREAK `t` before it kills a hung QEMU, so
//! a timeout arrives with every task's state and where it sleeps.
//!
//! The handlers run in interrupt context on the CPU that took the key, so
//! they never allocate and only try the locks they need: a report of a
//! deadlock must not join it.

use crate::arch::backtrace;
use crate::percpu::{self, NR_CPUS};
use crate::sched::core::{NR_RUNNING, RUNQUEUES};
use crate::task::Task;
use crate::trace::kallsyms::lookup_text;
use core::fmt::Write;
use core::sync::atomic::Ordering;

/// The keys and what they do, as Linux prints them for an unknown key.
const HELP: &str = "sysrq: HELP : show-blocked-tasks(w) show-task-states(t) \
                    show-cpus(l) dump-ftrace-buffer(z)";

/// Runs the command for `key`; false if there is none.
pub fn handle_sysrq(key: u8) -> bool {
    match key {
        b't' => show_state(false),
        b'w' => show_state(true),
        b'l' => crate::printk::with_raw(|out| {
            let _ = writeln!(out, "sysrq: Show CPUs");
            let _ = show_cpus(out);
        }),
        b'z' => crate::trace::ftrace_dump(),
        _ => {
            crate::printk::with_raw(|out| writeln!(out, "{HELP}").ok());
            return false;
        }
    }
    true
}

/// `sysrq-t` (every task) or `sysrq-w` (only uninterruptible ones): a line
/// per task like Linux's `sched_show_task`, with the call trace of each
/// task that is switched out, then the CPUs.
fn show_state(blocked_only: bool) {
    crate::printk::with_raw(|out| {
        let _ = write_state(out, blocked_only);
    });
}

/// What `sysrq-t` (or, with `blocked_only`, `sysrq-w`) prints, written to
/// `out`.
pub fn write_state(out: &mut dyn Write, blocked_only: bool) -> core::fmt::Result {
    writeln!(
        out,
        "sysrq: {}",
        if blocked_only {
            "Show Blocked State"
        } else {
            "Show State"
        }
    )?;
    if !blocked_only {
        for idle in (0..NR_CPUS).filter_map(crate::sched::core::idle_task) {
            show_task(out, idle)?;
        }
    }
    match crate::pid::TASKLIST.try_lock() {
        Some(list) => {
            for t in list.iter() {
                if !blocked_only || t.state_char() == 'D' {
                    show_task(out, t)?;
                }
            }
        }
        None => writeln!(out, "(task list locked by another CPU: not shown)")?,
    }
    show_cpus(out)
}

/// One task: Linux's `task:... state:... pid:... ppid:... flags:...`
/// line, then where it is.
fn show_task(out: &mut dyn Write, t: &Task) -> core::fmt::Result {
    writeln!(
        out,
        "task:{:<15} state:{} cpu:{} pid:{:5} ppid:{:5} flags:{:#010x} on_rq:{} \
         nvcsw:{} nivcsw:{}",
        t.comm(),
        t.state_char(),
        t.task_cpu(),
        t.pid(),
        t.ppid(),
        t.flags(),
        t.on_rq.load(Ordering::Relaxed) as u8,
        t.nvcsw.load(Ordering::Relaxed),
        t.nivcsw.load(Ordering::Relaxed),
    )?;
    if t.on_cpu.load(Ordering::Acquire) {
        return writeln!(out, " (running on CPU {})", t.task_cpu());
    }
    // Holding the stack lock keeps the stack mapped while it is read; a
    // task switching back in meanwhile only makes the trace stale.
    let Some(stack) = t.stack.try_lock() else {
        return writeln!(out, " (stack busy)");
    };
    let Some(s) = stack.as_ref() else {
        return writeln!(out, " (no kernel stack)");
    };
    // SAFETY: a plain copy of the saved registers of a task that is not
    // running; a racing switch-in can only make it stale, and the walk
    // below stays inside the stack it belongs to.
    let ctx = unsafe { *t.thread_ptr() };
    writeln!(out, "Call trace:")?;
    writeln!(
        out,
        " [<{:#018x}>] {}",
        ctx.pc,
        lookup_text(ctx.pc as usize)
    )?;
    let mut r = Ok(());
    backtrace::walk_within(
        ctx.fp as usize,
        s.base() as usize,
        s.top() as usize,
        24,
        |lr| {
            if r.is_ok() {
                r = writeln!(out, " [<{lr:#018x}>] {}", lookup_text(lr));
            }
        },
    );
    r
}

/// Each CPU's current task, runqueue length and pending reschedule.
fn show_cpus(out: &mut dyn Write) -> core::fmt::Result {
    for c in 0..NR_CPUS {
        let pc = percpu::cpu(c);
        write!(
            out,
            "cpu#{c}: nr_running {} need_resched {} ",
            NR_RUNNING[c].load(Ordering::Relaxed),
            pc.need_resched.load(Ordering::Relaxed) as u8,
        )?;
        let rq = RUNQUEUES[c].try_lock();
        match rq {
            Some(rq) => match rq.curr.as_ref() {
                Some(t) => writeln!(out, "curr {}:{}", t.comm(), t.pid())?,
                None => writeln!(out, "curr none")?,
            },
            None => match RUNQUEUES[c].owner_cpu() {
                Some(o) => writeln!(out, "(runqueue locked by cpu#{o})")?,
                None => writeln!(out, "(runqueue locked)")?,
            },
        }
    }
    Ok(())
}
