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

/// One passing test, to show suites after a crash still run.
pub const PASS: Suite = Suite {
    name: "selftest_pass",
    cases: &[TestCase {
        name: "passes",
        run: passes,
    }],
    manual: true,
};
