//! The in-kernel KTAP suites, compiled into the test build of the kernel
//! (`--features ktest`) and run on QEMU raspi3b and raspi4b by `make test`.
//! Each file is one suite; [`SUITES`] is the registry, in run order.

use crate::ktest::Suite;

mod console;
mod dtb;
mod exception;
mod fork;
mod ftrace;
mod futex;
mod heap;
mod ipi;
mod lockdep;
mod page_alloc;
mod sched;
mod selftest;
mod softirq;
mod task;
mod timer;
mod trace;
mod tracefs;
mod watchdog;
mod workqueue;

/// Every suite, in the order `ktest=all` runs them.
pub static SUITES: &[Suite] = &[
    console::SUITE,
    timer::SUITE,
    ipi::SUITE,
    page_alloc::SUITE,
    heap::SUITE,
    dtb::SUITE,
    exception::SUITE,
    sched::SUITE,
    task::SUITE,
    trace::SUITE,
    tracefs::SUITE,
    ftrace::SUITE,
    softirq::SUITE,
    workqueue::SUITE,
    fork::SUITE,
    futex::SUITE,
    watchdog::SUITE,
    lockdep::SUITE,
    selftest::FAIL,
    selftest::HANG,
    selftest::CRASH,
    selftest::PASS,
    selftest::STACK_OVERFLOW,
];
