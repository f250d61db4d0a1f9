//! Signals (Linux's `kernel/signal.c`): a pending set and a blocked mask
//! per task, `rt_sigaction` with `SIG_DFL`, `SIG_IGN` and user handlers,
//! default actions (terminate or ignore), delivery on the way back to user
//! space, and waking an interruptible sleeper. The signal frame a handler
//! runs on and `rt_sigreturn` are the architecture's
//! (`arch/aarch64/signal.rs`). A handler returns through its `sa_restorer`
//! or, without `SA_RESTORER` (glibc on arm64), the kernel's trampoline
//! page mapped into every process.

use crate::arch::exception::PtRegs;
use crate::errno::{Errno, SysResult, EINTR, EINVAL, ESRCH};
use crate::mm::uaccess::{copy_from_user, copy_to_user};
use crate::task::{self, Pid, Task, TASK_INTERRUPTIBLE};
use alloc::sync::Arc;
use core::sync::atomic::Ordering;

use libkernel::uapi::{self, SA_NODEFER, SA_RESETHAND, SIG_DFL, SIG_IGN};
pub use libkernel::uapi::{
    NSIG, SIGBUS, SIGCHLD, SIGCONT, SIGHUP, SIGILL, SIGINT, SIGKILL, SIGSEGV, SIGSTOP, SIGTERM,
    SIGTRAP,
};

/// `rt_sigreturn` undoes the signal frame, which is the architecture's.
pub use crate::arch::signal::sys_rt_sigreturn;

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

fn bit(sig: u32) -> u64 {
    1u64 << (sig - 1)
}

/// Signals whose default action is to do nothing.
fn default_ignored(sig: u32) -> bool {
    matches!(sig, SIGCHLD | SIGCONT | uapi::SIGURG | uapi::SIGWINCH)
}

/// Would `t` ignore `sig` (`sig_ignored`)? Then it is not even queued.
fn sig_ignored(t: &Task, sig: u32) -> bool {
    if sig == SIGKILL || sig == SIGSTOP {
        return false;
    }
    let a = t.sigactions.lock()[sig as usize - 1];
    a.handler == SIG_IGN || (a.handler == SIG_DFL && default_ignored(sig))
}

/// Marks `sig` pending for `t` and wakes it if it sleeps interruptibly
/// (`send_signal`). Returns false if the signal is ignored.
pub fn send_signal(t: &Arc<Task>, sig: u32) -> bool {
    send_signal_code(t, sig, 0)
}

/// [`send_signal`] with the `si_code` the trace event shows (`CLD_EXITED`
/// and `CLD_KILLED` for a child's `SIGCHLD`, 0 for `kill`).
pub fn send_signal_code(t: &Arc<Task>, sig: u32, code: i32) -> bool {
    if sig == 0 || sig > NSIG {
        return false;
    }
    if sig_ignored(t, sig) {
        crate::trace::events::signal_generate(sig, code, t, 1);
        return false;
    }
    let was = t.pending.fetch_or(bit(sig), Ordering::SeqCst);
    crate::trace::events::signal_generate(sig, code, t, if was & bit(sig) != 0 { 2 } else { 0 });
    // Pairs with the fence in `set_current_state` that a sleeper executes
    // after changing its blocked set (`rt_sigsuspend`, `ppoll`) and before
    // it looks at `pending`: either it sees this signal, or this load sees
    // its new mask and wakes it. Without the fence the load could be older
    // than the store above on arm64, and both sides would miss each other
    // (a shell waiting in sigsuspend for a SIGCHLD that had come: found by
    // busybox's `wait`).
    core::sync::atomic::fence(Ordering::SeqCst);
    if t.blocked.load(Ordering::Relaxed) & bit(sig) == 0 || sig == SIGKILL {
        crate::sched::core::try_to_wake_up(t, TASK_INTERRUPTIBLE);
    }
    true
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
    me.pending.fetch_or(bit(sig), Ordering::SeqCst);
}

/// Does the current task have a deliverable signal?
pub fn signal_pending() -> bool {
    let p = crate::task::current_ptr();
    if p.is_null() {
        return false;
    }
    // SAFETY: the current task is alive while it runs.
    let t = unsafe { &*p };
    let pending = t.pending.load(Ordering::Acquire);
    pending & (!t.blocked.load(Ordering::Relaxed) | bit(SIGKILL)) != 0
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
/// signal arrives; always `EINTR`. The old mask comes back after the
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
    Err(EINTR)
}

