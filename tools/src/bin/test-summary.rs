//! `test-summary [--cargo-log FILE]... [--results FILE]...`: prints one line
//! per source and, last, the line that closes `make test`:
//! `N passed, N failed, N skipped`. Exits 1 if anything failed.

use std::path::PathBuf;
use std::process::ExitCode;

use pikern_tools::cli::{Arg, Args};
use pikern_tools::summary::{summarize_cargo_log, summarize_results_file, total, SourceSummary};

const USAGE: &str = "\
usage: test-summary [--cargo-log FILE]... [--results FILE]...

Adds up `test result:` lines of cargo test logs (ignored counts as skipped)
and the passed/failed/skipped lines of ktest-runner results files. A log with
a compile error or no `test result:` line, or a missing results file, counts
as 1 failed. The last line is `N passed, N failed, N skipped`; exit status 1
if anything failed.";

/// A source, kept in command-line order so the report reads like the run.
enum Source {
    CargoLog(PathBuf),
    Results(PathBuf),
}

fn parse(mut args: Args) -> Result<Option<Vec<Source>>, String> {
    let mut sources = Vec::new();
    while let Some(arg) = args.next_arg()? {
        match arg {
            Arg::Flag(f) if f == "--cargo-log" => {
                sources.push(Source::CargoLog(args.value(&f)?.into()))
            }
            Arg::Flag(f) if f == "--results" => {
                sources.push(Source::Results(args.value(&f)?.into()))
            }
            Arg::Flag(f) if f == "-h" || f == "--help" => return Ok(None),
            Arg::Flag(f) => return Err(format!("unknown option {f}")),
            Arg::Positional(p) => return Err(format!("unexpected argument `{p}`")),
        }
    }
    if sources.is_empty() {
        return Err("give at least one --cargo-log or --results".to_string());
    }
    Ok(Some(sources))
}

fn main() -> ExitCode {
    let sources = match Args::from_env().and_then(parse) {
        Ok(Some(sources)) => sources,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            eprintln!("test-summary: {err}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let summaries: Vec<SourceSummary> = sources
        .iter()
        .map(|source| match source {
            Source::CargoLog(path) => summarize_cargo_log(path),
            Source::Results(path) => summarize_results_file(path),
        })
        .collect();
    for summary in &summaries {
        println!("{}", summary.line());
    }
    let total = total(&summaries);
    println!("{total}");
    if total.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
