//! Creating tasks (Linux's `kernel/fork.c`): `_do_fork()` =
//! `copy_process()` (which calls `dup_task_struct()` for the descriptor and
//! kernel stack, sets up scheduling, assigns the pid and links the family)
//! followed by `wake_up_new_task()`. Kernel threads come through here too
//! (`kernel_thread`); the `clone` system call will in the user-space issues.

use crate::arch::context::CpuContext;
use crate::arch::exception::PtRegs;
use crate::errno::{Errno, SysResult, EAGAIN, EINVAL};
use crate::mm;
use crate::percpu;
use crate::pid::TASKLIST;
use crate::sched::core::wake_up_new_task;
use crate::sched::wait::WaitQueue;
use crate::task::{
    self, KernelStack, Pid, Task, NR_TASKS, PF_FORKNOEXEC, PF_IDLE, PF_KTHREAD, TASK_NEW_FLAGS_MASK,
};
use alloc::boxed::Box;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicUsize, Ordering};

pub use libkernel::uapi::{
    CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID, CLONE_CLEAR_SIGHAND, CLONE_DETACHED, CLONE_FILES,
    CLONE_FS, CLONE_PARENT, CLONE_PARENT_SETTID, CLONE_PTRACE, CLONE_SETTLS, CLONE_SIGHAND,
    CLONE_SYSVSEM, CLONE_THREAD, CLONE_UNTRACED, CLONE_VFORK, CLONE_VM, CSIGNAL,
};

/// Most tasks that may exist at once (Linux's `max_threads`), set at boot
/// from the RAM size; past it fork fails with `EAGAIN`.
pub static MAX_THREADS: AtomicUsize = AtomicUsize::new(4096);

/// Sets `max_threads` as Linux does: at most 1/8 of RAM in kernel stacks.
pub fn fork_init() {
    let ram = mm::ram_info().total_bytes as usize;
    let slots = crate::mm::vmap_stack::MAX_SLOTS - crate::percpu::NR_CPUS;
    let max = (ram / (8 * task::THREAD_SIZE)).clamp(20, slots);
    MAX_THREADS.store(max, Ordering::Relaxed);
}

/// What the new task runs when it is a kernel thread.
pub type ThreadFn = Box<dyn FnOnce() -> i32 + Send>;

/// What to create (Linux's `kernel_clone_args`).
pub struct CloneArgs<'a> {
    /// `CLONE_*` flags, exit signal in the low byte.
    pub flags: u64,
    /// The new task's `comm`.
    pub name: &'a str,
    /// For a kernel thread: what it runs.
    pub thread_fn: Option<ThreadFn>,
    /// CPUs it may run on from the start (default: the parent's).
    pub cpus_allowed: Option<u32>,
    /// For a user fork: the parent's saved registers to copy (the child
    /// returns 0 from the same `svc`), and a new stack pointer if non-zero.
    pub user_regs: Option<(PtRegs, u64)>,
    /// `CLONE_SETTLS`: the child's thread pointer.
    pub tls: Option<u64>,
    /// `CLONE_PARENT_SETTID` / `CLONE_CHILD_SETTID` / `CLONE_CHILD_CLEARTID`
    /// user addresses.
    pub parent_tid: u64,
    /// See `parent_tid`.
    pub child_tid: u64,
}

