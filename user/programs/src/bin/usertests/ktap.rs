//! A minimal KTAP version 1 producer (shared/spec/ktap.md): suites of
//! tests, each test a function returning [`TestResult`].
//!
//! Output, for each suite, is a nested block indented 4 spaces with its own
//! plan and results, then `# <suite>: pass:.. fail:.. skip:.. total:..` and
//! the suite's result line; failure reasons are `# ` diagnostics printed
//! inside the suite, before the failing test's result line. The run ends
//! with `# usertests: pass:X fail:Y skip:Z`, the leaf-test totals
//! `user/user.mk` reads.

use alloc::string::String;
use pikern_rt::println;

/// Why a test stopped early.
pub enum Stop {
    /// A check failed (the reason has been printed).
    Fail,
    /// The test does not apply here; the reason goes on the result line.
    Skip(String),
}

/// What a test function returns.
pub type TestResult = Result<(), Stop>;

/// One test case.
pub struct Test {
    pub name: &'static str,
    pub run: fn() -> TestResult,
}

/// A named list of tests.
pub struct Suite {
    pub name: &'static str,
    pub tests: &'static [Test],
}

/// Builds a `&'static [Test]` from function names.
macro_rules! tests {
    ($($f:ident),* $(,)?) => {
        &[$($crate::ktap::Test { name: stringify!($f), run: $f }),*]
    };
}

/// Leaf-test tallies.
#[derive(Clone, Copy, Default)]
pub struct Totals {
    pub pass: usize,
    pub fail: usize,
    pub skip: usize,
}

impl Totals {
    fn add(&mut self, other: Totals) {
        self.pass += other.pass;
        self.fail += other.fail;
        self.skip += other.skip;
    }
}

/// Runs `suites` in order, printing KTAP; returns the leaf totals.
pub fn run(suites: &[&Suite]) -> Totals {
    println!("KTAP version 1");
    println!("1..{}", suites.len());
    let mut all = Totals::default();
    for (i, suite) in suites.iter().enumerate() {
        let t = run_suite(suite);
        println!(
            "# {}: pass:{} fail:{} skip:{} total:{}",
            suite.name,
            t.pass,
            t.fail,
            t.skip,
            t.pass + t.fail + t.skip
        );
        let status = if t.fail == 0 { "ok" } else { "not ok" };
        println!("{status} {} {}", i + 1, suite.name);
        all.add(t);
    }
    println!(
        "# usertests: pass:{} fail:{} skip:{}",
        all.pass, all.fail, all.skip
    );
    all
}

fn run_suite(suite: &Suite) -> Totals {
    println!("    KTAP version 1");
    println!("    # Subtest: {}", suite.name);
    println!("    1..{}", suite.tests.len());
    let mut t = Totals::default();
    for (i, test) in suite.tests.iter().enumerate() {
        let n = i + 1;
        match (test.run)() {
            Ok(()) => {
                t.pass += 1;
                println!("    ok {n} {}", test.name);
            }
            Err(Stop::Fail) => {
                t.fail += 1;
                println!("    not ok {n} {}", test.name);
            }
            Err(Stop::Skip(why)) => {
                t.skip += 1;
                println!("    ok {n} {} # SKIP {why}", test.name);
            }
        }
    }
    t
}
