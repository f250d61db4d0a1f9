//! Process tracing (Linux's `kernel/ptrace.c`, with the stops of
//! `kernel/signal.c`: `ptrace_stop`, `ptrace_signal`, `do_jobctl_trap`,
//! `ptrace_notify`, and arm64's regsets and `syscall_trace_enter/exit`
//! from `arch/arm64/kernel/ptrace.c`).
//!
//! A tracee's `family.parent` is its tracer (a thread), while
//! `real_parent` stays the process that made it: `getppid` reads the
//! latter, exit and stop notifications go to the former. The tracer keeps
//! its tracees in [`TaskPtrace`]'s `ptraced` list, changed only under the
//! task list lock, as Linux's `ptraced`/`ptrace_entry` are under
//! `tasklist_lock`.
//!
//! A tracee stops (`TASK_TRACED`, `t` in `ps`) at the points its tracer
//! asked for: system call entry and exit (`PTRACE_SYSCALL`), each signal
//! it is about to take (signal-delivery-stop), a group stop, and the
//! events (`fork`, `vfork`, `clone`, `execve`, exit). Its stop code waits in
//! [`TaskPtrace::exit_code`] (Linux's `exit_code`) until the tracer's
//! `wait4` reports it (`exit.rs`); the request that resumes it leaves a
//! signal in `resume`. Numbers and layouts are in
//! `libkernel::uapi::ptrace`.

use crate::arch::exception::PtRegs;
use crate::errno::{Errno, SysResult, EFAULT, EINVAL, EIO, ENOMEM, EPERM, ESRCH};
use crate::mm::uaccess::{copy_from_user, copy_to_user, put_user_u64};
use crate::pid::TASKLIST;
use crate::signal::{self, SIGKILL, SIGSTOP, SIGTRAP};
use crate::sync::IrqSpinLock;
use crate::task::{self, Pid, Task, TASK_TRACED};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};
use libkernel::uapi::{self, ptrace::*, KernelSiginfo};

/// A task's ptrace state, as tracee and as tracer.
pub struct TaskPtrace {
    /// `PT_*` with the options (`task->ptrace`); 0 when not traced.
    flags: AtomicU32,
    /// The code of the stop the tracer has not yet seen in `wait4` (Linux
    /// keeps it in `exit_code`): a signal, `SIGTRAP | 0x80`, or `SIGTRAP |
    /// event << 8`; 0 once reported.
    pub exit_code: AtomicU32,
    /// How many tasks this one traces (its `ptraced` list's length), read
    /// without the lock on the exit and wait paths.
    nr_ptraced: AtomicU32,
    /// The rest, allocated when the task is first traced or first traces
    /// (at most one element: an empty `Vec` costs no allocation, and every
    /// task carrying it inline made fork copy 90 bytes more).
    inner: IrqSpinLock<Vec<PtraceInner>>,
}

#[derive(Default)]
struct PtraceInner {
    /// The `siginfo` of the stop (`last_siginfo`), which
    /// `PTRACE_GETSIGINFO`/`SETSIGINFO` read and replace.
    last_siginfo: Option<KernelSiginfo>,
    /// The tasks this one traces (`ptraced`).
    ptraced: Vec<Arc<Task>>,
    /// What the tracer resumed it with: the signal to take (`data` of
    /// `PTRACE_CONT`, `PTRACE_SYSCALL`, `PTRACE_DETACH`).
    resume: u32,
    /// `PTRACE_GETEVENTMSG` (`ptrace_message`).
    message: u64,
    /// The system call number at a syscall stop (arm64's `syscallno`,
    /// which `NT_ARM_SYSTEM_CALL` reads and changes; -1 skips the call).
    syscallno: u64,
}

impl Default for TaskPtrace {
    fn default() -> Self {
        Self::new()
    }
}

impl TaskPtrace {
    /// Not traced, tracing nobody.
    pub fn new() -> Self {
        TaskPtrace {
            flags: AtomicU32::new(0),
            exit_code: AtomicU32::new(0),
            nr_ptraced: AtomicU32::new(0),
            inner: IrqSpinLock::named(&"&p->ptrace", Vec::new()),
        }
    }

    /// `task->ptrace`: `PT_*` and the options, 0 when not traced.
    #[inline(always)]
    pub fn flags(&self) -> u32 {
        self.flags.load(Ordering::Acquire)
    }

    /// Does this task trace anyone?
    #[inline(always)]
    pub fn is_tracer(&self) -> bool {
        self.nr_ptraced.load(Ordering::Acquire) != 0
    }

    /// Calls `f` on the tasks it traces until one returns true (the
    /// caller holds the task list lock; `f` takes no other lock).
    pub fn any_tracee(&self, mut f: impl FnMut(&Arc<Task>) -> bool) -> bool {
        self.with(|i| i.ptraced.iter().any(&mut f)).unwrap_or(false)
    }

    /// Runs `f` on the state kept while traced or tracing; `None` if the
    /// task never was either.
    fn with<R>(&self, f: impl FnOnce(&mut PtraceInner) -> R) -> Option<R> {
        let mut v = self.inner.lock();
        let r = v.first_mut().map(f);
        drop(v);
        r
    }

    /// Allocates that state (`ENOMEM` when memory is short).
    fn prepare(&self) -> Result<(), Errno> {
        let mut v = self.inner.lock();
        if v.is_empty() {
            v.try_reserve_exact(1).map_err(|_| ENOMEM)?;
            v.push(PtraceInner::default());
        }
        drop(v);
        Ok(())
    }
}

