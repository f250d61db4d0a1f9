//! Suite `futex`: what `futex(2)` does for a single-threaded process (the
//! waits that can only end by value, timeout or signal, the wakes and
//! requeues that find nobody, `FUTEX_WAKE_OP`'s arithmetic) and Linux's
//! errors, plus `set_robust_list`/`get_robust_list`. Waits woken by
//! another thread are the kernel's `futex` suite's, until pikern has
//! threads. Timing checks assert lower bounds and generous upper ones:
//! the host may stall a vCPU for milliseconds.

use crate::ktap::{Stop, Suite, TestResult};
use crate::spawn::{wait_timeout, Gate};
use crate::util::*;
use core::sync::atomic::{AtomicI32, AtomicU32, Ordering};
use pikern_rt::consts::*;
use pikern_rt::process;
use pikern_rt::sys::{self, SigAction, Timespec};
use pikern_rt::Errno;

pub static SUITE: Suite = Suite {
    name: "futex",
    tests: tests![
        wait_on_a_changed_word_is_eagain,
        wake_and_requeue_without_waiters_find_none,
        relative_timeout_is_etimedout,
        absolute_timeouts_on_both_clocks_are_etimedout,
        clock_realtime_only_with_absolute_waits,
        bad_timespec_is_einval_or_efault,
        unaligned_word_is_einval,
        bad_address_is_efault_where_the_word_is_needed,
        wake_op_changes_the_second_word,
        cmp_requeue_checks_the_word_and_its_counts,
        wait_interrupted_by_a_handler_is_eintr,
        timed_wait_across_stop_and_continue_runs_to_its_timeout,
        robust_list_round_trip,
    ],
};

const MS: u64 = 1_000_000;
const PRIVATE: u32 = FUTEX_PRIVATE_FLAG;

/// `futex(2)` on words of this process: `timeout` is the raw fourth
/// argument (a `&Timespec` as an address, or a count).
fn futex(
    uaddr: &AtomicU32,
    op: u32,
    val: u32,
    timeout: usize,
    uaddr2: usize,
    val3: u32,
) -> Result<usize, Errno> {
    // SAFETY: uaddr is a live word of this process; uaddr2 and the
    // timeout are live or deliberately bad, which the kernel must refuse.
    unsafe { sys::futex(uaddr.as_ptr() as usize, op, val, timeout, uaddr2, val3) }
}

/// `futex(2)` on a raw address.
fn futex_at(uaddr: usize, op: u32, val: u32, timeout: usize) -> Result<usize, Errno> {
    // SAFETY: the address is one the kernel must refuse, or never
    // dereferenced by the command.
    unsafe { sys::futex(uaddr, op, val, timeout, 0, 0) }
}

fn ts_addr(ts: &Timespec) -> usize {
    ts as *const Timespec as usize
}

fn wait_on_a_changed_word_is_eagain() -> TestResult {
    let w = AtomicU32::new(1);
    for op in [FUTEX_WAIT | PRIVATE, FUTEX_WAIT] {
        check_err!(futex(&w, op, 0, 0, 0, 0), Errno::EAGAIN);
    }
    let op = FUTEX_WAIT_BITSET | PRIVATE;
    check_err!(
        futex(&w, op, 2, 0, 0, FUTEX_BITSET_MATCH_ANY),
        Errno::EAGAIN
    );
    // Bitset 0 matches no wake-up: EINVAL, for the wake too.
    check_err!(futex(&w, op, 1, 0, 0, 0), Errno::EINVAL);
    check_err!(
        futex(&w, FUTEX_WAKE_BITSET | PRIVATE, 1, 0, 0, 0),
        Errno::EINVAL
    );
    Ok(())
}

fn wake_and_requeue_without_waiters_find_none() -> TestResult {
    let (w, w2) = (AtomicU32::new(0), AtomicU32::new(0));
    let w2p = w2.as_ptr() as usize;
    for flags in [PRIVATE, 0] {
        check_eq!(ok!(futex(&w, FUTEX_WAKE | flags, 1, 0, 0, 0)), 0);
        check_eq!(
            ok!(futex(&w, FUTEX_WAKE | flags, i32::MAX as u32, 0, 0, 0)),
            0
        );
        let op = FUTEX_WAKE_BITSET | flags;
        check_eq!(ok!(futex(&w, op, 1, 0, 0, FUTEX_BITSET_MATCH_ANY)), 0);
        check_eq!(ok!(futex(&w, FUTEX_REQUEUE | flags, 1, 1, w2p, 0)), 0);
        check_eq!(ok!(futex(&w, FUTEX_CMP_REQUEUE | flags, 1, 1, w2p, 0)), 0);
    }
    Ok(())
}

