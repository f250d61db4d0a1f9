//! Ending tasks (Linux's `kernel/exit.c`), exactly the seed's sequence:
//! `do_exit()` sets `PF_EXITING` and the exit code, releases resources,
//! `exit_notify()` reparents the children to init and tells the parent
//! (or lets the task be reaped at once), then `do_task_dead()` switches
//! away for the last time. The task cannot free the stack it runs on:
//! `finish_task_switch()` in the *next* task calls `put_task_stack()`. The
//! descriptor lives on as a zombie until the parent reaps it
//! (`release_task()` from `do_wait`).

use crate::errno::{Errno, ECHILD};
use crate::percpu;
use crate::pid::TASKLIST;
use crate::sched::core::__schedule;
use crate::sync::IrqSpinLock;
use crate::task::{
    self, set_current_state, Pid, StackRelease, Task, EXIT_DEAD, EXIT_ZOMBIE, PF_EXITING,
    PF_EXITPIDONE, PF_NOFREEZE, TASK_DEAD, TASK_INTERRUPTIBLE, TASK_UNINTERRUPTIBLE,
};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};
use libkernel::sched::cputime::{cputime_adjust, PrevCputime, TaskCputime};

/// Set once pid 1 exists: from then on its exit is fatal.
pub static INIT_STARTED: AtomicBool = AtomicBool::new(false);

use libkernel::uapi::{
    self, __WALL, __WCLONE, __WNOTHREAD, WCONTINUED, WEXITED, WNOHANG, WNOWAIT, WUNTRACED,
};

/// Ends the current task with `code` (`do_exit`). Never returns. Callers
/// that end with the call use `noreturn_call!` (see there why).
#[inline(never)]
#[no_mangle]
pub extern "C" fn do_exit(code: i32) -> ! {
    let tsk = task::current();
    if tsk.pid() == 1 && INIT_STARTED.load(Ordering::Relaxed) {
        panic!("Attempted to kill init! exitcode=0x{:08x}", code);
    }
    if tsk.flags() & PF_EXITING != 0 {
        // An exit that faulted again: park the task for good rather than
        // run the exit path twice.
        println!(
            "Fixing recursive fault but reboot is needed! ({}, pid {})",
            tsk.comm(),
            tsk.pid()
        );
        tsk.flags.fetch_or(PF_EXITPIDONE, Ordering::Relaxed);
        drop(tsk);
        loop {
            set_current_state(TASK_UNINTERRUPTIBLE);
            crate::sched::schedule();
        }
    }
    // A tracer that asked sees the exit before anything is released: it
    // can still read the registers and memory.
    crate::ptrace::ptrace_event(uapi::PTRACE_EVENT_EXIT, code as u64);
    tsk.flags.fetch_or(PF_EXITING, Ordering::SeqCst);
    // The last thread out ends the process: what belongs to the process,
    // not to one thread, goes then.
    let group_dead = tsk.signal.live.fetch_sub(1, Ordering::AcqRel) == 1;
    tsk.exit_code.store(code, Ordering::Relaxed);
    crate::trace::events::sched_process_exit(&tsk);
    exit_mm(&tsk);
    exit_files(&tsk);
    if group_dead {
        crate::time::itimer::itimer_cancel(&tsk);
        if crate::sys::is_session_leader(&tsk) {
            // The terminal's session ends: its foreground group is hung
            // up.
            crate::tty::disassociate_ctty(true);
        }
    }
    exit_notify(&tsk, group_dead);
    tsk.flags.fetch_or(PF_EXITPIDONE, Ordering::Relaxed);
    drop(tsk);
    do_task_dead()
}

/// Releases the address space (`exit_mm`): clears the tid word
/// `CLONE_CHILD_CLEARTID` named, lets a vfork parent go, and drops the mm;
/// the last user frees every page.
fn exit_mm(tsk: &Task) {
    let ctid = tsk.clear_child_tid.swap(0, Ordering::Relaxed);
    let mm = tsk.mm.lock().take();
    if let Some(mm) = &mm {
        // `mm_release`: robust futexes the task held are marked
        // FUTEX_OWNER_DIED, then the tid word is cleared and a joiner
        // sleeping on it woken (`pthread_join`).
        crate::futex::exit_robust_list(tsk, mm);
        if ctid != 0 {
            let _ = mm.write_u32(ctid, 0);
            crate::futex::futex_wake_tid(mm, ctid);
        }
    }
    crate::fork::vfork_release(tsk);
    if mm.is_some() {
        // No TTBR0 may point at tables that are about to be freed.
        if tsk.ttbr0.swap(0, Ordering::AcqRel) != 0 {
            crate::pid::user_process_ended();
        }
        crate::arch::mmu::set_ttbr0(crate::arch::mmu::empty_user_table());
    }
    drop(mm);
}

/// Drops the open-file table (`exit_files`); files close with their last
/// reference.
fn exit_files(tsk: &Task) {
    let files = tsk.files.lock().take();
    drop(files);
}

/// Ends the whole process (`do_group_exit`): the first thread to get here
/// records the status (`SIGNAL_GROUP_EXIT`) and sends every other thread
/// `SIGKILL` (`zap_other_threads`); each of them then exits through here
/// with that status. A thread killed by a sibling's `execve` exits with 0.
#[inline(never)]
#[no_mangle]
pub extern "C" fn do_group_exit(mut exit_code: i32) -> ! {
    let me = task::current_ptr();
    // SAFETY: the current task is alive while it runs, and its `signal`
    // with it.
    let sig: &crate::signal::SignalStruct = unsafe { &(*me).signal };
    if sig.group_exit() {
        exit_code = sig.group_exit_code.load(Ordering::Relaxed);
    } else if sig.group_exec_task.load(Ordering::Relaxed) != 0 {
        exit_code = 0;
    } else if sig.nr_threads() > 1 {
        let _siglock = sig.shared_queue.lock();
        if sig.group_exit() {
            exit_code = sig.group_exit_code.load(Ordering::Relaxed);
        } else if sig.group_exec_task.load(Ordering::Relaxed) != 0 {
            exit_code = 0;
        } else {
            sig.group_exit_code.store(exit_code, Ordering::Relaxed);
            sig.flags
                .fetch_or(crate::signal::SIGNAL_GROUP_EXIT, Ordering::Release);
            zap_other_threads(sig);
        }
    }
    crate::noreturn_call!(do_exit, exit_code)
}

