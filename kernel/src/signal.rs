//! Signals (Linux's `kernel/signal.c`): a pending set and a blocked mask
//! per task, `rt_sigaction` with `SIG_DFL`, `SIG_IGN` and user handlers,
//! default actions (terminate or ignore), delivery on the way back to user
//! space, and waking an interruptible sleeper. The signal frame a handler
//! runs on and `rt_sigreturn` are the architecture's
//! (`arch/aarch64/signal.rs`). A handler returns through its `sa_restorer`
//! or, without `SA_RESTORER` (glibc on arm64), the kernel's trampoline
//! page mapped into every process.

use crate::arch::exception::PtRegs;
use crate::errno::{
    Errno, SysResult, EAGAIN, EINTR, EINVAL, ENOMEM, EPERM, ERESTARTNOHAND, ERESTARTNOINTR,
    ERESTARTSYS, ERESTART_RESTARTBLOCK, ESRCH,
};
use crate::mm::uaccess::{copy_from_user, copy_to_user};
use crate::sched::wait::WaitQueue;
use crate::sync::IrqSpinLock;
use crate::task::{self, Pid, Task, TASK_INTERRUPTIBLE};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering};

use libkernel::uapi::{
    self, KernelSiginfo, SA_NOCLDSTOP, SA_NODEFER, SA_RESETHAND, SA_RESTART, SIG_DFL, SIG_IGN,
};
pub use libkernel::uapi::{
    NSIG, SIGBUS, SIGCHLD, SIGCONT, SIGHUP, SIGILL, SIGINT, SIGKILL, SIGQUIT, SIGSEGV, SIGSTOP,
    SIGTERM, SIGTRAP, SIGTSTP, SIGTTIN, SIGTTOU,
};

/// `rt_sigreturn` undoes the signal frame, which is the architecture's.
pub use crate::arch::signal::sys_rt_sigreturn;

/// What the threads of one process share (`struct signal_struct`): the
/// thread list, the process-wide pending signals, the group's exit and
/// its job-control stop. A process without threads has one to itself.
pub struct SignalStruct {
    /// Threads that have not yet exited (`live`): the last one to exit
    /// finds the group dead and releases what the process owns.
    pub live: AtomicU32,
    /// The group's threads, the leader first (`thread_head`), until each
    /// is released: a zombie leader stays listed. Changed only under the
    /// task list lock.
    pub threads: IrqSpinLock<ThreadList>,
    /// How many `threads` lists (`nr_threads`), readable without its lock
    /// (a waiter looks at its children's while holding its own).
    nr_threads: AtomicU32,
    /// Process-wide pending signals (`shared_pending.signal`): any thread
    /// that does not block one may take it.
    pub shared_pending: AtomicU64,
    /// Their `siginfo`s, oldest first; the lock is also the group's
    /// `siglock` for stopping and continuing.
    pub shared_queue: IrqSpinLock<Vec<KernelSiginfo>>,
    /// `SIGNAL_GROUP_EXIT` once the process is exiting as a whole.
    pub flags: AtomicU32,
    /// The status the process exits with once `SIGNAL_GROUP_EXIT` is set
    /// (`group_exit_code`).
    pub group_exit_code: AtomicI32,
    /// The pid of a thread running `execve` that waits for its siblings
    /// to go (`group_exec_task`), 0 for none.
    pub group_exec_task: AtomicI32,
    /// That thread sleeps here; each exiting sibling wakes it.
    pub exec_wait: WaitQueue,
    /// Job-control state of the process (`SIGNAL_STOP_*` with the stop
    /// signal, Linux's `group_exit_code` while stopped): `JOBCTL_STOPPED`,
    /// `JOBCTL_STOP_UNREPORTED`, `JOBCTL_CONTINUED`, `JOBCTL_CLD_CONTINUED`
    /// and the signal in bits 8-15.
    pub jobctl: AtomicU32,
    /// Children's exits, stops and continues wake this
    /// (`wait_chldexit`), whichever thread waits.
    pub wait_chldexit: WaitQueue,
    /// CPU time and context switches of the threads already released
    /// (`sum_sched_runtime`, `utime`, `stime`, `nvcsw`, `nivcsw`): the
    /// process's usage keeps them (a `crate::exit::Usage`).
    pub dead_usage: [AtomicU64; crate::exit::USAGE_LEN],
    /// The user and system time last reported of the whole process
    /// (`signal->prev_cputime`).
    pub prev_cputime: IrqSpinLock<libkernel::sched::cputime::PrevCputime>,
    /// The process's `ITIMER_REAL` (`real_timer`, `alarm`): whichever
    /// thread set it, it is the process's until the last thread exits;
    /// not inherited by children.
    pub itimer_real: IrqSpinLock<crate::time::itimer::ItimerReal>,
    /// The CPU-time interval timers, `ITIMER_VIRTUAL` and `ITIMER_PROF`
    /// (`signal->it[CPUCLOCK_VIRT]`, `it[CPUCLOCK_PROF]`), charged by the
    /// tick; not inherited by children, kept across exec.
    pub itimer_cpu: crate::time::itimer::CpuItimers,
}

/// [`SignalStruct::flags`]: the whole process is exiting
/// (`SIGNAL_GROUP_EXIT`).
pub const SIGNAL_GROUP_EXIT: u32 = 0x4;

impl SignalStruct {
    /// The state of a new process: one live thread, nothing pending.
    pub fn new() -> Self {
        SignalStruct {
            live: AtomicU32::new(1),
            threads: IrqSpinLock::named(&"&sig->threads", ThreadList::new()),
            nr_threads: AtomicU32::new(0),
            shared_pending: AtomicU64::new(0),
            shared_queue: IrqSpinLock::named(&"&sig->siglock", Vec::new()),
            flags: AtomicU32::new(0),
            group_exit_code: AtomicI32::new(0),
            group_exec_task: AtomicI32::new(0),
            exec_wait: WaitQueue::new(),
            jobctl: AtomicU32::new(0),
            wait_chldexit: WaitQueue::new(),
            dead_usage: [const { AtomicU64::new(0) }; crate::exit::USAGE_LEN],
            prev_cputime: IrqSpinLock::named(&"&sig->prev_cputime.lock", Default::default()),
            itimer_real: IrqSpinLock::named(
                &"&sig->itimer_real",
                crate::time::itimer::ItimerReal {
                    expires: 0,
                    interval: 0,
                    handle: None,
                },
            ),
            itimer_cpu: crate::time::itimer::CpuItimers::new(),
        }
    }

    /// Is the process exiting as a whole (`signal_group_exit`)?
    pub fn group_exit(&self) -> bool {
        self.flags.load(Ordering::Acquire) & SIGNAL_GROUP_EXIT != 0
    }

    /// Threads listed (the zombie leader included).
    pub fn nr_threads(&self) -> usize {
        self.nr_threads.load(Ordering::Acquire) as usize
    }

    /// Lists a new thread (`attach_pid`'s `thread_node`; the caller holds
    /// the task list lock and `threads`' guard).
    pub fn attach_thread(&self, threads: &mut ThreadList, t: Arc<Task>) {
        threads.push(t);
        self.nr_threads
            .store(threads.len() as u32, Ordering::Release);
    }

