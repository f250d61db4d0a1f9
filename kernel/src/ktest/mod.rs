//! The in-kernel test framework: suites of test cases registered in
//! `tests/kernel/`, run by the test build (`--features ktest`) and reported
//! in KTAP on the console for the host runner (`tools/`).
//!
//! `ktest=all` runs every suite except the harness self-tests;
//! `ktest=a,b` runs the named ones; `ktest_from=K` starts at the K-th
//! selected suite (the runner restarts there after a hang or crash). When
//! done, QEMU exits with 0 if everything passed, 1 otherwise.

use crate::{cmdline, power};

pub mod hooks;
use alloc::string::String;
use alloc::vec::Vec;
use libkernel::ktest::ktap::{Counts, KtapWriter, Outcome};

/// Why a test did not pass.
#[derive(Debug)]
pub enum Fail {
    /// It failed; the message says expected, seen and where.
    Failed(String),
    /// It could not run here.
    Skipped(&'static str),
}

/// What a test function returns.
pub type TestResult = Result<(), Fail>;

/// A failure with a message.
pub fn failed(msg: alloc::string::String) -> Fail {
    Fail::Failed(msg)
}

/// Waits (sleeping) until `cond` holds, up to `ms` milliseconds; false if
/// it never did.
pub fn wait_until(ms: u64, mut cond: impl FnMut() -> bool) -> bool {
    let end = crate::time::uptime_ns() + ms * 1_000_000;
    while !cond() {
        if crate::time::uptime_ns() > end {
            return false;
        }
        crate::sched::wait::msleep(1);
    }
    true
}

/// One test case.
pub struct TestCase {
    /// Its name: the behaviour it checks.
    pub name: &'static str,
    /// The test.
    pub run: fn() -> TestResult,
}

/// A named group of test cases.
pub struct Suite {
    /// Suite name as printed in `# Subtest:`.
    pub name: &'static str,
    /// Its cases, run in order.
    pub cases: &'static [TestCase],
    /// Only run when named explicitly (harness self-tests).
    pub manual: bool,
}

/// Fails the test with a message unless `cond` holds.
#[macro_export]
macro_rules! kassert {
    ($cond:expr, $($fmt:tt)+) => {
        let ok: bool = $cond;
        if !ok {
            return Err($crate::ktest::Fail::Failed(alloc::format!(
                "{} at {}:{}", alloc::format!($($fmt)+), file!(), line!()
            )));
        }
    };
}

/// Fails the test unless `left == right`, printing both.
#[macro_export]
macro_rules! kassert_eq {
    ($left:expr, $right:expr) => {
        match (&$left, &$right) {
            (l, r) => {
                if l != r {
                    return Err($crate::ktest::Fail::Failed(alloc::format!(
                        "expected {:?}, got {:?} ({}) at {}:{}",
                        r,
                        l,
                        stringify!($left),
                        file!(),
                        line!()
                    )));
                }
            }
        }
    };
}

/// Console output for KTAP (raw, unprefixed lines). A line is written in
/// one piece once complete: `writeln!` hands over its parts one by one,
/// and another CPU's message (a lockup report the watchdog suite provokes)
/// once landed between `ok ` and the test number, hiding the result line
/// from the runner.
#[derive(Default)]
struct ConsoleOut {
    line: String,
}

impl core::fmt::Write for ConsoleOut {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.line.push_str(s);
        if let Some(end) = self.line.rfind('\n') {
            crate::printk::raw(format_args!("{}", &self.line[..=end]));
            self.line.drain(..=end);
        }
        Ok(())
    }
}

fn select(spec: &str) -> Vec<Result<&'static Suite, &str>> {
    if spec == "all" {
        return suites::SUITES
            .iter()
            .filter(|s| !s.manual)
            .map(Ok)
            .collect();
    }
    spec.split(',')
        .filter(|n| !n.is_empty())
        .map(|n| suites::SUITES.iter().find(|s| s.name == n).ok_or(n))
        .collect()
}

/// True if the command line asks for tests.
pub fn requested() -> bool {
    cmdline::get().get("ktest").is_some()
}

/// Runs the suites the command line names, then ends the machine. Runs in
/// its own kernel thread, so tests can sleep, fork and be preempted.
pub fn run_from_cmdline() -> i32 {
    let cl = cmdline::get();
    let Some(spec) = cl.get("ktest") else {
        return 0;
    };
    let from = cl.get_u64("ktest_from").unwrap_or(1).max(1) as usize;
    let selected = select(spec);
    let mut k = KtapWriter::new(ConsoleOut::default());
    let _ = k.header(selected.len());
    let mut all_passed = true;
    for (i, s) in selected.iter().enumerate().skip(from - 1) {
        let n = i + 1;
        let c = match s {
            Ok(suite) => run_suite(&mut k, suite),
            Err(name) => {
                let _ = k.suite_start(name, 0);
                let _ = k.diag(&alloc::format!("no such suite: {name}"));
                Counts {
                    fail: 1,
                    ..Counts::default()
                }
            }
        };
        all_passed &= c.fail == 0;
        let name = match s {
            Ok(suite) => suite.name,
            Err(name) => name,
        };
        let _ = k.suite_end(n, name, c);
    }
    power::exit(if all_passed { 0 } else { 1 });
}

fn run_suite(k: &mut KtapWriter<ConsoleOut>, suite: &Suite) -> Counts {
    let _ = k.suite_start(suite.name, suite.cases.len());
    let mut counts = Counts::default();
    for (i, case) in suite.cases.iter().enumerate() {
        let outcome = match (case.run)() {
            Ok(()) => Outcome::Pass,
            Err(Fail::Skipped(why)) => Outcome::Skip(why),
            Err(Fail::Failed(msg)) => {
                let _ = k.diag(&alloc::format!("{}: {msg}", case.name));
                Outcome::Fail
            }
        };
        counts.add(outcome);
        let _ = k.test_result(i + 1, case.name, outcome);
    }
    counts
}

// After the macros above: suites use them by textual scope.
#[path = "../../../tests/kernel/mod.rs"]
mod suites;