/// Sends `SIGKILL` to every thread of the process but the caller
/// (`zap_other_threads`); returns how many were still running.
#[inline(never)]
#[no_mangle]
pub fn zap_other_threads(sig: &crate::signal::SignalStruct) -> usize {
    let me = task::current_ptr();
    let mut n = 0;
    sig.for_each_thread(|t| {
        if core::ptr::eq(Arc::as_ptr(t), me) || t.exit_state.load(Ordering::Relaxed) != 0 {
            return;
        }
        n += 1;
        t.pending
            .fetch_or(1 << (crate::signal::SIGKILL - 1), Ordering::SeqCst);
        crate::sched::core::try_to_wake_up(t, TASK_INTERRUPTIBLE | task::TASK_STOPPED);
    });
    n
}

/// `exit(code)`: ends the calling thread only; the process ends with its
/// last thread (`pthread_exit`, and every program without threads).
pub fn sys_exit(code: i32) -> Result<i64, Errno> {
    crate::noreturn_call!(do_exit, (code & 0xff) << 8)
}

/// `exit_group(code)`.
#[inline(never)]
#[no_mangle]
pub fn sys_exit_group(code: i32) -> Result<i64, Errno> {
    crate::noreturn_call!(do_group_exit, (code & 0xff) << 8)
}

/// `wait4(pid, status, options, rusage)`: pid -1 any child, > 0 that one,
/// 0 any in the caller's process group, < -1 any in group `-pid`;
/// `WNOHANG`; `WUNTRACED` and `WCONTINUED` report a child that stopped or
/// continued; the status word as Linux encodes it. A signal ends the wait
/// (`ERESTARTSYS`: restarted unless a handler without `SA_RESTART` runs).
#[inline(never)]
#[no_mangle]
pub fn sys_wait4(pid: i64, status: u64, options: u32, rusage: u64) -> Result<i64, Errno> {
    if options & !(WNOHANG | WUNTRACED | WCONTINUED | __WALL | __WCLONE | __WNOTHREAD) != 0 {
        return Err(crate::errno::EINVAL);
    }
    let which = match pid {
        -1 => WaitFor::Any,
        p if p > 0 => WaitFor::Pid(Pid::try_from(p).map_err(|_| ECHILD)?),
        0 => WaitFor::Pgrp(task::with_current(|t| t.pgrp.load(Ordering::Relaxed))),
        p => WaitFor::Pgrp(Pid::try_from(-p).map_err(|_| ECHILD)?),
    };
    // wait4 always reports exits (`WEXITED`, which only waitid spells).
    match wait_for_child(
        which,
        WEXITED | options & (WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE),
    )? {
        None => Ok(0),
        Some(Waited {
            pid: child,
            status: code,
            usage,
            ..
        }) => {
            if status != 0 {
                crate::mm::uaccess::put_user_u32(status, code as u32)?;
            }
            if rusage != 0 {
                crate::mm::uaccess::copy_to_user(rusage, &rusage_bytes(usage))?;
            }
            Ok(child as i64)
        }
    }
}

/// Which children a wait is for (`enum pid_type` with its `struct pid`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum WaitFor {
    /// Any child (`PIDTYPE_MAX`).
    Any,
    /// The child with this pid.
    Pid(Pid),
    /// Any child in this process group.
    Pgrp(Pid),
}

/// Reparents the children, notifies the parent and decides between zombie
/// and immediate release (`exit_notify`).
#[inline(never)]
#[no_mangle]
pub fn exit_notify(tsk: &Arc<Task>, group_dead: bool) {
    let (autoreap, told, orphaned, untraced) = {
        let mut tl = TASKLIST.lock();
        // Groups this exit orphans, with stopped jobs: they get SIGHUP and
        // SIGCONT, or nothing would ever continue them.
        let mut orphaned = [0; 2];
        let n = if group_dead {
            orphaned_by_exit(&tl, tsk, &mut orphaned)
        } else {
            0
        };
        // Its tracees are let go (`exit_ptrace`); zombies nobody else
        // will reap are released below.
        let untraced = if tsk.ptrace.is_tracer() {
            Some(crate::ptrace::exit_ptrace(tsk))
        } else {
            None
        };
        forget_original_parent(&mut tl, tsk);
        // A thread is released at once; the leader waits as a zombie for
        // the last of its threads (`delay_group_leader`), and only then is
        // the parent told. A traced task tells its tracer at once, and
        // stays a zombie until the tracer has seen it.
        let told =
            crate::signal::thread_group_leader(tsk) && crate::signal::thread_group_empty(tsk);
        let traced = tsk.ptrace.flags() != 0;
        let autoreap = if traced {
            let sig = if told && !crate::ptrace::ptrace_reparented(tsk) {
                tsk.exit_signal.load(Ordering::Relaxed)
            } else {
                crate::signal::SIGCHLD as i32
            };
            do_notify_parent(tsk, sig)
        } else if !crate::signal::thread_group_leader(tsk) {
            true
        } else if told {
            do_notify_parent(tsk, tsk.exit_signal.load(Ordering::Relaxed))
        } else {
            false
        };
        let told = told || traced;
        tsk.exit_state.store(
            if autoreap { EXIT_DEAD } else { EXIT_ZOMBIE },
            Ordering::SeqCst,
        );
        (autoreap, told, (orphaned, n), untraced)
    };
    if let Some(untraced) = untraced {
        untraced_release(untraced);
    }
    let (groups, n) = orphaned;
    for &pgrp in &groups[..n] {
        let _ = crate::signal::kill_pgrp(pgrp, crate::signal::SIGHUP);
        let _ = crate::signal::kill_pgrp(pgrp, crate::signal::SIGCONT);
    }
    // An autoreaped task leaves its parent's children before the parent is
    // woken: a parent waiting for its last child must find none and get
    // ECHILD (woken first, it could see the child still listed, sleep
    // again, and never be woken once it was gone).
    let parent = tsk.family.lock().parent.upgrade();
    if autoreap {
        release_task(tsk);
    }
    if tsk.signal.group_exec_task.load(Ordering::Relaxed) != 0 {
        // A sibling in `execve` waits for this thread to be gone.
        tsk.signal.exec_wait.wake_up_all();
    }
    // The parent's wait is woken once the process is over: by the leader
    // here, or, while its threads run on, by the last of them
    // (`release_task`).
    if let Some(parent) = parent {
        if told {
            parent.signal.wait_chldexit.wake_up_all();
        }
    }
}