    /// Unlists a released thread (`__unhash_process`; the caller holds
    /// the task list lock).
    pub fn detach_thread(&self, t: &Arc<Task>) {
        let mut threads = self.threads.lock();
        threads.remove(t);
        self.nr_threads
            .store(threads.len() as u32, Ordering::Release);
    }

    /// Runs `f` on every thread of the group, under the thread list lock
    /// (`for_each_thread`); `f` must not take the task list lock.
    pub fn for_each_thread(&self, mut f: impl FnMut(&Arc<Task>)) {
        for t in self.threads.lock().iter() {
            f(t);
        }
    }
}

/// A process's threads (`thread_head`), the leader first. The first is
/// kept inline: most processes have one thread, and a list allocated on
/// every fork cost the fork loop an allocation and a free.
pub struct ThreadList {
    first: Option<Arc<Task>>,
    rest: Vec<Arc<Task>>,
}

impl Default for ThreadList {
    fn default() -> Self {
        Self::new()
    }
}

impl ThreadList {
    /// No threads.
    pub const fn new() -> Self {
        ThreadList {
            first: None,
            rest: Vec::new(),
        }
    }

    /// The threads, the leader first.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Task>> {
        self.first.iter().chain(self.rest.iter())
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.first.is_some() as usize + self.rest.len()
    }

    /// None listed?
    pub fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    fn push(&mut self, t: Arc<Task>) {
        if self.first.is_none() {
            self.first = Some(t);
        } else {
            self.rest.push(t);
        }
    }

    fn remove(&mut self, t: &Arc<Task>) {
        if self.first.as_ref().is_some_and(|f| Arc::ptr_eq(f, t)) {
            self.first = (!self.rest.is_empty()).then(|| self.rest.remove(0));
        } else {
            self.rest.retain(|x| !Arc::ptr_eq(x, t));
        }
        if self.rest.is_empty() && self.rest.capacity() != 0 {
            self.rest = Vec::new();
        }
    }

    /// Puts `t` first, as the new leader (`de_thread`).
    pub fn make_first(&mut self, t: &Arc<Task>) {
        if let Some(i) = self.rest.iter().position(|x| Arc::ptr_eq(x, t)) {
            if let Some(first) = self.first.as_mut() {
                core::mem::swap(first, &mut self.rest[i]);
            }
        }
    }
}

impl Default for SignalStruct {
    fn default() -> Self {
        Self::new()
    }
}

/// Is `t` the leader of its thread group (`thread_group_leader`)?
pub fn thread_group_leader(t: &Task) -> bool {
    t.pid() == t.tgid
}

/// Has the group of `t` no thread but `t` listed (`thread_group_empty`)?
pub fn thread_group_empty(t: &Task) -> bool {
    t.signal.nr_threads() <= 1
}

/// The dispositions of all 64 signals (`sighand_struct`'s action table):
/// shared by a parent and its forked children until one of them changes a
/// disposition (copy on write with `Arc::make_mut`), so fork copies no
/// table (Linux copies its 2 KiB on every fork without `CLONE_SIGHAND`).
pub type SigHand = Arc<[SigAction; 64]>;

/// The table every task starts with: all `SIG_DFL` (one shared table).
pub fn default_sighand() -> SigHand {
    static DEFAULT: spin::Once<SigHand> = spin::Once::new();
    DEFAULT
        .call_once(|| Arc::new([SigAction::default(); 64]))
        .clone()
}

/// One signal's disposition (`struct k_sigaction`, arm64 layout).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigAction {
    /// Handler address, `SIG_DFL` or `SIG_IGN`.
    pub handler: u64,
    /// `SA_*` flags.
    pub flags: u64,
    /// Where the handler returns to (calls `rt_sigreturn`).
    pub restorer: u64,
    /// Signals blocked while the handler runs.
    pub mask: u64,
}

impl SigAction {
    fn from_bytes(b: &[u8; 32]) -> Self {
        let w = |i: usize| u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
        SigAction {
            handler: w(0),
            flags: w(1),
            restorer: w(2),
            mask: w(3),
        }
    }

