//! Kernel threads the Linux way: `kthread_create()` does not fork by
//! itself; it queues a request for `kthreadd` (pid 2), which calls
//! `_do_fork()`. The new thread runs `kthread()`, reports back, and sleeps
//! until `wake_up_process()` (or `kthread_run`) starts its function. When
//! the function returns, the thread exits through `do_exit`. kthreadd
//! ignores SIGCHLD, so its children are reaped as soon as they exit.

use crate::errno::{Errno, EAGAIN};
use crate::exit::do_exit;
use crate::fork::{_do_fork, CloneArgs, ThreadFn, CLONE_FILES, CLONE_FS, CLONE_UNTRACED, CLONE_VM};
use crate::sched::wait::WaitQueue;
use crate::sync::IrqSpinLock;
use crate::task::{self, set_current_state, Task, TASK_INTERRUPTIBLE, TASK_UNINTERRUPTIBLE};
use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::sync::Arc;
use core::sync::atomic::Ordering;

/// Where kthreadd puts the new thread (or the error) for the requester.
type CreateResult = Arc<IrqSpinLock<Option<Result<Arc<Task>, Errno>>>>;

/// A request to kthreadd.
struct CreateRequest {
    name: String,
    f: ThreadFn,
    cpu_mask: Option<u32>,
    result: CreateResult,
    done: Arc<WaitQueue>,
}

static KTHREAD_CREATE_LIST: IrqSpinLock<VecDeque<CreateRequest>> =
    IrqSpinLock::new(VecDeque::new());
static KTHREADD_WAIT: WaitQueue = WaitQueue::new();
static KTHREADD_TASK: spin::Once<Arc<Task>> = spin::Once::new();

/// The body of kthreadd, pid 2.
pub fn kthreadd() -> i32 {
    let me = task::current();
    let _ = crate::sched::sched_setaffinity(&me, 0xf);
    me.sigchld_ignored.store(true, Ordering::Relaxed);
    KTHREADD_TASK.call_once(|| me.clone());
    drop(me);
    loop {
        KTHREADD_WAIT.wait_event(TASK_INTERRUPTIBLE, || {
            !KTHREAD_CREATE_LIST.lock().is_empty()
        });
        loop {
            let req = {
                let mut list = KTHREAD_CREATE_LIST.lock();
                let req = list.pop_front();
                if list.is_empty() {
                    *list = VecDeque::new();
                }
                req
            };
            match req {
                Some(r) => create_kthread(r),
                None => break,
            }
        }
    }
}

fn create_kthread(req: CreateRequest) {
    let CreateRequest {
        name,
        f,
        cpu_mask,
        result,
        done,
    } = req;
    let res_for_child = result.clone();
    let done_for_child = done.clone();
    // The new thread reports itself, then sleeps until someone wakes it
    // (kthread_run / wake_up_process) and only then runs `f` (`kthread`).
    // A wake-up that comes before it reaches schedule() is not lost: it
    // just makes schedule() return at once.
    let body: ThreadFn = alloc::boxed::Box::new(move || {
        set_current_state(TASK_UNINTERRUPTIBLE);
        *res_for_child.lock() = Some(Ok(task::current()));
        done_for_child.wake_up_all();
        crate::sched::schedule();
        f()
    });
    let forked = _do_fork(CloneArgs {
        flags: CLONE_VM | CLONE_UNTRACED | CLONE_FS | CLONE_FILES | libkernel::uapi::SIGCHLD as u64,
        name: &name,
        thread_fn: Some(body),
        cpus_allowed: cpu_mask,
        user_regs: None,
        tls: None,
        parent_tid: 0,
        child_tid: 0,
    });
    if let Err(e) = forked {
        *result.lock() = Some(Err(e));
        done.wake_up_all();
    }
}

/// Creates a sleeping kernel thread through kthreadd (`kthread_create`);
/// start it with `wake_up_process`.
pub fn kthread_create(
    f: impl FnOnce() -> i32 + Send + 'static,
    name: &str,
) -> Result<Arc<Task>, Errno> {
    kthread_create_on(f, name, None)
}

/// `kthread_create` restricted to the CPUs in `mask` from its first
/// instruction (`kthread_create_on_cpu` generalised).
pub fn kthread_create_on(
    f: impl FnOnce() -> i32 + Send + 'static,
    name: &str,
    mask: Option<u32>,
) -> Result<Arc<Task>, Errno> {
    let result = Arc::new(IrqSpinLock::new(None));
    let done = Arc::new(WaitQueue::new());
    KTHREAD_CREATE_LIST.lock().push_back(CreateRequest {
        name: String::from(name),
        f: alloc::boxed::Box::new(f),
        cpu_mask: mask,
        result: result.clone(),
        done: done.clone(),
    });
    // kthreadd checks the list before it sleeps, so a request queued
    // before it first runs is not missed.
    KTHREADD_WAIT.wake_up_all();
    done.wait_event(TASK_UNINTERRUPTIBLE, || result.lock().is_some());
    let r = result.lock().take();
    r.unwrap_or(Err(EAGAIN))
}

/// Creates and starts a kernel thread (`kthread_run`).
pub fn kthread_run(
    f: impl FnOnce() -> i32 + Send + 'static,
    name: &str,
) -> Result<Arc<Task>, Errno> {
    let t = kthread_create(f, name)?;
    crate::sched::wake_up_process(&t);
    Ok(t)
}

/// `kthread_run` pinned to the CPUs in `mask`.
pub fn kthread_run_on(
    f: impl FnOnce() -> i32 + Send + 'static,
    name: &str,
    mask: u32,
) -> Result<Arc<Task>, Errno> {
    let t = kthread_create_on(f, name, Some(mask))?;
    crate::sched::wake_up_process(&t);
    Ok(t)
}

/// Where every new kernel thread starts after `schedule_tail`: takes its
/// function, runs it, exits with its return value.
#[no_mangle]
extern "C" fn kthread_entry() -> ! {
    let f = {
        let me = task::current();
        let f = me.kthread_fn.lock().take();
        f
    };
    let code = match f {
        Some(f) => f(),
        None => 0,
    };
    crate::noreturn_call!(do_exit, code)
}