/// Releases the zombies an exiting tracer left that nobody else reaps.
#[cold]
fn untraced_release(dead: Vec<Arc<Task>>) {
    for p in &dead {
        release_task(p);
    }
}

/// Process groups the exit of `tsk` leaves orphaned with stopped jobs
/// (`kill_orphaned_pgrp`, for the task itself and, once, for its
/// children's groups): a group is orphaned when no member has a parent in
/// another group of the same session, the shell that could continue it.
/// At most two are reported: the task's own and one of its children's
/// (a shell's jobs are each a group, but only stopped ones count, and a
/// second pass at the next exit catches the rest).
fn orphaned_by_exit(tl: &crate::pid::TaskList, tsk: &Arc<Task>, out: &mut [Pid; 2]) -> usize {
    let mut n = 0;
    let session = tsk.session.load(Ordering::Relaxed);
    let pgrp = tsk.pgrp.load(Ordering::Relaxed);
    // The task was its group's link outside: its parent is in another
    // group of the same session.
    if let Some(parent) = tl.find(tsk.real_parent_pid.load(Ordering::Relaxed)) {
        if parent.pgrp.load(Ordering::Relaxed) != pgrp
            && parent.session.load(Ordering::Relaxed) == session
            && will_become_orphaned_pgrp(tl, pgrp, Some(tsk))
            && has_stopped_jobs(tl, pgrp)
        {
            out[n] = pgrp;
            n += 1;
        }
    }
    // A child in another group of the session, whose link was this task.
    for c in tsk.family.lock().children.values() {
        let cp = c.pgrp.load(Ordering::Relaxed);
        if n < out.len()
            && !out[..n].contains(&cp)
            && cp != pgrp
            && c.session.load(Ordering::Relaxed) == session
            && c.exit_state.load(Ordering::Relaxed) == 0
            && will_become_orphaned_pgrp(tl, cp, Some(tsk))
            && has_stopped_jobs(tl, cp)
        {
            out[n] = cp;
            n += 1;
        }
    }
    n
}

/// Whether group `pgrp` has no member (other than `ignored`, which is
/// exiting) whose parent is in another group of the same session
/// (`will_become_orphaned_pgrp`). A parent that is init, or exiting,
/// links nothing.
pub fn will_become_orphaned_pgrp(
    tl: &crate::pid::TaskList,
    pgrp: Pid,
    ignored: Option<&Arc<Task>>,
) -> bool {
    for p in tl.each_in_pgrp(pgrp) {
        if ignored.is_some_and(|i| Arc::ptr_eq(i, p)) || p.exit_state.load(Ordering::Relaxed) != 0 {
            continue;
        }
        let ppid = p.real_parent_pid.load(Ordering::Relaxed);
        if ppid == 1 {
            continue;
        }
        let Some(rp) = tl.find(ppid) else { continue };
        if ignored.is_some_and(|i| Arc::ptr_eq(i, &rp)) {
            continue;
        }
        if rp.pgrp.load(Ordering::Relaxed) != pgrp
            && rp.session.load(Ordering::Relaxed) == p.session.load(Ordering::Relaxed)
        {
            return false;
        }
    }
    true
}

/// Whether the caller's process group is orphaned
/// (`is_current_pgrp_orphaned`): then the terminal's job-control stop
/// signals are not sent to it, since no shell could continue it.
pub fn is_current_pgrp_orphaned() -> bool {
    let pgrp = task::with_current(|t| t.pgrp.load(Ordering::Relaxed));
    will_become_orphaned_pgrp(&TASKLIST.lock(), pgrp, None)
}

/// Whether a member of `pgrp` is stopped by a signal (`has_stopped_jobs`).
fn has_stopped_jobs(tl: &crate::pid::TaskList, pgrp: Pid) -> bool {
    tl.each_in_pgrp(pgrp)
        .any(|t| t.signal.jobctl.load(Ordering::Relaxed) & task::JOBCTL_STOPPED != 0)
}

/// Who adopts an exiting task's children (`find_new_reaper`): the nearest
/// living ancestor that is a child subreaper (`PR_SET_CHILD_SUBREAPER`),
/// else init.
fn find_new_reaper(tl: &crate::pid::TaskList, tsk: &Arc<Task>) -> Option<Arc<Task>> {
    let mut ppid = tsk.real_parent_pid.load(Ordering::Relaxed);
    // Bounded: a parent chain is at most as long as the task list.
    for _ in 0..tl.len() {
        if ppid <= 1 {
            break;
        }
        let Some(a) = tl.find(ppid) else { break };
        if a.child_subreaper.load(Ordering::Relaxed) && a.flags() & PF_EXITING == 0 {
            return Some(a);
        }
        ppid = a.real_parent_pid.load(Ordering::Relaxed);
    }
    tl.find(1).filter(|r| !Arc::ptr_eq(r, tsk))
}

/// A thread of `tsk`'s process that is not exiting (`find_alive_thread`).
fn find_alive_thread(tsk: &Arc<Task>) -> Option<Arc<Task>> {
    let threads = tsk.signal.threads.lock();
    let alive = threads
        .iter()
        .find(|t| !Arc::ptr_eq(t, tsk) && t.flags() & PF_EXITING == 0)
        .cloned();
    drop(threads);
    alive
}

/// The children of an exiting task go to another thread of its process,
/// else to a subreaper or init (`forget_original_parent`); the new parent
/// is woken if one of them is already a zombie.
fn forget_original_parent(tl: &mut crate::pid::TaskList, tsk: &Arc<Task>) {
    let children = core::mem::take(&mut tsk.family.lock().children);
    if children.is_empty() {
        return;
    }
    let reaper = find_alive_thread(tsk).or_else(|| find_new_reaper(tl, tsk));
    let Some(reaper) = reaper else {
        return;
    };
    let mut zombie = false;
    for c in children.values() {
        // "We don't want people slaying init" (Linux's reparent_leader):
        // an orphan's exit signal, whatever clone() set, becomes SIGCHLD.
        if c.exit_signal.load(Ordering::Relaxed) > 0 {
            c.exit_signal
                .store(crate::signal::SIGCHLD as i32, Ordering::Relaxed);
        }
        // PR_SET_PDEATHSIG: told that its parent died.
        let pdeath = c.pdeath_signal.load(Ordering::Relaxed);
        if pdeath > 0 && c.exit_state.load(Ordering::Relaxed) == 0 {
            crate::signal::send_sig_priv(&c, pdeath as u32);
        }
        // Every thread of the child has the new parent (`reparent_leader`
        // walks them all).
        c.signal.for_each_thread(|t| {
            let mut fam = t.family.lock();
            fam.real_parent = Arc::downgrade(&reaper);
            t.real_parent_pid.store(reaper.tgid, Ordering::Relaxed);
            // A traced child keeps its tracer as `parent`.
            if t.ptrace.flags() == 0 {
                fam.parent = Arc::downgrade(&reaper);
            }
        });
        zombie |= c.exit_state.load(Ordering::Relaxed) == EXIT_ZOMBIE;
    }
    reaper.family.lock().children.extend(children);
    if zombie {
        reaper.signal.wait_chldexit.wake_up_all();
    }
}