fn relative_timeout_is_etimedout() -> TestResult {
    let w = AtomicU32::new(7);
    for op in [FUTEX_WAIT | PRIVATE, FUTEX_WAIT] {
        let ts = Timespec::from_ms(20);
        let t0 = process::monotonic_ns();
        let r = futex(&w, op, 7, ts_addr(&ts), 0, 0);
        let took = process::monotonic_ns() - t0;
        check_err!(r, Errno::ETIMEDOUT);
        check!(
            took >= 20 * MS,
            "op {op}: timed out after {} us",
            took / 1000
        );
        check!(
            took < 10_000 * MS,
            "op {op}: a 20 ms wait took {} ms",
            took / MS
        );
    }
    // A zero timeout: at once, still ETIMEDOUT (the word matched).
    let zero = Timespec::default();
    check_err!(
        futex(&w, FUTEX_WAIT | PRIVATE, 7, ts_addr(&zero), 0, 0),
        Errno::ETIMEDOUT
    );
    check_err!(
        futex(&w, FUTEX_WAIT | PRIVATE, 8, ts_addr(&zero), 0, 0),
        Errno::EAGAIN
    );
    Ok(())
}

fn absolute_timeouts_on_both_clocks_are_etimedout() -> TestResult {
    let w = AtomicU32::new(7);
    for (clock, flag) in [(CLOCK_MONOTONIC, 0), (CLOCK_REALTIME, FUTEX_CLOCK_REALTIME)] {
        let op = FUTEX_WAIT_BITSET | PRIVATE | flag;
        let start = ok!(sys::clock_gettime(clock)).as_ns();
        let deadline = Timespec {
            tv_sec: ((start + 20 * MS) / 1_000_000_000) as i64,
            tv_nsec: ((start + 20 * MS) % 1_000_000_000) as i64,
        };
        let t0 = process::monotonic_ns();
        let r = futex(&w, op, 7, ts_addr(&deadline), 0, FUTEX_BITSET_MATCH_ANY);
        let took = process::monotonic_ns() - t0;
        let now = ok!(sys::clock_gettime(clock)).as_ns();
        check_err!(r, Errno::ETIMEDOUT);
        check!(
            now >= start + 20 * MS,
            "clock {clock}: returned {} us before the deadline",
            (start + 20 * MS - now) / 1000
        );
        check!(
            took < 10_000 * MS,
            "clock {clock}: a 20 ms wait took {} ms",
            took / MS
        );
        // A deadline long past: at once.
        let past = Timespec::from_ms(1);
        let t0 = process::monotonic_ns();
        let r = futex(&w, op, 7, ts_addr(&past), 0, FUTEX_BITSET_MATCH_ANY);
        check_err!(r, Errno::ETIMEDOUT);
        check!(
            process::monotonic_ns() - t0 < 5_000 * MS,
            "clock {clock}: a past deadline did not end the wait at once"
        );
    }
    Ok(())
}

fn clock_realtime_only_with_absolute_waits() -> TestResult {
    let w = AtomicU32::new(0);
    let rt = FUTEX_CLOCK_REALTIME;
    check_err!(
        futex(&w, FUTEX_WAIT | PRIVATE | rt, 1, 0, 0, 0),
        Errno::ENOSYS
    );
    check_err!(
        futex(&w, FUTEX_WAKE | PRIVATE | rt, 1, 0, 0, 0),
        Errno::ENOSYS
    );
    check_err!(futex(&w, FUTEX_FD, 1, 0, 0, 0), Errno::ENOSYS);
    check_err!(futex(&w, 14 | PRIVATE, 1, 0, 0, 0), Errno::ENOSYS);
    Ok(())
}