/// Creates a task and starts it; returns its pid (`_do_fork`).
#[inline(never)]
#[no_mangle]
pub fn _do_fork(args: CloneArgs) -> Result<Pid, Errno> {
    let (flags, parent_tid, child_tid) = (args.flags, args.parent_tid, args.child_tid);
    let p = copy_process(args)?;
    let pid = p.pid();
    if flags & CLONE_CHILD_CLEARTID != 0 {
        p.clear_child_tid.store(child_tid, Ordering::Relaxed);
    }
    if flags & CLONE_PARENT_SETTID != 0 {
        let _ = crate::mm::uaccess::put_user_u32(parent_tid, pid as u32);
    }
    if flags & CLONE_CHILD_SETTID != 0 {
        // Written into the child's memory (its copy-on-write copy).
        if let Some(mm) = p.mm.lock().clone() {
            let _ = mm.write_u32(child_tid, pid as u32);
        }
    }
    let vfork_done = (flags & CLONE_VFORK != 0).then(|| Arc::new(WaitQueue::new()));
    *p.vfork_done.lock() = vfork_done.clone();
    // A traced child means the event was asked for (or CLONE_PTRACE,
    // where the event's own flag decides): one load on the usual path.
    let traced = p.ptrace.flags() != 0;
    wake_up_new_task(&p);
    if traced {
        crate::ptrace::ptrace_clone_event(flags, pid);
    }
    if let Some(done) = vfork_done {
        // vfork: the parent waits until the child execs or exits, or it
        // is killed (`wait_for_vfork_done`, a killable wait: a child that
        // never gets there must not keep its parent unkillable). Only
        // SIGKILL wakes it early: it is woken for no other signal.
        let me = task::current();
        done.wait_event(crate::task::TASK_INTERRUPTIBLE, || {
            p.vfork_done.lock().is_none() || crate::signal::kill_pending(&me)
        });
        crate::ptrace::ptrace_event_pid(libkernel::uapi::PTRACE_EVENT_VFORK_DONE, pid);
    }
    Ok(pid)
}

/// Starts a kernel thread running `f` (`kernel_thread`): a child of the
/// calling task.
pub fn kernel_thread(f: ThreadFn, name: &str, clone_flags: u64) -> Result<Pid, Errno> {
    _do_fork(CloneArgs {
        flags: clone_flags | CLONE_VM | CLONE_UNTRACED,
        name,
        thread_fn: Some(f),
        cpus_allowed: None,
        user_regs: None,
        tls: None,
        parent_tid: 0,
        child_tid: 0,
    })
}