/// [`Task::syscall_work`]: a syscall tracepoint is on
/// (`SYSCALL_WORK_SYSCALL_TRACEPOINT`).
pub const SYSCALL_WORK_SYSCALL_TRACEPOINT: u32 = 1 << 0;
/// [`Task::syscall_work`]: the tracer asked for syscall stops
/// (`SYSCALL_WORK_SYSCALL_TRACE`, `TIF_SYSCALL_TRACE`).
pub const SYSCALL_WORK_SYSCALL_TRACE: u32 = 1 << 1;
/// [`Task::syscall_work`]: a CPU-time interval timer expired while the task
/// was in the kernel; its signal goes out at the next system call
/// (`crate::time::itimer::posix_cpu_timers_work`).
pub const SYSCALL_WORK_CPU_TIMERS: u32 = 1 << 2;

/// Is `t` traced by someone other than its real parent's process
/// (`ptrace_reparented`)?
pub fn ptrace_reparented(t: &Task) -> bool {
    let fam = t.family.lock();
    let (p, rp) = (fam.parent.upgrade(), fam.real_parent.upgrade());
    drop(fam);
    match (p, rp) {
        (Some(p), Some(rp)) => p.tgid != rp.tgid,
        (p, rp) => p.is_some() != rp.is_some(),
    }
}

/// The tracer of `t`, if traced.
pub fn tracer_of(t: &Task) -> Option<Arc<Task>> {
    if t.ptrace.flags() == 0 {
        return None;
    }
    t.family.lock().parent.upgrade()
}

/// `TracerPid:` of `/proc/PID/status`: the tracer's process, 0 if none.
pub fn tracer_pid(t: &Task) -> Pid {
    tracer_of(t).map_or(0, |p| p.tgid)
}

/// Links `child` to `tracer` (`__ptrace_link`; the caller holds the task
/// list lock); `ENOMEM` if their state cannot be allocated.
fn ptrace_link(child: &Arc<Task>, tracer: &Arc<Task>, flags: u32) -> Result<(), Errno> {
    child.ptrace.prepare()?;
    tracer.ptrace.prepare()?;
    tracer
        .ptrace
        .with(|i| {
            i.ptraced.try_reserve(1).map_err(|_| ENOMEM)?;
            i.ptraced.push(child.clone());
            Ok(())
        })
        .unwrap_or(Err(ENOMEM))?;
    tracer.ptrace.nr_ptraced.fetch_add(1, Ordering::AcqRel);
    child.family.lock().parent = Arc::downgrade(tracer);
    child.ptrace.flags.store(flags, Ordering::Release);
    Ok(())
}

/// Unlinks `child` from its tracer (`__ptrace_unlink`; the caller holds
/// the task list lock): its parent is its real parent again, its syscall
/// stops end, and a tracee stopped for the tracer runs on with
/// `resume`'s signal.
fn __ptrace_unlink(child: &Arc<Task>) {
    if child.ptrace.flags.swap(0, Ordering::AcqRel) == 0 {
        return;
    }
    let tracer = {
        let mut fam = child.family.lock();
        let tracer = fam.parent.upgrade();
        fam.parent = fam.real_parent.clone();
        tracer
    };
    if let Some(tracer) = tracer {
        let gone = tracer.ptrace.with(|i| {
            let k = i.ptraced.iter().position(|t| Arc::ptr_eq(t, child))?;
            let gone = i.ptraced.swap_remove(k);
            if i.ptraced.is_empty() {
                i.ptraced = Vec::new();
            }
            Some(gone)
        });
        if let Some(Some(gone)) = gone {
            tracer.ptrace.nr_ptraced.fetch_sub(1, Ordering::AcqRel);
            drop(gone);
        }
    }
    child
        .syscall_work
        .fetch_and(!SYSCALL_WORK_SYSCALL_TRACE, Ordering::Relaxed);
    child
        .jobctl
        .fetch_and(!task::JOBCTL_TRAP_STOP, Ordering::SeqCst);
    child.ptrace.exit_code.store(0, Ordering::SeqCst);
    crate::sched::core::try_to_wake_up(child, TASK_TRACED);
}

/// A released task leaves its tracer's list (`ptrace_release_task`; the
/// caller holds the task list lock).
pub fn ptrace_release_task(p: &Arc<Task>) {
    if p.ptrace.flags() != 0 {
        __ptrace_unlink(p);
    }
}

/// The tracer is exiting (`exit_ptrace`; the caller holds the task list
/// lock): each tracee is detached (killed first with
/// `PTRACE_O_EXITKILL`); a zombie it had not reaped goes to its real
/// parent, or is returned to be released when nobody else will reap it.
pub fn exit_ptrace(tracer: &Arc<Task>) -> Vec<Arc<Task>> {
    let list = tracer
        .ptrace
        .with(|i| core::mem::take(&mut i.ptraced))
        .unwrap_or_default();
    tracer.ptrace.nr_ptraced.store(0, Ordering::Release);
    let mut dead = Vec::new();
    for p in list {
        if p.ptrace.flags() & pt_opt(PTRACE_O_EXITKILL) != 0 {
            signal::send_sig_priv(&p, SIGKILL);
        }
        __ptrace_unlink(&p);
        if __ptrace_detach_zombie(tracer, &p) && dead.try_reserve(1).is_ok() {
            dead.push(p);
        }
    }
    dead
}

/// After unlinking: is `p` a zombie nobody else will reap
/// (`__ptrace_detach`)? A thread is; a process goes to its real parent,
/// which is told now (unless that is the tracer's own process).
fn __ptrace_detach_zombie(tracer: &Task, p: &Arc<Task>) -> bool {
    if p.exit_state.load(Ordering::Acquire) != task::EXIT_ZOMBIE {
        return false;
    }
    let mut dead = !signal::thread_group_leader(p);
    if !dead && signal::thread_group_empty(p) {
        let rp = p.family.lock().real_parent.upgrade();
        if rp.is_some_and(|rp| rp.tgid != tracer.tgid) {
            dead = crate::exit::do_notify_parent(p, p.exit_signal.load(Ordering::Relaxed));
        }
    }
    if dead {
        p.exit_state.store(task::EXIT_DEAD, Ordering::SeqCst);
    }
    dead
}

