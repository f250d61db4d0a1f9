//! The trace events, each declared once (Linux's `include/trace/events/
//! sched.h`, `signal.h`, `irq.h`, `timer.h`, `workqueue.h`, `task.h` and
//! `syscalls.h`): its subsystem, name, fields and `TP_printk` format. Its id, payload layout, packing, text and tracefs `format` file
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
use super::trace_events::{Chars, Comm, Int, Long, PidT, Ptr, Short, UInt, ULong, ULongs, U64};
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

use crate::softirq::SOFTIRQ_NAMES;

/// `show_softirq_name(vec)`: the vector's name.
pub static SOFTIRQ_NAME: Helper = Helper {
    c: "__print_symbolic($, { 0, \"HI\" }, { 1, \"TIMER\" }, { 2, \"NET_TX\" }, \
        { 3, \"NET_RX\" }, { 4, \"BLOCK\" }, { 5, \"IRQ_POLL\" }, { 6, \"TASKLET\" }, \
        { 7, \"SCHED\" }, { 8, \"HRTIMER\" }, { 9, \"RCU\" })",
    print: |out, vec| match SOFTIRQ_NAMES.get(vec as usize) {
        Some(name) => out.push_str(name),
        None => {
            let _ = core::fmt::Write::write_fmt(out, format_args!("0x{vec:x}"));
        }
    },
};

/// `irq_handler_exit`'s `ret`: `IRQ_HANDLED` (1) or not.
pub static IRQ_RET: Helper = Helper {
    c: "$ ? \"handled\" : \"unhandled\"",
    print: |out, ret| out.push_str(if ret != 0 { "handled" } else { "unhandled" }),
};

/// `hrtimer_init`'s `clockid` (`__print_symbolic`, the clocks pikern has).
pub static CLOCKID: Helper = Helper {
    c: "__print_symbolic($, { 0, \"CLOCK_REALTIME\" }, { 1, \"CLOCK_MONOTONIC\" }, \
        { 7, \"CLOCK_BOOTTIME\" }, { 11, \"CLOCK_TAI\" })",
    print: |out, id| {
        let name = match id {
            0 => "CLOCK_REALTIME",
            1 => "CLOCK_MONOTONIC",
            7 => "CLOCK_BOOTTIME",
            11 => "CLOCK_TAI",
            _ => "",
        };
        out.push_str(name);
    },
};

/// `enum hrtimer_mode` bits: relative (else absolute), pinned, soft.
pub const HRTIMER_MODE_REL: i32 = 1;

/// `decode_hrtimer_mode(mode)`.
pub static HRTIMER_MODE: Helper = Helper {
    c: "__print_symbolic($, { HRTIMER_MODE_ABS, \"ABS\" }, { HRTIMER_MODE_REL, \"REL\" }, \
        { HRTIMER_MODE_ABS_PINNED, \"ABS|PINNED\" }, { HRTIMER_MODE_REL_PINNED, \"REL|PINNED\" })",
    print: |out, mode| {
        out.push_str(["ABS", "REL", "ABS|PINNED", "REL|PINNED"][(mode & 3) as usize]);
    },
};

/// `decode_timer_flags(flags)`: pikern's timers have none of Linux's
/// `TIMER_DEFERRABLE|PINNED|IRQSAFE`, so this prints nothing.
pub static TIMER_FLAGS: Helper = Helper {
    c: "__print_flags($, \"|\", { TIMER_DEFERRABLE, \"D\" }, { TIMER_PINNED, \"P\" }, \
        { TIMER_IRQSAFE, \"I\" })",
    print: |out, flags| {
        for (bit, l) in [(0x8_0000, "D"), (0x20_0000, "P"), (0x10_0000, "I")] {
            if flags & bit != 0 {
                if !out.is_empty() {
                    out.push('|');
                }
                out.push_str(l);
            }
        }
    },
};

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
    /// A softirq vector (`softirq`).
    softirq {
        vec: UInt,
    }
    printk("vec=%u [action=%s]", vec, SOFTIRQ_NAME(vec))
}

declare_event_class! {
    /// A timer (`timer_class`).
    timer_class {
        timer: Ptr,
    }
    printk("timer=%p", timer)
}

