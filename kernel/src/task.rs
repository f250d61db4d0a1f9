//! `task_struct`: one per task (process or kernel thread), with Linux's
//! field names, state values, `PF_*` flags and exit states.
//!
//! A task is shared as `Arc<Task>`: the references are the pid table (until
//! `release_task`), the parent's `children` list, the runqueue while queued,
//! the CPU while running, and wait queues and timers while sleeping. Fields
//! other CPUs read are atomics; the ones the scheduler changes are
//! protected by the runqueue lock of the task's CPU, as in Linux.

use crate::arch::context::CpuContext;
use crate::percpu;
use crate::sync::IrqSpinLock;
use alloc::boxed::Box;
use alloc::sync::{Arc, Weak};
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use libkernel::sched::fair::{nice_to_weight, DEFAULT_PRIO};
use libkernel::uapi;

/// Process id.
pub type Pid = i32;

pub use libkernel::sched::{
    EXIT_DEAD, EXIT_TRACE, EXIT_ZOMBIE, PF_EXITING, PF_EXITPIDONE, PF_FORKNOEXEC, PF_IDLE,
    PF_KTHREAD, PF_NOFREEZE, PF_WQ_WORKER, TASK_DEAD, TASK_INTERRUPTIBLE, TASK_NEW_FLAGS_MASK,
    TASK_NORMAL, TASK_RUNNING, TASK_STOPPED, TASK_TRACED, TASK_UNINTERRUPTIBLE, TASK_WAKING,
};

/// Kernel stack size: 16 KiB, as on arm64 Linux.
pub const THREAD_SIZE_ORDER: usize = 2;
/// Bytes in a kernel stack.
pub const THREAD_SIZE: usize = crate::mm::PAGE_SIZE << THREAD_SIZE_ORDER;

/// Live kernel stacks (for leak checks).
pub static NR_STACKS: AtomicUsize = AtomicUsize::new(0);
/// Live task descriptors (for leak checks).
pub static NR_TASKS: AtomicUsize = AtomicUsize::new(0);

/// A kernel stack: 16 KiB in the stack area with an unmapped guard below
/// (see `mm::vmap_stack`).
#[derive(Debug)]
pub struct KernelStack {
    mapping: crate::mm::vmap_stack::VmapStack,
}

impl KernelStack {
    /// Allocates one.
    pub fn alloc() -> Result<Self, crate::errno::Errno> {
        let mapping = crate::mm::vmap_stack::VmapStack::alloc()?;
        NR_STACKS.fetch_add(1, Ordering::Relaxed);
        Ok(KernelStack { mapping })
    }

    /// Lowest address of the stack.
    pub fn base(&self) -> u64 {
        self.mapping.base()
    }

    /// The initial stack pointer (a kernel virtual address).
    pub fn top(&self) -> u64 {
        self.mapping.top()
    }
}

