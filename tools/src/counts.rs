//! Pass/fail/skip tallies and the results file that carries them between
//! tools.
//!
//! `ktest-runner --results FILE` writes one of these files per board and
//! `test-summary --results FILE` adds them up, so the format is defined once
//! here for both sides: three lines, `passed X`, `failed Y`, `skipped Z`.

use std::fmt;
use std::ops::{Add, AddAssign};

/// How many tests passed, failed and were skipped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl Counts {
    /// A tally of `passed` passes and nothing else.
    pub fn passed(n: usize) -> Self {
        Counts {
            passed: n,
            ..Counts::default()
        }
    }

    /// A tally of `failed` failures and nothing else.
    pub fn failed(n: usize) -> Self {
        Counts {
            failed: n,
            ..Counts::default()
        }
    }

    /// A tally of `skipped` skips and nothing else.
    pub fn skipped(n: usize) -> Self {
        Counts {
            skipped: n,
            ..Counts::default()
        }
    }

    /// The results-file text for these counts.
    pub fn to_results_file(self) -> String {
        format!(
            "passed {}\nfailed {}\nskipped {}\n",
            self.passed, self.failed, self.skipped
        )
    }

    /// Reads a results file. All three lines must be present, so that a file
    /// cut short by a crashed runner is not mistaken for "0 failed".
    pub fn parse_results_file(text: &str) -> Result<Counts, String> {
        let (mut passed, mut failed, mut skipped) = (None, None, None);
        for line in text.lines() {
            let mut words = line.split_whitespace();
            let (Some(key), Some(value), None) = (words.next(), words.next(), words.next()) else {
                if line.trim().is_empty() {
                    continue;
                }
                return Err(format!("unexpected line `{line}`"));
            };
            let value: usize = value
                .parse()
                .map_err(|_| format!("`{value}` is not a count in line `{line}`"))?;
            let slot = match key {
                "passed" => &mut passed,
                "failed" => &mut failed,
                "skipped" => &mut skipped,
                _ => return Err(format!("unknown key `{key}`")),
            };
            *slot = Some(value);
        }
        match (passed, failed, skipped) {
            (Some(passed), Some(failed), Some(skipped)) => Ok(Counts {
                passed,
                failed,
                skipped,
            }),
            _ => Err("needs the three lines `passed N`, `failed N`, `skipped N`".to_string()),
        }
    }
}

impl Add for Counts {
    type Output = Counts;

    fn add(self, other: Counts) -> Counts {
        Counts {
            passed: self.passed + other.passed,
            failed: self.failed + other.failed,
            skipped: self.skipped + other.skipped,
        }
    }
}

impl AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        *self = *self + other;
    }
}

impl fmt::Display for Counts {
    /// The plain form that closes `make test`: `N passed, N failed, N skipped`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_file_round_trips() {
        let counts = Counts {
            passed: 12,
            failed: 3,
            skipped: 1,
        };
        let text = counts.to_results_file();
        assert_eq!(text, "passed 12\nfailed 3\nskipped 1\n");
        assert_eq!(Counts::parse_results_file(&text), Ok(counts));
    }

    #[test]
    fn results_file_missing_a_line_is_rejected() {
        let err = Counts::parse_results_file("passed 3\nskipped 0\n").unwrap_err();
        assert!(err.contains("three lines"), "{err}");
    }

    #[test]
    fn results_file_with_garbage_is_rejected() {
        assert!(Counts::parse_results_file("passed three\nfailed 0\nskipped 0\n").is_err());
        assert!(Counts::parse_results_file("passed 1\nfailed 0\nskipped 0\nbogus 2\n").is_err());
    }

    #[test]
    fn counts_add_field_by_field_and_print_the_closing_form() {
        let mut total = Counts::passed(2) + Counts::failed(1);
        total += Counts::skipped(4);
        assert_eq!(total.to_string(), "2 passed, 1 failed, 4 skipped");
    }
}