/// A new task made by a traced one is traced too when the tracer asked
/// for the event (or `CLONE_PTRACE`): it starts with a `SIGSTOP`, or a
/// `PTRACE_EVENT_STOP` if seized (`ptrace_init_task`; the caller holds
/// the task list lock). Its syscall stops start off, as in Linux.
pub fn ptrace_init_task(child: &Arc<Task>, parent: &Task) {
    let flags = parent.ptrace.flags();
    if flags == 0 {
        return;
    }
    let Some(tracer) = parent.family.lock().parent.upgrade() else {
        return;
    };
    // Short of memory the child runs untraced (Linux cannot fail here).
    if ptrace_link(child, &tracer, flags).is_err() {
        return;
    }
    if flags & PT_SEIZED != 0 {
        child
            .jobctl
            .fetch_or(task::JOBCTL_TRAP_STOP, Ordering::SeqCst);
        // SAFETY: the child has not run yet (it is woken after
        // `copy_process`); its saved context is ours to change.
        unsafe { (*child.thread_ptr()).start_with_ptrace_trap() };
    } else {
        child.pending.fetch_or(1 << (SIGSTOP - 1), Ordering::SeqCst);
    }
}

/// The event a `clone` by `parent` with `clone_flags` reports, if its
/// tracer asked for it (`kernel_clone`'s `trace`).
#[inline(always)]
pub fn clone_trace_event(parent: &Task, clone_flags: u64) -> Option<u32> {
    let flags = parent.ptrace.flags();
    if flags == 0 {
        return None;
    }
    let exit_signal = (clone_flags & uapi::CSIGNAL) as u32;
    clone_event(clone_flags, exit_signal).filter(|&e| flags & pt_event_flag(e) != 0)
}

/// Stops the current task for its tracer (`ptrace_stop`) with stop code
/// `exit_code`, telling the tracer (`SIGCHLD` with `why`) and sleeping in
/// `TASK_TRACED` until a request resumes it, it is detached, or `SIGKILL`
/// comes. `info` is the stop's `siginfo`, which the tracer may replace.
/// Returns the signal the tracer resumed it with (`resume` is
/// `default_resume` if the tracer goes without saying), or `exit_code`
/// if it did not stop.
fn ptrace_stop(
    exit_code: u32,
    why: i32,
    message: u64,
    info: Option<&mut KernelSiginfo>,
    default_resume: u32,
) -> u32 {
    let me = task::current();
    if me.ptrace.flags() == 0 || signal::kill_pending(&me) {
        return exit_code;
    }
    let last = info.as_deref().copied();
    me.ptrace.with(|i| {
        i.last_siginfo = last;
        i.message = message;
        i.resume = default_resume;
    });
    me.jobctl
        .fetch_and(!task::JOBCTL_TRAP_STOP, Ordering::SeqCst);
    // Stop first, then publish the code: a tracer that sees the code finds
    // the task already `TASK_TRACED` (Linux does both under the siglock).
    task::set_special_state(TASK_TRACED);
    me.ptrace.exit_code.store(exit_code, Ordering::SeqCst);
    // A SIGKILL sent before the state was set found nothing to wake; the
    // store above is ordered before this load (`set_special_state`'s
    // fence). A detach in between likewise.
    if signal::kill_pending(&me) || me.ptrace.flags() == 0 {
        me.ptrace.exit_code.store(0, Ordering::SeqCst);
        task::set_current_state(task::TASK_RUNNING);
        return exit_code;
    }
    do_notify_parent_cldtrapped(&me, why, exit_code);
    crate::sched::schedule();
    me.ptrace.exit_code.store(0, Ordering::SeqCst);
    let (last, resume) = me
        .ptrace
        .with(|i| {
            i.message = 0;
            (i.last_siginfo.take(), core::mem::take(&mut i.resume))
        })
        .unwrap_or((None, 0));
    if let (Some(info), Some(last)) = (info, last) {
        *info = last;
    }
    resume
}

/// Tells the tracer that `tsk` stopped (`do_notify_parent_cldstop` with
/// `for_ptracer`): `SIGCHLD` with the thread's id and the stop's signal,
/// unless the tracer ignores it or asked `SA_NOCLDSTOP`; its `wait4` is
/// woken in any case.
fn do_notify_parent_cldtrapped(tsk: &Task, why: i32, exit_code: u32) {
    let Some(tracer) = tsk.family.lock().parent.upgrade() else {
        return;
    };
    let act = tracer.sigactions.lock()[signal::SIGCHLD as usize - 1];
    if act.handler != uapi::SIG_IGN && act.flags & uapi::SA_NOCLDSTOP == 0 {
        let mut info = crate::exit::sigchld_info(tsk, why, (exit_code & 0x7f) as i32);
        info.pid = tsk.pid();
        signal::send_signal_info(&tracer, &info);
    }
    tracer.signal.wait_chldexit.wake_up_all();
}

/// A stop with a `siginfo` of `SIGTRAP` and `si_code` `exit_code`
/// (`ptrace_do_notify`); returns the signal the tracer resumed with.
fn ptrace_do_notify(signr: u32, exit_code: u32, why: i32, message: u64) -> u32 {
    let mut info = KernelSiginfo::from_pid(signr, exit_code as i32, task::current_pid());
    ptrace_stop(exit_code, why, message, Some(&mut info), 0)
}

/// `ptrace_notify`: an event or syscall stop.
fn ptrace_notify(exit_code: u32, message: u64) -> u32 {
    ptrace_do_notify(SIGTRAP, exit_code, uapi::CLD_TRAPPED, message)
}