impl Drop for KernelStack {
    fn drop(&mut self) {
        NR_STACKS.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The scheduling entity (`struct sched_entity`).
pub struct SchedEntity {
    /// Virtual runtime in ns.
    pub vruntime: AtomicU64,
    /// Counter value when it last started running.
    pub exec_start: AtomicU64,
    /// Total run time in ns.
    pub sum_exec_runtime: AtomicU64,
    /// `sum_exec_runtime` when it was last picked.
    pub prev_sum_exec_runtime: AtomicU64,
    /// Load weight from its nice value.
    pub weight: AtomicU32,
    /// Its place in the runqueue's tree while queued: the vruntime it was
    /// queued at and the queue's sequence number (0: not queued). Plain
    /// atomics rather than a lock: only written under the runqueue lock,
    /// which every reader holds too, so a lock here only cost a switch two
    /// IRQ-saving lock round trips.
    pub rb_vruntime: AtomicU64,
    /// See `rb_vruntime`.
    pub rb_seq: AtomicU64,
}

impl SchedEntity {
    /// Its key in the runqueue's tree, if it is queued (caller holds the
    /// runqueue lock).
    pub fn rb_key(&self) -> Option<libkernel::sched::fair::QueueKey> {
        match self.rb_seq.load(Ordering::Relaxed) {
            0 => None,
            seq => Some(libkernel::sched::fair::QueueKey(
                self.rb_vruntime.load(Ordering::Relaxed),
                seq,
            )),
        }
    }

    /// Records its key in the tree, or that it left it (caller holds the
    /// runqueue lock).
    pub fn set_rb_key(&self, key: Option<libkernel::sched::fair::QueueKey>) {
        let (vr, seq) = key.map_or((0, 0), |k| (k.0, k.1));
        self.rb_vruntime.store(vr, Ordering::Relaxed);
        self.rb_seq.store(seq, Ordering::Relaxed);
    }
}

/// Who is related to whom (protected by the tasklist lock in `pid.rs`).
#[derive(Default)]
pub struct Family {
    /// The task that created it.
    pub real_parent: Weak<Task>,
    /// Who gets its exit signal (same as `real_parent` without ptrace).
    pub parent: Weak<Task>,
    /// Its children, alive or zombie (Linux's `children` list).
    pub children: Children,
}

/// A task's children (Linux's `children` list): a doubly linked list
/// threaded through the children's own `sibling` links, oldest first.
/// Adding and removing one is constant time and allocates nothing, so
/// the heap returns exactly to where it was once they are reaped (a
/// B-tree by pid got deeper, and cost more per fork and exit, the more
/// children a process had). Changed only under the task-list lock.
#[derive(Default)]
pub struct Children {
    head: Option<Arc<Task>>,
    tail: Weak<Task>,
    len: usize,
}

/// A child's place in its parent's [`Children`] (Linux's `sibling`).
#[derive(Default)]
pub struct Sibling {
    next: Option<Arc<Task>>,
    prev: Weak<Task>,
}

impl Children {
    /// Adds a child at the end.
    pub fn insert(&mut self, child: Arc<Task>) {
        let prev = core::mem::replace(&mut self.tail, Arc::downgrade(&child));
        *child.sibling.lock() = Sibling {
            next: None,
            prev: prev.clone(),
        };
        match prev.upgrade() {
            Some(p) => p.sibling.lock().next = Some(child),
            None => self.head = Some(child),
        }
        self.len += 1;
    }

    /// Takes `child` (one of these) out.
    pub fn remove(&mut self, child: &Task) -> Option<Arc<Task>> {
        let Sibling { next, prev } = core::mem::take(&mut *child.sibling.lock());
        let me = match prev.upgrade() {
            Some(p) => core::mem::replace(&mut p.sibling.lock().next, next.clone()),
            None => core::mem::replace(&mut self.head, next.clone()),
        };
        match &next {
            Some(n) => n.sibling.lock().prev = prev,
            None => self.tail = prev,
        }
        if me.is_some() {
            self.len -= 1;
        }
        me
    }

    /// Is the child with `pid` one of these? (A walk: for tests and
    /// reports.)
    pub fn contains_key(&self, pid: &Pid) -> bool {
        self.values().any(|c| c.pid() == *pid)
    }

    /// Every child, oldest first.
    pub fn values(&self) -> impl Iterator<Item = Arc<Task>> {
        core::iter::successors(self.head.clone(), |c| c.sibling.lock().next.clone())
    }

    /// Number of children.
    pub fn len(&self) -> usize {
        self.len
    }

    /// No children?
    pub fn is_empty(&self) -> bool {
        self.head.is_none()
    }

    /// Adopts every child of `other` (reparenting), in order.
    pub fn extend(&mut self, mut other: Children) {
        let mut next = other.head.take();
        while let Some(c) = next {
            next = core::mem::take(&mut *c.sibling.lock()).next;
            self.insert(c);
        }
    }
}

impl Drop for Children {
    /// Unlinks iteratively: a long chain of `next` references dropped
    /// recursively could overflow the kernel stack.
    fn drop(&mut self) {
        let mut next = self.head.take();
        while let Some(c) = next {
            next = c.sibling.lock().next.take();
        }
    }
}

/// Who released a dead task's kernel stack (for the deferred-free check).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StackRelease {
    /// Pid of the task that was running `finish_task_switch`.
    pub by_pid: Pid,
    /// CPU it ran on.
    pub on_cpu: usize,
    /// Released from `finish_task_switch` (not from the task itself).
    pub in_finish_task_switch: bool,
}

/// The task descriptor.
pub struct Task {
    /// Its id (`pid`: the thread id user space gets from `gettid`).
    /// Atomic because a thread that execs takes its leader's id
    /// (`de_thread`); read it with [`Task::pid`].
    pid: AtomicI32,
    /// Thread-group id (the pid of the group leader: what `getpid`
    /// returns).
    pub tgid: Pid,
    /// The command name, 16 bytes in two words: read without a lock on
    /// every trace event (Linux's tracepoints copy `comm` unlocked too);
    /// a rename racing a read can at worst mix old and new halves.
    comm: [AtomicU64; 2],
    /// `TASK_*`.
    pub state: AtomicU32,
    /// `PF_*`.
    pub flags: AtomicU32,
    /// `EXIT_*` once it exits.
    pub exit_state: AtomicU32,
    /// The exit code `do_exit` was given.
    pub exit_code: AtomicI32,
    /// Signal sent to the parent on exit (SIGCHLD; -1 for none).
    pub exit_signal: AtomicI32,
    /// Effective priority (120 = nice 0).
    pub prio: AtomicI32,
    /// Priority from the nice value.
    pub static_prio: AtomicI32,
    /// Priority without boosting.
    pub normal_prio: AtomicI32,
    /// Scheduler bookkeeping.
    pub se: SchedEntity,
    /// The CPU it is on (or was last on).
    pub cpu: AtomicUsize,
    /// The CPUs it may run on, one bit each.
    pub cpus_allowed: AtomicU32,
    /// Queued on a runqueue (or running).
    pub on_rq: AtomicBool,
    /// Currently executing on a CPU (cleared in `finish_task_switch`).
    pub on_cpu: AtomicBool,
    /// Runnable but switched out because its affinity excludes the CPU:
    /// the next task on that CPU queues it elsewhere.
    pub migrate_pending: AtomicBool,
    /// Why it may not be preempted now: `preempt_disable` nesting (spin
    /// locks included) and hard-IRQ depth in the low half, and the
    /// inverted need-resched bit above it (`crate::preempt`), laid out as
    /// in `libkernel::preempt`. Only this task, and IRQs on its CPU (which
    /// restore the count), change it, so plain loads and stores suffice.
    pub preempt_count: AtomicU64,
    /// The locks it holds, for the lock validator (`held_locks`); `None`
    /// when the validator is off (see `crate::lockdep`).
    pub held_locks: crate::lockdep::TaskHeldLocks,
    /// Serialises wake-ups of this task (`pi_lock`).
    pub pi_lock: IrqSpinLock<()>,
    /// Parent and children.
    pub family: IrqSpinLock<Family>,
    /// Its links in its parent's `family.children` (`sibling`).
    pub sibling: IrqSpinLock<Sibling>,
    /// The pid of `family.real_parent`, set with it (under the task list
    /// lock): `getppid` reads it without locking, as Linux reads
    /// `real_parent->tgid` under RCU.
    pub real_parent_pid: AtomicI32,
    /// Its process group (`task_pgrp`): the pid of the group's leader.
    /// Changed only under the task list lock, which counts the users of
    /// the number ([`crate::pid::TaskList::set_groups`]); read without it.
    pub pgrp: AtomicI32,
    /// Its session (`task_session`), likewise.
    pub session: AtomicI32,
    /// This thread's part in job control (Linux's per-task `jobctl`):
    /// `JOBCTL_STOP_DEQUEUED`. The process's
    /// stop state is in [`crate::signal::SignalStruct::jobctl`].
    pub jobctl: AtomicU32,
    /// What its process's threads share (`signal`): the thread list,
    /// process-wide pending signals, group exit and stop.
    pub signal: Arc<crate::signal::SignalStruct>,
    /// Its kernel stack, until `put_task_stack`.
    pub stack: IrqSpinLock<Option<KernelStack>>,
    /// References to the stack (`stack_refcount`).
    pub stack_refcount: AtomicU32,
    /// Who released the stack.
    pub stack_release: IrqSpinLock<Option<StackRelease>>,
    /// Saved registers while switched out (`thread.cpu_context`).
    thread: UnsafeCell<CpuContext>,
    /// A kernel thread's function, taken when it first runs.
    pub kthread_fn: IrqSpinLock<Option<Box<dyn FnOnce() -> i32 + Send>>>,
    /// Parent ignores SIGCHLD: children are reaped automatically.
    pub sigchld_ignored: AtomicBool,
    /// The address space (`mm`); `None` for kernel threads.
    pub mm: IrqSpinLock<Option<Arc<crate::mm::vm::MmStruct>>>,
    /// TTBR0 value for this task (0: the empty table), read at switch time
    /// without taking the `mm` lock.
    pub ttbr0: AtomicU64,
    /// Open files (`files`), shared by reference count.
    pub files: IrqSpinLock<Option<Arc<IrqSpinLock<crate::fs::FdTable>>>>,
    /// Working directory (`fs->pwd`), as an absolute path: one for the
    /// tasks made with `CLONE_FS` (threads).
    pub cwd: Arc<IrqSpinLock<alloc::string::String>>,
    /// File-creation mask (`fs->umask`), inherited at fork.
    pub umask: AtomicU32,
    /// User thread pointer (TPIDR_EL0), saved while switched out.
    pub tp_value: AtomicU64,
    /// FP/SIMD registers of a user task, saved while switched out.
    pub fpsimd: UnsafeCell<Box<crate::arch::fpsimd::UserFpsimdState>>,
    /// `set_tid_address` / `CLONE_CHILD_CLEARTID` pointer.
    pub clear_child_tid: AtomicU64,
    /// The user's robust-futex list head (`set_robust_list`), walked at
    /// exit (`exit_robust_list`); 0 for none.
    pub robust_list: AtomicU64,
    /// Signals pending (bit n = signal n).
    pub pending: AtomicU64,
    /// Signals blocked.
    pub blocked: AtomicU64,
    /// The `siginfo`s of pending signals, oldest first (`pending.list`);
    /// its lock is also Linux's `siglock` for stopping and continuing.
    pub sigqueue: IrqSpinLock<alloc::vec::Vec<libkernel::uapi::KernelSiginfo>>,
    /// The first argument of a system call a signal interrupted, which its
    /// return value overwrote (arm64's `orig_x0`), while
    /// [`Task::restart_errno`] says it may be restarted.
    pub restart_x0: AtomicU64,
    /// The `ERESTART*` code of that call, 0 for none.
    pub restart_errno: AtomicI32,
    /// What `restart_syscall` continues (`restart_block`).
    pub restart_block: IrqSpinLock<crate::signal::RestartBlock>,
    /// The alternate signal stack (`sas_ss_sp`, `sas_ss_size`,
    /// `sas_ss_flags`): only the task itself reads or changes it (and
    /// `fork` copies the caller's), so it needs no lock.
    sas_ss_sp: AtomicU64,
    sas_ss_size: AtomicU64,
    sas_ss_flags: AtomicI32,
    /// The blocked set to put back once a signal has been handled, after
    /// a call that waits with a temporary one (`rt_sigsuspend`, `ppoll`;
    /// Linux's `saved_sigmask` with `TIF_RESTORE_SIGMASK`), or
    /// [`crate::signal::NO_SAVED_SIGMASK`].
    pub saved_sigmask: AtomicU64,
    /// Signal dispositions (`sighand->action`): one table for threads
    /// made with `CLONE_SIGHAND`.
    pub sigactions: Arc<IrqSpinLock<crate::signal::SigHand>>,
    /// A vfork parent waits here until this child execs or exits.
    pub vfork_done: IrqSpinLock<Option<Arc<crate::sched::wait::WaitQueue>>>,
    /// Resource limits (`signal->rlim`): (soft, hard) per `RLIMIT_*`.
    pub rlim: IrqSpinLock<Rlimits>,
    /// Ticks that found the task in user mode, in ns (`utime`; tick
    /// sampled: see `crate::sched::cputime`).
    pub utime: AtomicU64,
    /// Ticks that found it in the kernel, in ns (`stime`).
    pub stime: AtomicU64,
    /// The user and system time last reported of this thread
    /// (`prev_cputime`): reports never go back.
    pub prev_cputime: IrqSpinLock<libkernel::sched::cputime::PrevCputime>,
    /// Voluntary context switches (`nvcsw`).
    pub nvcsw: AtomicU64,
    /// Involuntary context switches (`nivcsw`).
    pub nivcsw: AtomicU64,
    /// The signal sent to this process when its parent dies
    /// (`PR_SET_PDEATHSIG`), 0 for none.
    pub pdeath_signal: AtomicI32,
    /// Orphaned descendants are reparented to this process, not to init
    /// (`PR_SET_CHILD_SUBREAPER`).
    pub child_subreaper: AtomicBool,
    /// `PR_SET_NO_NEW_PRIVS` was set (inherited, never cleared).
    pub no_new_privs: AtomicBool,
    /// The execution domain and its flags (`personality(2)`): inherited
    /// and kept across `execve`; `ADDR_NO_RANDOMIZE` turns address-space
    /// randomisation off for the next `execve`.
    pub personality: AtomicU32,
    /// The process has made an unimplemented system call and was named on
    /// the console for it (once per process).
    pub ni_syscall_noted: AtomicBool,
    /// Fault injection applies to this task under `task-filter`
    /// (`/proc/PID/make-it-fail`; inherited by children).
    pub make_it_fail: AtomicBool,
    /// Users that must be done with a dead task before its final put is
    /// queued: its release and its last switch (Linux's `rcu_users`).
    pub rcu_users: AtomicU32,
    /// The function_graph tracer's return stack (Linux's `ret_stack`).
    pub ret_stack: crate::trace::graph::RetStackPtr,
    /// ptrace, as tracee (`ptrace`, the stop's code, `last_siginfo`) and
    /// as tracer (`ptraced`): see `crate::ptrace`.
    pub ptrace: crate::ptrace::TaskPtrace,
    /// Work a system call's entry and exit must do (`syscall_work`:
    /// `SYSCALL_WORK_*` in `crate::ptrace`): the one word the usual path
    /// tests.
    pub syscall_work: AtomicU32,
    /// Reaped children's (and their reaped children's) CPU time, voluntary
    /// and involuntary switches, for `RUSAGE_CHILDREN` (Linux's
    /// `signal->cutime`, `cstime`, `cnvcsw`, `cnivcsw`, added up in
    /// `wait_task_zombie`): a `crate::exit::Usage`.
    pub children_usage: [AtomicU64; crate::exit::USAGE_LEN],
    /// Counts this descriptor in [`NR_TASKS`]. The last field, so the
    /// count drops after everything the task owns has been freed (fields
    /// are dropped in order, after `Drop::drop`): a count that has dropped
    /// means the memory is back, give or take the descriptor's own block.
    _counted: TaskCount,
}

/// [`crate::signal::SignalStruct::jobctl`]: stopped by a signal
/// (`SIGNAL_STOP_STOPPED`).
pub const JOBCTL_STOPPED: u32 = 1 << 0;
/// [`Task::jobctl`]: the stop not yet reported to `wait4(WUNTRACED)`.
pub const JOBCTL_STOP_UNREPORTED: u32 = 1 << 1;
/// [`Task::jobctl`]: continued, not yet reported to `wait4(WCONTINUED)`
/// (`SIGNAL_STOP_CONTINUED`).
pub const JOBCTL_CONTINUED: u32 = 1 << 2;
/// [`Task::jobctl`]: the parent is still to get its `CLD_CONTINUED`
/// `SIGCHLD` (`SIGNAL_CLD_CONTINUED`), sent by the task itself once it runs.
pub const JOBCTL_CLD_CONTINUED: u32 = 1 << 3;
/// [`Task::jobctl`]: a stop signal was dequeued and is being acted on; a
/// `SIGCONT` clears it, cancelling the stop (`JOBCTL_STOP_DEQUEUED`).
pub const JOBCTL_STOP_DEQUEUED: u32 = 1 << 4;
/// [`Task::jobctl`]: the tracer asked for a `PTRACE_EVENT_STOP`
/// (`PTRACE_INTERRUPT`, a seized child's first stop: `JOBCTL_TRAP_STOP`).
pub const JOBCTL_TRAP_STOP: u32 = 1 << 5;
/// [`Task::jobctl`]: stopped in a group stop for its tracer, which asked
/// with `PTRACE_LISTEN` to hear when it ends (`JOBCTL_LISTENING`).
pub const JOBCTL_LISTENING: u32 = 1 << 6;
/// [`Task::jobctl`]: where the stop signal is kept (`group_exit_code`).
pub const JOBCTL_STOP_SIG_SHIFT: u32 = 8;

/// The parts of a task that others may share with it (`signal`,
/// `sighand`, `fs`), as [`Task::new_shared`] takes them.
pub struct Shared {
    /// [`Task::signal`].
    pub signal: Arc<crate::signal::SignalStruct>,
    /// [`Task::sigactions`].
    pub sigactions: Arc<IrqSpinLock<crate::signal::SigHand>>,
    /// [`Task::cwd`].
    pub cwd: Arc<IrqSpinLock<alloc::string::String>>,
}

impl Shared {
    /// A signal-handler table of its own, holding `table` (itself shared
    /// copy-on-write).
    pub fn sighand(table: crate::signal::SigHand) -> Arc<IrqSpinLock<crate::signal::SigHand>> {
        Arc::new(IrqSpinLock::named(&"&sighand->siglock", table))
    }