/// Duplicates the current task into a new, not yet runnable one
/// (`copy_process`).
#[inline(never)]
#[no_mangle]
pub fn copy_process(args: CloneArgs) -> Result<Arc<Task>, Errno> {
    let CloneArgs {
        flags: clone_flags,
        name,
        thread_fn,
        cpus_allowed,
        user_regs,
        tls,
        ..
    } = args;
    // Linux's checks: a thread shares the signal handlers, which need a
    // shared address space (handler addresses mean nothing elsewhere).
    if clone_flags & CLONE_THREAD != 0 && clone_flags & CLONE_SIGHAND == 0 {
        return Err(EINVAL);
    }
    if clone_flags & CLONE_SIGHAND != 0 && clone_flags & CLONE_VM == 0 {
        return Err(EINVAL);
    }
    if clone_flags & CLONE_SIGHAND != 0 && clone_flags & CLONE_CLEAR_SIGHAND != 0 {
        return Err(EINVAL);
    }
    if NR_TASKS.load(Ordering::Relaxed) >= MAX_THREADS.load(Ordering::Relaxed) {
        return Err(EAGAIN);
    }
    let parent = task::current();
    // Init's siblings could not be reaped by anyone.
    if clone_flags & CLONE_PARENT != 0 && parent.tgid == 1 {
        return Err(EINVAL);
    }
    // RLIMIT_NPROC: how many user processes this user may have (all tasks
    // run as root here, so it bounds all user processes); a fork bomb gets
    // EAGAIN long before memory runs out.
    if user_regs.is_some() {
        let limit = parent.rlim.lock()[libkernel::uapi::RLIMIT_NPROC as usize].0;
        if limit != u64::MAX && crate::pid::nr_user_processes() as u64 >= limit {
            return Err(EAGAIN);
        }
    }
    let pid = TASKLIST.lock().alloc_pid()?;
    let shared = task::Shared {
        signal: copy_signal(clone_flags, &parent),
        sigactions: copy_sighand(clone_flags, &parent),
        cwd: copy_fs(clone_flags, &parent),
    };
    let mut p = match dup_task_struct(&parent, pid, name, shared) {
        Ok(p) => p,
        Err(e) => {
            TASKLIST.lock().free_pid(pid);
            return Err(e);
        }
    };
    sched_fork(&p, &parent);
    if let Some(mask) = cpus_allowed {
        p.cpus_allowed.store(mask, Ordering::Relaxed);
    }
    let is_kthread = thread_fn.is_some();
    *p.kthread_fn.lock() = thread_fn;
    let mut flags = parent.flags() & !(TASK_NEW_FLAGS_MASK | PF_IDLE);
    flags |= PF_FORKNOEXEC;
    if is_kthread {
        flags |= PF_KTHREAD;
    }
    p.flags.store(flags, Ordering::Relaxed);
    // A thread tells no one when it exits: its process does, once.
    let sig = (clone_flags & CSIGNAL) as i32;
    p.exit_signal.store(
        if clone_flags & CLONE_THREAD != 0 || sig == 0 {
            -1
        } else {
            sig
        },
        Ordering::Relaxed,
    );
    if clone_flags & CLONE_THREAD != 0 {
        // The new thread joins the caller's process: `live` counts it
        // from here on.
        p.tgid = parent.tgid;
        p.signal.live.fetch_add(1, Ordering::Relaxed);
    }
    copy_files(clone_flags, &p, &parent);
    p.umask
        .store(parent.umask.load(Ordering::Relaxed), Ordering::Relaxed);
    let rlim = parent.rlim.lock().clone();
    *p.rlim.lock() = rlim;
    p.sigchld_ignored.store(
        parent.sigchld_ignored.load(Ordering::Relaxed) && user_regs.is_some(),
        Ordering::Relaxed,
    );
    p.blocked
        .store(parent.blocked.load(Ordering::Relaxed), Ordering::Relaxed);
    // A task sharing the memory but not waiting (a thread) must not share
    // the alternate signal stack as well (`sas_ss_reset` in copy_process).
    if clone_flags & (CLONE_VM | CLONE_VFORK) != CLONE_VM {
        p.set_sas(&parent.sas());
    }
    p.no_new_privs.store(
        parent.no_new_privs.load(Ordering::Relaxed),
        Ordering::Relaxed,
    );
    p.personality.store(
        parent.personality.load(Ordering::Relaxed),
        Ordering::Relaxed,
    );
    if let Some((regs, newsp)) = user_regs {
        if let Err(e) = copy_mm(clone_flags, &p, &parent) {
            // Undo what was set up so far, the pid included (Linux's
            // bad_fork_* labels).
            drop(p);
            TASKLIST.lock().free_pid(pid);
            return Err(e);
        }
        copy_thread(&p, &parent, regs, newsp, tls);
    }

    let p = Arc::new(p);
    {
        let mut tl = TASKLIST.lock();
        // A thread or CLONE_PARENT child is a sibling of the caller: its
        // parent is the caller's (and a thread is nobody's child: its
        // process is, through the leader).
        let (real_parent, ppid) = if clone_flags & (CLONE_PARENT | CLONE_THREAD) != 0 {
            let rp = parent.family.lock().real_parent.clone();
            (rp, parent.real_parent_pid.load(Ordering::Relaxed))
        } else {
            (Arc::downgrade(&parent), parent.tgid)
        };
        if clone_flags & CLONE_THREAD != 0 {
            // Under the thread list lock `zap_other_threads` walks: a
            // thread made after the process started to exit (or exec)
            // would escape it.
            let mut threads = p.signal.threads.lock();
            if p.signal.group_exit() || p.signal.group_exec_task.load(Ordering::Relaxed) != 0 {
                drop(threads);
                drop(tl);
                abort_thread(&p, pid);
                return Err(crate::errno::EINTR);
            }
            p.signal.attach_thread(&mut threads, p.clone());
            drop(threads);
        } else {
            if clone_flags & CLONE_PARENT != 0 {
                p.exit_signal.store(
                    parent.exit_signal.load(Ordering::Relaxed),
                    Ordering::Relaxed,
                );
            }
            let mut threads = p.signal.threads.lock();
            p.signal.attach_thread(&mut threads, p.clone());
            drop(threads);
        }
        {
            let mut fam = p.family.lock();
            fam.real_parent = real_parent.clone();
            fam.parent = real_parent.clone();
            p.real_parent_pid.store(ppid, Ordering::Relaxed);
        }
        if clone_flags & CLONE_THREAD == 0 {
            if let Some(rp) = real_parent.upgrade() {
                rp.family.lock().children.insert(p.clone());
            }
        }
        // Syscall tracepoints are a per-task bit, set on every task while
        // one is on (under this lock, which turning one on takes too).
        if crate::trace::syscall_tracepoint_enabled() {
            p.syscall_work.store(
                crate::ptrace::SYSCALL_WORK_SYSCALL_TRACEPOINT,
                Ordering::Relaxed,
            );
        }
        if clone_flags & CLONE_PTRACE != 0
            || crate::ptrace::clone_trace_event(&parent, clone_flags).is_some()
        {
            crate::ptrace::ptrace_init_task(&p, &parent);
        }
        tl.attach(p.clone());
        // The child starts in its parent's process group and session.
        tl.set_groups(
            &p,
            parent.pgrp.load(Ordering::Relaxed),
            parent.session.load(Ordering::Relaxed),
        );
    }
    crate::trace::events::task_newtask(&p, clone_flags);
    crate::trace::events::sched_process_fork(&parent, &p);
    Ok(p)
}