/// Tells the parent, or the tracer (`do_notify_parent`): sends it `sig`
/// with the child's status in its `siginfo`; returns true if the task
/// should be reaped at once: no exit signal, or the parent ignores
/// SIGCHLD (as kthreadd does for kernel threads). Never for a traced task:
/// its tracer reaps it first.
pub fn do_notify_parent(tsk: &Task, sig: i32) -> bool {
    let parent = tsk.family.lock().parent.upgrade();
    match parent {
        None => true,
        Some(p) => {
            let autoreap =
                (sig < 0 || p.sigchld_ignored.load(Ordering::Relaxed)) && tsk.ptrace.flags() == 0;
            if sig > 0 {
                // si_code CLD_KILLED if a signal ended it, else CLD_EXITED
                // with the exit status (`do_notify_parent`).
                let code = exit_status(tsk);
                // (A kernel thread's code is a plain number; `is_user` is
                // already false here, after `exit_mm`, so it cannot tell.)
                let killed = code & 0x7f != 0 && code & 0xff00 == 0;
                let (why, status) = if killed && tsk.flags() & task::PF_KTHREAD == 0 {
                    (uapi::CLD_KILLED, code & 0x7f)
                } else {
                    (uapi::CLD_EXITED, (code >> 8) & 0xff)
                };
                let mut info = sigchld_info(tsk, why, status);
                info.signo = sig as u32;
                // A real signal: a handler runs, `sigsuspend` returns (a
                // shell's `wait` sleeps in it). Ignored (SIG_IGN, or the
                // default action) it is only traced, as Linux discards it.
                crate::signal::send_signal_info(&p, &info);
            }
            autoreap
        }
    }
}

/// The status a process exited with: its group's once a thread ended the
/// whole process (`SIGNAL_GROUP_EXIT`), else the leader's own, as Linux's
/// `wait_task_zombie` reads it.
fn exit_status(p: &Task) -> i32 {
    if p.signal.group_exit() {
        p.signal.group_exit_code.load(Ordering::Relaxed)
    } else {
        p.exit_code.load(Ordering::Relaxed)
    }
}

/// The `siginfo` of a `SIGCHLD` about `tsk`: why (`CLD_*`), the status
/// (exit code or signal), and its CPU time in clock ticks.
pub fn sigchld_info(tsk: &Task, why: i32, status: i32) -> uapi::KernelSiginfo {
    let (user, system) = usage_cputime(&task_usage_adjusted(tsk));
    let ticks = |ns: u64| (ns / (1_000_000_000 / uapi::USER_HZ)) as i64;
    uapi::KernelSiginfo {
        signo: crate::signal::SIGCHLD,
        code: why,
        pid: tsk.tgid,
        status,
        utime: ticks(user),
        stime: ticks(system),
        ..uapi::KernelSiginfo::default()
    }
}

/// The last switch away from an exiting task (`do_task_dead`).
#[inline(never)]
#[no_mangle]
pub fn do_task_dead() -> ! {
    // No preemption from here on: a task preempted after becoming
    // TASK_DEAD would have its stack freed by finish_task_switch while it is
    // still queued to run (Linux holds preemption off here too).
    crate::arch::cpu::local_irq_disable();
    crate::preempt::preempt_disable();
    task::set_special_state(TASK_DEAD);
    let p = task::current_ptr();
    // SAFETY: the current task is alive while it runs.
    unsafe { (*p).flags.fetch_or(PF_NOFREEZE, Ordering::Relaxed) };
    __schedule(false, None);
    panic!("do_task_dead: a dead task was scheduled again");
}

/// Drops a reference to a task's kernel stack; the last one frees it
/// (`put_task_stack`). Records who did it, for the deferred-free check.
#[inline(never)]
#[no_mangle]
pub fn put_task_stack(tsk: &Task, in_finish_task_switch: bool) {
    if tsk.stack_refcount.fetch_sub(1, Ordering::AcqRel) != 1 {
        return;
    }
    let stack = tsk.stack.lock().take();
    *tsk.stack_release.lock() = Some(StackRelease {
        by_pid: task::current_pid(),
        on_cpu: percpu::smp_processor_id(),
        in_finish_task_switch,
    });
    drop(stack);
}

/// Drops a reference to a task descriptor (`put_task_struct`); the last
/// one frees it.
#[inline(never)]
#[no_mangle]
pub fn put_task_struct(tsk: Arc<Task>) {
    drop(tsk);
}

/// Dead tasks whose last user has gone, for [`delayed_put_task_struct`].
static DELAYED_PUT: IrqSpinLock<Vec<Arc<Task>>> = IrqSpinLock::new(Vec::new());
static DELAYED_PUT_WORK: crate::workqueue::DelayedWork =
    crate::workqueue::DelayedWork::new(delayed_put_task_struct);

/// Drops the references handed over by [`put_task_struct_rcu_user`]
/// (`delayed_put_task_struct`; Linux runs it after an RCU grace period,
/// here a kworker runs it a tick later). Usually the last ones: the
/// descriptor is freed here, and `sched_process_free` shows the kworker.
fn delayed_put_task_struct(_: &'static crate::workqueue::Work) {
    let list = core::mem::take(&mut *DELAYED_PUT.lock());
    for t in list {
        put_task_struct(t);
    }
}

