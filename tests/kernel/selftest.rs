//! Suites that fail, hang and crash on purpose. They never run under
//! `ktest=all`; the runner's `selfcheck` names them to prove that a failure,
//! a hang and a crash each show up as `not ok` and that later suites run.

use crate::ktest::{Suite, TestCase, TestResult};

fn fails_on_purpose() -> TestResult {
    let two = 1 + core::hint::black_box(1);
    kassert_eq!(two, 3);
    Ok(())
}

fn hangs_on_purpose() -> TestResult {
    loop {
        core::hint::spin_loop();
    }
}

fn crashes_on_purpose() -> TestResult {
    // An address outside the 39-bit identity map: a translation fault that
    // no exception-table entry covers, so the kernel oopses.
    let bad = core::hint::black_box(0x40_0000_0000usize) as *const u64;
    // SAFETY: deliberately unsound; this test exists to crash the kernel.
    let v = unsafe { core::ptr::read_volatile(bad) };
    kassert_eq!(v, 0);
    Ok(())
}

#[inline(never)]
fn recurse(n: u64) -> u64 {
    let buf = core::hint::black_box([n; 64]);
    if n == u64::MAX {
        return 0;
    }
    recurse(n + 1) + buf[(n % 64) as usize]
}

fn overflows_its_stack_on_purpose() -> TestResult {
    // In a thread of its own, so the report names it.
    let t = crate::kthread::kthread_run(|| recurse(0) as i32, "deep_recursion");
    kassert!(t.is_ok(), "could not start the thread");
    crate::sched::wait::msleep(10_000);
    Ok(())
}

fn passes() -> TestResult {
    Ok(())
}

/// One failing test.
pub const FAIL: Suite = Suite {
    name: "selftest_fail",
    cases: &[TestCase {
        name: "fails_on_purpose",
        run: fails_on_purpose,
    }],
    manual: true,
};

/// One test that never returns.
pub const HANG: Suite = Suite {
    name: "selftest_hang",
    cases: &[TestCase {
        name: "hangs_on_purpose",
        run: hangs_on_purpose,
    }],
    manual: true,
};

/// One test that takes an unhandled data abort.
pub const CRASH: Suite = Suite {
    name: "selftest_crash",
    cases: &[TestCase {
        name: "crashes_on_purpose",
        run: crashes_on_purpose,
    }],
    manual: true,
};

/// A kernel thread that overflows its stack: the kernel reports "kernel
/// stack overflow in task deep_recursion" and stops (run by hand:
/// `ktest=selftest_stack_overflow`).
pub const STACK_OVERFLOW: Suite = Suite {
    name: "selftest_stack_overflow",
    cases: &[TestCase {
        name: "overflows_its_stack_on_purpose",
        run: overflows_its_stack_on_purpose,
    }],
    manual: true,
};

/// One passing test, to show suites after a crash still run.
pub const PASS: Suite = Suite {
    name: "selftest_pass",
    cases: &[TestCase {
        name: "passes",
        run: passes,
    }],
    manual: true,
};