/// Undoes a thread that may not join its exiting process: the pid goes
/// back and `live` is as before; the descriptor and its stack go with the
/// last reference.
fn abort_thread(p: &Arc<Task>, pid: Pid) {
    p.signal.live.fetch_sub(1, Ordering::Relaxed);
    if p.ttbr0.swap(0, Ordering::AcqRel) != 0 {
        crate::pid::user_process_ended();
    }
    p.mm.lock().take();
    p.files.lock().take();
    TASKLIST.lock().free_pid(pid);
}

/// What the new task shares of the caller's process (`copy_signal`): a
/// thread all of it, anything else a `signal_struct` of its own.
fn copy_signal(clone_flags: u64, parent: &Task) -> Arc<crate::signal::SignalStruct> {
    if clone_flags & CLONE_THREAD != 0 {
        parent.signal.clone()
    } else {
        Arc::new(crate::signal::SignalStruct::new())
    }
}

/// The working directory (`copy_fs`): shared with `CLONE_FS`, else a copy.
fn copy_fs(
    clone_flags: u64,
    parent: &Task,
) -> Arc<crate::sync::IrqSpinLock<alloc::string::String>> {
    if clone_flags & CLONE_FS != 0 {
        parent.cwd.clone()
    } else {
        let cwd = parent.cwd.lock().clone();
        task::Shared::fs(cwd)
    }
}

/// The signal handlers (`copy_sighand`): one table with `CLONE_SIGHAND`,
/// else a copy (itself copy-on-write), reset by `CLONE_CLEAR_SIGHAND`.
fn copy_sighand(
    clone_flags: u64,
    parent: &Task,
) -> Arc<crate::sync::IrqSpinLock<crate::signal::SigHand>> {
    if clone_flags & CLONE_SIGHAND != 0 {
        return parent.sigactions.clone();
    }
    let table = parent.sigactions.lock().clone();
    let sighand = task::Shared::sighand(table);
    if clone_flags & CLONE_CLEAR_SIGHAND != 0 {
        crate::signal::flush_handlers_of(&sighand);
    }
    sighand
}

/// Allocates the descriptor and kernel stack, copying what the child
/// inherits (`dup_task_struct`).
#[inline(never)]
#[no_mangle]
pub fn dup_task_struct(
    orig: &Task,
    pid: Pid,
    name: &str,
    shared: task::Shared,
) -> Result<Task, Errno> {
    // Linux allocates the task_struct from its slab cache here.
    if crate::fault_inject::should_fail_alloc(core::mem::size_of::<Task>()) {
        return Err(crate::errno::ENOMEM);
    }
    let stack = KernelStack::alloc()?;
    let t = Task::new_shared(pid, name, orig.flags(), Some(stack), shared);
    t.make_it_fail
        .store(orig.make_it_fail.load(Ordering::Relaxed), Ordering::Relaxed);
    t.cpus_allowed
        .store(orig.cpus_allowed.load(Ordering::Relaxed), Ordering::Relaxed);
    Ok(t)
}

