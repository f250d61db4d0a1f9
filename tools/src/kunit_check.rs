//! The rules Linux's `kunit.py parse` applies to a KTAP document, as a
//! checker the runner and its tests can call without Python.
//!
//! `ktest-runner` promises a document that `kunit.py parse` reads without an
//! error (issue 17). This module follows `parse_test` in Linux's
//! `tools/testing/kunit/kunit_parser.py` (6.12) step by step: where the
//! Python reports an error, so does [`check`], with the same words
//! (`Expected test number 1 but found 4`, `missing expected subtest!`,
//! `missing subtest result line!`, `0 tests run!`), and it counts leaf tests
//! the way kunit.py sums them. On top of kunit.py it holds the document to
//! the KTAP v1 spec where kunit.py is lenient: every nested `# Subtest:`
//! comes after its own `KTAP version 1` line, each level is indented one
//! step (four spaces) more than its parent, and every test has a result
//! line. `tools/kunit-check.sh` runs the real kunit.py on the runner's
//! documents, as the independent check on this copy.

use std::fmt;

/// Leaf-test tallies as kunit.py prints them (`Ran N tests: passed: ...`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KunitCounts {
    pub passed: usize,
    pub failed: usize,
    pub crashed: usize,
    pub skipped: usize,
}

impl KunitCounts {
    fn total(&self) -> usize {
        self.passed + self.failed + self.crashed + self.skipped
    }

    fn add(&mut self, other: KunitCounts) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.crashed += other.crashed;
        self.skipped += other.skipped;
    }

    fn add_status(&mut self, status: Status) {
        match status {
            Status::Success => self.passed += 1,
            Status::Failure => self.failed += 1,
            Status::Skipped => self.skipped += 1,
            Status::NoTests => {}
            Status::Crashed => self.crashed += 1,
        }
    }

    fn status(&self) -> Status {
        if self.total() == 0 {
            Status::NoTests
        } else if self.crashed > 0 {
            Status::Crashed
        } else if self.failed > 0 {
            Status::Failure
        } else if self.passed > 0 {
            Status::Success
        } else {
            Status::Skipped
        }
    }
}

impl fmt::Display for KunitCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "passed: {}, failed: {}, crashed: {}, skipped: {}",
            self.passed, self.failed, self.crashed, self.skipped
        )
    }
}

/// kunit.py's `TestStatus`, less the states only its front end uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Success,
    Failure,
    Skipped,
    Crashed,
    NoTests,
}

/// What [`check`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// One line per problem: `line N: Test: <name>: <what>`; empty when
    /// kunit.py would print no `[ERROR]` and the strict rules hold.
    pub errors: Vec<String>,
    /// The leaf tests kunit.py would count.
    pub counts: KunitCounts,
}

/// A line of the extracted KTAP, with its 1-based line number in the input.
struct Line<'a> {
    number: usize,
    text: &'a str,
}

fn indent_of(text: &str) -> usize {
    text.len() - text.trim_start().len()
}

/// `\s*KTAP version N$` or `\s*TAP version N$`: the version, and whether
/// it is KTAP.
fn version_line(text: &str) -> Option<(bool, u64)> {
    let body = text.trim_start();
    let (ktap, rest) = if let Some(rest) = body.strip_prefix("KTAP version ") {
        (true, rest)
    } else {
        (false, body.strip_prefix("TAP version ")?)
    };
    let digits = rest.trim_end_matches(['\n']);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((ktap, digits.parse().unwrap_or(u64::MAX)))
}

/// `^\s*# Subtest: (.*)$`.
fn subtest_header(text: &str) -> Option<&str> {
    text.trim_start().strip_prefix("# Subtest: ")
}

/// `^\s*1\.\.([0-9]+)` (a prefix match, as in kunit.py).
fn plan_line(text: &str) -> Option<usize> {
    let rest = text.trim_start().strip_prefix("1..")?;
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// A result line as kunit.py's `TEST_RESULT` and `TEST_RESULT_SKIP` read
/// it: `^\s*(ok|not ok) ([0-9]+) (- )?([^#]*)( # .*)?$`.
struct ResultLine<'a> {
    ok: bool,
    number: u64,
    name: &'a str,
    skip: bool,
}

