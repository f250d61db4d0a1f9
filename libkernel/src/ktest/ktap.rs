//! KTAP version 1 output, the format of Linux's KUnit.
//!
//! The in-kernel test framework reports through [`KtapWriter`] so the console
//! output is readable by the host runner, by `kunit.py parse` and by any TAP
//! consumer. The writer only formats; running tests is the kernel's job.

use core::fmt::{self, Write};

/// The result of one test case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Passed.
    Pass,
    /// Failed; the reason was printed as diagnostics.
    Fail,
    /// Not run, with a reason.
    Skip(&'static str),
}

/// Counts of a suite's results.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Tests passed.
    pub pass: u32,
    /// Tests failed.
    pub fail: u32,
    /// Tests skipped.
    pub skip: u32,
}

impl Counts {
    /// Adds one outcome.
    pub fn add(&mut self, o: Outcome) {
        match o {
            Outcome::Pass => self.pass += 1,
            Outcome::Fail => self.fail += 1,
            Outcome::Skip(_) => self.skip += 1,
        }
    }

    /// Total number of tests.
    pub fn total(&self) -> u32 {
        self.pass + self.fail + self.skip
    }
}

const INDENT: &str = "    ";

/// Formats KTAP lines onto any `fmt::Write`.
pub struct KtapWriter<W: Write> {
    out: W,
}

impl<W: Write> KtapWriter<W> {
    /// Wraps an output.
    pub fn new(out: W) -> Self {
        KtapWriter { out }
    }

    /// Gives the output back.
    pub fn into_inner(self) -> W {
        self.out
    }

    /// Top-level header and plan.
    pub fn header(&mut self, suites: usize) -> fmt::Result {
        writeln!(self.out, "KTAP version 1")?;
        writeln!(self.out, "1..{suites}")
    }

    /// Opens a suite's nested block.
    pub fn suite_start(&mut self, name: &str, tests: usize) -> fmt::Result {
        writeln!(self.out, "{INDENT}KTAP version 1")?;
        writeln!(self.out, "{INDENT}# Subtest: {name}")?;
        writeln!(self.out, "{INDENT}1..{tests}")
    }

    /// A diagnostic line inside a suite (`# ...`), one per line of `msg`.
    pub fn diag(&mut self, msg: &str) -> fmt::Result {
        for line in msg.lines() {
            writeln!(self.out, "{INDENT}# {line}")?;
        }
        Ok(())
    }

    /// One test's result line inside a suite.
    pub fn test_result(&mut self, n: usize, name: &str, o: Outcome) -> fmt::Result {
        match o {
            Outcome::Pass => writeln!(self.out, "{INDENT}ok {n} {name}"),
            Outcome::Fail => writeln!(self.out, "{INDENT}not ok {n} {name}"),
            Outcome::Skip(why) => writeln!(self.out, "{INDENT}ok {n} {name} # SKIP {why}"),
        }
    }

    /// Closes a suite: the counts diagnostic and the outer result line.
    pub fn suite_end(&mut self, n: usize, name: &str, c: Counts) -> fmt::Result {
        writeln!(
            self.out,
            "# {name}: pass:{} fail:{} skip:{} total:{}",
            c.pass,
            c.fail,
            c.skip,
            c.total()
        )?;
        let status = if c.fail == 0 { "ok" } else { "not ok" };
        writeln!(self.out, "{status} {n} {name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_spec_example() {
        let mut k = KtapWriter::new(String::new());
        k.header(2).unwrap();
        k.suite_start("fork", 3).unwrap();
        let mut c = Counts::default();
        k.test_result(1, "fork_returns_child_pid", Outcome::Pass)
            .unwrap();
        c.add(Outcome::Pass);
        k.test_result(2, "child_sees_zero", Outcome::Fail).unwrap();
        c.add(Outcome::Fail);
        k.diag("child_sees_zero: expected 0, got 17 at kernel/src/fork.rs:120")
            .unwrap();
        let s = Outcome::Skip("needs user space");
        k.test_result(3, "fork_bomb_is_refused", s).unwrap();
        c.add(s);
        k.suite_end(1, "fork", c).unwrap();
        let out = k.into_inner();
        let expected = "KTAP version 1
1..2
    KTAP version 1
    # Subtest: fork
    1..3
    ok 1 fork_returns_child_pid
    not ok 2 child_sees_zero
    # child_sees_zero: expected 0, got 17 at kernel/src/fork.rs:120
    ok 3 fork_bomb_is_refused # SKIP needs user space
# fork: pass:1 fail:1 skip:1 total:3
not ok 1 fork
";
        assert_eq!(out, expected);
    }
}