/// One of a dead task's two users is done with it
/// (`put_task_struct_rcu_user`): `release_task`, and the
/// `finish_task_switch` after its last switch. The second to come hands
/// its reference to a kworker, a tick later (Linux's `call_rcu` after a
/// grace period): by then whoever reaped has let go of the task too, so
/// the kworker frees it, and one run frees every task that died in that
/// tick.
#[inline(never)]
pub fn put_task_struct_rcu_user(p: Arc<Task>) {
    if p.rcu_users.fetch_sub(1, Ordering::AcqRel) != 1 {
        put_task_struct(p);
        return;
    }
    let mut list = DELAYED_PUT.lock();
    list.push(p);
    drop(list);
    crate::workqueue::schedule_delayed_work(&DELAYED_PUT_WORK, 1);
}

/// Unhashes a dead task: frees its pid and unlinks it from its parent
/// (`release_task`). The descriptor is freed when the last reference goes
/// (usually [`delayed_put_task_struct`]'s).
#[inline(never)]
#[no_mangle]
pub fn release_task(p: &Arc<Task>) {
    let mut tl = TASKLIST.lock();
    crate::ptrace::ptrace_release_task(p);
    tl.detach(p.pid());
    // `__unhash_process`: out of the thread list, and a leader out of its
    // parent's children.
    p.signal.detach_thread(p);
    if !crate::signal::thread_group_leader(p) {
        // Its process keeps counting what it used (`__exit_signal`).
        for (acc, v) in p.signal.dead_usage.iter().zip(task_usage(p)) {
            acc.fetch_add(v, Ordering::Relaxed);
        }
    }
    // A statement, not the block's tail expression: the `family` guard
    // must go before `tl`, whose drop lets IRQs back in (see the
    // `tail_expr_drop_order` lint in main.rs).
    let parent = p.family.lock().real_parent.upgrade();
    let mut zap_leader = None;
    let leader = if crate::signal::thread_group_leader(p) {
        None
    } else {
        tl.find(p.tgid).filter(|l| !Arc::ptr_eq(l, p))
    };
    if crate::signal::thread_group_leader(p) {
        if let Some(parent) = &parent {
            parent.family.lock().children.remove(p);
        }
    } else if let Some(leader) = leader {
        // The last thread gone: the zombie leader's parent hears of the
        // process now, and may reap it at once.
        if leader.exit_state.load(Ordering::Acquire) == EXIT_ZOMBIE
            && crate::signal::thread_group_empty(&leader)
        {
            let autoreap = do_notify_parent(&leader, leader.exit_signal.load(Ordering::Relaxed));
            if autoreap {
                leader.exit_state.store(EXIT_DEAD, Ordering::SeqCst);
            }
            let lparent = leader.family.lock().parent.upgrade();
            zap_leader = Some((leader, autoreap, lparent));
        }
    }
    drop(tl);
    put_task_struct_rcu_user(p.clone());
    if let Some((leader, autoreap, lparent)) = zap_leader {
        if autoreap {
            release_task(&leader);
        }
        if let Some(lp) = lparent {
            lp.signal.wait_chldexit.wake_up_all();
        }
    }
}

/// The tracer has seen tracee `z` exit (`wait_task_zombie` with
/// `EXIT_TRACE`): a process traced by another than its real parent is
/// untraced and handed to that parent, told now, to reap (or released
/// if it autoreaps); anything else is released.
fn wait_task_zombie_traced(z: &Arc<Task>) {
    if crate::signal::thread_group_leader(z) && crate::ptrace::ptrace_reparented(z) {
        let tl = TASKLIST.lock();
        crate::ptrace::ptrace_release_task(z);
        let autoreap = do_notify_parent(z, z.exit_signal.load(Ordering::Relaxed));
        z.exit_state.store(
            if autoreap { EXIT_DEAD } else { EXIT_ZOMBIE },
            Ordering::SeqCst,
        );
        let rp = z.family.lock().real_parent.upgrade();
        drop(tl);
        if let Some(rp) = rp {
            rp.signal.wait_chldexit.wake_up_all();
        }
        if autoreap {
            release_task(z);
        }
    } else {
        release_task(z);
    }
}

/// What `struct rusage` reports of a task: its run time, the tick samples
/// of its user and system time (ns), voluntary and involuntary context
/// switches; indexed by [`RTIME`], [`UTIME`], [`STIME`], [`NVCSW`],
/// [`NIVCSW`].
pub type Usage = [u64; USAGE_LEN];
/// Fields of a [`Usage`].
pub const USAGE_LEN: usize = 5;
/// [`Usage`]: run time, ns (`sum_exec_runtime`).
pub const RTIME: usize = 0;
/// [`Usage`]: user-mode tick samples, ns.
pub const UTIME: usize = 1;
/// [`Usage`]: kernel-mode tick samples, ns.
pub const STIME: usize = 2;
/// [`Usage`]: voluntary switches.
pub const NVCSW: usize = 3;
/// [`Usage`]: involuntary switches.
pub const NIVCSW: usize = 4;

/// A task's own usage.
pub fn task_usage(t: &Task) -> Usage {
    [
        t.se.sum_exec_runtime.load(Ordering::Relaxed),
        t.utime.load(Ordering::Relaxed),
        t.stime.load(Ordering::Relaxed),
        t.nvcsw.load(Ordering::Relaxed),
        t.nivcsw.load(Ordering::Relaxed),
    ]
}

/// `u` with its run time split into user and system time as reported
/// (`cputime_adjust` against `prev`, which never lets a report go back):
/// [`UTIME`] and [`STIME`] then add up to [`RTIME`], and adding such
/// usages (children's) keeps them split.
fn adjusted(mut u: Usage, prev: &IrqSpinLock<PrevCputime>) -> Usage {
    let mut last = prev.lock();
    let (user, system) = cputime_adjust(
        TaskCputime {
            utime: u[UTIME],
            stime: u[STIME],
            sum_exec_runtime: u[RTIME],
        },
        &mut last,
    );
    drop(last);
    u[UTIME] = user;
    u[STIME] = system;
    u[RTIME] = user + system;
    u
}

/// A thread's usage, its times as reported (`task_cputime_adjusted`).
pub fn task_usage_adjusted(t: &Task) -> Usage {
    adjusted(task_usage(t), &t.prev_cputime)
}

/// A process's usage, its times as reported
/// (`thread_group_cputime_adjusted`).
pub fn thread_group_usage_adjusted(t: &Task) -> Usage {
    adjusted(thread_group_usage(t), &t.signal.prev_cputime)
}

/// `(user, system)` ns of a usage from the functions above (or of
/// `RUSAGE_CHILDREN`, summed from them).
pub fn usage_cputime(u: &Usage) -> (u64, u64) {
    (u[UTIME], u[STIME])
}