/// Reports event `event` with `message` if the tracer asked for it
/// (`ptrace_event`); an exec of a task attached the old way (not seized,
/// no `PTRACE_O_TRACEEXEC`) gets the legacy `SIGTRAP` instead.
#[inline(always)]
pub fn ptrace_event(event: u32, message: u64) {
    let flags = task::with_current(|t| t.ptrace.flags());
    if flags != 0 {
        ptrace_event_slow(flags, event, message);
    }
}

#[cold]
#[inline(never)]
fn ptrace_event_slow(flags: u32, event: u32, message: u64) {
    if flags & pt_event_flag(event) != 0 {
        ptrace_notify(ptrace_event_code(event), message);
    } else if event == PTRACE_EVENT_EXEC && flags & PT_SEIZED == 0 {
        let me = task::current();
        signal::send_sig_priv_thread(&me, SIGTRAP);
    }
}

/// The parent's event for a `clone` that made traced child `pid`
/// (`kernel_clone`'s `ptrace_event_pid(trace, pid)`).
#[cold]
pub fn ptrace_clone_event(clone_flags: u64, pid: Pid) {
    if let Some(event) = clone_event(clone_flags, (clone_flags & uapi::CSIGNAL) as u32) {
        ptrace_event_pid(event, pid);
    }
}

/// `ptrace_event_pid`: the event's message is a pid (the new child's).
pub fn ptrace_event_pid(event: u32, pid: Pid) {
    ptrace_event(event, pid as u64);
}

/// A syscall stop (`ptrace_report_syscall`): `x7` says which
/// (`PTRACE_SYSCALL_ENTER`/`EXIT`) while stopped; the tracer may change
/// the registers, or resume with a signal, which is then sent (Linux:
/// "not the same as continuing with a signal, but it will do"). Out of
/// line and given the frame: its callers must read the registers again
/// after it, since the tracer (another CPU) may have written them.
#[inline(never)]
fn ptrace_report_syscall(regs: &mut PtRegs, dir: u64, message: u64) {
    let x7: *mut u64 = &mut regs.regs[7];
    // SAFETY: `x7` points into the frame borrowed above. Volatile: the
    // tracer reads the frame through its own mapping while this task
    // sleeps, so neither store may be merged away.
    let saved = unsafe { x7.read_volatile() };
    // SAFETY: as above.
    unsafe { x7.write_volatile(dir) };
    let flags = task::with_current(|t| t.ptrace.flags());
    let code = SIGTRAP
        | if flags & pt_opt(PTRACE_O_TRACESYSGOOD) != 0 {
            0x80
        } else {
            0
        };
    let sig = ptrace_notify(code, message);
    // SAFETY: as above.
    unsafe { x7.write_volatile(saved) };
    if sig != 0 && sig <= signal::NSIG {
        let me = task::current();
        signal::send_sig_priv_thread(&me, sig);
    }
}

/// Syscall-entry stop (arm64's `syscall_trace_enter` with
/// `ptrace_report_syscall_entry`). Returns the number to run, which the tracer may have changed
/// (`NT_ARM_SYSTEM_CALL`), or `None` to skip the call (-1, or `SIGKILL`).
pub fn syscall_trace_enter(regs: &mut PtRegs) -> Option<usize> {
    let me = task::current_ptr();
    // SAFETY: the current task is alive while it runs.
    let me = unsafe { &*me };
    let nr = regs.regs[8];
    me.ptrace.with(|i| i.syscallno = nr);
    ptrace_report_syscall(regs, PTRACE_SYSCALL_ENTER, PTRACE_EVENTMSG_SYSCALL_ENTRY);
    let nr = me.ptrace.with(|i| i.syscallno).unwrap_or(nr);
    if signal::kill_pending(me) || nr as i64 == -1 {
        return None;
    }
    Some(nr as usize)
}

/// Syscall-exit stop (`syscall_trace_exit`): `x0` holds the result.
pub fn syscall_trace_exit(regs: &mut PtRegs) {
    ptrace_report_syscall(regs, PTRACE_SYSCALL_EXIT, PTRACE_EVENTMSG_SYSCALL_EXIT);
}

/// Signal-delivery-stop (`ptrace_signal`): the tracer sees `signr` about
/// to be delivered and resumes with the signal to take instead (0: none).
/// A changed signal gets a `siginfo` from the tracer; one now blocked is
/// queued again.
pub fn ptrace_signal(me: &Arc<Task>, signr: u32, info: &mut KernelSiginfo) -> u32 {
    me.jobctl
        .fetch_or(task::JOBCTL_STOP_DEQUEUED, Ordering::SeqCst);
    let sig = ptrace_stop(signr, uapi::CLD_TRAPPED, 0, Some(info), signr);
    if sig == 0 || sig > signal::NSIG {
        return 0;
    }
    if sig != info.signo {
        let tracer = tracer_of(me).map_or(0, |t| t.tgid);
        *info = KernelSiginfo::from_pid(sig, uapi::SI_USER, tracer);
    }
    if me.blocked.load(Ordering::Relaxed) & (1 << (sig - 1)) != 0 || signal::kill_pending(me) {
        signal::send_signal_thread(me, info);
        return 0;
    }
    sig
}

/// A stop the tracer asked for with `PTRACE_INTERRUPT`, a seized child's
/// first stop, or the end of a group stop a listening tracer waited for
/// (`do_jobctl_trap`): `PTRACE_EVENT_STOP`, with the stop signal while
/// the process is stopped, else `SIGTRAP`.
pub fn do_jobctl_trap(me: &Task) {
    me.jobctl
        .fetch_and(!task::JOBCTL_TRAP_STOP, Ordering::SeqCst);
    if me.ptrace.flags() & PT_SEIZED != 0 {
        let g = me.signal.jobctl.load(Ordering::SeqCst);
        let signr = if g & task::JOBCTL_STOPPED != 0 {
            (g >> task::JOBCTL_STOP_SIG_SHIFT) & 0xff
        } else {
            SIGTRAP
        };
        ptrace_do_notify(
            signr,
            signr | (PTRACE_EVENT_STOP << 8),
            uapi::CLD_STOPPED,
            0,
        );
    }
}