/// Acts on the current task's pending signals (`do_signal`): ignored ones
/// are dropped, a handler gets a signal frame, any other ends the process
/// as killed by that signal.
pub fn do_signal(regs: &mut PtRegs) {
    let me = task::current();
    loop {
        let deliverable = me.pending.load(Ordering::Acquire)
            & (!me.blocked.load(Ordering::Relaxed) | bit(SIGKILL));
        if deliverable == 0 {
            // Nothing handled: a temporary mask ends here
            // (`restore_saved_sigmask`).
            if let Some(old) = take_saved_sigmask(&me) {
                set_current_blocked(&me, old);
            }
            return;
        }
        let sig = deliverable.trailing_zeros() + 1;
        me.pending.fetch_and(!bit(sig), Ordering::AcqRel);
        let act = me.sigactions.lock()[sig as usize - 1];
        match act.handler {
            _ if sig == SIGKILL => {}
            SIG_IGN => continue,
            SIG_DFL if default_ignored(sig) => continue,
            SIG_DFL => {}
            _ => {
                // The frame keeps the mask to return to: the saved one
                // after a temporary-mask wait.
                let set =
                    take_saved_sigmask(&me).unwrap_or_else(|| me.blocked.load(Ordering::Relaxed));
                if crate::arch::signal::setup_rt_frame(&me, sig, &act, set, regs).is_ok() {
                    signal_delivered(&me, sig, &act);
                    return;
                }
                // No room for the frame: the process dies of SIGSEGV.
                drop(me);
                crate::exit::do_group_exit(SIGSEGV as i32);
            }
        }
        drop(me);
        // Default action: terminate; the wait status carries the signal.
        crate::exit::do_group_exit(sig as i32);
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
    match pid {
        p if p > 0 => {
            let t = crate::pid::find_task_by_pid(p as Pid).ok_or(ESRCH)?;
            if sig != 0 && t.exit_state.load(Ordering::Relaxed) == 0 {
                send_signal(&t, sig);
            }
            Ok(0)
        }
        0 => kill_pgrp(task::with_current(|t| t.pgrp.load(Ordering::Relaxed)), sig),
        -1 => {
            let me = task::current();
            let mut n = 0;
            for t in crate::pid::all_tasks() {
                if t.pid <= 1 || !t.is_user() || Arc::ptr_eq(&t, &me) {
                    continue;
                }
                n += 1;
                if sig != 0 {
                    send_signal(&t, sig);
                }
            }
            if n == 0 {
                Err(ESRCH)
            } else {
                Ok(0)
            }
        }
        p => kill_pgrp(Pid::try_from(-p).map_err(|_| ESRCH)?, sig),
    }
}

/// Sends `sig` to every process of group `pgrp` (`kill_pgrp`, as a
/// terminal's Ctrl-C or `kill(-pgrp)` does); `ESRCH` if the group has
/// none. Group 0 (the kernel's) is never signalled.
pub fn kill_pgrp(pgrp: Pid, sig: u32) -> Result<i64, Errno> {
    if pgrp <= 0 {
        return Err(ESRCH);
    }
    // Collected under the task list lock, signalled after it: a wake-up
    // takes runqueue locks.
    let members: alloc::vec::Vec<Arc<Task>> = crate::pid::TASKLIST
        .lock()
        .each_in_pgrp(pgrp)
        .filter(|t| t.pid == t.tgid)
        .cloned()
        .collect();
    if members.is_empty() {
        return Err(ESRCH);
    }
    if sig != 0 {
        for t in &members {
            if t.exit_state.load(Ordering::Relaxed) == 0 {
                send_signal(t, sig);
            }
        }
    }
    Ok(0)
}

/// `tkill(tid, sig)`: one task, never a group: a `tid` of 0 or below is
/// `EINVAL` (Linux), not the broadcast `kill` would make of it.
pub fn sys_tkill(tid: i64, sig: i64) -> Result<i64, Errno> {
    if tid <= 0 {
        return Err(EINVAL);
    }
    sys_kill(tid, sig)
}

/// `tgkill(tgid, tid, sig)`: task `tid` if it is in thread group `tgid`.
pub fn sys_tgkill(tgid: i64, tid: i64, sig: i64) -> Result<i64, Errno> {
    if tgid <= 0 || tid <= 0 || !(0..=NSIG as i64).contains(&sig) {
        return Err(EINVAL);
    }
    let t = crate::pid::find_task_by_pid(tid as Pid).ok_or(ESRCH)?;
    if i64::from(t.tgid) != tgid {
        return Err(ESRCH);
    }
    sys_kill(tid, sig)
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
            me.pending.fetch_and(!bit(sig), Ordering::Relaxed);
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
    let mut acts = t.sigactions.lock();
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
