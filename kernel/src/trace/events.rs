//! The trace events' hooks, fired where Linux fires them (`include/trace/
//! events/sched.h`, `signal.h`). Each event is declared once, in
//! `libkernel::trace::events`; a hook here only checks its enable bit and
//! fills in the declared fields from the task (Linux's `TP_fast_assign`),
//! and the generated `Entry::pack` lays them out.
//!
//! As in Linux (a static key in front of an out-of-line tracepoint), only
//! the enable check is inlined at the call site; recording is a separate,
//! cold function, so a disabled event costs its caller a load and a
//! branch and no registers.

use super::{active, record_words};
use crate::task::{Task, EXIT_DEAD, EXIT_ZOMBIE, TASK_DEAD};
use core::sync::atomic::Ordering;
use libkernel::trace::events::{
    sched_migrate_task, sched_process_exec, sched_process_fork, sched_process_template,
    sched_switch, sched_wakeup_template, signal_generate,
};
use libkernel::trace::trace_events::chars;
use libkernel::trace::{id, PayloadWriter, STATE_PREEMPTED};

#[inline(always)]
fn on(ev: u16) -> bool {
    active(1u64 << ev)
}

fn prio(t: &Task) -> i32 {
    t.prio.load(Ordering::Relaxed)
}

/// `sched_switch`, just before the context switch.
#[inline(always)]
pub fn sched_switch(prev: &Task, next: &Task, preempt: bool) {
    if on(id::SCHED_SWITCH) {
        record_sched_switch(prev, next, preempt);
    }
}

#[cold]
#[inline(never)]
fn record_sched_switch(prev: &Task, next: &Task, preempt: bool) {
    let st = prev.state();
    let state = if preempt && st == 0 {
        STATE_PREEMPTED
    } else if st & TASK_DEAD != 0 {
        // An exiting task's last switch shows what it left behind.
        let ex = prev.exit_state.load(Ordering::Relaxed);
        (ex & (EXIT_ZOMBIE | EXIT_DEAD)) as i32
    } else {
        (st & 0xf) as i32
    };
    let e = sched_switch::Entry {
        prev_comm: prev.comm_words(),
        next_comm: next.comm_words(),
        prev_pid: prev.pid(),
        prev_prio: prio(prev),
        prev_state: state,
        next_pid: next.pid(),
        next_prio: prio(next),
    };
    record_words(id::SCHED_SWITCH, e.pack());
}

#[inline(always)]
fn wake_event(ev: u16, p: &Task, cpu: usize) {
    if on(ev) {
        record_wake_event(ev, p, cpu);
    }
}

#[cold]
#[inline(never)]
fn record_wake_event(ev: u16, p: &Task, cpu: usize) {
    let e = sched_wakeup_template::Entry {
        comm: p.comm_words(),
        pid: p.pid(),
        prio: prio(p),
        target_cpu: cpu as i32,
    };
    record_words(ev, e.pack());
}

/// `sched_waking`: a wake-up starts (in the waker's context).
#[inline(always)]
pub fn sched_waking(p: &Task) {
    wake_event(id::SCHED_WAKING, p, p.task_cpu());
}

/// `sched_wakeup`: the task is runnable on its CPU.
#[inline(always)]
pub fn sched_wakeup(p: &Task) {
    wake_event(id::SCHED_WAKEUP, p, p.task_cpu());
}

/// `sched_wakeup_new`: a new task is queued for the first time.
#[inline(always)]
pub fn sched_wakeup_new(p: &Task) {
    wake_event(id::SCHED_WAKEUP_NEW, p, p.task_cpu());
}

/// `sched_migrate_task`, from `set_task_cpu`.
#[inline(always)]
pub fn sched_migrate_task(p: &Task, orig: usize, dest: usize) {
    if on(id::SCHED_MIGRATE_TASK) {
        record_migrate_task(p, orig, dest);
    }
}