fn bad_timespec_is_einval_or_efault() -> TestResult {
    let w = AtomicU32::new(0);
    for (sec, nsec) in [(0, 1_000_000_000), (0, -1), (-1, 0)] {
        let ts = Timespec {
            tv_sec: sec,
            tv_nsec: nsec,
        };
        for op in [FUTEX_WAIT | PRIVATE, FUTEX_WAIT_BITSET | PRIVATE] {
            let r = futex(&w, op, 0, ts_addr(&ts), 0, FUTEX_BITSET_MATCH_ANY);
            check!(
                r == Err(Errno::EINVAL),
                "op {op} with {ts:?}: {r:?}, expected EINVAL"
            );
        }
    }
    let bad = ok!(unmapped_address());
    for p in [bad, KERNEL_ADDR] {
        check_err!(futex(&w, FUTEX_WAIT | PRIVATE, 0, p, 0, 0), Errno::EFAULT);
    }
    // The timeout is read before the word: EFAULT beats EAGAIN.
    check_err!(futex(&w, FUTEX_WAIT | PRIVATE, 5, bad, 0, 0), Errno::EFAULT);
    Ok(())
}

fn unaligned_word_is_einval() -> TestResult {
    let w = [AtomicU32::new(0), AtomicU32::new(0)];
    let odd = w[0].as_ptr() as usize + 1;
    for op in [
        FUTEX_WAIT | PRIVATE,
        FUTEX_WAIT,
        FUTEX_WAKE | PRIVATE,
        FUTEX_WAKE,
    ] {
        check_err!(futex_at(odd, op, 0, 0), Errno::EINVAL);
    }
    check_err!(futex_at(odd + 1, FUTEX_WAKE | PRIVATE, 1, 0), Errno::EINVAL);
    Ok(())
}

fn bad_address_is_efault_where_the_word_is_needed() -> TestResult {
    let bad = ok!(unmapped_address());
    // A wait must read the word; a shared futex's key needs its page.
    check_err!(futex_at(bad, FUTEX_WAIT | PRIVATE, 0, 0), Errno::EFAULT);
    check_err!(futex_at(bad, FUTEX_WAIT, 0, 0), Errno::EFAULT);
    check_err!(futex_at(bad, FUTEX_WAKE, 1, 0), Errno::EFAULT);
    // A private wake only hashes the address: nobody waits there.
    check_eq!(ok!(futex_at(bad, FUTEX_WAKE | PRIVATE, 1, 0)), 0);
    // Outside user space, nothing is looked at: EFAULT.
    for op in [FUTEX_WAIT | PRIVATE, FUTEX_WAKE | PRIVATE, FUTEX_WAKE] {
        check_err!(futex_at(KERNEL_ADDR, op, 0, 0), Errno::EFAULT);
    }
    // FUTEX_WAKE_OP writes the second word.
    let w = AtomicU32::new(0);
    let set1 = futex_op(FUTEX_OP_SET, 1, FUTEX_OP_CMP_EQ, 0);
    check_err!(
        futex(&w, FUTEX_WAKE_OP | PRIVATE, 1, 1, bad, set1),
        Errno::EFAULT
    );
    check_err!(
        futex(&w, FUTEX_WAKE_OP | PRIVATE, 1, 1, KERNEL_ADDR, set1),
        Errno::EFAULT
    );
    Ok(())
}