    /// A working directory of its own.
    pub fn fs(cwd: alloc::string::String) -> Arc<IrqSpinLock<alloc::string::String>> {
        Arc::new(IrqSpinLock::named(&"&fs->lock", cwd))
    }
}

impl Default for Shared {
    /// A process of its own: no signal pending, default handlers, `/`.
    fn default() -> Self {
        Shared {
            signal: Arc::new(crate::signal::SignalStruct::new()),
            sigactions: Self::sighand(crate::signal::default_sighand()),
            cwd: Self::fs(alloc::string::String::from("/")),
        }
    }
}

/// One descriptor's share of [`NR_TASKS`] (see `Task::_counted`).
struct TaskCount;

impl TaskCount {
    fn new() -> Self {
        NR_TASKS.fetch_add(1, Ordering::Relaxed);
        TaskCount
    }
}

impl Drop for TaskCount {
    fn drop(&mut self) {
        NR_TASKS.fetch_sub(1, Ordering::Relaxed);
    }
}

// SAFETY: `thread` is only touched by cpu_switch_to on the CPU switching
// the task in or out, under that CPU's runqueue lock; everything else is
// atomics or locks.
unsafe impl Sync for Task {}
// SAFETY: as above; a Task moves between CPUs only through runqueues.
unsafe impl Send for Task {}

impl Task {
    /// A new descriptor with default scheduling fields.
    pub fn new(pid: Pid, comm: &str, flags: u32, stack: Option<KernelStack>) -> Task {
        Self::new_shared(pid, comm, flags, stack, Shared::default())
    }

