//! Suite `signal`: rt_sigaction, rt_sigprocmask and kill's signal
//! delivery: default actions, ignoring, blocking and a handler that
//! returns through rt_sigreturn. State-changing tests run in a child.

use crate::ktap::{Suite, TestResult};
use crate::util::*;
use core::sync::atomic::{AtomicI32, Ordering};
use pikern_rt::consts::*;
use pikern_rt::sys::{self, sigbit, SigAction};
use pikern_rt::syscall::{nr, syscall4, syscall5};
use pikern_rt::Errno;

pub static SUITE: Suite = Suite {
    name: "signal",
    tests: tests![
        ppoll_without_fds_sleeps,
        sigaction_default_disposition,
        sigaction_set_and_read_back,
        sigaction_errors,
        ignored_signal_is_discarded,
        default_action_terminates,
        sigprocmask_block_and_read_back,
        sigprocmask_cannot_block_sigkill,
        sigprocmask_errors,
        blocked_signal_stays_pending,
        handler_runs_and_returns,
        tkill_tgkill_never_broadcast,
    ],
};

fn query(sig: u32) -> Result<SigAction, Errno> {
    let mut old = SigAction::default();
    // SAFETY: only reads the current action.
    unsafe { sys::rt_sigaction(sig, None, Some(&mut old)) }.map(|_| old)
}

fn sigaction_default_disposition() -> TestResult {
    for sig in [SIGUSR1, SIGUSR2, SIGTERM, SIGSEGV] {
        check_eq!(ok!(query(sig)).sa_handler, SIG_DFL);
    }
    Ok(())
}

fn sigaction_set_and_read_back() -> TestResult {
    child_passed(in_child(|| {
        let ign = SigAction {
            sa_mask: sigbit(SIGUSR2),
            ..SigAction::disposition(SIG_IGN)
        };
        let mut old = SigAction::default();
        // SAFETY: SIG_IGN runs no code.
        ok!(unsafe { sys::rt_sigaction(SIGUSR1, Some(&ign), Some(&mut old)) });
        check_eq!(old.sa_handler, SIG_DFL);
        let now = ok!(query(SIGUSR1));
        check_eq!(now.sa_handler, SIG_IGN);
        check_eq!(now.sa_mask, sigbit(SIGUSR2));
        Ok(())
    }))
}

fn sigaction_errors() -> TestResult {
    let ign = SigAction::disposition(SIG_IGN);
    // SAFETY: every request here must be refused (or is SIG_IGN/query only).
    unsafe {
        check_err!(sys::rt_sigaction(SIGKILL, Some(&ign), None), Errno::EINVAL);
        check_err!(sys::rt_sigaction(SIGSTOP, Some(&ign), None), Errno::EINVAL);
        check_err!(sys::rt_sigaction(0, None, None), Errno::EINVAL);
        check_err!(sys::rt_sigaction(NSIG + 1, None, None), Errno::EINVAL);
        // The signal-set size must be 8 on arm64.
        let r = syscall4(nr::RT_SIGACTION, SIGUSR1 as usize, 0, 0, 4);
        check_err!(Errno::result(r), Errno::EINVAL);
        let r = syscall4(nr::RT_SIGACTION, SIGUSR1 as usize, KERNEL_ADDR, 0, 8);
        check_err!(Errno::result(r), Errno::EFAULT);
        let r = syscall4(nr::RT_SIGACTION, SIGUSR1 as usize, 0, KERNEL_ADDR, 8);
        check_err!(Errno::result(r), Errno::EFAULT);
    }
    // Querying SIGKILL is allowed.
    check_eq!(ok!(query(SIGKILL)).sa_handler, SIG_DFL);
    Ok(())
}

fn ignored_signal_is_discarded() -> TestResult {
    child_passed(in_child(|| {
        let ign = SigAction::disposition(SIG_IGN);
        // SAFETY: SIG_IGN runs no code.
        ok!(unsafe { sys::rt_sigaction(SIGUSR1, Some(&ign), None) });
        ok!(sys::kill(sys::getpid(), SIGUSR1));
        let _ = sys::sched_yield();
        Ok(())
    }))
}

