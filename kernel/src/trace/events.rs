//! The trace events' hooks, fired where Linux fires them (`include/trace/
//! events/sched.h`, `signal.h`, `irq.h`, `timer.h`, `workqueue.h`,
//! `task.h`, `syscalls.h`). Each event is declared once, in
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
    hrtimer_class, hrtimer_expire_entry, hrtimer_init, hrtimer_start, irq_handler_entry,
    irq_handler_exit, sched_migrate_task, sched_process_exec, sched_process_fork,
    sched_process_template, sched_stat_runtime, sched_switch, sched_wakeup_template,
    signal_deliver, signal_generate, softirq, sys_enter, sys_exit, task_newtask, task_rename,
    timer_class, timer_expire_entry, timer_start, workqueue_execute_end, workqueue_execute_start,
    workqueue_queue_work, workqueue_work,
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

/// `sched_stat_runtime`: `update_curr` charged `runtime` ns to `t`.
#[inline(always)]
pub fn sched_stat_runtime(t: &Task, runtime: u64, vruntime: u64) {
    if on(id::SCHED_STAT_RUNTIME) {
        record_stat_runtime(t, runtime, vruntime);
    }
}

#[cold]
#[inline(never)]
fn record_stat_runtime(t: &Task, runtime: u64, vruntime: u64) {
    let e = sched_stat_runtime::Entry {
        comm: t.comm_words(),
        pid: t.pid(),
        runtime,
        vruntime,
    };
    record_words(id::SCHED_STAT_RUNTIME, e.pack());
}

/// `signal_deliver`: a handler (or the default action) is taken for `sig`.
#[inline(always)]
pub fn signal_deliver(sig: u32, code: i32, handler: u64, flags: u64) {
    if on(id::SIGNAL_DELIVER) {
        record_signal_deliver(sig, code, handler, flags);
    }
}

#[cold]
#[inline(never)]
fn record_signal_deliver(sig: u32, code: i32, handler: u64, flags: u64) {
    let e = signal_deliver::Entry {
        sig: sig as i32,
        errno: 0,
        code,
        sa_handler: handler,
        sa_flags: flags,
    };
    record_words(id::SIGNAL_DELIVER, e.pack());
}

/// `task_newtask`: `copy_process` made `t` with `clone_flags`.
#[inline(always)]
pub fn task_newtask(t: &Task, clone_flags: u64) {
    if on(id::TASK_NEWTASK) {
        record_newtask(t, clone_flags);
    }
}

#[cold]
#[inline(never)]
fn record_newtask(t: &Task, clone_flags: u64) {
    let e = task_newtask::Entry {
        comm: t.comm_words(),
        pid: t.pid(),
        clone_flags,
        oom_score_adj: 0,
    };
    record_words(id::TASK_NEWTASK, e.pack());
}

/// `task_rename`: `t`'s comm becomes `new` (its two words).
#[inline(always)]
pub fn task_rename(t: &Task, new: [u64; 2]) {
    if on(id::TASK_RENAME) {
        record_rename(t, new);
    }
}

#[cold]
#[inline(never)]
fn record_rename(t: &Task, new: [u64; 2]) {
    let e = task_rename::Entry {
        oldcomm: t.comm_words(),
        newcomm: new,
        pid: t.pid(),
        oom_score_adj: 0,
    };
    record_words(id::TASK_RENAME, e.pack());
}

/// `irq_handler_entry`: the handler `name` of interrupt `irq` starts.
#[inline(always)]
pub fn irq_handler_entry(irq: u32, name: &'static str) {
    if on(id::IRQ_HANDLER_ENTRY) {
        record_irq_entry(irq, name);
    }
}

#[cold]
#[inline(never)]
fn record_irq_entry(irq: u32, name: &'static str) {
    let e = irq_handler_entry::Entry {
        name: chars(name.as_bytes()),
        irq: irq as i32,
    };
    record_words(id::IRQ_HANDLER_ENTRY, e.pack());
}

/// `irq_handler_exit`: the handler returned (`handled`: `IRQ_HANDLED`).
#[inline(always)]
pub fn irq_handler_exit(irq: u32, handled: bool) {
    if on(id::IRQ_HANDLER_EXIT) {
        record_irq_exit(irq, handled);
    }
}

#[cold]
#[inline(never)]
fn record_irq_exit(irq: u32, handled: bool) {
    let e = irq_handler_exit::Entry {
        irq: irq as i32,
        ret: handled as i32,
    };
    record_words(id::IRQ_HANDLER_EXIT, e.pack());
}

#[inline(always)]
fn softirq_event(ev: u16, vec: u32) {
    if on(ev) {
        record_softirq(ev, vec);
    }
}

#[cold]
#[inline(never)]
fn record_softirq(ev: u16, vec: u32) {
    record_words(ev, softirq::Entry { vec }.pack());
}

/// `softirq_raise`: vector `vec` marked pending on this CPU.
#[inline(always)]
pub fn softirq_raise(vec: u32) {
    softirq_event(id::SOFTIRQ_RAISE, vec);
}