    /// A new descriptor with the parts it shares with other tasks given
    /// (fork computes them from the clone flags: one allocation each at
    /// most, none for what a thread shares).
    pub fn new_shared(
        pid: Pid,
        comm: &str,
        flags: u32,
        stack: Option<KernelStack>,
        shared: Shared,
    ) -> Task {
        let Shared {
            signal,
            sigactions,
            cwd,
        } = shared;
        let ctx = match &stack {
            Some(s) => CpuContext::new_thread(s.top()),
            None => CpuContext::default(),
        };
        let t = Task {
            pid: AtomicI32::new(pid),
            tgid: pid,
            comm: [AtomicU64::new(0), AtomicU64::new(0)],
            state: AtomicU32::new(TASK_RUNNING),
            flags: AtomicU32::new(flags),
            exit_state: AtomicU32::new(0),
            exit_code: AtomicI32::new(0),
            exit_signal: AtomicI32::new(uapi::SIGCHLD as i32),
            prio: AtomicI32::new(DEFAULT_PRIO),
            static_prio: AtomicI32::new(DEFAULT_PRIO),
            normal_prio: AtomicI32::new(DEFAULT_PRIO),
            se: SchedEntity {
                vruntime: AtomicU64::new(0),
                exec_start: AtomicU64::new(0),
                sum_exec_runtime: AtomicU64::new(0),
                prev_sum_exec_runtime: AtomicU64::new(0),
                weight: AtomicU32::new(nice_to_weight(0)),
                rb_vruntime: AtomicU64::new(0),
                rb_seq: AtomicU64::new(0),
            },
            cpu: AtomicUsize::new(0),
            cpus_allowed: AtomicU32::new((1 << percpu::NR_CPUS) - 1),
            on_rq: AtomicBool::new(false),
            on_cpu: AtomicBool::new(false),
            migrate_pending: AtomicBool::new(false),
            // A new thread first runs schedule_tail, which drops what its
            // creator's switch held; the boot context (an idle task) holds
            // nothing.
            preempt_count: AtomicU64::new(libkernel::preempt::preempt_word(if stack.is_some() {
                libkernel::preempt::FORK_PREEMPT_COUNT
            } else {
                0
            })),
            held_locks: crate::lockdep::TaskHeldLocks::new(),
            pi_lock: IrqSpinLock::named(&"&p->pi_lock", ()),
            family: IrqSpinLock::named(&"&p->family", Family::default()),
            sibling: IrqSpinLock::named(
                &"&p->sibling",
                Sibling {
                    next: None,
                    prev: Weak::new(),
                },
            ),
            real_parent_pid: AtomicI32::new(0),
            pgrp: AtomicI32::new(0),
            session: AtomicI32::new(0),
            jobctl: AtomicU32::new(0),
            signal,
            stack_refcount: AtomicU32::new(stack.is_some() as u32),
            stack: IrqSpinLock::new(stack),
            stack_release: IrqSpinLock::new(None),
            thread: UnsafeCell::new(ctx),
            kthread_fn: IrqSpinLock::new(None),
            sigchld_ignored: AtomicBool::new(false),
            mm: IrqSpinLock::new(None),
            ttbr0: AtomicU64::new(0),
            files: IrqSpinLock::new(None),
            cwd,
            umask: AtomicU32::new(0o022),
            tp_value: AtomicU64::new(0),
            fpsimd: UnsafeCell::new(Box::default()),
            clear_child_tid: AtomicU64::new(0),
            robust_list: AtomicU64::new(0),
            pending: AtomicU64::new(0),
            blocked: AtomicU64::new(0),
            sigqueue: IrqSpinLock::named(&"&p->sigqueue", alloc::vec::Vec::new()),
            restart_x0: AtomicU64::new(0),
            restart_errno: AtomicI32::new(0),
            restart_block: IrqSpinLock::named(
                &"&p->restart_block",
                crate::signal::RestartBlock::None,
            ),
            sas_ss_sp: AtomicU64::new(0),
            sas_ss_size: AtomicU64::new(0),
            sas_ss_flags: AtomicI32::new(libkernel::uapi::SS_DISABLE),
            saved_sigmask: AtomicU64::new(crate::signal::NO_SAVED_SIGMASK),
            sigactions,
            vfork_done: IrqSpinLock::new(None),
            rlim: IrqSpinLock::new(default_rlimits()),
            utime: AtomicU64::new(0),
            stime: AtomicU64::new(0),
            prev_cputime: IrqSpinLock::named(&"&p->prev_cputime.lock", Default::default()),
            nvcsw: AtomicU64::new(0),
            nivcsw: AtomicU64::new(0),
            pdeath_signal: AtomicI32::new(0),
            child_subreaper: AtomicBool::new(false),
            no_new_privs: AtomicBool::new(false),
            personality: AtomicU32::new(0),
            ni_syscall_noted: AtomicBool::new(false),
            make_it_fail: AtomicBool::new(false),
            rcu_users: AtomicU32::new(2),
            ret_stack: crate::trace::graph::RetStackPtr::new(),
            ptrace: crate::ptrace::TaskPtrace::new(),
            syscall_work: AtomicU32::new(0),
            children_usage: [const { AtomicU64::new(0) }; crate::exit::USAGE_LEN],
            _counted: TaskCount::new(),
        };
        t.store_comm(comm);
        t
    }

