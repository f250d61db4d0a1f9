//! Suite `time`: clock_gettime, nanosleep and clock_nanosleep.

use crate::ktap::{Suite, TestResult};
use crate::util::*;
use pikern_rt::consts::*;
use pikern_rt::process::monotonic_ns;
use pikern_rt::sys::{self, Timespec};
use pikern_rt::syscall::{nr, syscall2, syscall4};
use pikern_rt::Errno;

pub static SUITE: Suite = Suite {
    name: "time",
    tests: tests![
        monotonic_never_goes_back,
        clocks_give_valid_timespecs,
        clock_gettime_errors,
        nanosleep_10ms,
        nanosleep_zero,
        nanosleep_errors,
        nanosleep_bad_pointer_efault,
        clock_nanosleep_relative,
        clock_nanosleep_absolute,
        clock_nanosleep_errors,
    ],
};

const MS: u64 = 1_000_000;

fn monotonic_never_goes_back() -> TestResult {
    let mut last = ok!(sys::clock_gettime(CLOCK_MONOTONIC));
    for i in 0..2000u32 {
        let now = ok!(sys::clock_gettime(CLOCK_MONOTONIC));
        check!(
            now >= last,
            "read {i}: monotonic clock went from {last:?} back to {now:?}"
        );
        last = now;
        if i.is_multiple_of(500) {
            let _ = sys::sched_yield();
        }
    }
    // And it does advance.
    let start = monotonic_ns();
    let _ = sys::nanosleep(&Timespec::from_ms(2), None);
    check!(
        monotonic_ns() > start,
        "monotonic clock did not advance over a 2 ms sleep"
    );
    Ok(())
}

fn clocks_give_valid_timespecs() -> TestResult {
    for clock in [CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME] {
        let t = ok!(sys::clock_gettime(clock));
        check!(t.tv_sec >= 0, "clock {clock}: negative seconds {t:?}");
        check!(
            (0..1_000_000_000).contains(&t.tv_nsec),
            "clock {clock}: tv_nsec out of range {t:?}"
        );
    }
    let mono = ok!(sys::clock_gettime(CLOCK_MONOTONIC));
    let boot = ok!(sys::clock_gettime(CLOCK_BOOTTIME));
    check!(
        boot >= mono,
        "CLOCK_BOOTTIME {boot:?} behind CLOCK_MONOTONIC {mono:?}"
    );
    Ok(())
}

fn clock_gettime_errors() -> TestResult {
    check_err!(sys::clock_gettime(9999), Errno::EINVAL);
    check_err!(sys::clock_gettime(100), Errno::EINVAL);
    for p in [KERNEL_ADDR, 0] {
        // SAFETY: the kernel must refuse to write the time there.
        let r = unsafe { syscall2(nr::CLOCK_GETTIME, CLOCK_MONOTONIC as usize, p) };
        check_err!(Errno::result(r), Errno::EFAULT);
    }
    Ok(())
}

fn nanosleep_10ms() -> TestResult {
    let start = monotonic_ns();
    let mut rem = Timespec {
        tv_sec: 99,
        tv_nsec: 99,
    };
    ok!(sys::nanosleep(&Timespec::from_ms(10), Some(&mut rem)));
    let slept = monotonic_ns() - start;
    check!(
        slept >= 10 * MS,
        "nanosleep(10 ms) returned after {} us",
        slept / 1000
    );
    check!(slept < 2000 * MS, "nanosleep(10 ms) took {} ms", slept / MS);
    Ok(())
}

fn nanosleep_zero() -> TestResult {
    let start = monotonic_ns();
    ok!(sys::nanosleep(&Timespec::default(), None));
    check!(
        monotonic_ns() - start < 1000 * MS,
        "a zero sleep took over a second"
    );
    Ok(())
}

fn nanosleep_errors() -> TestResult {
    let bad = [
        Timespec {
            tv_sec: 0,
            tv_nsec: 1_000_000_000,
        },
        Timespec {
            tv_sec: 0,
            tv_nsec: -1,
        },
        Timespec {
            tv_sec: -1,
            tv_nsec: 0,
        },
    ];
    for ts in bad {
        check_err!(sys::nanosleep(&ts, None), Errno::EINVAL);
    }
    Ok(())
}

fn nanosleep_bad_pointer_efault() -> TestResult {
    if !on_pikern() {
        // qemu-user ignores the failed copy and sleeps on garbage.
        skip!("qemu-user does not check nanosleep's request pointer");
    }
    for p in [KERNEL_ADDR, 0] {
        // SAFETY: the kernel must refuse to read the request there.
        let r = unsafe { syscall2(nr::NANOSLEEP, p, 0) };
        check_err!(Errno::result(r), Errno::EFAULT);
    }
    Ok(())
}

fn clock_nanosleep_relative() -> TestResult {
    for clock in [CLOCK_MONOTONIC, CLOCK_REALTIME] {
        let start = monotonic_ns();
        ok!(sys::clock_nanosleep(clock, 0, &Timespec::from_ms(10), None));
        let slept = monotonic_ns() - start;
        check!(
            slept >= 10 * MS,
            "clock {clock}: 10 ms sleep returned after {} us",
            slept / 1000
        );
    }
    Ok(())
}

fn clock_nanosleep_absolute() -> TestResult {
    let now = ok!(sys::clock_gettime(CLOCK_MONOTONIC));
    let target = Timespec::from_ns(now.as_ns() + 20 * MS);
    ok!(sys::clock_nanosleep(
        CLOCK_MONOTONIC,
        TIMER_ABSTIME,
        &target,
        None
    ));
    let after = ok!(sys::clock_gettime(CLOCK_MONOTONIC));
    check!(
        after >= target,
        "woke at {after:?}, before the deadline {target:?}"
    );
    // A deadline in the past returns at once.
    let start = monotonic_ns();
    ok!(sys::clock_nanosleep(
        CLOCK_MONOTONIC,
        TIMER_ABSTIME,
        &now,
        None
    ));
    check!(
        monotonic_ns() - start < 1000 * MS,
        "a past deadline still slept"
    );
    Ok(())
}

fn clock_nanosleep_errors() -> TestResult {
    let ts = Timespec::from_ms(1);
    check_err!(sys::clock_nanosleep(9999, 0, &ts, None), Errno::EINVAL);
    let bad = Timespec {
        tv_sec: 0,
        tv_nsec: 2_000_000_000,
    };
    check_err!(
        sys::clock_nanosleep(CLOCK_MONOTONIC, 0, &bad, None),
        Errno::EINVAL
    );
    // SAFETY: the kernel must refuse to read the request there.
    let r = unsafe {
        syscall4(
            nr::CLOCK_NANOSLEEP,
            CLOCK_MONOTONIC as usize,
            0,
            KERNEL_ADDR,
            0,
        )
    };
    check_err!(Errno::result(r), Errno::EFAULT);
    Ok(())
}
