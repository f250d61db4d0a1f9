//! `ktest-runner`: boots the pikern test kernel in QEMU, enforces deadlines,
//! and prints one clean KTAP document with a pass/fail/skip line.
//!
//! `ktest-runner selfcheck` (or `--selfcheck`) instead runs the kernel's
//! four self-test suites and checks that the harness reports a failure, a
//! hang and a crash correctly (see `pikern_tools::selfcheck`).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use pikern_tools::board::Board;
use pikern_tools::cli::{parse_seconds, Arg, Args};
use pikern_tools::counts::Counts;
use pikern_tools::kunit_check;
use pikern_tools::runner::{self, RunConfig};
use pikern_tools::selfcheck;

const USAGE: &str = "\
usage: ktest-runner [selfcheck | --selfcheck] --board rpi3|rpi4 --kernel IMG --dtb DTB
                    [--suites all|name1,name2] [--timeout SECS] [--boot-timeout SECS]
                    [--results FILE] [--ktap FILE] [--log FILE] [--qemu PATH] [--append TEXT]
                    [--initrd FILE]

Runs QEMU with `ktest=<suites> ktest_from=<k>` on the kernel command line and
prints the kernel's KTAP results, re-emitted, then `# <machine>: pass:X fail:Y skip:Z`.
A suite that hangs (no progress within --timeout, default 120 s; 60 s to boot,
--boot-timeout) or crashes QEMU is reported `not ok ... # TIMEOUT` / `# ERROR` and
QEMU is restarted at the next suite. Exit status 0 iff nothing failed.

  --results FILE  write `passed X`, `failed Y`, `skipped Z` lines
  --ktap FILE     write the KTAP document printed on stdout: one document for
                  all QEMU runs (suites before a hang from the first, after it
                  from the restart), which `kunit.py parse` reads without error
  --log FILE      write the raw console of every QEMU run, restarts appended
                  (several KTAP documents in a row: not for kunit.py)
  --qemu PATH     QEMU executable (default qemu-system-aarch64)
  --append TEXT   extra kernel command-line text
  --initrd FILE   an initramfs image, passed to QEMU as -initrd

selfcheck: runs the suites selftest_fail,selftest_hang,selftest_crash,selftest_pass
(--timeout defaults to 15 s; --suites is not allowed) and prints a KTAP suite
`harness` saying whether the failure, hang and crash were each reported.";

struct Options {
    selfcheck: bool,
    config: RunConfig,
    results: Option<PathBuf>,
    ktap: Option<PathBuf>,
    log: Option<PathBuf>,
}