/// A tracee left listening (`PTRACE_LISTEN`) in a group stop leaves its
/// stop to trap again (`ptrace_signal_wake_up` on `JOBCTL_TRAP_NOTIFY`):
/// `SIGCONT` ended the stop, or the tracer interrupts it.
pub fn ptrace_listening_wake(t: &Arc<Task>) {
    if t.jobctl.load(Ordering::Acquire) & task::JOBCTL_LISTENING == 0 {
        return;
    }
    t.jobctl.fetch_or(task::JOBCTL_TRAP_STOP, Ordering::SeqCst);
    t.jobctl
        .fetch_and(!task::JOBCTL_LISTENING, Ordering::SeqCst);
    crate::sched::core::try_to_wake_up(t, TASK_TRACED);
}

/// A traced task's group stop for `sig` (`do_signal_stop` then
/// `do_jobctl_trap`): a stop for the tracer, `WSTOPSIG` the stop signal
/// (with `PTRACE_EVENT_STOP` if seized). `PTRACE_CONT` ends it.
pub fn ptrace_group_stop(sig: u32) {
    let seized = task::with_current(|t| t.ptrace.flags() & PT_SEIZED != 0);
    if seized {
        ptrace_do_notify(sig, sig | (PTRACE_EVENT_STOP << 8), uapi::CLD_STOPPED, 0);
    } else {
        ptrace_stop(sig, uapi::CLD_STOPPED, 0, None, 0);
    }
}

/// A seized child's first return to user space (from
/// `ret_from_fork_user_trap`): it stops with `PTRACE_EVENT_STOP` before
/// running anything.
#[no_mangle]
pub extern "C" fn schedule_tail_user(prev: usize) {
    crate::sched::core::schedule_tail(prev);
    task::with_current(do_jobctl_trap);
}

// ------------------------------------------------------------ requests

/// `ptrace(request, pid, addr, data)`.
pub fn sys_ptrace(request: u64, pid: i64, addr: u64, data: u64) -> SysResult {
    if request == PTRACE_TRACEME {
        return ptrace_traceme();
    }
    let child = Pid::try_from(pid)
        .ok()
        .filter(|&p| p > 0)
        .and_then(crate::pid::find_task_by_pid)
        .ok_or(ESRCH)?;
    if request == PTRACE_ATTACH || request == PTRACE_SEIZE {
        return ptrace_attach(&child, request, addr, data);
    }
    ptrace_check_attach(
        &child,
        request == PTRACE_KILL || request == PTRACE_INTERRUPT,
    )?;
    ptrace_request(&child, request, addr, data)
}

/// `PTRACE_TRACEME`: traced by the real parent from now on.
fn ptrace_traceme() -> SysResult {
    let me = task::current();
    let tl = TASKLIST.lock();
    if me.ptrace.flags() != 0 {
        return Err(EPERM);
    }
    let Some(parent) = me.family.lock().real_parent.upgrade() else {
        return Err(EPERM);
    };
    let linked = ptrace_link(&me, &parent, PT_PTRACED);
    drop(tl);
    linked.map(|()| 0)
}

/// `PTRACE_ATTACH` (stops the tracee with `SIGSTOP`) and `PTRACE_SEIZE`
/// (does not; options in `data`). Refused with `EPERM` for a kernel
/// thread, the caller's own process, init, an exiting task or one already
/// traced.
fn ptrace_attach(child: &Arc<Task>, request: u64, addr: u64, data: u64) -> SysResult {
    let mut flags = PT_PTRACED;
    if request == PTRACE_SEIZE {
        if addr != 0 {
            return Err(EIO);
        }
        // EIO, not SETOPTIONS' EINVAL: "historically used different error
        // codes" (Linux's ptrace_attach).
        if data & !PTRACE_O_MASK != 0 {
            return Err(EIO);
        }
        flags = pt_set_options(PT_PTRACED | PT_SEIZED, data);
    }
    let me = task::current();
    if child.flags() & task::PF_KTHREAD != 0 || !child.is_user() || child.tgid == me.tgid {
        return Err(EPERM);
    }
    // init's exit would panic the kernel: nobody may stop or kill it
    // through ptrace (Linux lets root; pikern keeps pid 1 unkillable).
    if child.tgid == 1 {
        return Err(EPERM);
    }
    {
        let tl = TASKLIST.lock();
        if child.ptrace.flags() != 0
            || child.exit_state.load(Ordering::Acquire) != 0
            || child.flags() & task::PF_EXITING != 0
        {
            return Err(EPERM);
        }
        let linked = ptrace_link(child, &me, flags);
        drop(tl);
        linked?;
    }
    if request == PTRACE_ATTACH {
        signal::send_sig_priv_thread(child, SIGSTOP);
    }
    Ok(0)
}

/// Is `child` traced by the caller and, unless `ignore_state`, stopped
/// for it (`ptrace_check_attach`)? Then waits until it is off its CPU
/// (`wait_task_inactive`), so its saved registers are all in memory.
fn ptrace_check_attach(child: &Arc<Task>, ignore_state: bool) -> Result<(), Errno> {
    let me = task::current_ptr();
    let ours = child.ptrace.flags() != 0
        && child.family.lock().parent.as_ptr() == me
        && child.exit_state.load(Ordering::Acquire) == 0;
    if !ours {
        return Err(ESRCH);
    }
    if ignore_state {
        return Ok(());
    }
    // Listening, it is stopped but not for requests (Linux's
    // `ptrace_freeze_traced` refuses it).
    if child.state() & TASK_TRACED == 0
        || signal::kill_pending(child)
        || child.jobctl.load(Ordering::Acquire) & task::JOBCTL_LISTENING != 0
    {
        return Err(ESRCH);
    }
    let mut wait = crate::sync::SpinWait::new();
    while child.on_cpu.load(Ordering::Acquire) {
        let _ = wait.spin();
    }
    Ok(())
}

