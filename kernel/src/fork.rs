//! Creating tasks (Linux's `kernel/fork.c`): `_do_fork()` =
//! `copy_process()` (which calls `dup_task_struct()` for the descriptor and
//! kernel stack, sets up scheduling, assigns the pid and links the family)
//! followed by `wake_up_new_task()`. Kernel threads come through here too
//! (`kernel_thread`); the `clone` system call will in the user-space issues.

use crate::errno::{Errno, EAGAIN};
use crate::mm;
use crate::percpu;
use crate::pid::TASKLIST;
use crate::sched::core::wake_up_new_task;
use crate::task::{
    self, KernelStack, Pid, Task, NR_TASKS, PF_FORKNOEXEC, PF_IDLE, PF_KTHREAD, TASK_NEW_FLAGS_MASK,
};
use alloc::boxed::Box;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicUsize, Ordering};

/// The exit signal in the low byte of the clone flags.
pub const CSIGNAL: u64 = 0x0000_00ff;
/// Share the address space.
pub const CLONE_VM: u64 = 0x0000_0100;
/// Share filesystem information.
pub const CLONE_FS: u64 = 0x0000_0200;
/// Share open files.
pub const CLONE_FILES: u64 = 0x0000_0400;
/// Do not let a tracer follow (kernel threads).
pub const CLONE_UNTRACED: u64 = 0x0080_0000;

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
}

/// Creates a task and starts it; returns its pid (`_do_fork`).
#[inline(never)]
#[no_mangle]
pub fn _do_fork(args: CloneArgs) -> Result<Pid, Errno> {
    let p = copy_process(args)?;
    let pid = p.pid;
    wake_up_new_task(&p);
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
    } = args;
    if NR_TASKS.load(Ordering::Relaxed) >= MAX_THREADS.load(Ordering::Relaxed) {
        return Err(EAGAIN);
    }
    let parent = task::current();
    let pid = TASKLIST.lock().alloc_pid()?;
    let p = match dup_task_struct(&parent, pid, name) {
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
    let sig = (clone_flags & CSIGNAL) as i32;
    p.exit_signal
        .store(if sig == 0 { -1 } else { sig }, Ordering::Relaxed);

    let p = Arc::new(p);
    {
        let mut tl = TASKLIST.lock();
        {
            let mut fam = p.family.lock();
            fam.real_parent = Arc::downgrade(&parent);
            fam.parent = Arc::downgrade(&parent);
        }
        parent.family.lock().children.insert(p.pid, p.clone());
        tl.attach(p.clone());
    }
    Ok(p)
}

/// Allocates the descriptor and kernel stack, copying what the child
/// inherits (`dup_task_struct`).
#[inline(never)]
#[no_mangle]
pub fn dup_task_struct(orig: &Task, pid: Pid, name: &str) -> Result<Task, Errno> {
    let stack = KernelStack::alloc()?;
    let t = Task::new(pid, name, orig.flags(), Some(stack));
    t.cpus_allowed
        .store(orig.cpus_allowed.load(Ordering::Relaxed), Ordering::Relaxed);
    Ok(t)
}

/// Scheduler set-up of a new task (`sched_fork`): the parent's nice value,
/// vruntime 0 (placed at the queue's `min_vruntime` when woken), on this CPU.
fn sched_fork(p: &Task, parent: &Task) {
    p.set_user_nice(parent.nice());
    p.cpu.store(percpu::smp_processor_id(), Ordering::Relaxed);
}