#[cold]
#[inline(never)]
fn record_migrate_task(p: &Task, orig: usize, dest: usize) {
    let e = sched_migrate_task::Entry {
        comm: p.comm_words(),
        pid: p.pid(),
        prio: prio(p),
        orig_cpu: orig as i32,
        dest_cpu: dest as i32,
    };
    record_words(id::SCHED_MIGRATE_TASK, e.pack());
}

/// `sched_process_fork`, in `copy_process` (the child's comm is the
/// parent's, copied at fork).
#[inline(always)]
pub fn sched_process_fork(parent: &Task, child: &Task) {
    if on(id::SCHED_PROCESS_FORK) {
        record_process_fork(parent, child);
    }
    // `event-fork`: a traced parent's child is traced too.
    super::event_file::fork(parent.pid(), child.pid());
}

#[cold]
#[inline(never)]
fn record_process_fork(parent: &Task, child: &Task) {
    let e = sched_process_fork::Entry {
        parent_comm: parent.comm_words(),
        child_comm: child.comm_words(),
        parent_pid: parent.pid(),
        child_pid: child.pid(),
    };
    record_words(id::SCHED_PROCESS_FORK, e.pack());
}

/// `sched_process_exec`, after a successful exec.
pub fn sched_process_exec(filename: &[u8], pid: i32, old_pid: i32) {
    if !on(id::SCHED_PROCESS_EXEC) {
        return;
    }
    let e = sched_process_exec::Entry {
        pid,
        old_pid,
        filename: chars(filename),
    };
    record_words(id::SCHED_PROCESS_EXEC, e.pack());
}

#[inline(always)]
fn comm_pid_prio(ev: u16, t: &Task, pid: i32) {
    if on(ev) {
        record_comm_pid_prio(ev, t, pid);
    }
}

#[cold]
#[inline(never)]
fn record_comm_pid_prio(ev: u16, t: &Task, pid: i32) {
    let e = sched_process_template::Entry {
        comm: t.comm_words(),
        pid,
        prio: prio(t),
    };
    record_words(ev, e.pack());
}

/// `sched_process_exit`, in `do_exit` before the parent is told.
#[inline(always)]
pub fn sched_process_exit(t: &Task) {
    comm_pid_prio(id::SCHED_PROCESS_EXIT, t, t.pid());
}

/// `sched_process_wait`: `waiter` waits for `pid` (0: any child).
#[inline(always)]
pub fn sched_process_wait(waiter: &Task, pid: i32) {
    comm_pid_prio(id::SCHED_PROCESS_WAIT, waiter, pid);
}

/// `sched_process_free`: the descriptor is finally released.
#[inline(always)]
pub fn sched_process_free(t: &Task) {
    comm_pid_prio(id::SCHED_PROCESS_FREE, t, t.pid());
    super::event_file::free(t.pid());
}

/// `signal_generate`: `sig` sent to `to` with `si_code` `code`, to its
/// whole process (`grp=1`) or to the one thread (`grp=0`); `res` 0
/// delivered, 1 ignored, 2 already pending.
#[inline(always)]
pub fn signal_generate(sig: u32, code: i32, to: &Task, group: bool, res: i32) {
    if on(id::SIGNAL_GENERATE) {
        record_signal_generate(sig, code, to, group, res);
    }
}

#[cold]
#[inline(never)]
fn record_signal_generate(sig: u32, code: i32, to: &Task, group: bool, res: i32) {
    let e = signal_generate::Entry {
        comm: to.comm_words(),
        sig: sig as i32,
        errno: 0,
        code,
        pid: to.pid(),
        group: group as i32,
        result: res,
    };
    record_words(id::SIGNAL_GENERATE, e.pack());
}

/// `tracing_mark_write`: text a user program wrote to `trace_marker`.
pub fn print(text: &[u8]) {
    if !super::tracing_on() {
        return;
    }
    let mut w = PayloadWriter::default();
    w.bytes(&text[..text.len().min(libkernel::trace::PAYLOAD)]);
    record_words(id::PRINT, w.finish_words());
}
