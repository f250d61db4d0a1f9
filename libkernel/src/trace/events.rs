//! The trace events, each declared once (Linux's `include/trace/events/
//! sched.h` and `signal.h`): its subsystem, name, fields and `TP_printk`
//! format. Its id, payload layout, packing, text and tracefs `format` file
//! are all made from that declaration ([`super::trace_events`]).
//!
//! Fields are listed in the order they are laid out, which is Linux's
//! `TP_STRUCT__entry` order except that names come first: every 16-byte
//! name then starts on a payload word, and an entry packs into whole words
//! (no field straddles two), which keeps recording on the context-switch
//! path to a few register moves. The printed text is Linux's, field for
//! field. Adding an event: docs/trace-events.md.

use super::trace_events::{declare_event_class, trace_events, Helper};
#[allow(unused_imports)]
use super::trace_events::{Chars, Comm, Int, PidT, U64};
use alloc::string::String;

/// `prev_state` bit: the task was preempted while runnable (`R+`); Linux's
/// `TASK_REPORT_MAX`, one above the report states below.
pub const STATE_PREEMPTED: i32 = 0x100;

/// The state letters of `prev_state`, as Linux's `__print_flags` table
/// lists them (TASK_* bits 0-3, EXIT_DEAD 0x10, EXIT_ZOMBIE 0x20, parked
/// 0x40, idle 0x80).
const STATE_LETTERS: [(i32, &str); 8] = [
    (0x01, "S"),
    (0x02, "D"),
    (0x04, "T"),
    (0x08, "t"),
    (0x10, "X"),
    (0x20, "Z"),
    (0x40, "P"),
    (0x80, "I"),
];

/// `prev_state`'s letters: those of its state bits joined by `|`, or `R`.
pub static TASK_STATE: Helper = Helper {
    c: "($ & (0x100 - 1)) ? __print_flags($ & (0x100 - 1), \"|\", { 0x01, \"S\" }, \
        { 0x02, \"D\" }, { 0x04, \"T\" }, { 0x08, \"t\" }, { 0x10, \"X\" }, { 0x20, \"Z\" }, \
        { 0x40, \"P\" }, { 0x80, \"I\" }) : \"R\"",
    print: |out, state| {
        let mut first = true;
        for (bit, letter) in STATE_LETTERS {
            if state as i32 & bit != 0 {
                if !first {
                    out.push('|');
                }
                out.push_str(letter);
                first = false;
            }
        }
        if first {
            out.push('R');
        }
    },
};

/// `+` after the letters if the task was preempted.
pub static PREEMPT_MARK: Helper = Helper {
    c: "$ & 0x100 ? \"+\" : \"\"",
    print: |out, state| {
        if state as i32 & STATE_PREEMPTED != 0 {
            out.push('+');
        }
    },
};

/// Linux's `prev_state` text for a state mask: [`TASK_STATE`] then
/// [`PREEMPT_MARK`].
pub fn prev_state_str(state: i32) -> String {
    let mut s = String::new();
    (TASK_STATE.print)(&mut s, state as i64);
    (PREEMPT_MARK.print)(&mut s, state as i64);
    s
}

declare_event_class! {
    /// A task woken or about to be (`sched_wakeup_template`; Linux 4.19
    /// also keeps a `success` field that is always 1 and not printed).
    sched_wakeup_template {
        comm: Comm,
        pid: PidT,
        prio: Int,
        target_cpu: Int,
    }
    printk("comm=%s pid=%d prio=%d target_cpu=%03d", comm, pid, prio, target_cpu)
}

declare_event_class! {
    /// A task and its priority (`sched_process_template`).
    sched_process_template {
        comm: Comm,
        pid: PidT,
        prio: Int,
    }
    printk("comm=%s pid=%d prio=%d", comm, pid, prio)
}

trace_events! {
    /// The scheduler switches from `prev` to `next`, just before the switch.
    sched: sched_switch = SCHED_SWITCH {
        prev_comm: Comm,
        next_comm: Comm,
        prev_pid: PidT,
        prev_prio: Int,
        prev_state: Int,
        next_pid: PidT,
        next_prio: Int,
    } printk(
        "prev_comm=%s prev_pid=%d prev_prio=%d prev_state=%s%s ==> next_comm=%s next_pid=%d next_prio=%d",
        prev_comm, prev_pid, prev_prio, TASK_STATE(prev_state), PREEMPT_MARK(prev_state),
        next_comm, next_pid, next_prio
    );
    /// A wake-up starts (in the waker's context).
    sched: sched_waking = SCHED_WAKING (sched_wakeup_template);
    /// The woken task is runnable on its CPU.
    sched: sched_wakeup = SCHED_WAKEUP (sched_wakeup_template);
    /// A new task is queued for the first time.
    sched: sched_wakeup_new = SCHED_WAKEUP_NEW (sched_wakeup_template);
    /// A task moves to another CPU (`set_task_cpu`).
    sched: sched_migrate_task = SCHED_MIGRATE_TASK {
        comm: Comm,
        pid: PidT,
        prio: Int,
        orig_cpu: Int,
        dest_cpu: Int,
    } printk(
        "comm=%s pid=%d prio=%d orig_cpu=%d dest_cpu=%d",
        comm, pid, prio, orig_cpu, dest_cpu
    );
    /// `copy_process` made a child (its comm is the parent's, copied).
    sched: sched_process_fork = SCHED_PROCESS_FORK {
        parent_comm: Comm,
        child_comm: Comm,
        parent_pid: PidT,
        child_pid: PidT,
    } printk(
        "comm=%s pid=%d child_comm=%s child_pid=%d",
        parent_comm, parent_pid, child_comm, child_pid
    );
    /// A successful exec (Linux keeps the file name as a `__string`; here
    /// it has the rest of the payload, cut to 55 bytes).
    sched: sched_process_exec = SCHED_PROCESS_EXEC {
        pid: PidT,
        old_pid: PidT,
        filename: Chars<56>,
    } printk("filename=%s pid=%d old_pid=%d", filename, pid, old_pid);
    /// `do_exit`, before the parent is told.
    sched: sched_process_exit = SCHED_PROCESS_EXIT (sched_process_template);
    /// A task waits for `pid` (0: any child).
    sched: sched_process_wait = SCHED_PROCESS_WAIT (sched_process_template);
    /// The task descriptor is finally released.
    sched: sched_process_free = SCHED_PROCESS_FREE (sched_process_template);
    /// A signal is sent: `comm`/`pid` of the receiver; `result` 0
    /// delivered, 1 ignored, 2 already pending.
    signal: signal_generate = SIGNAL_GENERATE {
        comm: Comm,
        sig: Int,
        errno: Int,
        code: Int,
        pid: PidT,
        group: Int,
        result: Int,
    } printk(
        "sig=%d errno=%d code=%d comm=%s pid=%d grp=%d res=%d",
        sig, errno, code, comm, pid, group, result
    );
}