    /// Its id (`task_pid_nr`).
    #[inline]
    pub fn pid(&self) -> Pid {
        self.pid.load(Ordering::Relaxed)
    }

    /// Gives it another id (`de_thread`'s `exchange_tids`; the caller
    /// holds the task list lock and moves it in the pid table).
    pub fn set_pid(&self, pid: Pid) {
        self.pid.store(pid, Ordering::Relaxed);
    }

    /// The alternate signal stack as set (`sigaltstack`).
    pub fn sas(&self) -> libkernel::uapi::SigAltStack {
        libkernel::uapi::SigAltStack {
            sp: self.sas_ss_sp.load(Ordering::Relaxed),
            flags: self.sas_ss_flags.load(Ordering::Relaxed),
            size: self.sas_ss_size.load(Ordering::Relaxed),
        }
    }

    /// Sets the alternate signal stack (the task itself, or `fork` on its
    /// new child).
    pub fn set_sas(&self, ss: &libkernel::uapi::SigAltStack) {
        self.sas_ss_sp.store(ss.sp, Ordering::Relaxed);
        self.sas_ss_flags.store(ss.flags, Ordering::Relaxed);
        self.sas_ss_size.store(ss.size, Ordering::Relaxed);
    }

    /// The command name as two little-endian words (trace records).
    #[inline]
    pub fn comm_words(&self) -> [u64; 2] {
        [
            self.comm[0].load(Ordering::Relaxed),
            self.comm[1].load(Ordering::Relaxed),
        ]
    }

