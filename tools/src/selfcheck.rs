//! `ktest-runner selfcheck`: proof that the test harness catches failures.
//!
//! A runner that reports "all passed" is only worth something if it would
//! have said otherwise. The test kernel carries four suites for this alone:
//! `selftest_fail` (one test fails on purpose), `selftest_hang` (never
//! returns), `selftest_crash` (an unhandled data abort: the kernel prints its
//! exception report and exits with status 3) and `selftest_pass`. The
//! self-check runs them through the normal [`runner`](crate::runner) and
//! checks that each misbehaviour came out as the right KTAP verdict, then
//! reports those checks as its own KTAP suite, `harness`.

use std::io::Write;
use std::time::Duration;

use crate::board::Board;
use crate::ktap::{Abort, BlockItem, Document, Outcome, SuiteReport, TestResult};
use crate::runner::{self, RunConfig};

/// The `ktest=` list the self-check boots with, in the order checked.
pub const SELFTEST_SUITES: &str = "selftest_fail,selftest_hang,selftest_crash,selftest_pass";

/// The default per-suite deadline: the hang suite costs this much.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// The name of the KTAP suite the self-check prints.
pub const HARNESS_SUITE: &str = "harness";

/// One property of the harness, and whether the run showed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub name: &'static str,
    pub passed: bool,
    /// What was expected and seen, for a failed check.
    pub diagnostics: Vec<String>,
}

impl Check {
    fn new(name: &'static str, problems: Vec<String>) -> Self {
        Check {
            name,
            passed: problems.is_empty(),
            diagnostics: problems
                .into_iter()
                .map(|p| format!("{name}: {p}"))
                .collect(),
        }
    }
}

/// Finds a self-test suite by name, or, when the kernel died before
/// printing its `# Subtest:` header, by its position in [`SELFTEST_SUITES`]
/// if the runner had to call it `suite<k>`.
fn find<'a>(doc: &'a Document, name: &str) -> Result<&'a SuiteReport, String> {
    if let Some(suite) = doc.suite_named(name) {
        return Ok(suite);
    }
    let position = SELFTEST_SUITES
        .split(',')
        .position(|n| n == name)
        .map(|i| i + 1);
    position
        .and_then(|k| doc.suite(k))
        .filter(|s| s.name == format!("suite{}", s.number))
        .ok_or_else(|| {
            let seen: Vec<String> = doc
                .suites
                .iter()
                .map(|s| s.result_line().to_string())
                .collect();
            format!("expected a suite named {name}, saw: {}", seen.join("; "))
        })
}

fn verdict(suite: &SuiteReport) -> String {
    suite.result_line().to_string()
}

/// Checks the runner's document for the four self-test suites.
pub fn check_selftest_document(doc: &Document) -> Vec<Check> {
    vec![
        Check::new("failing_test_is_reported", failing_test_problems(doc)),
        Check::new("hang_is_reported_as_timeout", hang_problems(doc)),
        Check::new("crash_is_reported_as_error", crash_problems(doc)),
        Check::new("later_suites_still_run", later_suites_problems(doc)),
    ]
}

fn failing_test_problems(doc: &Document) -> Vec<String> {
    let suite = match find(doc, "selftest_fail") {
        Ok(suite) => suite,
        Err(problem) => return vec![problem],
    };
    let mut problems = Vec::new();
    if suite.outcome() != Outcome::Fail || suite.abort.is_some() {
        problems.push(format!(
            "expected `not ok {} selftest_fail` reported by the kernel itself, got `{}`",
            suite.number,
            verdict(suite)
        ));
    }
    // The failure's diagnostic is a `# ` line next to the failed test:
    // KUnit prints it before the result line, the spec's example after, so
    // either neighbour (or any diagnostic naming the test) will do.
    let failed: Vec<(usize, &TestResult)> = suite
        .items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| match item {
            BlockItem::Test(test) if test.outcome() == Outcome::Fail => Some((i, test)),
            _ => None,
        })
        .collect();
    let is_diagnostic = |i: Option<usize>| {
        matches!(
            i.and_then(|i| suite.items.get(i)),
            Some(BlockItem::Diagnostic(_))
        )
    };
    let explained = failed.iter().any(|&(i, test)| {
        is_diagnostic(i.checked_sub(1))
            || is_diagnostic(Some(i + 1))
            || suite.items.iter().any(
                |item| matches!(item, BlockItem::Diagnostic(text) if text.contains(&test.name)),
            )
    });
    if failed.is_empty() {
        problems.push("expected a nested `not ok` test in selftest_fail, found none".to_string());
    } else if !explained {
        problems.push(
            "expected a `# ` diagnostic next to the failed test in selftest_fail, found none"
                .to_string(),
        );
    }
    problems
}