fn result_line(text: &str) -> Option<ResultLine<'_>> {
    let body = text.trim_start();
    let (ok, rest) = if let Some(rest) = body.strip_prefix("ok ") {
        (true, rest)
    } else {
        (false, body.strip_prefix("not ok ")?)
    };
    let end = rest.find(|c: char| !c.is_ascii_digit())?;
    if end == 0 {
        return None;
    }
    let number = rest[..end].parse().unwrap_or(u64::MAX);
    // One space after the number is required: `ok 1` alone is no result.
    let rest = rest[end..].strip_prefix(' ')?;
    let rest = rest.strip_prefix("- ").unwrap_or(rest);
    // The name runs to the first `#`, which must open ` # ...`.
    let name = match rest.find('#') {
        None => rest,
        Some(hash) => {
            let before = &rest[..hash];
            if !before.ends_with(' ') || !rest[hash..].starts_with("# ") {
                return None;
            }
            &before[..before.len() - 1]
        }
    };
    // TEST_RESULT_SKIP is `(.*) # SKIP(.*)$` on the same line.
    let skip = rest.contains(" # SKIP");
    Some(ResultLine {
        ok,
        number,
        name,
        skip,
    })
}

/// What kunit.py's `parse_diagnostic` stops at.
fn is_structural(text: &str) -> bool {
    result_line(text).is_some()
        || subtest_header(text).is_some()
        || version_line(text).is_some()
        || plan_line(text).is_some()
}

/// kunit.py's `KTAP_END`: a line containing one of these ends the KTAP
/// output wherever it appears (`re.search`), so a document must not quote
/// one.
pub const END_MARKERS: [&str; 3] = [
    "List of all partitions:",
    "Kernel panic - not syncing: VFS:",
    "reboot: System halted",
];

/// kunit.py's `extract_tap_lines`: from the first version line (whose
/// column becomes the prefix cut from every later line) to an end marker.
fn extract(text: &str) -> Vec<Line<'_>> {
    let mut lines = Vec::new();
    let mut prefix: Option<usize> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        match prefix {
            None => {
                let at = line
                    .find("KTAP version")
                    .or_else(|| line.find("TAP version"))
                    .filter(|&at| version_line(&line[at..]).is_some());
                if let Some(at) = at {
                    prefix = Some(at);
                    lines.push(Line {
                        number: i + 1,
                        text: &line[at..],
                    });
                }
            }
            Some(_) if END_MARKERS.iter().any(|m| line.contains(m)) => break,
            Some(cut) => lines.push(Line {
                number: i + 1,
                text: line.get(cut..).unwrap_or(""),
            }),
        }
    }
    lines
}

struct Parser<'a> {
    lines: Vec<Line<'a>>,
    pos: usize,
    errors: Vec<String>,
}