/// A whole process's usage (`RUSAGE_SELF`, `thread_group_cputime`): its
/// threads', the released ones' included.
pub fn thread_group_usage(t: &Task) -> Usage {
    let mut u: Usage = core::array::from_fn(|i| t.signal.dead_usage[i].load(Ordering::Relaxed));
    if t.signal.nr_threads() <= 1 {
        // One thread (most processes, a reaped zombie): no walk.
        for (acc, v) in u.iter_mut().zip(task_usage(t)) {
            *acc += v;
        }
        return u;
    }
    let mut listed = false;
    t.signal.for_each_thread(|th| {
        listed = true;
        for (acc, v) in u.iter_mut().zip(task_usage(th)) {
            *acc += v;
        }
    });
    if !listed {
        for (acc, v) in u.iter_mut().zip(task_usage(t)) {
            *acc += v;
        }
    }
    u
}

/// What `RUSAGE_CHILDREN` reports: the reaped children's usage.
pub fn children_usage(t: &Task) -> Usage {
    core::array::from_fn(|i| t.children_usage[i].load(Ordering::Relaxed))
}

/// `struct rusage` as arm64 Linux lays it out (144 bytes): `ru_utime`
/// and `ru_stime` (timevals) first, `ru_nvcsw` at offset 128, `ru_nivcsw`
/// at 136.
pub fn rusage_bytes(u: Usage) -> [u8; 144] {
    let mut b = [0u8; 144];
    let (user, system) = usage_cputime(&u);
    for (at, ns) in [(0, user), (16, system)] {
        b[at..at + 8].copy_from_slice(&((ns / 1_000_000_000) as i64).to_le_bytes());
        b[at + 8..at + 16].copy_from_slice(&(((ns / 1000) % 1_000_000) as i64).to_le_bytes());
    }
    b[128..136].copy_from_slice(&u[NVCSW].to_le_bytes());
    b[136..144].copy_from_slice(&u[NIVCSW].to_le_bytes());
    b
}

/// Waits for a child of the current task to exit and reaps it (`do_wait`):
/// `pid` -1 for any child, or a specific one. Returns `(pid, exit_code)`,
/// `None` with `WNOHANG` if no child has exited yet, `ECHILD` if there is
/// no such child.
pub fn do_wait(pid: Pid, options: u32) -> Result<Option<(Pid, i32)>, Errno> {
    let which = if pid == -1 {
        WaitFor::Any
    } else {
        WaitFor::Pid(pid)
    };
    wait_for_child(which, options | WEXITED).map(|r| r.map(|w| (w.pid, w.status)))
}

/// `waitid(which, upid, infop, options, ru)`: [`sys_wait4`] with the
/// child named by `which` (`P_ALL`, `P_PID`, `P_PGID`; `P_PIDFD` finds no
/// pidfd here, as no call makes one: `EBADF`), the states to wait for
/// spelled out (`WEXITED`, `WSTOPPED`, `WCONTINUED`, at least one),
/// `WNOWAIT` to leave the child waitable, and the answer as a `siginfo`:
/// `si_signo` `SIGCHLD`, `si_code` `CLD_*`, `si_pid`, `si_uid`,
/// `si_status`; all of them 0 when `WNOHANG` found nothing. Returns 0.
/// As Linux 6.1's `waitid`, only those fields are written (`si_utime` and
/// `si_stime` are not).
pub fn sys_waitid(which: i32, upid: i32, infop: u64, options: u32, ru: u64) -> Result<i64, Errno> {
    use crate::errno::{EBADF, EINVAL};
    if options
        & !(WNOHANG | WNOWAIT | WEXITED | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL)
        != 0
        || options & (WEXITED | WUNTRACED | WCONTINUED) == 0
    {
        return Err(EINVAL);
    }
    let who = match which as u32 {
        uapi::P_ALL => WaitFor::Any,
        uapi::P_PID if upid > 0 => WaitFor::Pid(upid),
        uapi::P_PGID if upid > 0 => WaitFor::Pgrp(upid),
        uapi::P_PGID if upid == 0 => {
            WaitFor::Pgrp(task::with_current(|t| t.pgrp.load(Ordering::Relaxed)))
        }
        uapi::P_PIDFD => {
            // Checked as `pidfd_get_pid` would: a descriptor, but no pidfd.
            crate::fs::syscalls::files()?.lock().get(i64::from(upid))?;
            return Err(EBADF);
        }
        _ => return Err(EINVAL),
    };
    let w = wait_for_child(who, options)?;
    if infop != 0 {
        // si_signo, si_errno, si_code; si_pid, si_uid, si_status.
        let (signo, code, pid, status) = match &w {
            Some(w) => (crate::signal::SIGCHLD, w.why, w.pid, w.si_status()),
            None => (0, 0, 0, 0),
        };
        let mut b = [0u8; 28];
        b[0..4].copy_from_slice(&signo.to_le_bytes());
        b[8..12].copy_from_slice(&code.to_le_bytes());
        b[16..20].copy_from_slice(&pid.to_le_bytes());
        b[24..28].copy_from_slice(&status.to_le_bytes());
        crate::mm::uaccess::copy_to_user(infop, &b[..12])?;
        crate::mm::uaccess::copy_to_user(infop + 16, &b[16..28])?;
    }
    if let (Some(w), true) = (&w, ru != 0) {
        crate::mm::uaccess::copy_to_user(ru, &rusage_bytes(w.usage))?;
    }
    Ok(0)
}

/// What a wait found: the child, its wait status word, its usage and why
/// it is reported (`CLD_EXITED`, `CLD_KILLED`, `CLD_DUMPED`,
/// `CLD_STOPPED`, `CLD_TRAPPED` for a ptrace stop, `CLD_CONTINUED`).
pub struct Waited {
    /// The child's pid.
    pub pid: Pid,
    /// The `wait4` status word.
    pub status: i32,
    /// Its usage, with its reaped children's if it exited.
    pub usage: Usage,
    /// `si_code` of `waitid`'s answer.
    pub why: i32,
}