/// The child shares the parent's open files (`copy_files`): with
/// `CLONE_FILES` the table itself, otherwise a copy of it whose entries
/// share the open-file objects by reference count.
fn copy_files(clone_flags: u64, p: &Task, parent: &Task) {
    let table = parent.files.lock().clone();
    *p.files.lock() = table.map(|t| {
        if clone_flags & CLONE_FILES != 0 {
            t
        } else {
            let copy = t.lock().clone();
            Arc::new(crate::sync::IrqSpinLock::new(copy))
        }
    });
}

/// The child's address space (`copy_mm`): shared with `CLONE_VM` (vfork),
/// otherwise a copy-on-write duplicate.
fn copy_mm(clone_flags: u64, p: &Task, parent: &Task) -> Result<(), Errno> {
    let Some(mm) = parent.mm.lock().clone() else {
        return Ok(());
    };
    let child_mm = if clone_flags & CLONE_VM != 0 {
        mm
    } else {
        mm.copy_mm()?
    };
    p.ttbr0.store(child_mm.ttbr0(), Ordering::Release);
    crate::pid::user_process_started();
    *p.mm.lock() = Some(child_mm);
    Ok(())
}

/// The child's registers (`copy_thread`): the parent's user registers with
/// x0 = 0, its FP state and thread pointer, starting in `ret_from_fork_user`.
fn copy_thread(p: &Task, parent: &Task, mut regs: PtRegs, newsp: u64, tls: Option<u64>) {
    regs.regs[0] = 0;
    if newsp != 0 {
        regs.sp = newsp;
    }
    crate::arch::context::fpsimd_preserve_current(parent);
    // SAFETY: the child has not run yet; the parent's saved FP state was
    // just written by this CPU.
    unsafe { **p.fpsimd.get() = **parent.fpsimd.get() };
    p.tp_value.store(
        tls.unwrap_or(parent.tp_value.load(Ordering::Relaxed)),
        Ordering::Relaxed,
    );
    let frame = p.pt_regs();
    // SAFETY: the top of the child's own new kernel stack, unused so far.
    unsafe { frame.write(regs) };
    // SAFETY: the child is not running; its context is ours to set.
    unsafe { *p.thread_ptr() = CpuContext::new_user_child(frame as u64) };
}

/// Flags of `clone` this kernel implements: fork, vfork and threads as C
/// libraries make them. Namespaces, pidfds and the rest are `EINVAL`.
/// `CLONE_SYSVSEM` (no System V semaphores to share) and `CLONE_DETACHED`
/// (ignored by Linux too) are accepted and change nothing;
/// `CLONE_PTRACE` traces the child if the caller is traced.
const SUPPORTED_CLONE: u64 = CSIGNAL
    | CLONE_VM
    | CLONE_FS
    | CLONE_FILES
    | CLONE_SIGHAND
    | CLONE_PTRACE
    | CLONE_VFORK
    | CLONE_PARENT
    | CLONE_THREAD
    | CLONE_SYSVSEM
    | CLONE_SETTLS
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_CLEARTID
    | CLONE_DETACHED
    | CLONE_UNTRACED
    | CLONE_CHILD_SETTID;

/// `set_tid_address(tidptr)`: where to clear the thread id (and, with
/// futexes, wake) when the caller exits; returns its id.
pub fn sys_set_tid_address(tidptr: u64) -> SysResult {
    let me = task::current();
    me.clear_child_tid.store(tidptr, Ordering::Relaxed);
    Ok(me.pid() as i64)
}