fn default_action_terminates() -> TestResult {
    let st = crashing_child(|| {
        let _ = sys::kill(sys::getpid(), SIGUSR1);
        // Delivery happens on the way back to user space; give it time.
        let _ = pikern_rt::process::sleep_ms(100);
    });
    child_killed_by(st, SIGUSR1)
}

fn sigprocmask_block_and_read_back() -> TestResult {
    child_passed(in_child(|| {
        let mut old = u64::MAX;
        ok!(sys::rt_sigprocmask(
            SIG_BLOCK,
            Some(&sigbit(SIGUSR1)),
            Some(&mut old)
        ));
        check_eq!(old, 0);
        let mut now = 0;
        ok!(sys::rt_sigprocmask(SIG_BLOCK, None, Some(&mut now)));
        check_eq!(now, sigbit(SIGUSR1));
        ok!(sys::rt_sigprocmask(
            SIG_SETMASK,
            Some(&(sigbit(SIGUSR2) | sigbit(SIGTERM))),
            None
        ));
        ok!(sys::rt_sigprocmask(
            SIG_UNBLOCK,
            Some(&sigbit(SIGTERM)),
            Some(&mut old)
        ));
        check_eq!(old, sigbit(SIGUSR2) | sigbit(SIGTERM));
        ok!(sys::rt_sigprocmask(SIG_SETMASK, None, Some(&mut now)));
        check_eq!(now, sigbit(SIGUSR2));
        Ok(())
    }))
}

fn sigprocmask_cannot_block_sigkill() -> TestResult {
    child_passed(in_child(|| {
        let all = u64::MAX;
        ok!(sys::rt_sigprocmask(SIG_SETMASK, Some(&all), None));
        let mut now = 0;
        ok!(sys::rt_sigprocmask(SIG_SETMASK, None, Some(&mut now)));
        check_eq!(now & (sigbit(SIGKILL) | sigbit(SIGSTOP)), 0);
        check!(now & sigbit(SIGUSR1) != 0, "mask {now:#x} lacks SIGUSR1");
        Ok(())
    }))
}

fn sigprocmask_errors() -> TestResult {
    let set = sigbit(SIGUSR1);
    check_err!(sys::rt_sigprocmask(99, Some(&set), None), Errno::EINVAL);
    // SAFETY: each request must be refused without touching memory.
    unsafe {
        let r = syscall4(
            nr::RT_SIGPROCMASK,
            SIG_BLOCK as usize,
            &set as *const u64 as usize,
            0,
            4,
        );
        check_err!(Errno::result(r), Errno::EINVAL);
        let r = syscall4(nr::RT_SIGPROCMASK, SIG_BLOCK as usize, KERNEL_ADDR, 0, 8);
        check_err!(Errno::result(r), Errno::EFAULT);
        let r = syscall4(nr::RT_SIGPROCMASK, SIG_BLOCK as usize, 0, KERNEL_ADDR, 8);
        check_err!(Errno::result(r), Errno::EFAULT);
    }
    let mut now = u64::MAX;
    ok!(sys::rt_sigprocmask(SIG_BLOCK, None, Some(&mut now)));
    check_eq!(now, 0);
    Ok(())
}

fn blocked_signal_stays_pending() -> TestResult {
    // Blocked, the signal waits; the child exits normally with it pending.
    child_passed(in_child(|| {
        ok!(sys::rt_sigprocmask(SIG_BLOCK, Some(&sigbit(SIGUSR1)), None));
        ok!(sys::kill(sys::getpid(), SIGUSR1));
        let _ = pikern_rt::process::sleep_ms(20);
        Ok(())
    }))?;
    // Unblocking delivers it: the default action kills.
    let st = crashing_child(|| {
        let _ = sys::rt_sigprocmask(SIG_BLOCK, Some(&sigbit(SIGUSR1)), None);
        let _ = sys::kill(sys::getpid(), SIGUSR1);
        let _ = pikern_rt::process::sleep_ms(20);
        let _ = sys::rt_sigprocmask(SIG_UNBLOCK, Some(&sigbit(SIGUSR1)), None);
        let _ = pikern_rt::process::sleep_ms(100);
    });
    child_killed_by(st, SIGUSR1)
}

static HANDLED: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_usr1(sig: i32) {
    HANDLED.store(sig, Ordering::SeqCst);
}