fn wake_op_changes_the_second_word() -> TestResult {
    let (w1, w2) = (AtomicU32::new(0), AtomicU32::new(5));
    let w2p = w2.as_ptr() as usize;
    let wake_op = FUTEX_WAKE_OP | PRIVATE;
    let cases = [
        (futex_op(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_EQ, 5), 5, 8),
        (futex_op(FUTEX_OP_SET, 42, FUTEX_OP_CMP_NE, 0), 8, 42),
        (
            futex_op(FUTEX_OP_OR, 0b101, FUTEX_OP_CMP_LT, 0),
            0b1000,
            0b1101,
        ),
        (
            futex_op(FUTEX_OP_ANDN, 0b1, FUTEX_OP_CMP_GE, 0),
            0b111,
            0b110,
        ),
        (futex_op(FUTEX_OP_XOR, 0xff, FUTEX_OP_CMP_GT, 0), 0x0f, 0xf0),
        // A negative 12-bit argument, and a shifted one.
        (futex_op(FUTEX_OP_ADD, 0xfff, FUTEX_OP_CMP_LE, 0), 10, 9),
        (
            futex_op(FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT, 4, FUTEX_OP_CMP_EQ, 0),
            0,
            16,
        ),
    ];
    for (val3, old, new) in cases {
        w2.store(old, Ordering::SeqCst);
        // Nobody waits on either word: nobody is woken.
        check_eq!(ok!(futex(&w1, wake_op, 1, 1, w2p, val3)), 0);
        check!(
            w2.load(Ordering::SeqCst) == new,
            "val3 {val3:#x} on {old:#x}: {:#x}, expected {new:#x}",
            w2.load(Ordering::SeqCst)
        );
    }
    // An unknown operation leaves the word alone; an unknown comparison
    // comes after the operation is made: both ENOSYS.
    w2.store(1, Ordering::SeqCst);
    check_err!(
        futex(&w1, wake_op, 1, 1, w2p, futex_op(5, 1, 0, 0)),
        Errno::ENOSYS
    );
    check_eq!(w2.load(Ordering::SeqCst), 1);
    let add1_bad_cmp = futex_op(FUTEX_OP_ADD, 1, 6, 0);
    check_err!(futex(&w1, wake_op, 1, 1, w2p, add1_bad_cmp), Errno::ENOSYS);
    check_eq!(w2.load(Ordering::SeqCst), 2);
    Ok(())
}

fn cmp_requeue_checks_the_word_and_its_counts() -> TestResult {
    let (w, w2) = (AtomicU32::new(3), AtomicU32::new(0));
    let w2p = w2.as_ptr() as usize;
    let op = FUTEX_CMP_REQUEUE | PRIVATE;
    check_err!(futex(&w, op, 1, 1, w2p, 4), Errno::EAGAIN);
    check_eq!(ok!(futex(&w, op, 1, 1, w2p, 3)), 0);
    // Counts are ints: negative ones are EINVAL, before the word is read.
    check_err!(futex(&w, op, 1, u32::MAX as usize, w2p, 4), Errno::EINVAL);
    check_err!(futex(&w, op, u32::MAX, 1, w2p, 3), Errno::EINVAL);
    // Onto itself, without PI: allowed.
    let wp = w.as_ptr() as usize;
    check_eq!(ok!(futex(&w, op, 1, 1, wp, 3)), 0);
    Ok(())
}

static HANDLED: AtomicI32 = AtomicI32::new(0);

extern "C" fn count_signal(_sig: i32) {
    HANDLED.fetch_add(1, Ordering::SeqCst);
}

/// Arms `ITIMER_REAL` for one `SIGALRM` in `ms` milliseconds.
fn alarm_in(ms: u64) -> TestResult {
    let it = libkernel::uapi::Itimerval {
        interval_ns: 0,
        value_ns: ms * MS,
    };
    ok!(sys::setitimer(ITIMER_REAL, &it, None));
    Ok(())
}

fn wait_interrupted_by_a_handler_is_eintr() -> TestResult {
    child_passed(in_child(|| {
        let w = AtomicU32::new(0);
        // (handler flags, timeout): without SA_RESTART both waits end
        // EINTR; with it, the untimed one would be restarted (and sleep
        // for ever: not tried), the timed one still ends EINTR, as
        // Linux restarts it only when no handler runs.
        let long = Timespec::from_ms(10_000);
        let cases = [(0, None), (0, Some(&long)), (SA_RESTART, Some(&long))];
        for (i, (flags, timeout)) in cases.into_iter().enumerate() {
            let act = SigAction::handler(count_signal, flags);
            // SAFETY: the handler only adds to an atomic.
            ok!(unsafe { sys::rt_sigaction(SIGALRM, Some(&act), None) });
            let before = HANDLED.load(Ordering::SeqCst);
            alarm_in(50)?;
            let t0 = process::monotonic_ns();
            let r = futex(
                &w,
                FUTEX_WAIT | PRIVATE,
                0,
                timeout.map_or(0, ts_addr),
                0,
                0,
            );
            let took = process::monotonic_ns() - t0;
            check!(
                r == Err(Errno::EINTR),
                "case {i} (flags {flags:#x}, timeout {timeout:?}): {r:?}, expected EINTR"
            );
            check_eq!(HANDLED.load(Ordering::SeqCst), before + 1);
            check!(took >= 40 * MS, "case {i}: ended after {} us", took / 1000);
            check!(took < 9_000 * MS, "case {i}: took {} ms", took / MS);
        }
        Ok(())
    }))
}