/// `clone3(uargs, size)`: `clone` with its arguments in a `struct
/// clone_args` (glibc's `pthread_create` tries it first), checked as
/// Linux's `copy_clone_args_from_user` and `clone3_args_valid` do: a
/// size below the first version is `EINVAL`, above a page `E2BIG`, and
/// bytes past the fields this kernel knows must be zero (`E2BIG`).
#[inline(never)]
#[no_mangle]
pub fn sys_clone3(uargs: u64, size: u64, regs: &PtRegs) -> Result<i64, Errno> {
    use libkernel::uapi::{CloneArgs3, CLONE_ARGS_SIZE_VER0, CLONE_ARGS_SIZE_VER2};
    let size = usize::try_from(size).map_err(|_| crate::errno::E2BIG)?;
    if size > crate::mm::PAGE_SIZE {
        return Err(crate::errno::E2BIG);
    }
    if size < CLONE_ARGS_SIZE_VER0 {
        return Err(EINVAL);
    }
    let mut b = [0u8; CLONE_ARGS_SIZE_VER2];
    let known = size.min(CLONE_ARGS_SIZE_VER2);
    crate::mm::uaccess::copy_from_user(&mut b[..known], uargs)?;
    let mut off = CLONE_ARGS_SIZE_VER2;
    while off < size {
        let mut rest = [0u8; 64];
        let n = (size - off).min(rest.len());
        crate::mm::uaccess::copy_from_user(&mut rest[..n], uargs + off as u64)?;
        if rest[..n].iter().any(|&x| x != 0) {
            return Err(crate::errno::E2BIG);
        }
        off += n;
    }
    let a = CloneArgs3::from_bytes(&b);
    let legacy = SUPPORTED_CLONE & !CSIGNAL;
    if a.flags & !(legacy | CLONE_CLEAR_SIGHAND) != 0
        || a.exit_signal & !CSIGNAL != 0
        || a.exit_signal > u64::from(crate::signal::NSIG)
        || (a.flags & (CLONE_THREAD | CLONE_PARENT) != 0 && a.exit_signal != 0)
        || (a.stack == 0) != (a.stack_size == 0)
        || a.set_tid_size != 0
    {
        return Err(EINVAL);
    }
    let newsp = if a.stack != 0 {
        a.stack.checked_add(a.stack_size).ok_or(EINVAL)?
    } else {
        0
    };
    clone_user(
        a.flags | a.exit_signal,
        newsp,
        a.parent_tid,
        a.tls,
        a.child_tid,
        regs,
    )
}

/// What `clone` and `clone3` make of their checked arguments: a copy of
/// the caller named after it, returning 0 from the same `svc` on `newsp`
/// (0: the caller's stack). Inlined: the trace's stack shows `sys_clone`
/// under `_do_fork`, as Linux's does (a tail call would leave it out).
#[inline(always)]
fn clone_user(
    flags: u64,
    newsp: u64,
    parent_tid: u64,
    tls: u64,
    child_tid: u64,
    regs: &PtRegs,
) -> Result<i64, Errno> {
    let name = task::current().comm();
    let pid = _do_fork(CloneArgs {
        flags,
        name: name.as_str(),
        thread_fn: None,
        cpus_allowed: None,
        user_regs: Some((*regs, newsp)),
        tls: (flags & CLONE_SETTLS != 0).then_some(tls),
        parent_tid,
        child_tid,
    })?;
    Ok(pid as i64)
}

/// `clone(flags, newsp, parent_tidptr, tls, child_tidptr)` (arm64 order):
/// `fork()` is `clone(SIGCHLD, 0, ...)`. Reaches `_do_fork` like kernel
/// threads do.
#[inline(never)]
#[no_mangle]
pub fn sys_clone(
    flags: u64,
    newsp: u64,
    parent_tid: u64,
    tls: u64,
    child_tid: u64,
    regs: &PtRegs,
) -> Result<i64, Errno> {
    if flags & !SUPPORTED_CLONE != 0 {
        return Err(EINVAL);
    }
    if flags & CSIGNAL > 64 {
        return Err(EINVAL);
    }
    clone_user(flags, newsp, parent_tid, tls, child_tid, regs)
}

/// Lets a vfork parent continue (the child exec'd or is exiting).
pub fn vfork_release(t: &Task) {
    if let Some(done) = t.vfork_done.lock().take() {
        done.wake_up_all();
    }
}

/// Scheduler set-up of a new task (`sched_fork`): the parent's nice value,
/// vruntime 0 (placed at the queue's `min_vruntime` when woken), on this CPU.
fn sched_fork(p: &Task, parent: &Task) {
    p.set_user_nice(parent.nice());
    p.cpu.store(percpu::smp_processor_id(), Ordering::Relaxed);
}
