//! Generators for the signal calls (`kernel/signal.c` in Linux).
//!
//! `kill` never reaches pid 1, the master or a process group
//! ([`Worker::kill_pid`]); signals that would count as a kernel-made fault
//! go only to the worker's own children; the worker's SIGPIPE, SIGSEGV,
//! SIGBUS and SIGILL dispositions are never replaced.

use crate::worker::{noop_handler, put_u64, Call, Worker, SCRATCH, SCRATCH_LEN};
use pikern_rt::consts::*;
use pikern_rt::sys::SigAction;

/// `kill(pid, sig)`.
pub fn kill(w: &mut Worker, c: &mut Call) {
    let (pid, own) = w.kill_pid();
    c.a[0] = pid as u64;
    c.a[1] = w.signal(own);
}

/// A tid for `tkill`/`tgkill`: mostly one `kill` may reach; 0 and -1 are
/// `EINVAL` for these calls, never a broadcast.
fn tid(w: &mut Worker, pid: i64) -> u64 {
    if w.rng.chance(20) {
        w.rng.pick(&[0, -1i64 as u64])
    } else {
        pid as u64
    }
}

/// `tkill(tid, sig)`.
pub fn tkill(w: &mut Worker, c: &mut Call) {
    let (pid, own) = w.kill_pid();
    let sig = w.signal(own);
    c.a[0] = tid(w, pid);
    c.a[1] = sig;
}

/// `tgkill(tgid, tid, sig)`.
pub fn tgkill(w: &mut Worker, c: &mut Call) {
    let (pid, own) = w.kill_pid();
    let sig = w.signal(own);
    c.a[0] = tid(w, pid);
    c.a[1] = tid(w, pid);
    c.a[2] = sig;
}

/// `rt_sigaction(sig, act, oldact, sigsetsize)`: handlers are `SIG_DFL`,
/// `SIG_IGN` or a handler that returns at once.
pub fn rt_sigaction(w: &mut Worker, c: &mut Call) {
    let mut sig = w.rng.pick(&[0u64, 65, u64::MAX, 1 << 32 | 10]);
    if w.rng.chance(85) {
        sig = 1 + w.rng.below(64);
    }
    let act = if w.rng.chance(70) {
        let handler = w
            .rng
            .pick(&[SIG_DFL, SIG_IGN, noop_handler as *const () as u64]);
        let any = w.rng.next() & 0xffff_ffff;
        let flags = w.rng.pick(&[
            0,
            SA_SIGINFO,
            SA_NODEFER,
            SA_RESETHAND,
            SA_RESTART,
            SA_ONSTACK,
            any,
        ]) | SA_RESTORER;
        let off = (SCRATCH_LEN as usize) - 8192;
        put_u64(off, handler);
        put_u64(off + 8, flags);
        put_u64(off + 16, SigAction::handler(noop_handler, 0).sa_restorer);
        put_u64(off + 24, w.rng.next());
        if [SIGPIPE, SIGSEGV, SIGBUS, SIGILL].contains(&(sig as u32)) {
            // Those keep the worker's own dispositions.
            sig = SIGUSR1 as u64;
        }
        SCRATCH + off as u64
    } else if w.rng.chance(50) {
        0
    } else {
        // Readable garbage would install a garbage handler.
        w.unreadable()
    };
    c.a[0] = sig;
    c.a[1] = act;
    c.a[2] = if w.rng.chance(40) { 0 } else { w.wptr(32).0 };
    c.a[3] = sigsetsize(w);
}

/// `rt_sigprocmask(how, set, oldset, sigsetsize)`.
pub fn rt_sigprocmask(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.rng.pick(&[
        SIG_BLOCK as u64,
        SIG_UNBLOCK as u64,
        SIG_SETMASK as u64,
        3,
        u64::MAX,
    ]);
    c.a[1] = if w.rng.chance(70) {
        let off = (SCRATCH_LEN as usize) - 8192 + 64;
        put_u64(off, w.rng.next());
        SCRATCH + off as u64
    } else if w.rng.chance(50) {
        0
    } else {
        w.hostile()
    };
    c.a[2] = if w.rng.chance(40) { 0 } else { w.wptr(8).0 };
    c.a[3] = sigsetsize(w);
}

/// Mostly the one size the kernel accepts.
fn sigsetsize(w: &mut Worker) -> u64 {
    if w.rng.chance(85) {
        SIGSET_SIZE as u64
    } else {
        w.rng.pick(&[0, 4, 16, u64::MAX])
    }
}

/// `sigaltstack(uss, oss)`: a stack inside the worker's scratch (a frame
/// then lands on argument bytes only), or one that is too small, disabled
/// or has bad flags; never one at a garbage address, where a handler's
/// frame would kill the worker with SIGSEGV (as on Linux).
pub fn sigaltstack(w: &mut Worker, c: &mut Call) {
    let off = (SCRATCH_LEN as usize) - 8192 + 128;
    let size = w.rng.pick(&[SCRATCH_LEN - 8192, 10240, 1024, 0]);
    let flags = w
        .rng
        .pick(&[0, 0, SS_DISABLE, SS_AUTODISARM, SS_ONSTACK, 7].map(|f| f as u64));
    put_u64(off, SCRATCH);
    put_u64(off + 8, flags);
    put_u64(off + 16, size);
    c.a[0] = if w.rng.chance(70) {
        SCRATCH + off as u64
    } else if w.rng.chance(50) {
        0
    } else {
        w.unreadable()
    };
    c.a[1] = if w.rng.chance(40) { 0 } else { w.wptr(24).0 };
}

/// `rt_sigtimedwait(set, info, timeout, sigsetsize)`: always with a
/// timeout of at most 5 ms (or an invalid one), so the worker cannot wait
/// for ever for a signal nobody sends.
pub fn rt_sigtimedwait(w: &mut Worker, c: &mut Call) {
    let off = (SCRATCH_LEN as usize) - 8192 + 160;
    put_u64(off, w.rng.next());
    put_u64(off + 8, 0);
    let ns = w.rng.below(5_000_000);
    put_u64(off + 16, w.rng.pick(&[0, ns, 1_000_000_000, u64::MAX]));
    c.a[0] = SCRATCH + off as u64;
    c.a[1] = if w.rng.chance(40) { 0 } else { w.wptr(128).0 };
    c.a[2] = SCRATCH + off as u64 + 8;
    c.a[3] = sigsetsize(w);
}