fn timed_wait_across_stop_and_continue_runs_to_its_timeout() -> TestResult {
    // No handler runs for SIGSTOP and SIGCONT: the interrupted wait is
    // restarted (restart_syscall) and ends at its first deadline, not
    // with EINTR and not a full timeout later.
    let mut ready = Gate::new()?;
    let pid = match process::fork() {
        Ok(pid) => pid,
        Err(e) => fail!("fork: {e:?}"),
    };
    if pid == 0 {
        ready.sender();
        let r = (|| {
            let w = AtomicU32::new(0);
            let ts = Timespec::from_ms(400);
            ready.open()?;
            let t0 = process::monotonic_ns();
            let r = futex(&w, FUTEX_WAIT | PRIVATE, 0, ts_addr(&ts), 0, 0);
            let took = process::monotonic_ns() - t0;
            check_err!(r, Errno::ETIMEDOUT);
            check!(took >= 400 * MS, "ended after {} ms", took / MS);
            Ok(())
        })();
        sys::exit_group(match r {
            Ok(()) => 0,
            Err(Stop::Skip(_)) => 2,
            Err(Stop::Fail) => 1,
        });
    }
    ready.receiver();
    let r = ready.wait();
    let _ = process::sleep_ms(50);
    let _ = signal_child(pid, SIGSTOP);
    let _ = process::sleep_ms(50);
    let _ = signal_child(pid, SIGCONT);
    let st = wait_timeout(pid, 20_000);
    r?;
    match st {
        Ok(Some(st)) => child_passed(Ok(st)),
        Ok(None) => fail!("the wait did not end: killed after 20 s"),
        Err(e) => fail!("wait4: {e:?}"),
    }
}

/// A robust-list head for the round trip: an empty list (`next` points
/// at the head itself).
static ROBUST_HEAD: [AtomicU32; 6] = [const { AtomicU32::new(0) }; 6];

fn robust_list_round_trip() -> TestResult {
    let head = ROBUST_HEAD.as_ptr() as usize;
    ROBUST_HEAD[0].store(head as u32, Ordering::Relaxed);
    ROBUST_HEAD[1].store((head >> 32) as u32, Ordering::Relaxed);
    let old = match sys::get_robust_list(0) {
        Err(Errno::ENOSYS) => skip!("get_robust_list not implemented (ENOSYS, as qemu-user)"),
        r => ok!(r),
    };
    // SAFETY: an empty list in a static, valid for the process's life.
    ok!(unsafe { sys::set_robust_list(head, 24) });
    check_eq!(ok!(sys::get_robust_list(0)), (head, 24));
    check_eq!(ok!(sys::get_robust_list(sys::getpid())), (head, 24));
    check_err!(sys::get_robust_list(i32::MAX), Errno::ESRCH);
    check_err!(sys::get_robust_list(-1), Errno::ESRCH);
    // A pointer the kernel cannot write.
    // SAFETY: the kernel must refuse it.
    let r = unsafe {
        pikern_rt::syscall::syscall3(
            pikern_rt::syscall::nr::GET_ROBUST_LIST,
            0,
            KERNEL_ADDR,
            ROBUST_HEAD.as_ptr() as usize,
        )
    };
    check_err!(Errno::result(r), Errno::EFAULT);
    // Another process's head: a child registers its own and waits.
    let mut ready = Gate::new()?;
    let pid = match process::fork() {
        Ok(pid) => pid,
        Err(e) => fail!("fork: {e:?}"),
    };
    if pid == 0 {
        ready.sender();
        // SAFETY: the child's copy of the static, as above.
        let _ = unsafe { sys::set_robust_list(head + 8, 24) };
        let _ = ready.open();
        let _ = process::sleep_ms(10_000);
        sys::exit_group(0);
    }
    ready.receiver();
    let r = ready.wait();
    let theirs = sys::get_robust_list(pid);
    let _ = signal_child(pid, SIGKILL);
    let _ = wait_timeout(pid, 10_000);
    r?;
    check_eq!(ok!(theirs), (head + 8, 24));
    // Put back what the runtime had (nothing, or the C library's).
    // SAFETY: `old.0` was this process's registered head.
    ok!(unsafe { sys::set_robust_list(old.0, 24) });
    Ok(())
}
