//! Signals (Linux's `kernel/signal.c` and `arch/arm64/kernel/signal.c`): a
//! pending set and a blocked mask per task, `rt_sigaction` with `SIG_DFL`,
//! `SIG_IGN` and user handlers, default actions (terminate or ignore),
//! delivery on the way back to user space with a Linux-layout signal frame
//! (`rt_sigframe`: siginfo, ucontext, sigcontext with the FP/SIMD record),
//! `rt_sigreturn`, and waking an interruptible sleeper. A handler returns
//! through its `sa_restorer` (C libraries always set `SA_RESTORER`).

use crate::arch::exception::PtRegs;
use crate::errno::{Errno, EFAULT, EINVAL, ESRCH};
use crate::mm::uaccess::{copy_from_user, copy_to_user};
use crate::task::{self, Pid, Task, TASK_INTERRUPTIBLE};
use alloc::sync::Arc;
use core::sync::atomic::Ordering;

pub use libkernel::uapi::{
    NSIG, SIGBUS, SIGCHLD, SIGCONT, SIGHUP, SIGILL, SIGINT, SIGKILL, SIGSEGV, SIGSTOP, SIGTERM,
    SIGTRAP,
};
use libkernel::uapi::{SA_NODEFER, SA_RESETHAND, SIG_DFL, SIG_IGN};

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
    matches!(
        sig,
        SIGCHLD | SIGCONT | 23 /* SIGURG */ | 28 /* SIGWINCH */
    )
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
    if sig == 0 || sig > NSIG {
        return false;
    }
    if sig_ignored(t, sig) {
        crate::trace::events::signal_generate(sig, 0, t, 1);
        return false;
    }
    let was = t.pending.fetch_or(bit(sig), Ordering::SeqCst);
    crate::trace::events::signal_generate(sig, 0, t, if was & bit(sig) != 0 { 2 } else { 0 });
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