fn hang_problems(doc: &Document) -> Vec<String> {
    match find(doc, "selftest_hang") {
        Ok(suite) if suite.abort == Some(Abort::Timeout) => Vec::new(),
        Ok(suite) => vec![format!(
            "expected `not ok {} selftest_hang # TIMEOUT`, got `{}`",
            suite.number,
            verdict(suite)
        )],
        Err(problem) => vec![problem],
    }
}

/// Words that the kernel's panic/exception report contains.
fn is_crash_report(line: &str) -> bool {
    let line = line.to_ascii_lowercase();
    line.contains("unhandled exception") || line.contains("kernel panic")
}

fn crash_problems(doc: &Document) -> Vec<String> {
    let suite = match find(doc, "selftest_crash") {
        Ok(suite) => suite,
        Err(problem) => return vec![problem],
    };
    let mut problems = Vec::new();
    if suite.abort != Some(Abort::Error) {
        problems.push(format!(
            "expected `not ok {} selftest_crash # ERROR`, got `{}`",
            suite.number,
            verdict(suite)
        ));
    }
    if !suite.notes.iter().any(|note| is_crash_report(note)) {
        problems.push(
            "expected the quoted console lines to contain the exception report \
             (`Unhandled exception` or `Kernel panic`), found none"
                .to_string(),
        );
    }
    problems
}

fn later_suites_problems(doc: &Document) -> Vec<String> {
    let suite = match find(doc, "selftest_pass") {
        Ok(suite) => suite,
        Err(problem) => return vec![problem],
    };
    let mut problems = Vec::new();
    if suite.outcome() != Outcome::Pass || suite.tests().next().is_none() {
        problems.push(format!(
            "expected `ok {} selftest_pass` with passing nested tests, got `{}` with {} nested test(s)",
            suite.number,
            verdict(suite),
            suite.tests().count()
        ));
    }
    // It only proves that the runner carries on if it ran after both the
    // hang and the crash.
    for earlier in ["selftest_hang", "selftest_crash"] {
        if let Ok(other) = find(doc, earlier) {
            if other.number >= suite.number {
                problems.push(format!(
                    "selftest_pass is suite {} but {earlier} is suite {}: it must come later to prove anything",
                    suite.number, other.number
                ));
            }
        }
    }
    if doc.plan != 4 {
        problems.push(format!("expected a plan of 4 suites, got 1..{}", doc.plan));
    }
    problems
}

/// The self-check's own KTAP document: one suite, `harness`, one test per
/// check, with the reasons of failed checks as diagnostics.
pub fn harness_document(board: Board, checks: &[Check]) -> Document {
    let mut items = vec![BlockItem::Plan(checks.len())];
    for (i, check) in checks.iter().enumerate() {
        items.push(BlockItem::Test(TestResult {
            ok: check.passed,
            number: i + 1,
            name: check.name.to_string(),
            directive: None,
        }));
        items.extend(check.diagnostics.iter().cloned().map(BlockItem::Diagnostic));
    }
    let all_passed = checks.iter().all(|c| c.passed);
    let harness = SuiteReport {
        number: 1,
        name: HARNESS_SUITE.to_string(),
        items,
        notes: Vec::new(),
        trailer: Vec::new(),
        reported: Some(TestResult {
            ok: all_passed,
            number: 1,
            name: HARNESS_SUITE.to_string(),
            directive: None,
        }),
        abort: None,
    };
    Document {
        title: format!("pikern test-harness self-check on {}", board.qemu_machine()),
        plan: 1,
        suites: vec![harness],
        notes: Vec::new(),
    }
}