fn handler_runs_and_returns() -> TestResult {
    child_passed(in_child(|| {
        let act = SigAction::handler(on_usr1, 0);
        // SAFETY: the handler only stores to an atomic.
        ok!(unsafe { sys::rt_sigaction(SIGUSR1, Some(&act), None) });
        sys::write_tpidr_el0(0x7777);
        let me = sys::getpid() as usize;
        // The signal is delivered on the way out of kill: the handler runs
        // between the svc and the register checks, and rt_sigreturn must
        // restore every register the interrupted code had.
        match gp_registers_across(nr::KILL, me, SIGUSR1 as usize) {
            Ok(r) => check_eq!(r, 0),
            Err((name, before, after)) => {
                fail!("{name} changed across a signal handler: {before:#x} -> {after:#x}")
            }
        }
        check_eq!(HANDLED.swap(0, Ordering::SeqCst), SIGUSR1 as i32);
        let n = fp_registers_clobbered_by(nr::KILL, me, SIGUSR1 as usize, 5);
        check!(
            n == 0,
            "{n} FP/SIMD doublewords changed across a signal handler"
        );
        check_eq!(HANDLED.load(Ordering::SeqCst), SIGUSR1 as i32);
        check_eq!(sys::read_tpidr_el0(), 0x7777);
        Ok(())
    }))
}

/// Found by the fuzzer: `tkill(0, sig)` and `tkill(-1, sig)` signalled
/// every process (as `kill` does) instead of failing with EINVAL; tgkill
/// ignored its tgid.
fn tkill_tgkill_never_broadcast() -> TestResult {
    let me = sys::getpid() as usize;
    let call = |n: usize, a: [isize; 3]| {
        // SAFETY: no memory is involved; signal 0 only checks.
        Errno::result(unsafe { syscall4(n, a[0] as usize, a[1] as usize, a[2] as usize, 0) })
    };
    // A real signal, so a broadcast would be seen (by this process first).
    for tid in [0, -1] {
        check_err!(call(nr::TKILL, [tid, SIGKILL as isize, 0]), Errno::EINVAL);
        check_err!(
            call(nr::TGKILL, [tid, tid, SIGKILL as isize]),
            Errno::EINVAL
        );
        check_err!(
            call(nr::TGKILL, [me as isize, tid, SIGKILL as isize]),
            Errno::EINVAL
        );
    }
    check_eq!(ok!(call(nr::TKILL, [me as isize, 0, 0])), 0);
    check_eq!(ok!(call(nr::TGKILL, [me as isize, me as isize, 0])), 0);
    // Pid 1 is not in this thread group.
    check_err!(call(nr::TGKILL, [1, me as isize, 0]), Errno::ESRCH);
    check_err!(
        call(nr::TGKILL, [me as isize, me as isize, 65]),
        Errno::EINVAL
    );
    Ok(())
}

/// glibc's `pause()` is `ppoll(NULL, 0, NULL, NULL)` (with its cancel
/// state in the unused `sigsetsize`): the caller sleeps until a signal,
/// using no CPU (pikern once went round its poll loop without sleeping),
/// and `SIGTERM` ends it.
fn ppoll_without_fds_sleeps() -> TestResult {
    let pid = ok!(in_child_async(|| {
        // SAFETY: no descriptors, timeout or mask: nothing is accessed.
        unsafe { syscall5(nr::PPOLL, 0, 0, 0, 0, 1) };
        Ok(())
    }));
    ok!(sys::nanosleep(&sys::Timespec::from_ms(300), None));
    let stat = ok!(crate::spawn::read_text(&alloc::format!("/proc/{pid}/stat")));
    // utime and stime, fields 14 and 15, after the ")" that ends comm.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: alloc::vec::Vec<u64> = rest
        .split_ascii_whitespace()
        .map(|w| w.parse().unwrap_or(0))
        .collect();
    let ticks = f.get(11).copied().unwrap_or(u64::MAX) + f.get(12).copied().unwrap_or(0);
    ok!(sys::kill(pid, SIGTERM));
    child_killed_by(wait_for(pid), SIGTERM)?;
    // 300 ms of spinning would be 30 ticks; a sleeper has used ~none.
    check!(ticks <= 10);
    Ok(())
}