/// Acts on the current task's pending signals (`do_signal`): ignored ones
/// are dropped, a handler gets a signal frame, any other ends the process
/// as killed by that signal.
pub fn do_signal(regs: &mut PtRegs) {
    let me = task::current();
    loop {
        let deliverable = me.pending.load(Ordering::Acquire)
            & (!me.blocked.load(Ordering::Relaxed) | bit(SIGKILL));
        if deliverable == 0 {
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
                if setup_rt_frame(&me, regs, sig, &act).is_ok() {
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

// Offsets in the arm64 `struct rt_sigframe`.
const SIGINFO_SIZE: u64 = 128;
const UC_SIGMASK: u64 = 40;
const UC_MCONTEXT: u64 = 176;
const MC_REGS: u64 = 8;
const MC_SP: u64 = MC_REGS + 31 * 8;
const MC_PC: u64 = MC_SP + 8;
const MC_PSTATE: u64 = MC_PC + 8;
const MC_RESERVED: u64 = 288;
const FPSIMD_MAGIC: u32 = 0x4650_8001;
const FPSIMD_CTX_SIZE: u32 = 528;
const FRAME_SIZE: u64 = SIGINFO_SIZE + UC_MCONTEXT + MC_RESERVED + 4096;

/// Builds the signal frame on the user stack and points the registers at
/// the handler (`setup_rt_frame`).
fn setup_rt_frame(
    me: &Arc<Task>,
    regs: &mut PtRegs,
    sig: u32,
    act: &SigAction,
) -> Result<(), Errno> {
    let frame = (regs.sp.checked_sub(FRAME_SIZE + 16).ok_or(EFAULT)?) & !15;
    let uc = frame + SIGINFO_SIZE;
    let mc = uc + UC_MCONTEXT;
    let mut buf = alloc::vec![0u8; FRAME_SIZE as usize];
    let put = |buf: &mut [u8], off: u64, v: &[u8]| {
        buf[off as usize..off as usize + v.len()].copy_from_slice(v);
    };
    // siginfo: signo, errno, code (SI_USER = 0).
    put(&mut buf, 0, &(sig as i32).to_le_bytes());
    put(
        &mut buf,
        SIGINFO_SIZE + UC_SIGMASK,
        &me.blocked.load(Ordering::Relaxed).to_le_bytes(),
    );
    let m = SIGINFO_SIZE + UC_MCONTEXT;
    for (i, r) in regs.regs.iter().enumerate() {
        put(&mut buf, m + MC_REGS + 8 * i as u64, &r.to_le_bytes());
    }
    put(&mut buf, m + MC_SP, &regs.sp.to_le_bytes());
    put(&mut buf, m + MC_PC, &regs.pc.to_le_bytes());
    put(&mut buf, m + MC_PSTATE, &regs.pstate.to_le_bytes());
    // The FP/SIMD record, then an empty terminator record.
    crate::arch::context::fpsimd_preserve_current(me);
    // SAFETY: the current task's FP state, just saved by this CPU.
    let fp = unsafe { **me.fpsimd.get() };
    let r = m + MC_RESERVED;
    put(&mut buf, r, &FPSIMD_MAGIC.to_le_bytes());
    put(&mut buf, r + 4, &FPSIMD_CTX_SIZE.to_le_bytes());
    put(&mut buf, r + 8, &fp.fpsr.to_le_bytes());
    put(&mut buf, r + 12, &fp.fpcr.to_le_bytes());
    for (i, v) in fp.vregs.iter().enumerate() {
        put(&mut buf, r + 16 + 16 * i as u64, &v.to_le_bytes());
    }
    copy_to_user(frame, &buf)?;

    regs.regs[0] = sig as u64;
    regs.regs[1] = frame;
    regs.regs[2] = uc;
    regs.regs[29] = 0;
    regs.regs[30] = act.restorer;
    regs.sp = frame;
    regs.pc = act.handler;
    let _ = mc;
    let mut block = act.mask;
    if act.flags & SA_NODEFER == 0 {
        block |= bit(sig);
    }
    me.blocked
        .fetch_or(block & !(bit(SIGKILL) | bit(SIGSTOP)), Ordering::Relaxed);
    if act.flags & SA_RESETHAND != 0 {
        Arc::make_mut(&mut me.sigactions.lock())[sig as usize - 1] = SigAction::default();
    }
    Ok(())
}

/// `rt_sigreturn`: restores the registers, FP state and signal mask saved
/// in the frame at the user stack pointer.
pub fn sys_rt_sigreturn(regs: &mut PtRegs) -> Result<i64, Errno> {
    let me = task::current();
    let frame = regs.sp;
    let mut buf = alloc::vec![0u8; FRAME_SIZE as usize];
    if let Err(e) = copy_from_user(&mut buf, frame) {
        force_sig(SIGSEGV);
        return Err(e);
    }
    let get = |off: u64| {
        u64::from_le_bytes(
            buf[off as usize..off as usize + 8]
                .try_into()
                .unwrap_or([0; 8]),
        )
    };
    let m = SIGINFO_SIZE + UC_MCONTEXT;
    for i in 0..31 {
        regs.regs[i] = get(m + MC_REGS + 8 * i as u64);
    }
    regs.sp = get(m + MC_SP);
    regs.pc = get(m + MC_PC);
    // Only the condition flags may come from user memory: never a kernel
    // exception level or masked interrupts.
    regs.pstate = get(m + MC_PSTATE) & 0xf000_0000;
    let mask = get(SIGINFO_SIZE + UC_SIGMASK) & !(bit(SIGKILL) | bit(SIGSTOP));
    me.blocked.store(mask, Ordering::Relaxed);
    let r = m + MC_RESERVED;
    let magic = u32::from_le_bytes(buf[r as usize..r as usize + 4].try_into().unwrap_or([0; 4]));
    if magic == FPSIMD_MAGIC {
        let mut fp = task::FpState {
            fpsr: get(r + 8) as u32,
            fpcr: (get(r + 8) >> 32) as u32,
            ..Default::default()
        };
        for (i, v) in fp.vregs.iter_mut().enumerate() {
            let o = (r + 16 + 16 * i as u64) as usize;
            *v = u128::from_le_bytes(buf[o..o + 16].try_into().unwrap_or([0; 16]));
        }
        crate::arch::context::fpsimd_restore_current(&me, &fp);
    }
    Ok(regs.regs[0] as i64)
}

/// `kill(pid, sig)`: pid > 0 one process; 0 or -1 every user process but
/// init (process groups are not modelled); sig 0 only checks existence.
pub fn sys_kill(pid: i64, sig: i64) -> Result<i64, Errno> {
    if !(0..=NSIG as i64).contains(&sig) {
        return Err(EINVAL);
    }
    let sig = sig as u32;
    if pid > 0 {
        let t = crate::pid::find_task_by_pid(pid as Pid).ok_or(ESRCH)?;
        if sig != 0 && t.exit_state.load(Ordering::Relaxed) == 0 {
            send_signal(&t, sig);
        }
        return Ok(0);
    }
    let me = task::current();
    let mut n = 0;
    for t in crate::pid::all_tasks() {
        if t.pid <= 1 || !t.is_user() || (pid == -1 && Arc::ptr_eq(&t, &me)) {
            continue;
        }
        if pid < -1 && t.pid != (-pid) as Pid {
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