/// One test as parsed: enough for the parent's checks and sums.
struct Test {
    name: String,
    status: Status,
    counts: KunitCounts,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&Line<'a>> {
        self.lines.get(self.pos)
    }

    fn peek_text(&self) -> Option<&'a str> {
        self.lines.get(self.pos).map(|l| l.text)
    }

    fn line_number(&self) -> usize {
        self.peek().or(self.lines.last()).map_or(0, |l| l.number)
    }

    fn error(&mut self, test: &str, what: impl fmt::Display) {
        let line = self.line_number();
        self.errors
            .push(format!("line {line}: Test: {test}: {what}"));
    }

    fn skip_diagnostics(&mut self) {
        while self.peek_text().is_some_and(|t| !is_structural(t)) {
            self.pos += 1;
        }
    }

    /// The strict rule kunit.py does not apply: a line of a test at
    /// `depth` is indented by `depth` steps.
    fn check_indent(&mut self, name: &str, depth: usize) {
        if let Some(line) = self.peek() {
            let (indent, number) = (indent_of(line.text), line.number);
            if indent != depth * 4 {
                self.errors.push(format!(
                    "line {number}: Test: {name}: indented by {indent}, expected {} for nesting depth {depth}",
                    depth * 4
                ));
            }
        }
    }

    fn name_matches(&self, name: &str) -> bool {
        self.peek_text()
            .and_then(result_line)
            .is_some_and(|r| r.name == name)
    }

    fn parse_version(&mut self, name: &str) -> bool {
        let Some((ktap, version)) = self.peek_text().and_then(version_line) else {
            return false;
        };
        let (low, high, kind) = if ktap {
            (1, 1, "KTAP")
        } else {
            (13, 14, "TAP")
        };
        if version < low {
            self.error(name, format!("{kind} version lower than expected!"));
        } else if version > high {
            self.error(name, format!("{kind} version higer than expected!"));
        }
        self.pos += 1;
        true
    }

    /// kunit.py's `parse_test`. `depth` is the nesting level (0 for the
    /// document itself) and serves only the strict indentation rule.
    fn parse_test(&mut self, expected_num: usize, is_subtest: bool, depth: usize) -> Test {
        let mut test = Test {
            name: String::new(),
            status: Status::Crashed,
            counts: KunitCounts::default(),
        };
        self.skip_diagnostics();
        let mut expected_count: Option<usize> = Some(0);
        let parent_test;
        if !is_subtest {
            test.name = "main".to_string();
            self.parse_version("main");
            self.skip_diagnostics();
            expected_count = self.peek_text().and_then(plan_line);
            if expected_count.is_some() {
                self.pos += 1;
            }
            parent_test = true;
        } else {
            // A nested test's header lines are indented to its own depth,
            // its result line to its parent's.
            let header_depth = depth;
            let mut ktap_line = false;
            if self.peek_text().and_then(version_line).is_some() {
                self.check_indent("(header)", header_depth);
                ktap_line = self.parse_version("");
            }
            let subtest_line = match self.peek_text().and_then(subtest_header) {
                Some(name) => {
                    test.name = name.to_string();
                    self.check_indent(name, header_depth);
                    if !ktap_line {
                        self.error(
                            name,
                            "`# Subtest:` without a `KTAP version 1` line before it",
                        );
                    }
                    self.pos += 1;
                    true
                }
                None => false,
            };
            parent_test = ktap_line || subtest_line;
            if parent_test {
                self.skip_diagnostics();
                expected_count = self.peek_text().and_then(plan_line);
                if expected_count.is_some() {
                    self.check_indent(&test.name, header_depth);
                    self.pos += 1;
                }
            }
        }
        let mut subtests: Vec<Test> = Vec::new();
        let mut test_num = 1;
        while parent_test && expected_count.is_none_or(|n| test_num <= n) {
            self.skip_diagnostics();
            if self.peek().is_none() || (is_subtest && self.name_matches(&test.name)) {
                if expected_count.is_some_and(|n| n > 0 && test_num <= n) {
                    self.error(&test.name, "missing expected subtest!");
                    test.counts.add_status(Status::Crashed);
                    subtests.push(Test {
                        name: String::new(),
                        status: Status::Crashed,
                        counts: KunitCounts::default(),
                    });
                    test_num += 1;
                    continue;
                }
                break;
            }
            let before = self.pos;
            let sub = self.parse_test(test_num, true, depth + 1);
            if self.pos == before {
                // kunit.py would loop here for ever (or, with a plan, count
                // crashed tests without a word): a line it cannot place.
                let text = self.peek_text().unwrap_or("").trim().to_string();
                self.error(&test.name, format!("cannot place the line `{text}`"));
                self.pos += 1;
            }
            subtests.push(sub);
            test_num += 1;
        }
        if is_subtest {
            self.skip_diagnostics();
            if !test.name.is_empty() && !self.name_matches(&test.name) {
                self.error(&test.name, "missing subtest result line!");
            } else if let Some(r) = self.peek_text().and_then(result_line) {
                let (ok, number, skip) = (r.ok, r.number, r.skip);
                test.name = r.name.to_string();
                // A result line sits at its test's parent depth.
                self.check_indent(&test.name, depth - 1);
                self.pos += 1;
                if number != expected_num as u64 {
                    let name = test.name.clone();
                    self.error(
                        &name,
                        format!("Expected test number {expected_num} but found {number}"),
                    );
                }
                test.status = if skip {
                    Status::Skipped
                } else if ok {
                    Status::Success
                } else {
                    Status::Failure
                };
            } else {
                let text = self
                    .peek_text()
                    .unwrap_or("(end of input)")
                    .trim()
                    .to_string();
                self.error(
                    &test.name,
                    format!("expected the result line of test {expected_num}, found `{text}`"),
                );
            }
        }
        if parent_test
            && subtests.is_empty()
            && matches!(test.status, Status::Crashed | Status::Success)
        {
            test.status = Status::NoTests;
            self.error(&test.name, "0 tests run!");
        }
        // bubble_up_test_results
        for sub in &subtests {
            test.counts.add(sub.counts);
        }
        if test.counts.total() == 0 {
            test.counts.add_status(test.status);
        } else if test.counts.status() == Status::Crashed {
            test.status = Status::Crashed;
        }
        test
    }
}