/// Runs the self-test suites through the runner and checks the outcome.
/// `config.suites` is overridden with [`SELFTEST_SUITES`]. Returns the
/// runner's document (for the user to read) and the checks.
pub fn run_selfcheck(config: &RunConfig, log: &mut dyn Write) -> (Document, Vec<Check>) {
    let config = RunConfig {
        suites: SELFTEST_SUITES.to_string(),
        ..config.clone()
    };
    let doc = runner::run(&config, log);
    let checks = check_selftest_document(&doc);
    (doc, checks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ktap::Collector;

    /// What the real kernel prints for the four self-test suites, as the
    /// runner would assemble it: the hang and the crash each end a QEMU run.
    fn expected_run() -> Document {
        let mut first = Collector::new();
        for line in [
            "KTAP version 1",
            "1..4",
            "    KTAP version 1",
            "    # Subtest: selftest_fail",
            "    1..2",
            "    ok 1 passes",
            "    not ok 2 fails_on_purpose",
            "    # fails_on_purpose: expected 1, got 2 at tests/kernel/selftest.rs:10",
            "not ok 1 selftest_fail",
            "    KTAP version 1",
            "    # Subtest: selftest_hang",
            "    1..1",
        ] {
            first.feed(line);
        }
        let mut suites = first.finished().to_vec();
        suites.push(first.abort_current(2, Abort::Timeout));
        let mut second = Collector::new();
        for line in [
            "KTAP version 1",
            "1..4",
            "    KTAP version 1",
            "    # Subtest: selftest_crash",
            "    1..1",
        ] {
            second.feed(line);
        }
        let mut crash = second.abort_current(3, Abort::Error);
        crash
            .notes
            .push("| Unhandled exception: data abort at 0xdead".into());
        suites.push(crash);
        let mut third = Collector::new();
        for line in [
            "1..4",
            "    # Subtest: selftest_pass",
            "    1..1",
            "    ok 1 passes",
            "ok 4 selftest_pass",
        ] {
            third.feed(line);
        }
        suites.extend(third.finished().iter().cloned());
        Document {
            title: "t".into(),
            plan: 4,
            suites,
            notes: Vec::new(),
        }
    }

    #[test]
    fn a_working_harness_passes_all_four_checks() {
        let checks = check_selftest_document(&expected_run());
        for check in &checks {
            assert!(check.passed, "{check:?}");
        }
        let names: Vec<&str> = checks.iter().map(|c| c.name).collect();
        assert_eq!(
            names,
            [
                "failing_test_is_reported",
                "hang_is_reported_as_timeout",
                "crash_is_reported_as_error",
                "later_suites_still_run"
            ]
        );
    }

    #[test]
    fn a_failure_without_its_diagnostic_is_caught() {
        let mut doc = expected_run();
        doc.suites[0]
            .items
            .retain(|item| !matches!(item, BlockItem::Diagnostic(_)));
        let checks = check_selftest_document(&doc);
        assert!(!checks[0].passed);
        assert!(
            checks[0].diagnostics[0].contains("diagnostic"),
            "{checks:?}"
        );
        assert!(checks[1..].iter().all(|c| c.passed));
    }

    #[test]
    fn a_diagnostic_printed_before_the_failed_result_counts() {
        // KUnit's order: the reason first, then `not ok`.
        let mut doc = expected_run();
        let items = &mut doc.suites[0].items;
        let diagnostic = items.pop().unwrap();
        let failed = items.pop().unwrap();
        items.push(diagnostic);
        items.push(failed);
        assert!(matches!(
            doc.suites[0].items.last(),
            Some(BlockItem::Test(_))
        ));
        assert!(check_selftest_document(&doc)[0].passed);
    }

    #[test]
    fn a_hang_reported_as_error_is_caught() {
        let mut doc = expected_run();
        doc.suites[1].abort = Some(Abort::Error);
        let checks = check_selftest_document(&doc);
        assert!(!checks[1].passed);
        assert_eq!(
            checks[1].diagnostics,
            ["hang_is_reported_as_timeout: expected `not ok 2 selftest_hang # TIMEOUT`, got `not ok 2 selftest_hang # ERROR`"]
        );
    }

    #[test]
    fn a_crash_without_its_report_is_caught() {
        let mut doc = expected_run();
        doc.suites[2].notes.clear();
        let checks = check_selftest_document(&doc);
        assert!(!checks[2].passed);
        assert!(checks[2].diagnostics[0].contains("exception report"));
    }

    #[test]
    fn a_crash_before_its_header_is_found_by_position() {
        let mut doc = expected_run();
        doc.suites[2].name = "suite3".into();
        let checks = check_selftest_document(&doc);
        assert!(checks[2].passed, "{checks:?}");
    }

    #[test]
    fn a_missing_last_suite_is_caught() {
        let mut doc = expected_run();
        doc.suites.pop();
        let checks = check_selftest_document(&doc);
        assert!(!checks[3].passed);
        assert!(checks[3].diagnostics[0].contains("expected a suite named selftest_pass"));
    }

    #[test]
    fn harness_document_reports_each_check_as_a_test() {
        let checks = vec![
            Check::new("failing_test_is_reported", Vec::new()),
            Check::new("hang_is_reported_as_timeout", vec!["saw ok".into()]),
        ];
        let doc = harness_document(Board::Rpi3, &checks);
        let text = doc.render("raspi3b harness");
        assert!(text.contains("\n    ok 1 failing_test_is_reported\n    not ok 2 hang_is_reported_as_timeout\n    # hang_is_reported_as_timeout: saw ok\nnot ok 1 harness\n"), "{text}");
        assert!(
            text.ends_with("# raspi3b harness: pass:1 fail:1 skip:0\n"),
            "{text}"
        );
    }
}
