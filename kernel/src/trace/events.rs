//! The trace events, fired where Linux fires them (`include/trace/events/
//! sched.h`, `signal.h`). Each checks its enable bit first; the payload
//! layouts match the formatting in `pikern_core::trace`.

use super::{active, record_words};
use crate::task::{Task, EXIT_DEAD, EXIT_ZOMBIE, TASK_DEAD};
use core::sync::atomic::Ordering;
use pikern_core::trace::{id, PayloadWriter, STATE_PREEMPTED};

fn on(ev: u16) -> bool {
    active(1 << ev)
}

fn prio(t: &Task) -> i32 {
    t.prio.load(Ordering::Relaxed)
}

/// `sched_switch`, just before the context switch.
pub fn sched_switch(prev: &Task, next: &Task, preempt: bool) {
    if !on(id::SCHED_SWITCH) {
        return;
    }
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
    let p = PayloadWriter::default()
        .comm(&prev.comm().0)
        .i32(prev.pid)
        .i32(prio(prev))
        .i32(state)
        .comm(&next.comm().0)
        .i32(next.pid)
        .i32(prio(next))
        .finish_words();
    record_words(id::SCHED_SWITCH, p);
}

fn wake_event(ev: u16, p: &Task, cpu: usize) {
    if !on(ev) {
        return;
    }
    let pl = PayloadWriter::default()
        .comm(&p.comm().0)
        .i32(p.pid)
        .i32(prio(p))
        .i32(cpu as i32)
        .finish_words();
    record_words(ev, pl);
}

/// `sched_waking`: a wake-up starts (in the waker's context).
pub fn sched_waking(p: &Task) {
    wake_event(id::SCHED_WAKING, p, p.task_cpu());
}

/// `sched_wakeup`: the task is runnable on its CPU.
pub fn sched_wakeup(p: &Task) {
    wake_event(id::SCHED_WAKEUP, p, p.task_cpu());
}

/// `sched_wakeup_new`: a new task is queued for the first time.
pub fn sched_wakeup_new(p: &Task) {
    wake_event(id::SCHED_WAKEUP_NEW, p, p.task_cpu());
}

/// `sched_migrate_task`, from `set_task_cpu`.
pub fn sched_migrate_task(p: &Task, orig: usize, dest: usize) {
    if !on(id::SCHED_MIGRATE_TASK) {
        return;
    }
    let pl = PayloadWriter::default()
        .comm(&p.comm().0)
        .i32(p.pid)
        .i32(prio(p))
        .i32(orig as i32)
        .i32(dest as i32)
        .finish_words();
    record_words(id::SCHED_MIGRATE_TASK, pl);
}

/// `sched_process_fork`, in `copy_process` (the child's comm is the
/// parent's, copied at fork).
pub fn sched_process_fork(parent: &Task, child: &Task) {
    if !on(id::SCHED_PROCESS_FORK) {
        return;
    }
    let pl = PayloadWriter::default()
        .comm(&parent.comm().0)
        .i32(parent.pid)
        .comm(&child.comm().0)
        .i32(child.pid)
        .finish_words();
    record_words(id::SCHED_PROCESS_FORK, pl);
}

/// `sched_process_exec`, after a successful exec.
pub fn sched_process_exec(filename: &[u8], pid: i32, old_pid: i32) {
    if !on(id::SCHED_PROCESS_EXEC) {
        return;
    }
    let mut w = PayloadWriter::default().i32(pid).i32(old_pid);
    let n = filename.len().min(pikern_core::trace::PAYLOAD - 9);
    w.bytes(&filename[..n]);
    record_words(id::SCHED_PROCESS_EXEC, w.finish_words());
}

fn comm_pid_prio(ev: u16, t: &Task, pid: i32) {
    if !on(ev) {
        return;
    }
    let pl = PayloadWriter::default()
        .comm(&t.comm().0)
        .i32(pid)
        .i32(prio(t))
        .finish_words();
    record_words(ev, pl);
}

/// `sched_process_exit`, in `do_exit` before the parent is told.
pub fn sched_process_exit(t: &Task) {
    comm_pid_prio(id::SCHED_PROCESS_EXIT, t, t.pid);
}

/// `sched_process_wait`: `waiter` waits for `pid` (0: any child).
pub fn sched_process_wait(waiter: &Task, pid: i32) {
    comm_pid_prio(id::SCHED_PROCESS_WAIT, waiter, pid);
}

/// `sched_process_free`: the descriptor is finally released.
pub fn sched_process_free(t: &Task) {
    comm_pid_prio(id::SCHED_PROCESS_FREE, t, t.pid);
}

/// `signal_generate`: `sig` sent to `to` with `si_code` `code`; `res` 0
/// delivered, 1 ignored, 2 already pending.
pub fn signal_generate(sig: u32, code: i32, to: &Task, res: i32) {
    if !on(id::SIGNAL_GENERATE) {
        return;
    }
    let pl = PayloadWriter::default()
        .i32(sig as i32)
        .i32(0)
        .i32(code)
        .comm(&to.comm().0)
        .i32(to.pid)
        .i32(1)
        .i32(res)
        .finish_words();
    record_words(id::SIGNAL_GENERATE, pl);
}

/// `tracing_mark_write`: text a user program wrote to `trace_marker`.
pub fn print(text: &[u8]) {
    if !super::tracing_on() {
        return;
    }
    let mut w = PayloadWriter::default();
    w.bytes(&text[..text.len().min(pikern_core::trace::PAYLOAD)]);
    record_words(id::PRINT, w.finish_words());
}