fn valid_signal(data: u64) -> Result<u32, Errno> {
    if data > u64::from(signal::NSIG) {
        return Err(EIO);
    }
    Ok(data as u32)
}

fn ptrace_request(child: &Arc<Task>, request: u64, addr: u64, data: u64) -> SysResult {
    match request {
        PTRACE_PEEKTEXT | PTRACE_PEEKDATA => {
            let mut b = [0u8; 8];
            if access_process_vm(child, addr, &mut b, false) != 8 {
                return Err(EIO);
            }
            put_user_u64(data, u64::from_le_bytes(b))?;
            Ok(0)
        }
        PTRACE_POKETEXT | PTRACE_POKEDATA => {
            let mut b = data.to_le_bytes();
            if access_process_vm(child, addr, &mut b, true) != 8 {
                return Err(EIO);
            }
            Ok(0)
        }
        PTRACE_SETOPTIONS => {
            if data & !PTRACE_O_MASK != 0 {
                return Err(EINVAL);
            }
            let old = child.ptrace.flags();
            child
                .ptrace
                .flags
                .store(pt_set_options(old, data), Ordering::Release);
            Ok(0)
        }
        PTRACE_GETEVENTMSG => {
            put_user_u64(data, child.ptrace.with(|i| i.message).unwrap_or(0))?;
            Ok(0)
        }
        PTRACE_GETSIGINFO => {
            let info = child
                .ptrace
                .with(|i| i.last_siginfo)
                .flatten()
                .ok_or(EINVAL)?;
            copy_to_user(data, &info.to_bytes())?;
            Ok(0)
        }
        PTRACE_SETSIGINFO => {
            let mut b = [0u8; uapi::SIGINFO_SIZE];
            copy_from_user(&mut b, data)?;
            let new = KernelSiginfo::from_bytes(&b);
            let set = child
                .ptrace
                .with(|i| i.last_siginfo.as_mut().map(|s| *s = new));
            set.flatten().ok_or(EINVAL)?;
            Ok(0)
        }
        PTRACE_GETSIGMASK | PTRACE_SETSIGMASK => {
            if addr != 8 {
                return Err(EINVAL);
            }
            if request == PTRACE_GETSIGMASK {
                put_user_u64(data, child.blocked.load(Ordering::Relaxed))?;
            } else {
                let set = crate::mm::uaccess::get_user_u64(data)?;
                signal::set_current_blocked(child, set);
            }
            Ok(0)
        }
        PTRACE_GETREGSET | PTRACE_SETREGSET => {
            ptrace_regset(child, request == PTRACE_SETREGSET, addr, data)
        }
        PTRACE_GET_SYSCALL_INFO => ptrace_get_syscall_info(child, addr, data),
        PTRACE_SYSCALL | PTRACE_CONT => {
            let sig = valid_signal(data)?;
            if request == PTRACE_SYSCALL {
                child
                    .syscall_work
                    .fetch_or(SYSCALL_WORK_SYSCALL_TRACE, Ordering::Relaxed);
            } else {
                child
                    .syscall_work
                    .fetch_and(!SYSCALL_WORK_SYSCALL_TRACE, Ordering::Relaxed);
            }
            ptrace_resume(child, sig);
            Ok(0)
        }
        PTRACE_KILL => {
            signal::send_sig_priv_thread(child, SIGKILL);
            Ok(0)
        }
        PTRACE_DETACH => {
            let sig = valid_signal(data)?;
            child.ptrace.with(|i| i.resume = sig);
            let tl = TASKLIST.lock();
            __ptrace_unlink(child);
            drop(tl);
            Ok(0)
        }
        PTRACE_INTERRUPT => {
            if child.ptrace.flags() & PT_SEIZED == 0 {
                return Err(EIO);
            }
            child
                .jobctl
                .fetch_or(task::JOBCTL_TRAP_STOP, Ordering::SeqCst);
            // Out of an interruptible sleep (the call restarts after the
            // stop), through the return-to-user work if it runs, or out of
            // a listening stop.
            crate::sched::core::try_to_wake_up(child, task::TASK_INTERRUPTIBLE);
            crate::sched::core::kick_process(child);
            ptrace_listening_wake(child);
            Ok(0)
        }
        PTRACE_LISTEN => {
            // Only a seized tracee in a group stop's PTRACE_EVENT_STOP.
            let code = child
                .ptrace
                .with(|i| i.last_siginfo.map_or(0, |s| s.code))
                .unwrap_or(0);
            if child.ptrace.flags() & PT_SEIZED == 0 || (code as u32) >> 8 != PTRACE_EVENT_STOP {
                return Err(EIO);
            }
            child
                .jobctl
                .fetch_or(task::JOBCTL_LISTENING, Ordering::SeqCst);
            // The stop may have ended already.
            if child.signal.jobctl.load(Ordering::SeqCst) & task::JOBCTL_STOPPED == 0 {
                ptrace_listening_wake(child);
            }
            Ok(0)
        }
        _ => Err(EIO),
    }
}

/// Resumes a stopped tracee with signal `sig` (`ptrace_resume`).
fn ptrace_resume(child: &Arc<Task>, sig: u32) {
    child.ptrace.with(|i| i.resume = sig);
    child
        .jobctl
        .fetch_and(!task::JOBCTL_LISTENING, Ordering::SeqCst);
    child.ptrace.exit_code.store(0, Ordering::SeqCst);
    crate::sched::core::try_to_wake_up(child, TASK_TRACED);
}