    /// The command name (up to 15 bytes).
    pub fn comm(&self) -> Comm {
        let mut c = [0u8; 16];
        c[..8].copy_from_slice(&self.comm[0].load(Ordering::Relaxed).to_le_bytes());
        c[8..].copy_from_slice(&self.comm[1].load(Ordering::Relaxed).to_le_bytes());
        Comm(c)
    }

    /// Sets the command name, truncated to 15 bytes as Linux does
    /// (`__set_task_comm`, which `task:task_rename` reports).
    pub fn set_comm(&self, name: &str) {
        let c = libkernel::trace::trace_events::chars::<16>(name.as_bytes());
        crate::trace::events::task_rename(self, libkernel::trace::trace_events::comm_words(&c));
        self.store_comm(name);
    }

    /// The name of a task being made: nothing to report yet.
    fn store_comm(&self, name: &str) {
        let mut c = [0u8; 16];
        let n = name.len().min(15);
        c[..n].copy_from_slice(&name.as_bytes()[..n]);
        for (w, b) in self.comm.iter().zip(c.chunks_exact(8)) {
            w.store(
                u64::from_le_bytes(b.try_into().unwrap_or([0; 8])),
                Ordering::Relaxed,
            );
        }
    }

    /// `state` now.
    pub fn state(&self) -> u32 {
        self.state.load(Ordering::SeqCst)
    }