    fn to_bytes(self) -> [u8; 32] {
        let mut b = [0u8; 32];
        for (i, v) in [self.handler, self.flags, self.restorer, self.mask]
            .iter()
            .enumerate()
        {
            b[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
        }
        b
    }
}

const fn bit(sig: u32) -> u64 {
    1u64 << (sig - 1)
}

/// The signals that stop a process by default (`SIG_KERNEL_STOP_MASK`).
const STOP_MASK: u64 = bit(SIGSTOP) | bit(SIGTSTP) | bit(SIGTTIN) | bit(SIGTTOU);

/// Whether `sig` stops a process by default (`sig_kernel_stop`).
fn sig_kernel_stop(sig: u32) -> bool {
    STOP_MASK & bit(sig) != 0
}

/// Most `siginfo`s a task keeps queued (`RLIMIT_SIGPENDING`'s role): past
/// it a signal is still delivered, without its `siginfo` (real-time
/// signals, which need theirs, fail with `EAGAIN` from `sigqueue`).
const SIGQUEUE_MAX: usize = 256;

/// Signals whose default action is to do nothing.
fn default_ignored(sig: u32) -> bool {
    matches!(sig, SIGCHLD | SIGCONT | uapi::SIGURG | uapi::SIGWINCH)
}

/// Would `t` ignore `sig` (`sig_ignored`)? Then it is not even queued.
fn sig_ignored(t: &Task, sig: u32) -> bool {
    // Kernel threads take no signal from anyone (Linux's kthreadd runs
    // `ignore_signals`): queued, it would never be handled.
    if t.flags() & task::PF_KTHREAD != 0 {
        return true;
    }
    // A tracer wants to see even ignored signals.
    if sig == SIGKILL || sig == SIGSTOP || t.ptrace.flags() != 0 {
        return false;
    }
    let a = t.sigactions.lock()[sig as usize - 1];
    a.handler == SIG_IGN || (a.handler == SIG_DFL && default_ignored(sig))
}

/// The info of a signal a process sends (`SI_USER`, the sender's pid;
/// pid 0 from an interrupt, where no process sends it).
fn user_info(sig: u32, code: i32) -> KernelSiginfo {
    let p = crate::task::current_ptr();
    // SAFETY: the current task is alive while it runs.
    let pid = if p.is_null() { 0 } else { unsafe { (*p).tgid } };
    KernelSiginfo::from_pid(sig, code, pid)
}

/// Marks `sig` pending for the process of `t` and wakes a thread that
/// can take it (`send_signal`), as sent by the current process
/// (`SI_USER`). Returns false if the signal is ignored.
pub fn send_signal(t: &Arc<Task>, sig: u32) -> bool {
    send_signal_info(t, &user_info(sig, uapi::SI_USER))
}

/// Sends `sig` to the one thread `t` as from the current process
/// (`send_sig`: `SIGPIPE` goes to the thread that wrote).
pub fn send_sig(sig: u32, t: &Arc<Task>) -> bool {
    send_signal_thread(t, &user_info(sig, uapi::SI_USER))
}

/// A signal the kernel sends (`SEND_SIG_PRIV`: `SI_KERNEL`, no sender),
/// as a terminal's Ctrl-C does.
pub fn send_sig_priv(t: &Arc<Task>, sig: u32) -> bool {
    send_signal_info(t, &KernelSiginfo::from_pid(sig, uapi::SI_KERNEL, 0))
}

/// A kernel signal to the one thread `t` (`send_sig_info` with
/// `SEND_SIG_PRIV`): ptrace's `SIGSTOP` at attach, the `SIGTRAP` after an
/// exec, `PTRACE_KILL`'s `SIGKILL`.
pub fn send_sig_priv_thread(t: &Arc<Task>, sig: u32) -> bool {
    send_signal_thread(t, &KernelSiginfo::from_pid(sig, uapi::SI_KERNEL, 0))
}

/// What sending `sig` does before it is queued (`prepare_signal`): a stop
/// signal cancels a pending `SIGCONT`; `SIGCONT` cancels pending stop
/// signals and continues a stopped task, whatever its disposition.
/// Returns false if the signal is then ignored.
fn prepare_signal(t: &Arc<Task>, sig: u32) -> bool {
    if sig_kernel_stop(sig) {
        flush_sigqueue_mask(t, bit(SIGCONT));
    } else if sig == SIGCONT {
        let sigs = &t.signal;
        let mut q = sigs.shared_queue.lock();
        sigs.shared_pending.fetch_and(!STOP_MASK, Ordering::SeqCst);
        drop_queued(&mut q, STOP_MASK);
        let j = sigs.jobctl.load(Ordering::SeqCst);
        if j & task::JOBCTL_STOPPED != 0 {
            sigs.jobctl.store(
                (j & !(task::JOBCTL_STOPPED | task::JOBCTL_STOP_UNREPORTED))
                    | task::JOBCTL_CONTINUED
                    | task::JOBCTL_CLD_CONTINUED,
                Ordering::SeqCst,
            );
        }
        // Every thread: its own stop signals go (a sibling's call to join
        // the stop among them), a stop dequeued but not yet acted on is
        // cancelled (`JOBCTL_STOP_DEQUEUED`), and a stopped thread runs
        // again.
        sigs.for_each_thread(|th| {
            flush_private_mask(th, STOP_MASK);
            th.jobctl
                .fetch_and(!task::JOBCTL_STOP_DEQUEUED, Ordering::SeqCst);
            crate::sched::core::try_to_wake_up(th, task::TASK_STOPPED);
            // A tracee its tracer left listening traps again, for the
            // tracer to see the end of the stop (`JOBCTL_TRAP_NOTIFY`).
            crate::ptrace::ptrace_listening_wake(th);
        });
        if sigs.threads.lock().is_empty() {
            // A task outside any thread list (never in practice for user
            // processes): continue it alone.
            flush_private_mask(t, STOP_MASK);
            t.jobctl
                .fetch_and(!task::JOBCTL_STOP_DEQUEUED, Ordering::SeqCst);
            crate::sched::core::try_to_wake_up(t, task::TASK_STOPPED);
        }
        drop(q);
    }
    !sig_ignored(t, sig)
}

/// Queues a signal for the process of `t` with its `siginfo` and wakes a
/// thread that can take it (`__send_signal` with `PIDTYPE_TGID` +
/// `complete_signal`). A standard signal already pending is not queued
/// twice; real-time ones are, each with its info.
pub fn send_signal_info(t: &Arc<Task>, info: &KernelSiginfo) -> bool {
    __send_signal(t, info, true)
}

/// Queues a signal for the one thread `t` (`PIDTYPE_PID`: `tgkill`,
/// `pthread_kill`, a fault), which alone may take it.
pub fn send_signal_thread(t: &Arc<Task>, info: &KernelSiginfo) -> bool {
    __send_signal(t, info, false)
}

fn __send_signal(t: &Arc<Task>, info: &KernelSiginfo, group: bool) -> bool {
    let sig = info.signo;
    if sig == 0 || sig > NSIG {
        return false;
    }
    if !prepare_signal(t, sig) {
        crate::trace::events::signal_generate(sig, info.code, t, group, 1);
        return false;
    }
    let (pending, queue) = if group {
        (&t.signal.shared_pending, &t.signal.shared_queue)
    } else {
        (&t.pending, &t.sigqueue)
    };
    let was = {
        let mut q = queue.lock();
        let was = pending.load(Ordering::Relaxed);
        let legacy = sig < uapi::SIGRTMIN;
        if !(legacy && was & bit(sig) != 0) && q.len() < SIGQUEUE_MAX && q.try_reserve(1).is_ok() {
            q.push(*info);
        }
        pending.fetch_or(bit(sig), Ordering::SeqCst)
    };
    crate::trace::events::signal_generate(
        sig,
        info.code,
        t,
        group,
        if was & bit(sig) != 0 && sig < uapi::SIGRTMIN {
            2
        } else {
            0
        },
    );
    // Pairs with the fence in `set_current_state` that a sleeper executes
    // after changing its blocked set (`rt_sigsuspend`, `ppoll`) and before
    // it looks at `pending`: either it sees this signal, or this load sees
    // its new mask and wakes it. Without the fence the load could be older
    // than the store above on arm64, and both sides would miss each other
    // (a shell waiting in sigsuspend for a SIGCHLD that had come: found by
    // busybox's `wait`).
    core::sync::atomic::fence(Ordering::SeqCst);
    complete_signal(t, sig, group);
    true
}

/// Wakes a thread to take `sig` (`complete_signal`): for a thread signal
/// that thread; for a process signal `t` if it does not block it, else
/// another thread that does not. `SIGKILL` to a process reaches every
/// thread at once (Linux's fatal-signal shortcut), ending stops too.
fn complete_signal(t: &Arc<Task>, sig: u32, group: bool) {
    use crate::sched::core::try_to_wake_up;
    let wants = |th: &Task| {
        th.blocked.load(Ordering::Relaxed) & bit(sig) == 0 && th.flags() & task::PF_EXITING == 0
    };
    if sig == SIGKILL {
        // A stop for a tracer ends too (Linux's `TASK_WAKEKILL`).
        let stopped = TASK_INTERRUPTIBLE | task::TASK_STOPPED | task::TASK_TRACED;
        if group {
            t.signal.for_each_thread(|th| {
                th.pending.fetch_or(bit(SIGKILL), Ordering::SeqCst);
                try_to_wake_up(th, stopped);
            });
        }
        try_to_wake_up(t, stopped);
    } else if wants(t) {
        try_to_wake_up(t, TASK_INTERRUPTIBLE);
    } else if group {
        let threads = t.signal.threads.lock();
        let taker = threads.iter().find(|th| wants(th)).cloned();
        drop(threads);
        if let Some(th) = taker {
            try_to_wake_up(&th, TASK_INTERRUPTIBLE);
        }
    }
}

/// Removes the signals of `mask` from the pending sets of `t`'s process
/// and of each of its threads, with their queued infos
/// (`flush_sigqueue_mask` on the shared and every private queue).
fn flush_sigqueue_mask(t: &Task, mask: u64) {
    {
        let mut q = t.signal.shared_queue.lock();
        t.signal.shared_pending.fetch_and(!mask, Ordering::SeqCst);
        drop_queued(&mut q, mask);
    }
    let mut listed = false;
    t.signal.for_each_thread(|th| {
        listed = true;
        flush_private_mask(th, mask);
    });
    if !listed {
        flush_private_mask(t, mask);
    }
}

/// Removes the signals of `mask` from the one thread's own queue.
fn flush_private_mask(t: &Task, mask: u64) {
    let mut q = t.sigqueue.lock();
    t.pending.fetch_and(!mask, Ordering::SeqCst);
    drop_queued(&mut q, mask);
}

fn drop_queued(q: &mut alloc::vec::Vec<KernelSiginfo>, mask: u64) {
    if !q.is_empty() {
        q.retain(|i| bit(i.signo) & mask == 0);
        release_empty_queue(q);
    }
}

/// An empty queue gives its memory back: a long-lived process (init, a
/// shell) would otherwise keep the largest queue it ever had.
fn release_empty_queue(q: &mut alloc::vec::Vec<KernelSiginfo>) {
    if q.is_empty() && q.capacity() != 0 {
        *q = alloc::vec::Vec::new();
    }
}

/// Takes the lowest pending signal of `mask` with its info
/// (`dequeue_signal`); the pending bit goes when no info of it is left. A
/// signal pending without an info (queue full, `force_sig`) gets a
/// kernel-sent one.
fn dequeue_signal(me: &Task, mask: u64) -> Option<KernelSiginfo> {
    // The thread's own signals first, then the process's, as Linux.
    let info = dequeue_from(&me.pending, &me.sigqueue, mask)
        .or_else(|| dequeue_from(&me.signal.shared_pending, &me.signal.shared_queue, mask))?;
    if sig_kernel_stop(info.signo) {
        // Cancelled by a SIGCONT that comes before the stop is done.
        me.jobctl
            .fetch_or(task::JOBCTL_STOP_DEQUEUED, Ordering::SeqCst);
    }
    Some(info)
}

/// Takes the lowest signal of `mask` from one pending set and its queue.
fn dequeue_from(
    pending: &AtomicU64,
    queue: &IrqSpinLock<Vec<KernelSiginfo>>,
    mask: u64,
) -> Option<KernelSiginfo> {
    if pending.load(Ordering::Acquire) & mask == 0 {
        return None;
    }
    let mut q = queue.lock();
    let ready = pending.load(Ordering::Acquire) & mask;
    if ready == 0 {
        return None;
    }
    let sig = ready.trailing_zeros() + 1;
    let info = match q.iter().position(|i| i.signo == sig) {
        Some(k) => q.remove(k),
        None => KernelSiginfo::from_pid(sig, uapi::SI_KERNEL, 0),
    };
    if sig < uapi::SIGRTMIN || !q.iter().any(|i| i.signo == sig) {
        pending.fetch_and(!bit(sig), Ordering::AcqRel);
    }
    release_empty_queue(&mut q);
    Some(info)
}

/// A fault in the current task (`force_sig`): if the signal is blocked or
/// ignored it is reset to its default, so the fault cannot be ignored.
pub fn force_sig(sig: u32) {
    let me = task::current();
    let blocked = me.blocked.load(Ordering::Relaxed) & bit(sig) != 0;
    {
        let mut acts = me.sigactions.lock();
        if blocked || acts[sig as usize - 1].handler == SIG_IGN {
            Arc::make_mut(&mut acts)[sig as usize - 1] = SigAction::default();
        }
    }
    me.blocked.fetch_and(!bit(sig), Ordering::Relaxed);
    // The faulting thread's own signal (`force_sig_info_to_task`).
    me.pending.fetch_or(bit(sig), Ordering::SeqCst);
}

/// A memory fault's signal with its `si_code` and address
/// (`force_sig_fault`): a `SA_SIGINFO` handler reads `si_addr`.
pub fn force_sig_fault(sig: u32, code: i32, addr: u64) {
    let me = task::current();
    {
        let mut q = me.sigqueue.lock();
        if me.pending.load(Ordering::Relaxed) & bit(sig) == 0 && q.try_reserve(1).is_ok() {
            q.push(KernelSiginfo {
                signo: sig,
                code,
                addr,
                ..KernelSiginfo::default()
            });
        }
    }
    drop(me);
    force_sig(sig);
}

/// Does the current task have a deliverable signal?
pub fn signal_pending() -> bool {
    let p = crate::task::current_ptr();
    if p.is_null() {
        return false;
    }
    // SAFETY: the current task is alive while it runs.
    let t = unsafe { &*p };
    // A tracer's `PTRACE_INTERRUPT` interrupts a sleep as a signal does.
    task_sigpending(t) || t.jobctl.load(Ordering::Relaxed) & task::JOBCTL_TRAP_STOP != 0
}

/// Has running task `t` a signal to act on, its own or its process's?
/// The blocked set never holds `SIGKILL` (every writer strips it), so
/// `pending & !blocked` is the whole test: the return to user space
/// makes it after every system call.
#[inline(always)]
pub fn task_sigpending(t: &Task) -> bool {
    (t.pending.load(Ordering::Acquire) | t.signal.shared_pending.load(Ordering::Acquire))
        & !t.blocked.load(Ordering::Relaxed)
        != 0
}

/// Whether the current task has a handler for `sig` that will run (not
/// blocked, not the default or ignore action).
pub fn has_handler(sig: u32) -> bool {
    let me = task::current();
    let h = me.sigactions.lock()[sig as usize - 1].handler;
    h != SIG_DFL && h != SIG_IGN && me.blocked.load(Ordering::Relaxed) & bit(sig) == 0
}

/// No blocked set is waiting to be restored (a set with `SIGKILL` in it,
/// which a real one never has).
pub const NO_SAVED_SIGMASK: u64 = u64::MAX;

/// After a wait with a temporary blocked set: `old` goes back once the
/// signal that ended the wait has been handled (`set_restore_sigmask`).
pub fn set_restore_sigmask(me: &Task, old: u64) {
    me.saved_sigmask.store(old, Ordering::Relaxed);
}

/// The set [`set_restore_sigmask`] left, taken (at most once).
fn take_saved_sigmask(me: &Task) -> Option<u64> {
    match me.saved_sigmask.swap(NO_SAVED_SIGMASK, Ordering::Relaxed) {
        NO_SAVED_SIGMASK => None,
        old => Some(old),
    }
}

/// `rt_sigsuspend(mask, sigsetsize)`: waits with `mask` blocked until a
/// signal arrives; always `EINTR` once a handler ran (restarted if none
/// did: `ERESTARTNOHAND`). The old mask comes back after the
/// handler (its frame holds it), so a signal unblocked only by `mask`
/// is delivered before the old mask blocks it again.
pub fn sys_rt_sigsuspend(unewset: u64, sigsetsize: u64) -> SysResult {
    if sigsetsize != uapi::SIGSET_SIZE as u64 {
        return Err(EINVAL);
    }
    let mask = crate::mm::uaccess::get_user_u64(unewset)?;
    let me = task::current();
    let old = me.blocked.load(Ordering::Relaxed);
    set_current_blocked(&me, mask);
    while !signal_pending() {
        task::set_current_state(task::TASK_INTERRUPTIBLE);
        if signal_pending() {
            task::set_current_state(task::TASK_RUNNING);
            break;
        }
        crate::sched::schedule();
    }
    set_restore_sigmask(&me, old);
    Err(ERESTARTNOHAND)
}

/// Acts on the current task's pending signals (`do_signal` with
/// `get_signal`): ignored ones are dropped, stop signals stop the task
/// until `SIGCONT`, a handler gets a signal frame, any other ends the
/// process as killed by that signal. A system call the signal interrupted
/// is restarted or fails with `EINTR`, by Linux's rules.
pub fn do_signal(regs: &mut PtRegs) {
    let me = task::current();
    let restart = take_syscall_restart(&me);
    loop {
        if me.jobctl.load(Ordering::Relaxed) & task::JOBCTL_TRAP_STOP != 0 {
            crate::ptrace::do_jobctl_trap(&me);
        }
        if me.signal.jobctl.load(Ordering::Relaxed) & task::JOBCTL_CLD_CONTINUED != 0
            && me
                .signal
                .jobctl
                .fetch_and(!task::JOBCTL_CLD_CONTINUED, Ordering::SeqCst)
                & task::JOBCTL_CLD_CONTINUED
                != 0
        {
            // Continued: the parent hears of it from a thread of the
            // process, once one runs (`SIGNAL_CLD_CONTINUED`).
            do_notify_parent_cldstop(&me, uapi::CLD_CONTINUED, SIGCONT);
        }
        let mask = !me.blocked.load(Ordering::Relaxed) | bit(SIGKILL);
        let Some(mut info) = dequeue_signal(&me, mask) else {
            // Nothing handled: the interrupted call starts again, and a
            // temporary mask ends here (`restore_saved_sigmask`).
            if let Some(r) = restart {
                restart_syscall_regs(regs, r);
            }
            if let Some(old) = take_saved_sigmask(&me) {
                set_current_blocked(&me, old);
            }
            return;
        };
        let mut sig = info.signo;
        if sig != SIGKILL && me.ptrace.flags() != 0 {
            // Signal-delivery-stop: the tracer may change or cancel it.
            sig = crate::ptrace::ptrace_signal(&me, sig, &mut info);
            if sig == 0 {
                continue;
            }
        }
        let act = me.sigactions.lock()[sig as usize - 1];
        // Every dequeued signal, before its action is looked at (Linux's
        // `get_signal`: ignored ones too).
        crate::trace::events::signal_deliver(sig, info.code, act.handler, act.flags);
        match act.handler {
            _ if sig == SIGKILL => {}
            SIG_IGN => continue,
            SIG_DFL if default_ignored(sig) => continue,
            SIG_DFL if sig_kernel_stop(sig) => {
                // A group no shell can continue is not stopped by the
                // terminal's signals (POSIX; `is_current_pgrp_orphaned`).
                if sig == SIGSTOP || !crate::exit::is_current_pgrp_orphaned() {
                    do_signal_stop(&me, sig);
                }
                continue;
            }
            SIG_DFL => {}
            _ => {
                if let Some(r) = restart {
                    handler_restart_regs(regs, r, act.flags);
                }
                // The frame keeps the mask to return to: the saved one
                // after a temporary-mask wait.
                let set =
                    take_saved_sigmask(&me).unwrap_or_else(|| me.blocked.load(Ordering::Relaxed));
                if crate::arch::signal::setup_rt_frame(&me, &info, &act, set, regs).is_ok() {
                    signal_delivered(&me, sig, &act);
                    return;
                }
                // No room for the frame: the process dies of SIGSEGV.
                drop(me);
                crate::noreturn_call!(crate::exit::do_group_exit, SIGSEGV as i32);
            }
        }
        drop(me);
        // Default action: terminate; the wait status carries the signal.
        crate::noreturn_call!(crate::exit::do_group_exit, sig as i32);
    }
}

/// Stops the current task for `sig` until `SIGCONT` or `SIGKILL`
/// (`do_signal_stop`): the parent gets `SIGCHLD` with `CLD_STOPPED` and
/// `wait4(WUNTRACED)` reports it once. A `SIGCONT` that came after `sig`
/// was dequeued cancels the stop.
fn do_signal_stop(me: &Arc<Task>, sig: u32) {
    let sigs = &me.signal;
    let traced = me.ptrace.flags() != 0;
    {
        let _siglock = sigs.shared_queue.lock();
        let j = me
            .jobctl
            .fetch_and(!task::JOBCTL_STOP_DEQUEUED, Ordering::SeqCst);
        if j & task::JOBCTL_STOP_DEQUEUED == 0 || kill_pending(me) {
            return;
        }
        // A traced task takes part in the group stop, but sleeps in a
        // stop for its tracer (`do_jobctl_trap`), which ends it with
        // PTRACE_CONT or waits for SIGCONT with PTRACE_LISTEN.
        let g = sigs.jobctl.load(Ordering::SeqCst);
        if g & task::JOBCTL_STOPPED != 0 {
            // A sibling stopped the process and sent this thread the
            // `SIGSTOP` that brought it here: it joins the stop, and the
            // parent, told once, is not told again (Linux's
            // `JOBCTL_STOP_PENDING` participation).
            if traced {
                drop(_siglock);
                crate::ptrace::ptrace_group_stop(sig);
                return;
            }
            task::set_special_state(task::TASK_STOPPED);
            drop(_siglock);
            stopped(me);
            return;
        }
        let keep = g & !(task::JOBCTL_CONTINUED
            | task::JOBCTL_CLD_CONTINUED
            | (0xff << task::JOBCTL_STOP_SIG_SHIFT));
        sigs.jobctl.store(
            keep | task::JOBCTL_STOPPED
                | task::JOBCTL_STOP_UNREPORTED
                | (sig << task::JOBCTL_STOP_SIG_SHIFT),
            Ordering::SeqCst,
        );
        // The other threads join the stop: each gets a `SIGSTOP` of its
        // own (where Linux sets `JOBCTL_STOP_PENDING`), so the return to
        // user space tests nothing beyond the pending signals.
        sigs.for_each_thread(|th| {
            if !Arc::ptr_eq(th, me) && th.exit_state.load(Ordering::Relaxed) == 0 {
                th.pending.fetch_or(bit(SIGSTOP), Ordering::SeqCst);
                crate::sched::core::try_to_wake_up(th, TASK_INTERRUPTIBLE);
            }
        });
        // Under the lock a SIGCONT takes: its wake-up finds this state.
        if !traced {
            task::set_special_state(task::TASK_STOPPED);
        }
    }
    do_notify_parent_cldstop(me, uapi::CLD_STOPPED, sig);
    if traced {
        crate::ptrace::ptrace_group_stop(sig);
        return;
    }
    stopped(me);
}

/// Whether `SIGKILL` is pending for the thread or its process
/// (`fatal_signal_pending`): a killable sleep (`TASK_KILLABLE`) ends.
pub fn kill_pending(t: &Task) -> bool {
    (t.pending.load(Ordering::SeqCst) | t.signal.shared_pending.load(Ordering::SeqCst))
        & bit(SIGKILL)
        != 0
}

/// Sleeps stopped (the caller set `TASK_STOPPED` under the siglock) until
/// `SIGCONT` ends the process's stop or `SIGKILL` comes.
fn stopped(me: &Arc<Task>) {
    let sigs = &me.signal;
    loop {
        crate::sched::schedule();
        let _siglock = sigs.shared_queue.lock();
        if sigs.jobctl.load(Ordering::SeqCst) & task::JOBCTL_STOPPED == 0 {
            return;
        }
        if kill_pending(me) {
            sigs.jobctl.fetch_and(
                !(task::JOBCTL_STOPPED | task::JOBCTL_STOP_UNREPORTED),
                Ordering::SeqCst,
            );
            return;
        }
        task::set_special_state(task::TASK_STOPPED);
    }
}

/// Tells the parent that `tsk` stopped or continued
/// (`do_notify_parent_cldstop`): `SIGCHLD` unless the parent asked for
/// none with `SA_NOCLDSTOP`, and its `wait4` is woken in any case.
fn do_notify_parent_cldstop(tsk: &Task, why: i32, sig: u32) {
    let Some(parent) = tsk.family.lock().real_parent.upgrade() else {
        return;
    };
    let act = parent.sigactions.lock()[SIGCHLD as usize - 1];
    if act.handler != SIG_IGN && act.flags & SA_NOCLDSTOP == 0 {
        let info = crate::exit::sigchld_info(tsk, why, sig as i32);
        send_signal_info(&parent, &info);
    }
    parent.signal.wait_chldexit.wake_up_all();
}

/// A system call that returned one of the `ERESTART*` codes: what it
/// returned and its first argument, which the return value overwrote.
#[derive(Clone, Copy)]
pub struct SyscallRestart {
    errno: Errno,
    orig_x0: u64,
}

/// The system call returns `e` (`-ERESTART*`) because a signal is pending:
/// `do_signal` decides between restarting it and `EINTR`. With no signal
/// left to act on (another CPU ignored it meanwhile) it restarts at once.
#[cold]
pub fn syscall_interrupted(regs: &mut PtRegs, orig_x0: u64, e: Errno) {
    let r = SyscallRestart { errno: e, orig_x0 };
    if signal_pending() {
        task::with_current(|t| {
            t.restart_x0.store(orig_x0, Ordering::Relaxed);
            t.restart_errno.store(e.0, Ordering::Relaxed);
            if !task_sigpending(t) {
                // Only a ptrace trap: the return to user space must still
                // go through `do_signal`.
                crate::sched::core::kick_process(t);
            }
        });
        regs.regs[0] = e.as_neg() as u64;
    } else {
        restart_syscall_regs(regs, r);
    }
}

fn take_syscall_restart(me: &Task) -> Option<SyscallRestart> {
    match me.restart_errno.swap(0, Ordering::Relaxed) {
        0 => None,
        e => Some(SyscallRestart {
            errno: Errno(e),
            orig_x0: me.restart_x0.load(Ordering::Relaxed),
        }),
    }
}

/// No handler runs: the call is made again, from its `svc` with its first
/// argument back; `ERESTART_RESTARTBLOCK` makes `restart_syscall` instead,
/// which continues from the task's restart block.
fn restart_syscall_regs(regs: &mut PtRegs, r: SyscallRestart) {
    if r.errno == ERESTART_RESTARTBLOCK {
        regs.regs[8] = uapi::nr::RESTART_SYSCALL as u64;
    } else {
        regs.regs[0] = r.orig_x0;
    }
    regs.pc -= crate::arch::signal::SVC_INSN_SIZE;
}

/// A handler runs: `EINTR`, unless the call is always restarted
/// (`ERESTARTNOINTR`) or is `ERESTARTSYS` and the handler has
/// `SA_RESTART`; then the frame resumes at the `svc`.
fn handler_restart_regs(regs: &mut PtRegs, r: SyscallRestart, flags: u64) {
    let again = r.errno == ERESTARTNOINTR || (r.errno == ERESTARTSYS && flags & SA_RESTART != 0);
    if again {
        regs.regs[0] = r.orig_x0;
        regs.pc -= crate::arch::signal::SVC_INSN_SIZE;
    } else {
        regs.regs[0] = EINTR.as_neg() as u64;
    }
}

/// What `restart_syscall` continues (`struct restart_block`).
#[derive(Clone, Copy, Debug, Default)]
pub enum RestartBlock {
    /// Nothing: `restart_syscall` fails with `EINTR`
    /// (`do_no_restart_syscall`).
    #[default]
    None,
    /// A sleep until `expires` (monotonic ns), writing the time left to
    /// `rmtp` if it is interrupted again (`hrtimer_nanosleep_restart`).
    Nanosleep {
        /// When the sleep ends.
        expires: u64,
        /// Where to write the time left (0: nowhere).
        rmtp: u64,
    },
    /// A `FUTEX_WAIT` with a timeout, until the same absolute time
    /// (`futex_wait_restart`).
    Futex {
        /// The futex word.
        uaddr: u64,
        /// The value the word was expected to hold.
        val: u32,
        /// When the wait ends (monotonic ns).
        time: u64,
        /// The waiter's bitset.
        bitset: u32,
        /// The wait's `FLAGS_*` (`crate::futex`).
        flags: u32,
    },
}

/// `restart_syscall()`: continues the call the task's restart block
/// describes, once.
pub fn sys_restart_syscall() -> SysResult {
    let block = core::mem::take(&mut *task::current().restart_block.lock());
    match block {
        RestartBlock::None => Err(EINTR),
        RestartBlock::Nanosleep { expires, rmtp } => {
            crate::time::hrtimer::do_nanosleep(expires, rmtp)
        }
        RestartBlock::Futex {
            uaddr,
            val,
            time,
            bitset,
            flags,
        } => crate::futex::futex_wait_restart(uaddr, val, time, bitset, flags),
    }
}

/// A handler is about to run (`signal_delivered`): block its `sa_mask` and,
/// unless `SA_NODEFER`, the signal itself; `SA_RESETHAND` makes this the
/// handler's only run.
fn signal_delivered(me: &Task, sig: u32, act: &SigAction) {
    let mut block = act.mask;
    if act.flags & SA_NODEFER == 0 {
        block |= bit(sig);
    }
    me.blocked
        .fetch_or(block & !(bit(SIGKILL) | bit(SIGSTOP)), Ordering::Relaxed);
    if act.flags & SA_RESETHAND != 0 {
        Arc::make_mut(&mut me.sigactions.lock())[sig as usize - 1] = SigAction::default();
    }
}

/// Replaces the current task's blocked set (`set_current_blocked`, for
/// `rt_sigreturn`): `SIGKILL` and `SIGSTOP` can never be blocked.
pub fn set_current_blocked(me: &Task, set: u64) {
    me.blocked
        .store(set & !(bit(SIGKILL) | bit(SIGSTOP)), Ordering::Relaxed);
}

/// `kill(pid, sig)`: pid > 0 one process; 0 the caller's process group;
/// -1 every user process but init and the caller; < -1 the group `-pid`.
/// sig 0 only checks existence.
pub fn sys_kill(pid: i64, sig: i64) -> Result<i64, Errno> {
    if !(0..=NSIG as i64).contains(&sig) {
        return Err(EINVAL);
    }
    let sig = sig as u32;
    let info = user_info(sig, uapi::SI_USER);
    match pid {
        p if p > 0 => kill_one(p, &info),
        0 => kill_pgrp_info(
            task::with_current(|t| t.pgrp.load(Ordering::Relaxed)),
            &info,
        ),
        -1 => {
            let me = task::current();
            let mut n = 0;
            for t in crate::pid::all_tasks() {
                if t.pid() <= 1 || !t.is_user() || !thread_group_leader(&t) || t.tgid == me.tgid {
                    continue;
                }
                n += 1;
                if sig != 0 {
                    send_signal_info(&t, &info);
                }
            }
            if n == 0 {
                Err(ESRCH)
            } else {
                Ok(0)
            }
        }
        p => kill_pgrp_info(Pid::try_from(-p).map_err(|_| ESRCH)?, &info),
    }
}

/// Signals the process with a thread `pid` (`kill_pid_info`: any
/// thread's id names its process); a process that has exited takes
/// nothing. Its zombie leader stands for the threads still running.
fn kill_one(pid: i64, info: &KernelSiginfo) -> SysResult {
    let t = crate::pid::find_task_by_pid(Pid::try_from(pid).map_err(|_| ESRCH)?).ok_or(ESRCH)?;
    if info.signo != 0 && t.signal.live.load(Ordering::Relaxed) != 0 {
        send_signal_info(&t, info);
    }
    Ok(0)
}

/// Signals the one thread `t` (`do_send_specific`); an exited thread
/// takes nothing.
fn kill_thread(t: &Arc<Task>, info: &KernelSiginfo) -> SysResult {
    if info.signo != 0 && t.exit_state.load(Ordering::Relaxed) == 0 {
        send_signal_thread(t, info);
    }
    Ok(0)
}

/// Sends `sig` from the kernel to every process of group `pgrp`
/// (`kill_pgrp` with `priv`: a terminal's Ctrl-C, a hang-up, an orphaned
/// group's `SIGHUP`/`SIGCONT`); `ESRCH` if the group has none.
pub fn kill_pgrp(pgrp: Pid, sig: u32) -> Result<i64, Errno> {
    kill_pgrp_info(pgrp, &KernelSiginfo::from_pid(sig, uapi::SI_KERNEL, 0))
}

/// Sends `info` to every process of group `pgrp` (`__kill_pgrp_info`).
/// Group 0 (the kernel's) is never signalled.
fn kill_pgrp_info(pgrp: Pid, info: &KernelSiginfo) -> Result<i64, Errno> {
    if pgrp <= 0 {
        return Err(ESRCH);
    }
    // Collected under the task list lock, signalled after it: a wake-up
    // takes runqueue locks.
    let members: alloc::vec::Vec<Arc<Task>> = crate::pid::TASKLIST
        .lock()
        .each_in_pgrp(pgrp)
        .filter(|t| t.pid() == t.tgid)
        .cloned()
        .collect();
    if members.is_empty() {
        return Err(ESRCH);
    }
    if info.signo != 0 {
        for t in &members {
            // A zombie leader stands for its threads still running.
            if t.signal.live.load(Ordering::Relaxed) != 0 {
                send_signal_info(t, info);
            }
        }
    }
    Ok(0)
}

/// `tkill(tid, sig)`: one task, never a group: a `tid` of 0 or below is
/// `EINVAL` (Linux), not the broadcast `kill` would make of it.
pub fn sys_tkill(tid: i64, sig: i64) -> Result<i64, Errno> {
    if tid <= 0 || !(0..=NSIG as i64).contains(&sig) {
        return Err(EINVAL);
    }
    let t = crate::pid::find_task_by_pid(Pid::try_from(tid).map_err(|_| ESRCH)?).ok_or(ESRCH)?;
    kill_thread(&t, &user_info(sig as u32, uapi::SI_TKILL))
}

/// `tgkill(tgid, tid, sig)`: task `tid` if it is in thread group `tgid`.
pub fn sys_tgkill(tgid: i64, tid: i64, sig: i64) -> Result<i64, Errno> {
    if tgid <= 0 || tid <= 0 || !(0..=NSIG as i64).contains(&sig) {
        return Err(EINVAL);
    }
    let t = crate::pid::find_task_by_pid(Pid::try_from(tid).map_err(|_| ESRCH)?).ok_or(ESRCH)?;
    if i64::from(t.tgid) != tgid {
        return Err(ESRCH);
    }
    kill_thread(&t, &user_info(sig as u32, uapi::SI_TKILL))
}

/// `rt_sigaction(sig, act, oldact, sigsetsize)`.
pub fn sys_rt_sigaction(sig: u64, act: u64, oldact: u64, size: u64) -> Result<i64, Errno> {
    if size != 8 {
        return Err(EINVAL);
    }
    let sig = sig as u32;
    if sig == 0 || sig > NSIG {
        return Err(EINVAL);
    }
    let me = task::current();
    let new = if act != 0 {
        let mut b = [0u8; 32];
        copy_from_user(&mut b, act)?;
        if sig == SIGKILL || sig == SIGSTOP {
            return Err(EINVAL);
        }
        Some(SigAction::from_bytes(&b))
    } else {
        None
    };
    let old = me.sigactions.lock()[sig as usize - 1];
    if oldact != 0 {
        copy_to_user(oldact, &old.to_bytes())?;
    }
    if let Some(mut a) = new {
        a.mask &= !(bit(SIGKILL) | bit(SIGSTOP));
        Arc::make_mut(&mut me.sigactions.lock())[sig as usize - 1] = a;
        if a.handler == SIG_IGN || (a.handler == SIG_DFL && default_ignored(sig)) {
            // POSIX: setting a pending signal to ignore discards it.
            flush_sigqueue_mask(&me, bit(sig));
        }
        // SIGCHLD ignored means children are reaped automatically.
        if sig == SIGCHLD {
            me.sigchld_ignored
                .store(a.handler == SIG_IGN, Ordering::Relaxed);
        }
    }
    Ok(0)
}

/// `rt_sigprocmask(how, set, oldset, sigsetsize)`.
pub fn sys_rt_sigprocmask(how: u64, set: u64, oldset: u64, size: u64) -> Result<i64, Errno> {
    if size != 8 {
        return Err(EINVAL);
    }
    let me = task::current();
    let old = me.blocked.load(Ordering::Relaxed);
    let new = if set != 0 {
        let s = crate::mm::uaccess::get_user_u64(set)? & !(bit(SIGKILL) | bit(SIGSTOP));
        Some(match how {
            0 => old | s,  // SIG_BLOCK
            1 => old & !s, // SIG_UNBLOCK
            2 => s,        // SIG_SETMASK
            _ => return Err(EINVAL),
        })
    } else {
        None
    };
    if oldset != 0 {
        crate::mm::uaccess::put_user_u64(oldset, old)?;
    }
    if let Some(n) = new {
        me.blocked.store(n, Ordering::Relaxed);
    }
    Ok(0)
}

/// Resets handlers to `SIG_DFL` at exec (ignored signals stay ignored).
pub fn flush_signal_handlers(t: &Task) {
    flush_handlers_of(&t.sigactions);
}

/// [`flush_signal_handlers`] on one table (also `clone3`'s
/// `CLONE_CLEAR_SIGHAND`).
pub fn flush_handlers_of(sighand: &IrqSpinLock<SigHand>) {
    let mut acts = sighand.lock();
    // Most programs exec with no handler set: their table stays shared.
    if acts
        .iter()
        .any(|a| a.handler != SIG_IGN && *a != SigAction::default())
    {
        for a in Arc::make_mut(&mut acts).iter_mut() {
            if a.handler != SIG_IGN {
                *a = SigAction::default();
            }
        }
    }
}

/// Whether `sp` is on `t`'s alternate signal stack (`on_sig_stack`).
fn on_sig_stack(ss: &uapi::SigAltStack, sp: u64) -> bool {
    ss.size != 0 && sp.wrapping_sub(1).wrapping_sub(ss.sp) < ss.size
}

/// The alternate stack as a frame's `uc_stack` and `sigaltstack` report
/// it (`__save_altstack`): `SS_DISABLE` without one, `SS_ONSTACK` while
/// `sp` is on it, plus `SS_AUTODISARM` if set.
pub fn save_altstack(t: &Task, sp: u64) -> uapi::SigAltStack {
    let ss = t.sas();
    let mode = if ss.size == 0 {
        uapi::SS_DISABLE
    } else if on_sig_stack(&ss, sp) {
        uapi::SS_ONSTACK
    } else {
        0
    };
    uapi::SigAltStack {
        flags: mode | (ss.flags & uapi::SS_AUTODISARM),
        ..ss
    }
}

/// No alternate stack (`sas_ss_reset`): at exec, and while an
/// `SS_AUTODISARM` stack's handler runs.
pub fn sas_ss_reset(t: &Task) {
    t.set_sas(&uapi::SigAltStack {
        flags: uapi::SS_DISABLE,
        ..uapi::SigAltStack::default()
    });
}

/// `rt_sigreturn` puts back the frame's alternate stack
/// (`restore_altstack`); refused, silently as in Linux, while `sp` is on
/// the current one.
pub fn restore_altstack(t: &Task, ss: &uapi::SigAltStack, sp: u64) {
    let _ = do_sigaltstack(t, ss, sp);
}

fn do_sigaltstack(t: &Task, new: &uapi::SigAltStack, sp: u64) -> Result<(), Errno> {
    if on_sig_stack(&t.sas(), sp) {
        return Err(EPERM);
    }
    let mode = new.flags & !uapi::SS_AUTODISARM;
    if mode != 0 && mode != uapi::SS_DISABLE && mode != uapi::SS_ONSTACK {
        return Err(EINVAL);
    }
    if mode == uapi::SS_DISABLE {
        t.set_sas(&uapi::SigAltStack {
            flags: new.flags,
            ..uapi::SigAltStack::default()
        });
    } else {
        if new.size < uapi::MINSIGSTKSZ {
            return Err(ENOMEM);
        }
        t.set_sas(new);
    }
    Ok(())
}

/// `sigaltstack(uss, uoss)`: reports and sets the alternate signal stack
/// that `SA_ONSTACK` handlers run on. `EPERM` while running on it,
/// `ENOMEM` below `MINSIGSTKSZ`.
pub fn sys_sigaltstack(uss: u64, uoss: u64, regs: &mut PtRegs) -> SysResult {
    let me = task::current();
    let new = if uss != 0 {
        let mut b = [0u8; 24];
        copy_from_user(&mut b, uss)?;
        Some(uapi::SigAltStack::from_bytes(&b))
    } else {
        None
    };
    let old = save_altstack(&me, regs.sp);
    if let Some(n) = new {
        do_sigaltstack(&me, &n, regs.sp)?;
    }
    if uoss != 0 {
        copy_to_user(uoss, &old.to_bytes())?;
    }
    Ok(0)
}

/// `rt_sigpending(set, sigsetsize)`: the blocked signals that are pending.
pub fn sys_rt_sigpending(uset: u64, sigsetsize: u64) -> SysResult {
    if sigsetsize > uapi::SIGSET_SIZE as u64 {
        return Err(EINVAL);
    }
    let set = task::with_current(|t| {
        (t.pending.load(Ordering::Acquire) | t.signal.shared_pending.load(Ordering::Acquire))
            & t.blocked.load(Ordering::Relaxed)
    });
    copy_to_user(uset, &set.to_le_bytes()[..sigsetsize as usize])?;
    Ok(0)
}

/// `rt_sigtimedwait(set, info, timeout, sigsetsize)`: takes a pending
/// signal of `set` (usually blocked, as `sigwait` wants) without running a
/// handler; waits for one up to `timeout` (`EAGAIN` when it passes). A
/// signal outside `set` that arrives meanwhile ends the wait with `EINTR`.
pub fn sys_rt_sigtimedwait(uset: u64, uinfo: u64, uts: u64, sigsetsize: u64) -> SysResult {
    if sigsetsize != uapi::SIGSET_SIZE as u64 {
        return Err(EINVAL);
    }
    let set = crate::mm::uaccess::get_user_u64(uset)? & !(bit(SIGKILL) | bit(SIGSTOP));
    let deadline = if uts != 0 {
        let mut b = [0u8; 16];
        copy_from_user(&mut b, uts)?;
        let ts = uapi::Timespec::from_bytes(&b);
        if !ts.is_valid() {
            return Err(EINVAL);
        }
        Some(crate::time::uptime_ns().saturating_add(ts.as_ns()))
    } else {
        None
    };
    let me = task::current();
    let info = match dequeue_signal(&me, set) {
        Some(i) => i,
        None => {
            // Unblock the set while waiting, so its signals wake this task
            // (`real_blocked`); blocked again before anything returns.
            let blocked = me.blocked.load(Ordering::Relaxed);
            set_current_blocked(&me, blocked & !set);
            let got = loop {
                task::set_current_state(TASK_INTERRUPTIBLE);
                if let Some(i) = dequeue_signal(&me, set) {
                    task::set_current_state(task::TASK_RUNNING);
                    break Ok(i);
                }
                if signal_pending() {
                    task::set_current_state(task::TASK_RUNNING);
                    break Err(EINTR);
                }
                match deadline {
                    Some(d) => {
                        let now = crate::time::uptime_ns();
                        if now >= d {
                            task::set_current_state(task::TASK_RUNNING);
                            break Err(EAGAIN);
                        }
                        crate::sched::wait::schedule_timeout(d - now);
                    }
                    None => crate::sched::schedule(),
                }
            };
            set_current_blocked(&me, blocked);
            got?
        }
    };
    if uinfo != 0 {
        copy_to_user(uinfo, &info.to_bytes())?;
    }
    Ok(i64::from(info.signo))
}

/// `rt_sigqueueinfo(pid, sig, info)`: sends `sig` with the caller's
/// `siginfo` (its `si_value` reaches a `SA_SIGINFO` handler). Only the
/// kernel may claim `SI_USER` or a positive `si_code` to another process.
pub fn sys_rt_sigqueueinfo(pid: i64, sig: i64, uinfo: u64) -> SysResult {
    if !(0..=NSIG as i64).contains(&sig) {
        return Err(EINVAL);
    }
    let mut b = [0u8; uapi::SIGINFO_SIZE];
    copy_from_user(&mut b, uinfo)?;
    let mut info = KernelSiginfo::from_bytes(&b);
    let me = task::current();
    if (info.code >= 0 || info.code == uapi::SI_TKILL) && i64::from(me.tgid) != pid {
        return Err(EPERM);
    }
    info.signo = sig as u32;
    drop(me);
    if pid <= 0 {
        return Err(ESRCH);
    }
    kill_one(pid, &info)
}
