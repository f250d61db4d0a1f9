//! The closing line of `make test`: `N passed, N failed, N skipped`.
//!
//! `make test` runs several test runners (host `cargo test`, the in-kernel
//! suites on each board, user-space tests); each leaves a cargo log or a
//! results file behind, and `test-summary` adds them up. A source that
//! cannot be read, or that shows its runner never got to run the tests
//! (a compile error, a crash), counts as one failure: a broken build must
//! never look like "0 failed".

use std::fs;
use std::path::Path;

use crate::counts::Counts;

/// What one source contributed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceSummary {
    /// What the source is, for the per-source line.
    pub label: String,
    pub counts: Counts,
    /// Why the counts include a failure the log did not list, if they do.
    pub problem: Option<String>,
}

impl SourceSummary {
    /// The per-source line. It names the source first so that it never has
    /// the shape of the closing line (at most one word before the counts).
    pub fn line(&self) -> String {
        match &self.problem {
            None => format!("{}: {}", self.label, self.counts),
            Some(problem) => format!("{}: {} ({problem})", self.label, self.counts),
        }
    }
}

/// Removes ANSI colour sequences, which `cargo test --color=always` puts
/// inside `test result:` lines.
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // CSI: ESC [ parameters final-byte (0x40..=0x7e).
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if ('\x40'..='\x7e').contains(&c) {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// Reads the counts of one `test result:` line, e.g.
/// `test result: ok. 3 passed; 1 failed; 2 ignored; 0 measured; ...`.
fn parse_test_result(line: &str) -> Option<Counts> {
    let (_, rest) = line.split_once("test result:")?;
    let mut counts = Counts::default();
    let mut any = false;
    for part in rest.split(';') {
        let words: Vec<&str> = part.split_whitespace().collect();
        let [.., number, word] = words[..] else {
            continue;
        };
        let Ok(number) = number.parse::<usize>() else {
            continue;
        };
        match word {
            "passed" => counts.passed += number,
            "failed" => counts.failed += number,
            // Ignored tests did not run: the closest thing to skipped.
            "ignored" => counts.skipped += number,
            _ => continue,
        }
        any = true;
    }
    any.then_some(counts)
}

/// Sums a cargo test log. Besides its `test result:` lines, it adds one
/// failure when the tests did not all get to run: a compile error
/// (`error[...]` or `error: could not compile`), no `test result:` line at
/// all, or a test binary that crashed (cargo's `error: test failed` without
/// a matching `test result: FAILED` line).
pub fn parse_cargo_log(text: &str) -> (Counts, Option<String>) {
    let mut counts = Counts::default();
    let mut results = 0;
    let mut failed_results = 0;
    let mut failed_binaries = 0;
    let mut compile_error: Option<String> = None;
    for line in text.lines() {
        let line = strip_ansi(line);
        let trimmed = line.trim();
        if let Some(c) = parse_test_result(&line) {
            results += 1;
            if c.failed > 0 {
                failed_results += 1;
            }
            counts += c;
        } else if trimmed.starts_with("error[") || trimmed.starts_with("error: could not compile") {
            compile_error.get_or_insert_with(|| trimmed.to_string());
        } else if trimmed.starts_with("error: test failed")
            || trimmed.starts_with("error: doctest failed")
        {
            failed_binaries += 1;
        }
    }
    let problem = if let Some(error) = compile_error {
        Some(format!("compile error: {error}"))
    } else if results == 0 {
        Some("no `test result:` line: the tests did not run".to_string())
    } else if failed_binaries > failed_results {
        Some(format!(
            "{} test binary(ies) failed without a result line (crashed?)",
            failed_binaries - failed_results
        ))
    } else {
        None
    };
    if problem.is_some() {
        counts.failed += 1;
    }
    (counts, problem)
}

/// Sums the cargo test log at `path` (a missing log counts as 1 failed).
pub fn summarize_cargo_log(path: &Path) -> SourceSummary {
    let label = format!("cargo test log {}", path.display());
    match fs::read(path) {
        Ok(bytes) => {
            let (counts, problem) = parse_cargo_log(&String::from_utf8_lossy(&bytes));
            SourceSummary {
                label,
                counts,
                problem: problem.map(|p| format!("{p}; counted as 1 failed")),
            }
        }
        Err(err) => SourceSummary {
            label,
            counts: Counts::failed(1),
            problem: Some(format!(
                "cannot read {}: {err}; counted as 1 failed",
                path.display()
            )),
        },
    }
}

/// Reads the results file at `path` (missing or malformed counts as 1
/// failed, with a message naming the file).
pub fn summarize_results_file(path: &Path) -> SourceSummary {
    let label = format!("results file {}", path.display());
    let failure = |problem: String| SourceSummary {
        label: label.clone(),
        counts: Counts::failed(1),
        problem: Some(format!("{problem}; counted as 1 failed")),
    };
    match fs::read_to_string(path) {
        Ok(text) => match Counts::parse_results_file(&text) {
            Ok(counts) => SourceSummary {
                label: label.clone(),
                counts,
                problem: None,
            },
            Err(err) => failure(format!("{} is malformed: {err}", path.display())),
        },
        Err(err) => failure(format!(
            "results file {} is missing or unreadable ({err}): its runner did not finish",
            path.display()
        )),
    }
}

/// The total over all sources.
pub fn total(sources: &[SourceSummary]) -> Counts {
    sources
        .iter()
        .fold(Counts::default(), |sum, s| sum + s.counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD_LOG: &str = "\
   Compiling pikern-tools v0.1.0
    Finished `test` profile [unoptimized + debuginfo] target(s) in 3.2s
     Running unittests src/lib.rs (target/debug/deps/pikern_tools-1)

running 12 tests
test result: ok. 11 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s

     Running tests/runner.rs (target/debug/deps/runner-2)
test result: ok. 5 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 4.20s
   Doc-tests pikern_tools
test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
";

    #[test]
    fn sums_every_test_result_line() {
        let (counts, problem) = parse_cargo_log(GOOD_LOG);
        assert_eq!(
            counts,
            Counts {
                passed: 16,
                failed: 0,
                skipped: 1
            }
        );
        assert_eq!(problem, None);
    }

    #[test]
    fn failed_tests_are_counted_once() {
        let log = "test result: FAILED. 1 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.15s\n\nerror: test failed, to rerun pass `--lib`\n";
        let (counts, problem) = parse_cargo_log(log);
        assert_eq!(
            counts,
            Counts {
                passed: 1,
                failed: 2,
                skipped: 0
            }
        );
        assert_eq!(problem, None);
    }

    #[test]
    fn compile_error_counts_one_failure() {
        let log = "error[E0425]: cannot find value `x` in this scope\n --> src/lib.rs:3:5\nerror: could not compile `pikern-core` (lib test) due to 1 previous error\n";
        let (counts, problem) = parse_cargo_log(log);
        assert_eq!(counts, Counts::failed(1));
        assert!(problem.unwrap().contains("error[E0425]"));
    }

    #[test]
    fn log_without_test_result_counts_one_failure() {
        let (counts, problem) = parse_cargo_log("   Compiling x\nKilled\n");
        assert_eq!(counts, Counts::failed(1));
        assert!(problem.unwrap().contains("no `test result:`"));
        assert_eq!(parse_cargo_log("").0, Counts::failed(1));
    }

    #[test]
    fn crashed_test_binary_counts_one_failure() {
        // With --no-fail-fast a crashed binary leaves only cargo's error.
        let log = "error: test failed, to rerun pass `--lib`\n\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n";
        let (counts, problem) = parse_cargo_log(log);
        assert_eq!(
            counts,
            Counts {
                passed: 1,
                failed: 1,
                skipped: 0
            }
        );
        assert!(problem.unwrap().contains("crashed"));
    }

    #[test]
    fn colour_codes_do_not_hide_results() {
        let log = "test result: \x1b[32mok\x1b[0m. 3 passed; 0 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.00s\n";
        assert_eq!(
            parse_cargo_log(log).0,
            Counts {
                passed: 3,
                failed: 0,
                skipped: 2
            }
        );
    }

    #[test]
    fn per_source_line_never_looks_like_the_closing_line() {
        let source = SourceSummary {
            label: "results file build/rpi3.results".into(),
            counts: Counts::passed(3),
            problem: None,
        };
        assert_eq!(
            source.line(),
            "results file build/rpi3.results: 3 passed, 0 failed, 0 skipped"
        );
    }

    #[test]
    fn missing_results_file_is_named_and_fails() {
        let path = Path::new("/nonexistent/pikern/rpi4.results");
        let source = summarize_results_file(path);
        assert_eq!(source.counts, Counts::failed(1));
        assert!(source
            .line()
            .contains("/nonexistent/pikern/rpi4.results is missing"));
        let source = summarize_cargo_log(path);
        assert_eq!(source.counts, Counts::failed(1));
    }

    #[test]
    fn total_adds_all_sources() {
        let sources = [
            SourceSummary {
                label: "a".into(),
                counts: Counts::passed(2),
                problem: None,
            },
            SourceSummary {
                label: "b".into(),
                counts: Counts::failed(1) + Counts::skipped(3),
                problem: None,
            },
        ];
        assert_eq!(total(&sources).to_string(), "2 passed, 1 failed, 3 skipped");
    }
}