impl Waited {
    fn new(pid: Pid, status: i32, usage: Usage, traced: bool) -> Waited {
        let s = status as u32;
        let why = if s == uapi::W_CONTINUED {
            uapi::CLD_CONTINUED
        } else if s & 0xff == 0x7f {
            if traced {
                uapi::CLD_TRAPPED
            } else {
                uapi::CLD_STOPPED
            }
        } else if s & 0x7f == 0 {
            uapi::CLD_EXITED
        } else if s & uapi::WCOREFLAG != 0 {
            uapi::CLD_DUMPED
        } else {
            uapi::CLD_KILLED
        };
        Waited {
            pid,
            status,
            usage,
            why,
        }
    }

    /// `si_status`: the exit code, the killing signal, the stop signal
    /// (a ptrace stop's whole code, `SIGTRAP | 0x80` or an event), or
    /// `SIGCONT` (`wait_task_zombie`, `wait_task_stopped`,
    /// `wait_task_continued`).
    pub fn si_status(&self) -> i32 {
        let s = self.status as u32;
        (match self.why {
            uapi::CLD_EXITED => (s >> 8) & 0xff,
            uapi::CLD_KILLED | uapi::CLD_DUMPED => s & 0x7f,
            uapi::CLD_CONTINUED => crate::signal::SIGCONT,
            _ => s >> 8,
        }) as i32
    }
}

/// What a waited-for child has to report.
enum Report {
    /// It exited: reap it.
    Zombie(Arc<Task>),
    /// It stopped (`WUNTRACED`): status `sig << 8 | 0x7f`.
    Stopped(Arc<Task>, u32),
    /// It continued (`WCONTINUED`): status `0xffff`.
    Continued(Arc<Task>),
    /// A tracee exited: its tracer reaps it (`EXIT_TRACE`), and its real
    /// parent, if another process, is told then.
    TraceZombie(Arc<Task>),
    /// `WNOWAIT`: this status word, the child left as it was; whether it
    /// is a tracee.
    Peek(Arc<Task>, i32, bool),
}

/// Whether tracee `c` has something to report to its tracer's wait:
/// its exit, or a ptrace stop (status `code << 8 | 0x7f`) whatever
/// `WUNTRACED` says (`wait_consider_task` with `ptrace`).
fn consider_traced(c: &Arc<Task>, options: u32) -> Option<Report> {
    let may_reap = !crate::signal::thread_group_leader(c) || crate::signal::thread_group_empty(c);
    if options & WNOWAIT != 0 {
        // Look, take nothing (`WNOWAIT`).
        if may_reap && c.exit_state.load(Ordering::Acquire) == EXIT_ZOMBIE {
            return (options & WEXITED != 0).then(|| Report::Peek(c.clone(), exit_status(c), true));
        }
        let code = c.ptrace.exit_code.load(Ordering::Acquire);
        return (c.state() & task::TASK_TRACED != 0 && code != 0)
            .then(|| Report::Peek(c.clone(), ((code << 8) | 0x7f) as i32, true));
    }
    if may_reap
        && options & WEXITED != 0
        && c.exit_state
            .compare_exchange(
                EXIT_ZOMBIE,
                task::EXIT_TRACE,
                Ordering::AcqRel,
                Ordering::Relaxed,
            )
            .is_ok()
    {
        return Some(Report::TraceZombie(c.clone()));
    }
    if c.state() & task::TASK_TRACED != 0 {
        let code = c.ptrace.exit_code.swap(0, Ordering::AcqRel);
        if code != 0 {
            return Some(Report::Stopped(c.clone(), code));
        }
    }
    None
}

/// May a wait with `options` see tracee `c` (`eligible_child`): with
/// `__WALL` any; else `__WCLONE` picks the ones whose exit signal is not
/// `SIGCHLD` (threads), and its absence the others.
fn eligible_traced(c: &Task, options: u32) -> bool {
    options & __WALL != 0
        || (c.exit_signal.load(Ordering::Relaxed) != crate::signal::SIGCHLD as i32)
            == (options & __WCLONE != 0)
}