/// `softirq_entry`: `__do_softirq` runs `vec`'s action.
#[inline(always)]
pub fn softirq_entry(vec: u32) {
    softirq_event(id::SOFTIRQ_ENTRY, vec);
}

/// `softirq_exit`: `vec`'s action returned.
#[inline(always)]
pub fn softirq_exit(vec: u32) {
    softirq_event(id::SOFTIRQ_EXIT, vec);
}

/// `timer_start`: `timer` (its address) armed to call `function` at
/// `expires` jiffies (now `now`) on `cpu`.
#[inline(always)]
pub fn timer_start(timer: usize, function: usize, expires: u64, now: u64, cpu: usize) {
    if on(id::TIMER_START) {
        record_timer_start(timer, function, expires, now, cpu);
    }
}

#[cold]
#[inline(never)]
fn record_timer_start(timer: usize, function: usize, expires: u64, now: u64, cpu: usize) {
    let e = timer_start::Entry {
        timer: timer as u64,
        function: function as u64,
        expires,
        now,
        timeout: expires.wrapping_sub(now) as i64,
        cpu: cpu as u32,
        idx: libkernel::time::calc_wheel_index(expires, now),
        flags: 0,
    };
    record_words(id::TIMER_START, e.pack());
}

/// `timer_expire_entry`: the expired `timer`'s `function` is called.
#[inline(always)]
pub fn timer_expire_entry(timer: usize, function: usize, now: u64) {
    if on(id::TIMER_EXPIRE_ENTRY) {
        record_timer_expire_entry(timer, function, now);
    }
}

#[cold]
#[inline(never)]
fn record_timer_expire_entry(timer: usize, function: usize, now: u64) {
    let e = timer_expire_entry::Entry {
        timer: timer as u64,
        now,
        function: function as u64,
    };
    record_words(id::TIMER_EXPIRE_ENTRY, e.pack());
}

#[inline(always)]
fn ptr_event(ev: u16, p: usize) {
    if on(ev) {
        record_ptr_event(ev, p);
    }
}

#[cold]
#[inline(never)]
fn record_ptr_event(ev: u16, p: usize) {
    // The one-pointer classes share a layout: the pointer, one word.
    let w = match ev {
        id::HRTIMER_EXPIRE_EXIT | id::HRTIMER_CANCEL => {
            hrtimer_class::Entry { hrtimer: p as u64 }.pack()
        }
        id::WORKQUEUE_ACTIVATE_WORK => workqueue_work::Entry { work: p as u64 }.pack(),
        _ => timer_class::Entry { timer: p as u64 }.pack(),
    };
    record_words(ev, w);
}

/// `timer_expire_exit`: the timer's function returned.
#[inline(always)]
pub fn timer_expire_exit(timer: usize) {
    ptr_event(id::TIMER_EXPIRE_EXIT, timer);
}

/// `timer_cancel`: a pending timer was removed.
#[inline(always)]
pub fn timer_cancel(timer: usize) {
    ptr_event(id::TIMER_CANCEL, timer);
}

/// `hrtimer_init`: `hrtimer` set up on `clockid` in `mode`.
#[inline(always)]
pub fn hrtimer_init(hrtimer: usize, clockid: i32, mode: i32) {
    if on(id::HRTIMER_INIT) {
        record_hrtimer_init(hrtimer, clockid, mode);
    }
}

#[cold]
#[inline(never)]
fn record_hrtimer_init(hrtimer: usize, clockid: i32, mode: i32) {
    let e = hrtimer_init::Entry {
        hrtimer: hrtimer as u64,
        clockid,
        mode,
    };
    record_words(id::HRTIMER_INIT, e.pack());
}

/// `hrtimer_start`: `hrtimer` armed to call `function` at `expires` ns.
#[inline(always)]
pub fn hrtimer_start(hrtimer: usize, function: usize, expires: u64, mode: i32) {
    if on(id::HRTIMER_START) {
        record_hrtimer_start(hrtimer, function, expires, mode);
    }
}

#[cold]
#[inline(never)]
fn record_hrtimer_start(hrtimer: usize, function: usize, expires: u64, mode: i32) {
    let e = hrtimer_start::Entry {
        hrtimer: hrtimer as u64,
        function: function as u64,
        expires,
        softexpires: expires,
        mode,
    };
    record_words(id::HRTIMER_START, e.pack());
}

/// `hrtimer_expire_entry`: the expired `hrtimer`'s `function` is called.
#[inline(always)]
pub fn hrtimer_expire_entry(hrtimer: usize, function: usize, now: u64) {
    if on(id::HRTIMER_EXPIRE_ENTRY) {
        record_hrtimer_expire_entry(hrtimer, function, now);
    }
}

#[cold]
#[inline(never)]
fn record_hrtimer_expire_entry(hrtimer: usize, function: usize, now: u64) {
    let e = hrtimer_expire_entry::Entry {
        hrtimer: hrtimer as u64,
        now,
        function: function as u64,
    };
    record_words(id::HRTIMER_EXPIRE_ENTRY, e.pack());
}