/// Takes a reference on `t`'s kernel stack if it still has one
/// (`try_get_task_stack`): its saved user registers live there.
fn with_task_regs<R>(t: &Task, f: impl FnOnce(&mut PtRegs) -> R) -> Result<R, Errno> {
    let mut n = t.stack_refcount.load(Ordering::Acquire);
    loop {
        if n == 0 {
            return Err(ESRCH);
        }
        match t
            .stack_refcount
            .compare_exchange(n, n + 1, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => break,
            Err(v) => n = v,
        }
    }
    // SAFETY: the stack stays allocated while the reference taken above is
    // held; the tracee is stopped off its CPU (ptrace_check_attach) and
    // touches its frame only once resumed, which only this tracer does.
    let r = f(unsafe { &mut *t.pt_regs() });
    crate::exit::put_task_stack(t, false);
    Ok(r)
}

/// `PTRACE_GETREGSET`/`SETREGSET`: `addr` the `NT_*` type, `data` a
/// `struct iovec` whose length is updated to what was transferred.
fn ptrace_regset(child: &Arc<Task>, set: bool, addr: u64, data: u64) -> SysResult {
    let mut iov = [0u8; 16];
    copy_from_user(&mut iov, data)?;
    let base = u64::from_le_bytes(iov[..8].try_into().unwrap_or([0; 8]));
    let len = u64::from_le_bytes(iov[8..].try_into().unwrap_or([0; 8])) as usize;
    let mut buf = [0u8; USER_FPSIMD_STATE_SIZE];
    let size = match addr {
        NT_PRSTATUS => USER_PT_REGS_SIZE,
        NT_PRFPREG => USER_FPSIMD_STATE_SIZE,
        NT_ARM_SYSTEM_CALL => 4,
        _ => return Err(EINVAL),
    };
    let n = len.min(size);
    // What is there now: all of it for a read, and the part a short write
    // leaves alone.
    match addr {
        NT_PRSTATUS => {
            let b = with_task_regs(child, |r| user_pt_regs_bytes(&r.regs, r.sp, r.pc, r.pstate))?;
            buf[..size].copy_from_slice(&b);
        }
        NT_PRFPREG => {
            // SAFETY: the tracee is stopped off its CPU: its saved FP
            // state is complete and nobody else writes it.
            let st = unsafe { **child.fpsimd.get() };
            fpsimd_to_bytes(&st, &mut buf);
        }
        _ => {
            let nr = child.ptrace.with(|i| i.syscallno).unwrap_or(0) as u32;
            buf[..4].copy_from_slice(&nr.to_le_bytes());
        }
    }
    if !set {
        copy_to_user(base, &buf[..n])?;
    } else {
        copy_from_user(&mut buf[..n], base)?;
        match addr {
            NT_PRSTATUS => {
                let mut b = [0u8; USER_PT_REGS_SIZE];
                b.copy_from_slice(&buf[..USER_PT_REGS_SIZE]);
                let w = user_pt_regs_words(&b);
                with_task_regs(child, |r| {
                    r.regs.copy_from_slice(&w[..31]);
                    r.sp = w[31];
                    r.pc = w[32];
                    r.pstate = w[33] & PSR_USER_SETTABLE;
                })?;
            }
            NT_PRFPREG => {
                let st = fpsimd_from_bytes(&buf);
                // SAFETY: as above; loaded when the tracee next runs.
                unsafe { **child.fpsimd.get() = st };
            }
            _ => {
                let nr = i32::from_le_bytes(buf[..4].try_into().unwrap_or([0; 4]));
                child.ptrace.with(|i| i.syscallno = nr as i64 as u64);
            }
        }
    }
    copy_to_user(data + 8, &(n as u64).to_le_bytes())?;
    Ok(0)
}

fn fpsimd_to_bytes(st: &crate::arch::fpsimd::UserFpsimdState, b: &mut [u8]) {
    for (i, v) in st.vregs.iter().enumerate() {
        b[16 * i..16 * i + 16].copy_from_slice(&v.to_le_bytes());
    }
    b[512..516].copy_from_slice(&st.fpsr.to_le_bytes());
    b[516..520].copy_from_slice(&st.fpcr.to_le_bytes());
}

fn fpsimd_from_bytes(b: &[u8]) -> crate::arch::fpsimd::UserFpsimdState {
    let mut st = crate::arch::fpsimd::UserFpsimdState::default();
    for (i, v) in st.vregs.iter_mut().enumerate() {
        *v = u128::from_le_bytes(b[16 * i..16 * i + 16].try_into().unwrap_or([0; 16]));
    }
    st.fpsr = u32::from_le_bytes(b[512..516].try_into().unwrap_or([0; 4]));
    st.fpcr = u32::from_le_bytes(b[516..520].try_into().unwrap_or([0; 4]));
    st
}

/// `PTRACE_GET_SYSCALL_INFO`: which syscall stop (from the stop's
/// `si_code` and message, as Linux decides), with the number and
/// arguments or the result; returns the full size, copies at most `addr`
/// bytes.
fn ptrace_get_syscall_info(child: &Arc<Task>, addr: u64, data: u64) -> SysResult {
    let (code, msg, nr) = child
        .ptrace
        .with(|i| (i.last_siginfo.map_or(0, |s| s.code), i.message, i.syscallno))
        .unwrap_or((0, 0, 0));
    let (b, size) = with_task_regs(child, |r| {
        let info = match (code as u32, msg) {
            (c, PTRACE_EVENTMSG_SYSCALL_ENTRY) if c == SIGTRAP | 0x80 => SyscallInfo::Entry {
                nr,
                args: core::array::from_fn(|i| r.regs[i]),
            },
            (c, PTRACE_EVENTMSG_SYSCALL_EXIT) if c == SIGTRAP | 0x80 => SyscallInfo::Exit {
                rval: r.regs[0] as i64,
            },
            _ => SyscallInfo::None,
        };
        syscall_info_bytes(info, r.pc, r.sp)
    })?;
    let n = (addr as usize).min(size);
    copy_to_user(data, &b[..n])?;
    Ok(size as i64)
}