fn parse(mut args: Args) -> Result<Option<Options>, String> {
    let mut selfcheck = false;
    let (mut board, mut kernel, mut dtb) = (None, None, None);
    let (mut suites, mut timeout, mut boot_timeout) = (None, None, None);
    let (mut results, mut log, mut qemu, mut append) = (None, None, None, None);
    let mut initrd = None;
    let mut ktap = None;
    while let Some(arg) = args.next_arg()? {
        let flag = match arg {
            Arg::Positional(p) if p == "selfcheck" => {
                selfcheck = true;
                continue;
            }
            Arg::Positional(p) => return Err(format!("unexpected argument `{p}`")),
            Arg::Flag(f) => f,
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--selfcheck" => selfcheck = true,
            "--board" => board = Some(args.value(&flag)?.parse::<Board>()?),
            "--kernel" => kernel = Some(PathBuf::from(args.value(&flag)?)),
            "--dtb" => dtb = Some(PathBuf::from(args.value(&flag)?)),
            "--suites" => suites = Some(args.value(&flag)?),
            "--timeout" => timeout = Some(parse_seconds(&flag, &args.value(&flag)?)?),
            "--boot-timeout" => boot_timeout = Some(parse_seconds(&flag, &args.value(&flag)?)?),
            "--results" => results = Some(PathBuf::from(args.value(&flag)?)),
            "--ktap" => ktap = Some(PathBuf::from(args.value(&flag)?)),
            "--log" => log = Some(PathBuf::from(args.value(&flag)?)),
            "--qemu" => qemu = Some(PathBuf::from(args.value(&flag)?)),
            "--append" => append = Some(args.value(&flag)?),
            "--initrd" => initrd = Some(PathBuf::from(args.value(&flag)?)),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    let board = board.ok_or("--board is required")?;
    let kernel = kernel.ok_or("--kernel is required")?;
    let dtb = dtb.ok_or("--dtb is required")?;
    let mut config = RunConfig::new(board, kernel, dtb);
    if selfcheck {
        if suites.is_some() {
            return Err("selfcheck runs its own suites; --suites is not allowed".to_string());
        }
        config.suite_timeout = selfcheck::DEFAULT_TIMEOUT;
    }
    if let Some(suites) = suites {
        if suites.trim().is_empty() || suites.contains(char::is_whitespace) {
            return Err(format!(
                "--suites `{suites}`: expected `all` or name1,name2 without spaces"
            ));
        }
        config.suites = suites;
    }
    if let Some(timeout) = timeout {
        config.suite_timeout = timeout;
    }
    if let Some(boot_timeout) = boot_timeout {
        config.boot_timeout = boot_timeout;
    }
    if let Some(qemu) = qemu {
        config.qemu = qemu;
    }
    config.initrd = initrd;
    if let Some(append) = append {
        config.append = append;
    }
    Ok(Some(Options {
        selfcheck,
        config,
        results,
        ktap,
        log,
    }))
}

fn open_log(path: &Option<PathBuf>) -> Result<Box<dyn Write>, String> {
    match path {
        None => Ok(Box::new(io::sink())),
        Some(path) => File::create(path)
            .map(|f| Box::new(BufWriter::new(f)) as Box<dyn Write>)
            .map_err(|e| format!("creating log {}: {e}", path.display())),
    }
}

fn write_results(path: &Option<PathBuf>, counts: Counts) -> Result<(), String> {
    match path {
        None => Ok(()),
        Some(path) => std::fs::write(path, counts.to_results_file())
            .map_err(|e| format!("writing results {}: {e}", path.display())),
    }
}

fn run(options: Options) -> Result<Counts, String> {
    let mut log = open_log(&options.log)?;
    let machine = options.config.board.qemu_machine();
    let (text, counts) = if options.selfcheck {
        let (inner, checks) = selfcheck::run_selfcheck(&options.config, &mut log);
        // The self-test run's own document is for the reader, not for KTAP
        // consumers of stdout: it is full of failures on purpose.
        eprintln!("ktest-runner: self-test suites as the runner reported them:");
        eprint!("{}", inner.render(machine));
        let doc = selfcheck::harness_document(options.config.board, &checks);
        (doc.render(&format!("{machine} harness")), doc.counts())
    } else {
        let doc = runner::run(&options.config, &mut log);
        (doc.render(machine), doc.counts())
    };
    log.flush().map_err(|e| format!("writing the log: {e}"))?;
    // The document is built to pass kunit.py's checks in every case; should
    // some kernel output defeat that, say so rather than hand on a document
    // that kunit.py misreads.
    for error in kunit_check::check(&text).errors {
        eprintln!(
            "ktest-runner: warning: the KTAP document breaks a rule of kunit.py parse: {error}"
        );
    }
    if let Some(path) = &options.ktap {
        std::fs::write(path, &text)
            .map_err(|e| format!("writing the KTAP document {}: {e}", path.display()))?;
    }
    print!("{text}");
    io::stdout()
        .flush()
        .map_err(|e| format!("writing stdout: {e}"))?;
    write_results(&options.results, counts)?;
    Ok(counts)
}

fn main() -> ExitCode {
    let options = match Args::from_env().and_then(parse) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            eprintln!("ktest-runner: {err}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let results = options.results.clone();
    let ktap = options.ktap.clone();
    match run(options) {
        Ok(counts) if counts.failed == 0 => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("ktest-runner: {err}");
            // Leave no stale "all passed" behind for test-summary to read.
            for path in [results, ktap].into_iter().flatten() {
                let _ = std::fs::remove_file(path);
            }
            ExitCode::FAILURE
        }
    }
}