/// Checks `text` (a KTAP document, or a console log with KTAP in it) the way
/// `kunit.py parse` reads it, plus the strict rules in the module doc.
pub fn check(text: &str) -> Report {
    let lines = extract(text);
    if lines.is_empty() {
        return Report {
            errors: vec![
                "Test: <missing>: Could not find any KTAP output. Did any KUnit tests run?"
                    .to_string(),
            ],
            counts: KunitCounts::default(),
        };
    }
    let mut parser = Parser {
        lines,
        pos: 0,
        errors: Vec::new(),
    };
    let main = parser.parse_test(0, false, 0);
    Report {
        errors: parser.errors,
        counts: main.counts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<String> {
        check(text).errors
    }

    const CLEAN: &str = "\
# a title line before the document is not KTAP
KTAP version 1
1..2
    KTAP version 1
    # Subtest: console
    1..3
    ok 1 prints_a_line
    not ok 2 something
    # something: expected 0, got 17
    ok 3 other # SKIP reason
# console: pass:1 fail:1 skip:1 total:3
not ok 1 console
not ok 2 timer # TIMEOUT
# raspi3b: pass:1 fail:2 skip:1
";

    #[test]
    fn a_clean_document_has_no_errors_and_kunit_counts() {
        let report = check(CLEAN);
        assert_eq!(report.errors, Vec::<String>::new());
        assert_eq!(
            report.counts,
            KunitCounts {
                passed: 1,
                failed: 2,
                crashed: 0,
                skipped: 1
            }
        );
    }

    #[test]
    fn restarted_numbering_is_an_error_as_in_kunit_py() {
        // What a log with a restart at suite 2 looks like to kunit.py.
        let log = "KTAP version 1\n1..2\n    KTAP version 1\n    # Subtest: a\n    1..2\n    ok 1 x\nKTAP version 1\n1..2\n    KTAP version 1\n    # Subtest: b\n    1..1\n    ok 1 y\nok 2 b\n";
        // kunit.py 6.12 reports these two (and then trips over the end of
        // its input).
        let errs = errors(log);
        assert!(
            errs.iter()
                .any(|e| e.contains("Test: b: Expected test number 1 but found 2")),
            "{errs:?}"
        );
        assert!(
            errs.iter().any(|e| e.contains("missing expected subtest!")),
            "{errs:?}"
        );
        let errs = errors("KTAP version 1\n1..2\nok 2 b\nok 3 c\n");
        assert!(
            errs.iter()
                .any(|e| e.contains("Expected test number 1 but found 2")),
            "{errs:?}"
        );
    }

    #[test]
    fn plan_must_match_the_results() {
        let short = "KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: a\n    1..3\n    ok 1 x\nok 1 a\n";
        let errs = errors(short);
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(errs.iter().all(|e| e.contains("missing expected subtest!")));
        assert_eq!(check(short).counts.crashed, 2);
        let long = "KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: a\n    1..1\n    ok 1 x\n    ok 2 y\nok 1 a\n";
        assert!(
            errors(long)
                .iter()
                .any(|e| e.contains("missing subtest result line!")),
            "{:?}",
            errors(long)
        );
    }

    #[test]
    fn nested_subtest_needs_its_version_line() {
        let doc = "KTAP version 1\n1..1\n    # Subtest: fault_inject\n    1..1\n    ok 1 x\nok 1 fault_inject\n";
        let errs = errors(doc);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(
            errs[0].contains("without a `KTAP version 1` line"),
            "{errs:?}"
        );
    }

    #[test]
    fn empty_suite_that_passes_is_zero_tests_run() {
        let doc = "KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: a\n    1..0\nok 1 a\n";
        assert!(errors(doc).iter().any(|e| e.contains("0 tests run!")));
        // Failed or skipped, kunit.py lets it be, and counts the suite.
        let doc =
            "KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: a\n    1..0\nnot ok 1 a\n";
        assert_eq!(check(doc).errors, Vec::<String>::new());
        assert_eq!(check(doc).counts.failed, 1);
    }

    #[test]
    fn wrong_indentation_is_reported() {
        let doc =
            "KTAP version 1\n1..1\n  KTAP version 1\n  # Subtest: a\n  1..1\n  ok 1 x\nok 1 a\n";
        let errs = errors(doc);
        assert!(errs.iter().any(|e| e.contains("indented by 2")), "{errs:?}");
    }

    #[test]
    fn an_end_marker_cuts_the_document_short() {
        let doc = "KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: a\n    1..1\n    # | reboot: System halted\n    ok 1 x\nok 1 a\n";
        let errs = errors(doc);
        assert!(
            errs.iter().any(|e| e.contains("missing expected subtest!")),
            "{errs:?}"
        );
    }

    #[test]
    fn result_lines_read_as_kunit_reads_them() {
        let r = result_line("    not ok 2 hangs # TIMEOUT").unwrap();
        assert_eq!((r.ok, r.number, r.name, r.skip), (false, 2, "hangs", false));
        let r = result_line("ok 3 other # SKIP why").unwrap();
        assert_eq!((r.name, r.skip), ("other", true));
        assert_eq!(result_line("ok 1 - dashed").unwrap().name, "dashed");
        // No name, or a `#` that does not open ` # `: not a result line.
        assert!(result_line("ok 1").is_none());
        assert!(result_line("ok 1 a#b").is_none());
        assert!(result_line("okay 1 a").is_none());
    }

    #[test]
    fn no_ktap_at_all_is_an_error() {
        let errs = errors("[    0.1] booting\n");
        assert_eq!(errs.len(), 1);
        assert!(errs[0].contains("Could not find any KTAP output"));
    }
}