    /// `flags` now.
    pub fn flags(&self) -> u32 {
        self.flags.load(Ordering::Relaxed)
    }

    /// Nice value from `static_prio`.
    pub fn nice(&self) -> i32 {
        self.static_prio.load(Ordering::Relaxed) - DEFAULT_PRIO
    }

    /// Sets the nice value (clamped to -20..=19) and the load weight.
    pub fn set_user_nice(&self, nice: i32) {
        let nice = nice.clamp(-20, 19);
        let prio = DEFAULT_PRIO + nice;
        self.static_prio.store(prio, Ordering::Relaxed);
        self.normal_prio.store(prio, Ordering::Relaxed);
        self.prio.store(prio, Ordering::Relaxed);
        self.se
            .weight
            .store(nice_to_weight(nice), Ordering::Relaxed);
    }

    /// May it run on `cpu`?
    pub fn may_run_on(&self, cpu: usize) -> bool {
        self.cpus_allowed.load(Ordering::Relaxed) & (1 << cpu) != 0
    }

    /// Its CPU (`task_cpu`).
    pub fn task_cpu(&self) -> usize {
        self.cpu.load(Ordering::Acquire)
    }

    /// The parent's pid (0 if none).
    pub fn ppid(&self) -> Pid {
        self.real_parent_pid.load(Ordering::Relaxed)
    }

    /// The saved context, for `cpu_switch_to`.
    pub fn thread_ptr(&self) -> *mut CpuContext {
        self.thread.get()
    }

    /// A state letter as `ps` and the trace show it.
    pub fn state_char(&self) -> char {
        let exit = self.exit_state.load(Ordering::Relaxed);
        if exit & EXIT_ZOMBIE != 0 {
            return 'Z';
        }
        if exit & EXIT_DEAD != 0 {
            return 'X';
        }
        match self.state() {
            TASK_RUNNING => 'R',
            s if s & TASK_INTERRUPTIBLE != 0 => 'S',
            s if s & TASK_UNINTERRUPTIBLE != 0 => 'D',
            s if s & TASK_STOPPED != 0 => 'T',
            s if s & TASK_TRACED != 0 => 't',
            s if s & TASK_DEAD != 0 => 'X',
            _ => '?',
        }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        if self.pid() != 0 {
            crate::trace::events::sched_process_free(self);
        }
    }
}

/// Initial limits: Linux's 8 MiB stack and no core files; 256 open files;
/// 512 user processes.
/// Resource limits, (soft, hard) per `RLIMIT_*`: shared by a parent and
/// its forked children until one of them sets a limit (copy on write with
/// `Arc::make_mut`), so fork copies nothing.
pub type Rlimits = Arc<[(u64, u64); uapi::RLIM_NLIMITS as usize]>;

/// The limits every task starts with (one shared table).
fn default_rlimits() -> Rlimits {
    static DEFAULT: spin::Once<Rlimits> = spin::Once::new();
    DEFAULT.call_once(|| Arc::new(initial_rlimits())).clone()
}

fn initial_rlimits() -> [(u64, u64); uapi::RLIM_NLIMITS as usize] {
    let mut r = [(u64::MAX, u64::MAX); uapi::RLIM_NLIMITS as usize];
    r[uapi::RLIMIT_STACK as usize] = (8 << 20, u64::MAX);
    r[uapi::RLIMIT_CORE as usize] = (0, u64::MAX);
    r[uapi::RLIMIT_NOFILE as usize] = (256, 256);
    // A fork bomb gets EAGAIN at 512 user processes, long before memory or
    // the task limit run out.
    r[uapi::RLIMIT_NPROC as usize] = (512, 512);
    r
}

impl Task {
    /// The user registers saved at the top of the kernel stack while the
    /// task is in the kernel (`task_pt_regs`).
    pub fn pt_regs(&self) -> *mut crate::arch::exception::PtRegs {
        let top = self.stack.lock().as_ref().map_or(0, |s| s.top());
        (top - core::mem::size_of::<crate::arch::exception::PtRegs>() as u64)
            as *mut crate::arch::exception::PtRegs
    }