declare_event_class! {
    /// An hrtimer (`hrtimer_class`).
    hrtimer_class {
        hrtimer: Ptr,
    }
    printk("hrtimer=%p", hrtimer)
}

declare_event_class! {
    /// A work item (`workqueue_work`).
    workqueue_work {
        work: Ptr,
    }
    printk("work struct %p", work)
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
    /// The running task's runtime was charged (CFS `update_curr`).
    sched: sched_stat_runtime = SCHED_STAT_RUNTIME {
        comm: Comm,
        pid: PidT,
        runtime: U64,
        vruntime: U64,
    } printk(
        "comm=%s pid=%d runtime=%Lu [ns] vruntime=%Lu [ns]",
        comm, pid, runtime, vruntime
    );
    /// A signal's handler (or default action) is taken on the way back to
    /// user mode.
    signal: signal_deliver = SIGNAL_DELIVER {
        sig: Int,
        errno: Int,
        code: Int,
        sa_handler: ULong,
        sa_flags: ULong,
    } printk(
        "sig=%d errno=%d code=%d sa_handler=%lx sa_flags=%lx",
        sig, errno, code, sa_handler, sa_flags
    );
    /// `copy_process` made a task (`task_newtask`).
    task: task_newtask = TASK_NEWTASK {
        comm: Comm,
        pid: PidT,
        clone_flags: ULong,
        oom_score_adj: Short,
    } printk(
        "pid=%d comm=%s clone_flags=%lx oom_score_adj=%hd",
        pid, comm, clone_flags, oom_score_adj
    );
    /// A task's comm changes (`__set_task_comm`: exec, `PR_SET_NAME`).
    task: task_rename = TASK_RENAME {
        oldcomm: Comm,
        newcomm: Comm,
        pid: PidT,
        oom_score_adj: Short,
    } printk(
        "pid=%d oldcomm=%s newcomm=%s oom_score_adj=%hd",
        pid, oldcomm, newcomm, oom_score_adj
    );
    /// A hard-IRQ handler starts (`handle_irq_event_percpu`).
    irq: irq_handler_entry = IRQ_HANDLER_ENTRY {
        name: Chars<16>,
        irq: Int,
    } printk("irq=%d name=%s", irq, name);
    /// A hard-IRQ handler returned.
    irq: irq_handler_exit = IRQ_HANDLER_EXIT {
        irq: Int,
        ret: Int,
    } printk("irq=%d ret=%s", irq, IRQ_RET(ret));
    /// A softirq vector is marked pending (`raise_softirq`).
    irq: softirq_raise = SOFTIRQ_RAISE (softirq);
    /// `__do_softirq` runs a vector's action.
    irq: softirq_entry = SOFTIRQ_ENTRY (softirq);
    /// The vector's action returned.
    irq: softirq_exit = SOFTIRQ_EXIT (softirq);
    /// A timer is armed (`__mod_timer`); `expires` in jiffies.
    timer: timer_start = TIMER_START {
        timer: Ptr,
        function: Ptr,
        expires: ULong,
        now: ULong,
        timeout: Long,
        cpu: UInt,
        idx: UInt,
        flags: UInt,
    } printk(
        "timer=%p function=%ps expires=%lu [timeout=%ld] cpu=%u idx=%u flags=%s",
        timer, function, expires, timeout, cpu, idx, TIMER_FLAGS(flags)
    );
    /// An expired timer's function is about to run (`call_timer_fn`).
    timer: timer_expire_entry = TIMER_EXPIRE_ENTRY {
        timer: Ptr,
        now: ULong,
        function: Ptr,
    } printk("timer=%p function=%ps now=%lu", timer, function, now);
    /// The timer's function returned.
    timer: timer_expire_exit = TIMER_EXPIRE_EXIT (timer_class);
    /// A pending timer is removed (`del_timer`).
    timer: timer_cancel = TIMER_CANCEL (timer_class);
    /// An hrtimer is set up for a clock and mode.
    timer: hrtimer_init = HRTIMER_INIT {
        hrtimer: Ptr,
        clockid: Int,
        mode: Int,
    } printk(
        "hrtimer=%p clockid=%s mode=%s",
        hrtimer, CLOCKID(clockid), HRTIMER_MODE(mode)
    );
    /// An hrtimer is armed; times in ns of its clock.
    timer: hrtimer_start = HRTIMER_START {
        hrtimer: Ptr,
        function: Ptr,
        expires: U64,
        softexpires: U64,
        mode: Int,
    } printk(
        "hrtimer=%p function=%ps expires=%llu softexpires=%llu mode=%s",
        hrtimer, function, expires, softexpires, HRTIMER_MODE(mode)
    );
    /// An expired hrtimer's function is about to run.
    timer: hrtimer_expire_entry = HRTIMER_EXPIRE_ENTRY {
        hrtimer: Ptr,
        now: U64,
        function: Ptr,
    } printk("hrtimer=%p function=%ps now=%llu", hrtimer, function, now);
    /// The hrtimer's function returned.
    timer: hrtimer_expire_exit = HRTIMER_EXPIRE_EXIT (hrtimer_class);
    /// A pending hrtimer is removed.
    timer: hrtimer_cancel = HRTIMER_CANCEL (hrtimer_class);
    /// A work item is put on a pool's list (`__queue_work`; the workqueue
    /// by name, as Linux prints it since 5.6).
    workqueue: workqueue_queue_work = WORKQUEUE_QUEUE_WORK {
        workqueue: Chars<24>,
        work: Ptr,
        function: Ptr,
        req_cpu: Int,
        cpu: Int,
    } printk(
        "work struct=%p function=%ps workqueue=%s req_cpu=%d cpu=%d",
        work, function, workqueue, req_cpu, cpu
    );
    /// The item becomes runnable on its pool (not delayed).
    workqueue: workqueue_activate_work = WORKQUEUE_ACTIVATE_WORK (workqueue_work);
    /// A kworker starts the item's function (`process_one_work`).
    workqueue: workqueue_execute_start = WORKQUEUE_EXECUTE_START {
        work: Ptr,
        function: Ptr,
    } printk("work struct %p: function %ps", work, function);
    /// The item's function returned.
    workqueue: workqueue_execute_end = WORKQUEUE_EXECUTE_END {
        work: Ptr,
        function: Ptr,
    } printk("work struct %p: function %ps", work, function);
    /// A system call starts (`raw_syscalls:sys_enter`).
    raw_syscalls: sys_enter = SYS_ENTER {
        id: Long,
        args: ULongs<6>,
    } printk(
        "NR %ld (%lx, %lx, %lx, %lx, %lx, %lx)",
        id, args[0], args[1], args[2], args[3], args[4], args[5]
    );
    /// A system call returns.
    raw_syscalls: sys_exit = SYS_EXIT {
        id: Long,
        ret: Long,
    } printk("NR %ld = %ld", id, ret);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::trace_events::{chars, comm_words};
    use crate::trace::{
        build_kallsyms, format_item, id, Item, Kallsyms, Record, FLAG_HARDIRQ, FLAG_IRQS_OFF,
        FLAG_SOFTIRQ,
    };
    use alloc::string::ToString;

    fn c(s: &str) -> [u64; 2] {
        comm_words(&chars(s.as_bytes()))
    }

    /// The text after `name: ` of event `ev` packed as `words`, with
    /// `flags`; `%ps` resolved against two symbols.
    fn body(ev: u16, words: &[u64], flags: u8) -> String {
        let mut syms = alloc::vec![
            (0x1000, 0x40, "process_timeout".to_string()),
            (0x2000, 0x40, "hrtimer_wakeup".to_string()),
        ];
        let blob = build_kallsyms(&mut syms);
        let k = Kallsyms::new(&blob).unwrap();
        let mut r = Record {
            id: ev,
            pid: 8,
            flags,
            ..Record::default()
        };
        r.comm[..2].copy_from_slice(b"sh");
        for (i, w) in words.iter().enumerate() {
            r.payload[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
        }
        let mut s = String::new();
        format_item(&mut s, &Item::Entry(1, r), Some(&k), true);
        s
    }

    #[test]
    fn irq_and_softirq_lines_are_linuxs() {
        let e = irq_handler_entry::Entry {
            name: chars(b"arch_timer"),
            irq: 30,
        };
        let s = body(
            id::IRQ_HANDLER_ENTRY,
            &e.pack(),
            FLAG_IRQS_OFF | FLAG_HARDIRQ,
        );
        assert!(
            s.ends_with(" [001] d.h.     0.000000: irq_handler_entry: irq=30 name=arch_timer\n"),
            "{s}"
        );
        let e = irq_handler_exit::Entry { irq: 30, ret: 1 };
        assert!(body(id::IRQ_HANDLER_EXIT, &e.pack(), 0)
            .ends_with("irq_handler_exit: irq=30 ret=handled\n"));
        let e = irq_handler_exit::Entry { irq: 57, ret: 0 };
        assert!(body(id::IRQ_HANDLER_EXIT, &e.pack(), 0).ends_with("irq=57 ret=unhandled\n"));
        let s = body(
            id::SOFTIRQ_ENTRY,
            &softirq::Entry { vec: 1 }.pack(),
            FLAG_SOFTIRQ,
        );
        assert!(
            s.ends_with(" [001] ..s.     0.000000: softirq_entry: vec=1 [action=TIMER]\n"),
            "{s}"
        );
        let s = body(
            id::SOFTIRQ_RAISE,
            &softirq::Entry { vec: 7 }.pack(),
            FLAG_HARDIRQ | FLAG_SOFTIRQ,
        );
        assert!(
            s.ends_with(" ..H.     0.000000: softirq_raise: vec=7 [action=SCHED]\n"),
            "{s}"
        );
        assert!(body(id::SOFTIRQ_EXIT, &softirq::Entry { vec: 6 }.pack(), 0)
            .ends_with("vec=6 [action=TASKLET]\n"));
    }

    #[test]
    fn timer_lines_are_linuxs_with_function_symbols() {
        let e = timer_start::Entry {
            timer: 0xffff_ff80_3bc2_7870,
            function: 0x1000,
            expires: 4_294_937_396,
            now: 4_294_937_296,
            timeout: 100,
            cpu: 1,
            idx: 66,
            flags: 0,
        };
        let s = body(id::TIMER_START, &e.pack(), 0);
        assert!(s.ends_with(": timer_start: timer=ffffff803bc27870 function=process_timeout expires=4294937396 [timeout=100] cpu=1 idx=66 flags=\n"), "{s}");
        let e = timer_expire_entry::Entry {
            timer: 0x10,
            now: 4_294_937_400,
            function: 0x1004,
        };
        assert!(body(id::TIMER_EXPIRE_ENTRY, &e.pack(), 0).ends_with(
            "timer_expire_entry: timer=0000000000000010 function=process_timeout now=4294937400\n"
        ));
        let s = body(
            id::TIMER_CANCEL,
            &timer_class::Entry { timer: 0x10 }.pack(),
            0,
        );
        assert!(s.ends_with("timer_cancel: timer=0000000000000010\n"), "{s}");
        let e = hrtimer_init::Entry {
            hrtimer: 0x20,
            clockid: 1,
            mode: HRTIMER_MODE_REL,
        };
        assert!(body(id::HRTIMER_INIT, &e.pack(), 0).ends_with(
            "hrtimer_init: hrtimer=0000000000000020 clockid=CLOCK_MONOTONIC mode=REL\n"
        ));
        let e = hrtimer_start::Entry {
            hrtimer: 0x20,
            function: 0x2000,
            expires: 1_139_516_208,
            softexpires: 1_139_516_208,
            mode: 0,
        };
        assert!(body(id::HRTIMER_START, &e.pack(), 0).ends_with(
            "hrtimer_start: hrtimer=0000000000000020 function=hrtimer_wakeup expires=1139516208 softexpires=1139516208 mode=ABS\n"
        ));
        // A function with no symbol prints as an address.
        let e = hrtimer_expire_entry::Entry {
            hrtimer: 0x20,
            now: 5,
            function: 0x9000,
        };
        assert!(body(id::HRTIMER_EXPIRE_ENTRY, &e.pack(), 0)
            .ends_with("hrtimer_expire_entry: hrtimer=0000000000000020 function=0x9000 now=5\n"));
    }

    #[test]
    fn workqueue_lines_are_linuxs() {
        let e = workqueue_queue_work::Entry {
            workqueue: chars(b"events"),
            work: 0xffff_ff80_0074_4038,
            function: 0x1000,
            req_cpu: 4,
            cpu: 0,
        };
        assert!(body(id::WORKQUEUE_QUEUE_WORK, &e.pack(), 0).ends_with(
            "workqueue_queue_work: work struct=ffffff8000744038 function=process_timeout workqueue=events req_cpu=4 cpu=0\n"
        ));
        let s = body(
            id::WORKQUEUE_ACTIVATE_WORK,
            &workqueue_work::Entry { work: 0x30 }.pack(),
            0,
        );
        assert!(
            s.ends_with("workqueue_activate_work: work struct 0000000000000030\n"),
            "{s}"
        );
        let e = workqueue_execute_start::Entry {
            work: 0x30,
            function: 0x2000,
        };
        assert!(body(id::WORKQUEUE_EXECUTE_START, &e.pack(), 0).ends_with(
            "workqueue_execute_start: work struct 0000000000000030: function hrtimer_wakeup\n"
        ));
    }

    #[test]
    fn task_sched_signal_and_raw_syscall_lines_are_linuxs() {
        let e = sched_stat_runtime::Entry {
            comm: c("sh"),
            pid: 8,
            runtime: 12345,
            vruntime: 6_789_000,
        };
        assert!(body(id::SCHED_STAT_RUNTIME, &e.pack(), 0).ends_with(
            "sched_stat_runtime: comm=sh pid=8 runtime=12345 [ns] vruntime=6789000 [ns]\n"
        ));
        let e = signal_deliver::Entry {
            sig: 2,
            errno: 0,
            code: 0,
            sa_handler: 0x40_0123,
            sa_flags: 0x400_0000,
        };
        assert!(body(id::SIGNAL_DELIVER, &e.pack(), 0).ends_with(
            "signal_deliver: sig=2 errno=0 code=0 sa_handler=400123 sa_flags=4000000\n"
        ));
        let e = task_newtask::Entry {
            comm: c("sh"),
            pid: 9,
            clone_flags: 0x1200011,
            oom_score_adj: 0,
        };
        assert!(body(id::TASK_NEWTASK, &e.pack(), 0)
            .ends_with("task_newtask: pid=9 comm=sh clone_flags=1200011 oom_score_adj=0\n"));
        let e = task_rename::Entry {
            oldcomm: c("sh"),
            newcomm: c("sleep"),
            pid: 9,
            oom_score_adj: -1000,
        };
        assert!(body(id::TASK_RENAME, &e.pack(), 0)
            .ends_with("task_rename: pid=9 oldcomm=sh newcomm=sleep oom_score_adj=-1000\n"));
        let e = sys_enter::Entry {
            id: 56,
            args: [(-100i64) as u64, 0x4a0, 0x80000, 0, 0, 0],
        };
        assert!(body(id::SYS_ENTER, &e.pack(), 0)
            .ends_with("sys_enter: NR 56 (ffffffffffffff9c, 4a0, 80000, 0, 0, 0)\n"));
        let e = sys_exit::Entry { id: 56, ret: -2 };
        assert!(body(id::SYS_EXIT, &e.pack(), 0).ends_with("sys_exit: NR 56 = -2\n"));
    }

    #[test]
    fn array_elements_show_in_the_format_file() {
        let f = crate::trace::event(id::SYS_ENTER).unwrap().format_file();
        assert!(
            f.contains("\tfield:long id;\toffset:8;\tsize:8;\tsigned:1;\n"),
            "{f}"
        );
        assert!(
            f.contains("\tfield:unsigned long args[6];\toffset:16;\tsize:48;\tsigned:0;\n"),
            "{f}"
        );
        assert!(f.ends_with("print fmt: \"NR %ld (%lx, %lx, %lx, %lx, %lx, %lx)\", REC->id, REC->args[0], REC->args[1], REC->args[2], REC->args[3], REC->args[4], REC->args[5]\n"), "{f}");
        let f = crate::trace::event(id::TIMER_START).unwrap().format_file();
        assert!(
            f.contains("\tfield:void * timer;\toffset:8;\tsize:8;\tsigned:0;\n"),
            "{f}"
        );
        assert!(f.contains("function=%ps"), "{f}");
    }
}