/// `hrtimer_expire_exit`: the hrtimer's function returned.
#[inline(always)]
pub fn hrtimer_expire_exit(hrtimer: usize) {
    ptr_event(id::HRTIMER_EXPIRE_EXIT, hrtimer);
}

/// `hrtimer_cancel`: a pending hrtimer was removed.
#[inline(always)]
pub fn hrtimer_cancel(hrtimer: usize) {
    ptr_event(id::HRTIMER_CANCEL, hrtimer);
}

/// `workqueue_queue_work`: `work` (calling `function`) put on workqueue
/// `wq`'s pool for `cpu` (asked for `req_cpu`).
#[inline(always)]
pub fn workqueue_queue_work(
    wq: &'static str,
    work: usize,
    function: usize,
    req_cpu: i32,
    cpu: i32,
) {
    if on(id::WORKQUEUE_QUEUE_WORK) {
        record_queue_work(wq, work, function, req_cpu, cpu);
    }
}

#[cold]
#[inline(never)]
fn record_queue_work(wq: &'static str, work: usize, function: usize, req_cpu: i32, cpu: i32) {
    let e = workqueue_queue_work::Entry {
        workqueue: chars(wq.as_bytes()),
        work: work as u64,
        function: function as u64,
        req_cpu,
        cpu,
    };
    record_words(id::WORKQUEUE_QUEUE_WORK, e.pack());
}

/// `workqueue_activate_work`: `work` is runnable on its pool.
#[inline(always)]
pub fn workqueue_activate_work(work: usize) {
    ptr_event(id::WORKQUEUE_ACTIVATE_WORK, work);
}

#[inline(always)]
fn work_fn_event(ev: u16, work: usize, function: usize) {
    if on(ev) {
        record_work_fn(ev, work, function);
    }
}

#[cold]
#[inline(never)]
fn record_work_fn(ev: u16, work: usize, function: usize) {
    let w = if ev == id::WORKQUEUE_EXECUTE_START {
        workqueue_execute_start::Entry {
            work: work as u64,
            function: function as u64,
        }
        .pack()
    } else {
        workqueue_execute_end::Entry {
            work: work as u64,
            function: function as u64,
        }
        .pack()
    };
    record_words(ev, w);
}

/// `workqueue_execute_start`: a kworker calls `work`'s `function`.
#[inline(always)]
pub fn workqueue_execute_start(work: usize, function: usize) {
    work_fn_event(id::WORKQUEUE_EXECUTE_START, work, function);
}

/// `workqueue_execute_end`: the function returned.
#[inline(always)]
pub fn workqueue_execute_end(work: usize, function: usize) {
    work_fn_event(id::WORKQUEUE_EXECUTE_END, work, function);
}

/// The one bit a system call's entry and exit test: on while
/// `raw_syscalls:*` or any `syscalls:*` event is (Linux's
/// `TIF_SYSCALL_TRACEPOINT`).
const SYSCALL_MASK: u64 = 1 << id::SYSCALL_EVENTS;

/// Is any syscall tracepoint on (`raw_syscalls:*`, `syscalls:*`)?
#[inline(always)]
pub fn syscall_tracing() -> bool {
    active(SYSCALL_MASK)
}

/// `raw_syscalls:sys_enter` and `syscalls:sys_enter_<name>`: call `nr`
/// with `args` starts. One load and one branch when none is on.
#[inline(always)]
pub fn trace_sys_enter(nr: usize, args: &[u64; 6]) {
    if active(SYSCALL_MASK) {
        record_sys_enter(nr, args);
    }
}

#[cold]
#[inline(never)]
fn record_sys_enter(nr: usize, args: &[u64; 6]) {
    if on(id::SYS_ENTER) {
        let e = sys_enter::Entry {
            id: nr as i64,
            args: *args,
        };
        record_words(id::SYS_ENTER, e.pack());
    }
    if super::syscall_event_on(nr, true) {
        if let Some(ev) = libkernel::trace::syscalls::enter_id(nr) {
            let mut w = [0u64; libkernel::trace::syscalls::ENTER_WORDS];
            w[0] = nr as u64;
            w[1..].copy_from_slice(args);
            record_words(ev, w);
        }
    }
}

/// `raw_syscalls:sys_exit` and `syscalls:sys_exit_<name>`: call `nr`
/// returns `ret`.
#[inline(always)]
pub fn trace_sys_exit(nr: usize, ret: i64) {
    if active(SYSCALL_MASK) {
        record_sys_exit(nr, ret);
    }
}

#[cold]
#[inline(never)]
fn record_sys_exit(nr: usize, ret: i64) {
    if on(id::SYS_EXIT) {
        let e = sys_exit::Entry { id: nr as i64, ret };
        record_words(id::SYS_EXIT, e.pack());
    }
    if super::syscall_event_on(nr, false) {
        if let Some(ev) = libkernel::trace::syscalls::enter_id(nr) {
            record_words(ev + 1, [nr as u64, ret as u64]);
        }
    }
}