    /// Is this a user process (has an address space)?
    pub fn is_user(&self) -> bool {
        self.ttbr0.load(Ordering::Relaxed) != 0
    }
}

/// A 16-byte command name.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Comm(pub [u8; 16]);

impl Comm {
    /// The name as text.
    pub fn as_str(&self) -> &str {
        let n = self.0.iter().position(|&b| b == 0).unwrap_or(16);
        core::str::from_utf8(&self.0[..n]).unwrap_or("?")
    }
}

impl core::fmt::Display for Comm {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.pad(self.as_str())
    }
}

impl core::fmt::Debug for Comm {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

/// The task running this code (`get_current`): `SP_EL0`, one instruction,
/// right even if the caller is preempted and migrated around it. Null
/// before the scheduler starts.
#[inline(always)]
pub fn current_ptr() -> *const Task {
    crate::arch::cpu::get_current() as *const Task
}

/// The task running on this CPU (`current`).
pub fn current() -> Arc<Task> {
    let p = current_ptr();
    assert!(!p.is_null(), "current() before sched_init");
    // SAFETY: the per-CPU current pointer comes from Arc::as_ptr of the
    // runqueue's `curr`, which keeps the task alive while it runs here;
    // taking another strong count is sound.
    unsafe {
        Arc::increment_strong_count(p);
        Arc::from_raw(p)
    }
}

/// Runs `f` on the task on this CPU without touching its reference count
/// (the common case of a system call that only reads its caller: no
/// atomic increment and decrement around it).
#[inline]
pub fn with_current<R>(f: impl FnOnce(&Task) -> R) -> R {
    let p = current_ptr();
    assert!(!p.is_null(), "with_current() before sched_init");
    // SAFETY: the runqueue's `curr` keeps the running task alive, and `f`
    // cannot outlive this call: the task it borrows is the one running it.
    f(unsafe { &*p })
}

/// Runs `f` on the task on this CPU without touching reference counts or
/// locks (usable in an oops); `None` before the scheduler starts.
pub fn with_current_raw<R>(f: impl FnOnce(&Task) -> R) -> Option<R> {
    let p = current_ptr();
    // SAFETY: as in `current`: the runqueue keeps the running task alive.
    (!p.is_null()).then(|| f(unsafe { &*p }))
}

/// The pid of the task on this CPU without touching reference counts.
pub fn current_pid() -> Pid {
    let p = current_ptr();
    if p.is_null() {
        return 0;
    }
    // SAFETY: as in `current`; only a plain field is read.
    unsafe { (*p).pid() }
}

/// The flags (`PF_*`) of the task on this CPU, without touching reference
/// counts; 0 before the scheduler starts.
pub fn current_flags() -> u32 {
    let p = current_ptr();
    if p.is_null() {
        return 0;
    }
    // SAFETY: as in `current`; only an atomic field is read.
    unsafe { (*p).flags() }
}

/// Sets a state only this task leaves by itself or by a wake-up meant
/// for it (`set_special_state`: `TASK_DEAD`, `TASK_STOPPED`), under its
/// `pi_lock`: a `try_to_wake_up` that saw an older sleeping state and is
/// about to store `TASK_RUNNING` holds that lock from its check to its
/// store, so it cannot overwrite this one (a dead task made runnable
/// again was scheduled after its exit: found by the fuzz soak).
pub fn set_special_state(state: u32) {
    let p = current_ptr();
    // SAFETY: as in `current`.
    let t = unsafe { &*p };
    let _pi = t.pi_lock.lock();
    set_current_state(state);
}

/// Sets the current task's state with a full barrier, so a wake-up that
/// races with the caller's condition check is never lost
/// (`set_current_state`).
pub fn set_current_state(state: u32) {
    let p = current_ptr();
    // SAFETY: as in `current`.
    unsafe { (*p).state.store(state, Ordering::SeqCst) };
    core::sync::atomic::fence(Ordering::SeqCst);
}