/// Whether child `c` has something to report to a wait with `options`,
/// taking the report (`wait_consider_task`: zombie first, then a stop,
/// then a continue, each reported once).
fn consider(c: &Arc<Task>, options: u32) -> Option<Report> {
    // A zombie leader whose threads still run is not reaped yet
    // (`delay_group_leader`); a traced child is reaped by its tracer
    // first, whose wait looks at it through the `ptraced` list.
    let may_reap = c.ptrace.flags() == 0 && crate::signal::thread_group_empty(c);
    if options & WNOWAIT != 0 {
        return consider_nowait(c, options, may_reap);
    }
    if may_reap
        && options & WEXITED != 0
        && c.exit_state
            .compare_exchange(EXIT_ZOMBIE, EXIT_DEAD, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
    {
        return Some(Report::Zombie(c.clone()));
    }
    let j = c.signal.jobctl.load(Ordering::Acquire);
    if options & WUNTRACED != 0
        && j & (task::JOBCTL_STOPPED | task::JOBCTL_STOP_UNREPORTED)
            == (task::JOBCTL_STOPPED | task::JOBCTL_STOP_UNREPORTED)
        && c.signal
            .jobctl
            .fetch_and(!task::JOBCTL_STOP_UNREPORTED, Ordering::AcqRel)
            & task::JOBCTL_STOP_UNREPORTED
            != 0
    {
        return Some(Report::Stopped(
            c.clone(),
            (j >> task::JOBCTL_STOP_SIG_SHIFT) & 0xff,
        ));
    }
    if options & WCONTINUED != 0
        && j & task::JOBCTL_CONTINUED != 0
        && c.signal
            .jobctl
            .fetch_and(!task::JOBCTL_CONTINUED, Ordering::AcqRel)
            & task::JOBCTL_CONTINUED
            != 0
    {
        return Some(Report::Continued(c.clone()));
    }
    None
}

/// [`consider`] with `WNOWAIT`: what would be reported, nothing taken
/// (the zombie stays, the stop and the continue stay unreported).
fn consider_nowait(c: &Arc<Task>, options: u32, may_reap: bool) -> Option<Report> {
    if c.exit_state.load(Ordering::Acquire) == EXIT_ZOMBIE {
        return (may_reap && options & WEXITED != 0)
            .then(|| Report::Peek(c.clone(), exit_status(c), false));
    }
    let j = c.signal.jobctl.load(Ordering::Acquire);
    let stop = task::JOBCTL_STOPPED | task::JOBCTL_STOP_UNREPORTED;
    if options & WUNTRACED != 0 && j & stop == stop {
        let sig = (j >> task::JOBCTL_STOP_SIG_SHIFT) & 0xff;
        return Some(Report::Peek(c.clone(), ((sig << 8) | 0x7f) as i32, false));
    }
    if options & WCONTINUED != 0 && j & task::JOBCTL_CONTINUED != 0 {
        return Some(Report::Peek(c.clone(), uapi::W_CONTINUED as i32, false));
    }
    None
}

/// [`do_wait`], also returning the child's usage with its own reaped
/// children's. The parent's `RUSAGE_CHILDREN` totals grow by that usage,
/// as in Linux's `wait_task_zombie`.
fn wait_for_child(which: WaitFor, options: u32) -> Result<Option<Waited>, Errno> {
    let me = task::current();
    // Linux records the struct pid waited for, never a negative number:
    // none for any child (0), else the pid or the group's pid.
    let traced = match which {
        WaitFor::Any => 0,
        WaitFor::Pid(p) | WaitFor::Pgrp(p) => p,
    };
    crate::trace::events::sched_process_wait(&me, traced);
    loop {
        me.signal.wait_chldexit.prepare_to_wait(TASK_INTERRUPTIBLE);
        let mut found = false;
        let mut report = None;
        let mut report_traced = false;
        {
            let tl = TASKLIST.lock();
            // A child already dead (autoreaped, or being reaped by another
            // waiter) is not waited for, as in Linux's wait_consider_task:
            // with only such children left, the answer is ECHILD, not a
            // sleep nothing would end.
            let mut look = |c: &Arc<Task>, traced: bool| {
                if c.exit_state.load(Ordering::Acquire) == EXIT_DEAD
                    || (traced && !eligible_traced(c, options))
                {
                    return false;
                }
                found = true;
                report_traced = traced;
                report = if traced {
                    consider_traced(c, options)
                } else {
                    consider(c, options)
                };
                report.is_some()
            };
            if let WaitFor::Pid(pid) = which {
                // A given pid is one lookup in the pid table, not a walk
                // of every child. real_parent_pid changes only under the
                // task-list lock, held here; it names the parent process,
                // so any thread of it may wait (unless `__WNOTHREAD`).
                let found = tl.find(pid);
                if let Some(c) = found {
                    // A tracee of this process is waited for as such, even
                    // if not its child (and a thread of it by its own id).
                    let traced = c.ptrace.flags() != 0
                        && crate::ptrace::tracer_of(&c).is_some_and(|t| {
                            t.tgid == me.tgid
                                && (options & __WNOTHREAD == 0 || Arc::ptr_eq(&t, &me))
                        });
                    let by_me = options & __WNOTHREAD == 0 || {
                        let rp = c.family.lock().real_parent.as_ptr();
                        rp == Arc::as_ptr(&me)
                    };
                    if traced {
                        look(&c, true);
                    } else if crate::signal::thread_group_leader(&c)
                        && c.real_parent_pid.load(Ordering::Relaxed) == me.tgid
                        && by_me
                    {
                        look(&c, false);
                    }
                }
            } else {
                // The children of every thread of the process
                // (`do_wait_thread` for each thread), or only the
                // caller's with `__WNOTHREAD`.
                let threads = me.signal.threads.lock();
                let own = core::slice::from_ref(&me);
                let waiters: &mut dyn Iterator<Item = &Arc<Task>> =
                    if options & __WNOTHREAD != 0 || threads.is_empty() {
                        &mut own.iter()
                    } else {
                        &mut threads.iter()
                    };
                'walk: for w in waiters {
                    let fam = w.family.lock();
                    for c in fam.children.values() {
                        if let WaitFor::Pgrp(g) = which {
                            if c.pgrp.load(Ordering::Relaxed) != g {
                                continue;
                            }
                        }
                        if look(&c, false) {
                            break 'walk;
                        }
                    }
                    drop(fam);
                    // Its tracees (`ptrace_do_wait`).
                    if w.ptrace.is_tracer()
                        && w.ptrace.any_tracee(|c| {
                            if let WaitFor::Pgrp(g) = which {
                                if c.pgrp.load(Ordering::Relaxed) != g {
                                    return false;
                                }
                            }
                            look(c, true)
                        })
                    {
                        break 'walk;
                    }
                }
            }
            drop(tl);
        }
        match report {
            Some(Report::Zombie(z)) => {
                me.signal.wait_chldexit.finish_wait();
                let code = exit_status(&z);
                let (own, theirs) = (thread_group_usage_adjusted(&z), children_usage(&z));
                let usage: Usage = core::array::from_fn(|i| own[i] + theirs[i]);
                for (acc, v) in me.children_usage.iter().zip(usage) {
                    acc.fetch_add(v, Ordering::Relaxed);
                }
                release_task(&z);
                return Ok(Some(Waited::new(z.pid(), code, usage, false)));
            }
            Some(Report::Stopped(c, sig)) => {
                me.signal.wait_chldexit.finish_wait();
                let status = ((sig << 8) | 0x7f) as i32;
                return Ok(Some(Waited::new(
                    c.pid(),
                    status,
                    task_usage_adjusted(&c),
                    report_traced,
                )));
            }
            Some(Report::Continued(c)) => {
                me.signal.wait_chldexit.finish_wait();
                return Ok(Some(Waited::new(
                    c.pid(),
                    0xffff,
                    task_usage_adjusted(&c),
                    false,
                )));
            }
            Some(Report::Peek(c, status, traced)) => {
                me.signal.wait_chldexit.finish_wait();
                let (own, theirs) = (thread_group_usage_adjusted(&c), children_usage(&c));
                let usage: Usage = core::array::from_fn(|i| own[i] + theirs[i]);
                return Ok(Some(Waited::new(c.pid(), status, usage, traced)));
            }
            Some(Report::TraceZombie(z)) => {
                me.signal.wait_chldexit.finish_wait();
                let code = exit_status(&z);
                let usage = task_usage_adjusted(&z);
                wait_task_zombie_traced(&z);
                return Ok(Some(Waited::new(z.pid(), code, usage, true)));
            }
            None => {}
        }
        if !found {
            me.signal.wait_chldexit.finish_wait();
            return Err(ECHILD);
        }
        if options & WNOHANG != 0 {
            me.signal.wait_chldexit.finish_wait();
            return Ok(None);
        }
        if crate::signal::signal_pending() {
            me.signal.wait_chldexit.finish_wait();
            return Err(crate::errno::ERESTARTSYS);
        }
        crate::sched::schedule();
    }
}