/// Copies between `buf` and `t`'s memory at `addr` as a debugger does
/// (`access_process_vm` with `FOLL_FORCE`): a write to read-only private
/// text gets the tracee its own copy of the page. Returns the bytes done.
fn access_process_vm(t: &Task, addr: u64, buf: &mut [u8], write: bool) -> usize {
    let Some(mm) = t.mm.lock().clone() else {
        return 0;
    };
    let mut done = 0;
    while done < buf.len() {
        let va = addr.wrapping_add(done as u64);
        let off = va as usize % crate::mm::PAGE_SIZE;
        let n = (crate::mm::PAGE_SIZE - off).min(buf.len() - done);
        let Ok(pa) = mm.get_user_page_force(va, write) else {
            break;
        };
        let kva = crate::mm::phys_to_virt(pa) + off;
        // SAFETY: `pa` is a page of `mm` (held by the reference above; the
        // tracee is stopped), reached through the linear map; the chunk
        // stays inside it.
        let page = unsafe { core::slice::from_raw_parts_mut(kva as *mut u8, n) };
        if write {
            page.copy_from_slice(&buf[done..done + n]);
            // The tracee may run what was written (a breakpoint): the
            // instruction fetch must see it.
            crate::arch::cpu::dcache_clean_inval(kva, n);
            crate::arch::cpu::icache_inval_all();
        } else {
            buf[done..done + n].copy_from_slice(page);
        }
        done += n;
    }
    done
}

// ------------------------------------------------- process_vm_readv/writev

/// Most `iovec`s one call takes (`UIO_MAXIOV`).
const UIO_MAXIOV: u64 = 1024;

/// `process_vm_readv(pid, lvec, liovcnt, rvec, riovcnt, flags)`: copies
/// from process `pid`'s memory into the caller's; returns the bytes
/// copied (fewer at the first fault, `EFAULT` if none).
pub fn sys_process_vm_readv(
    pid: i64,
    lvec: u64,
    liovcnt: u64,
    rvec: u64,
    riovcnt: u64,
    flags: u64,
) -> SysResult {
    process_vm_rw(pid, lvec, liovcnt, rvec, riovcnt, flags, false)
}

/// `process_vm_writev`: the other way.
pub fn sys_process_vm_writev(
    pid: i64,
    lvec: u64,
    liovcnt: u64,
    rvec: u64,
    riovcnt: u64,
    flags: u64,
) -> SysResult {
    process_vm_rw(pid, lvec, liovcnt, rvec, riovcnt, flags, true)
}

fn read_iovecs(uvec: u64, cnt: u64) -> Result<Vec<(u64, u64)>, Errno> {
    let mut v = Vec::new();
    v.try_reserve(cnt as usize).map_err(|_| ENOMEM)?;
    for i in 0..cnt {
        let mut b = [0u8; 16];
        copy_from_user(&mut b, uvec + 16 * i)?;
        let base = u64::from_le_bytes(b[..8].try_into().unwrap_or([0; 8]));
        let len = u64::from_le_bytes(b[8..].try_into().unwrap_or([0; 8]));
        if len as i64 <= 0 {
            if len != 0 {
                return Err(EINVAL);
            }
            continue;
        }
        v.push((base, len));
    }
    Ok(v)
}

fn process_vm_rw(
    pid: i64,
    lvec: u64,
    liovcnt: u64,
    rvec: u64,
    riovcnt: u64,
    flags: u64,
    write: bool,
) -> SysResult {
    if flags != 0 || liovcnt > UIO_MAXIOV || riovcnt > UIO_MAXIOV {
        return Err(EINVAL);
    }
    let local = read_iovecs(lvec, liovcnt)?;
    let remote = read_iovecs(rvec, riovcnt)?;
    let t = Pid::try_from(pid)
        .ok()
        .filter(|&p| p > 0)
        .and_then(crate::pid::find_task_by_pid)
        .ok_or(ESRCH)?;
    let mm = t.mm.lock().clone().ok_or(ESRCH)?;
    let access = if write {
        crate::mm::vm::Access::Write
    } else {
        crate::mm::vm::Access::Read
    };
    let mut buf = [0u8; 512];
    let mut total = 0u64;
    let (mut li, mut loff) = (0usize, 0u64);
    'remote: for &(rbase, rlen) in &remote {
        let mut roff = 0u64;
        while roff < rlen {
            let Some(&(lbase, llen)) = local.get(li) else {
                break 'remote;
            };
            let n = (rlen - roff).min(llen - loff).min(buf.len() as u64) as usize;
            let (ra, la) = (rbase.wrapping_add(roff), lbase.wrapping_add(loff));
            let ok = if write {
                copy_from_user(&mut buf[..n], la).is_ok()
                    && crate::mm::uaccess::access_mm(&mm, ra, n, access, |chunk, off| {
                        chunk.copy_from_slice(&buf[off..off + chunk.len()]);
                        true
                    })
                    .is_ok()
            } else {
                crate::mm::uaccess::copy_from_mm(&mm, &mut buf[..n], ra).is_ok()
                    && copy_to_user(la, &buf[..n]).is_ok()
            };
            if !ok {
                break 'remote;
            }
            total += n as u64;
            roff += n as u64;
            loff += n as u64;
            if loff == llen {
                li += 1;
                loff = 0;
            }
        }
    }
    if total == 0 && !remote.is_empty() && !local.is_empty() {
        return Err(EFAULT);
    }
    Ok(total as i64)
}
