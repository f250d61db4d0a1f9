//! `pikern-trace SUBCOMMAND ...`: reads the kernel's ftrace output (a
//! console log or a trace file) and checks, converts or summarises it. See
//! `USAGE` and `pikern_tools::trace`.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use libkernel::trace_dump::parse_dump;
use pikern_tools::cli::{Arg, Args};
use pikern_tools::qemu_monitor::find_kallsyms;
use pikern_tools::trace::extract::{load, load_all, Loaded};
use pikern_tools::trace::timeline::Timeline;
use pikern_tools::trace::{
    expect, json, parse_trace_lenient, perfetto, summary, svg, tracedat, Error, Trace,
};

const USAGE: &str = "\
usage: pikern-trace extract LOG [-o FILE] [--all]
       pikern-trace check TRACE
       pikern-trace perfetto TRACE [-o FILE] [--lenient]
       pikern-trace json TRACE [-o FILE] [--lenient]
       pikern-trace svg TRACE [-o FILE] [--lenient]
       pikern-trace summary TRACE [--lenient]
       pikern-trace expect TRACE [--comm NAME] [--results FILE]
       pikern-trace dat LOG -o FILE [--kernel IMAGE]
       pikern-trace report-check TRACE --report FILE [--results FILE]

TRACE is a trace file (starting with `# tracer:`) or a console log holding
`Dumping ftrace buffer:` dumps, of which the last is used; `-` is stdin.
Output goes to stdout unless -o is given.

  extract   cut the trace out of a console log (--all: every dump; with -o
            FILE they go to FILE.1, FILE.2, ... before the extension)
  check     check every line against the ftrace format; lists each problem
            with its line number and exits 1 if there is any
  perfetto  a text trace for ui.perfetto.dev: header first, comms without
            spaces, a sched_waking before every wake-up that lacks one
  json      Chrome trace-event JSON (chrome://tracing, ui.perfetto.dev)
  svg       an SVG timeline: CPUs, run slices, wake-ups, fork, exit, signals
  summary   run time, switches and wake-up latency per task; process tree;
            signals
  expect    the end-to-end checks of the fork experiment (comm
            raspbian_fork unless --comm), as KTAP; --results FILE writes
            `passed N`, `failed N`, `skipped N`; exits 1 if any fails
  dat       trace-cmd's trace.dat (version 6) from the `tracefs-dump:` block
            /bin/tracedump printed (trace_pipe_raw pages, format files);
            symbols from the kernel IMAGE; pids' names from saved_cmdlines
            or else from the log's text trace
  report-check  compares `trace-cmd report` output (--report FILE) with
            the text trace: every entry, in order, with its time to the
            microsecond, CPU, pid, event and fields; as KTAP, like expect

The converters refuse a trace that fails `check` unless --lenient, which
skips malformed lines (reported on stderr).
Exit status: 0 success, 1 failed check or unreadable trace, 2 usage error.";

#[derive(Debug, Default)]
struct Options {
    command: String,
    input: Option<PathBuf>,
    output: Option<PathBuf>,
    all: bool,
    lenient: bool,
    comm: Option<String>,
    results: Option<PathBuf>,
    kernel: Option<PathBuf>,
    report: Option<PathBuf>,
}

fn parse(mut args: Args) -> Result<Option<Options>, String> {
    let mut opts = Options::default();
    while let Some(arg) = args.next_arg()? {
        match arg {
            Arg::Flag(f) if f == "-h" || f == "--help" => return Ok(None),
            Arg::Flag(f) if f == "-o" || f == "--output" => {
                opts.output = Some(args.value(&f)?.into())
            }
            Arg::Flag(f) if f == "--all" => opts.all = true,
            Arg::Flag(f) if f == "--lenient" => opts.lenient = true,
            Arg::Flag(f) if f == "--comm" => opts.comm = Some(args.value(&f)?),
            Arg::Flag(f) if f == "--results" => opts.results = Some(args.value(&f)?.into()),
            Arg::Flag(f) if f == "--kernel" => opts.kernel = Some(args.value(&f)?.into()),
            Arg::Flag(f) if f == "--report" => opts.report = Some(args.value(&f)?.into()),
            Arg::Flag(f) => return Err(format!("unknown option {f}")),
            Arg::Positional(p) if opts.command.is_empty() => opts.command = p,
            Arg::Positional(p) if opts.input.is_none() => opts.input = Some(p.into()),
            Arg::Positional(p) => return Err(format!("unexpected argument `{p}`")),
        }
    }
    let known = [
        "extract",
        "check",
        "perfetto",
        "json",
        "svg",
        "summary",
        "expect",
        "dat",
        "report-check",
    ];
    if opts.command.is_empty() {
        return Err("a subcommand is required".to_string());
    }
    if !known.contains(&opts.command.as_str()) {
        return Err(format!("unknown subcommand `{}`", opts.command));
    }
    if opts.input.is_none() {
        return Err(format!("{} needs an input file", opts.command));
    }
    let allowed: &[(&str, bool)] = &[
        (
            "-o",
            opts.output.is_none()
                || !matches!(opts.command.as_str(), "check" | "summary" | "expect"),
        ),
        ("--all", !opts.all || opts.command == "extract"),
        (
            "--lenient",
            !opts.lenient
                || matches!(
                    opts.command.as_str(),
                    "perfetto" | "json" | "svg" | "summary"
                ),
        ),
        ("--comm", opts.comm.is_none() || opts.command == "expect"),
        (
            "--results",
            opts.results.is_none() || matches!(opts.command.as_str(), "expect" | "report-check"),
        ),
        ("--kernel", opts.kernel.is_none() || opts.command == "dat"),
        (
            "--report",
            opts.report.is_none() || opts.command == "report-check",
        ),
    ];
    if let Some((flag, _)) = allowed.iter().find(|(_, ok)| !ok) {
        return Err(format!("{flag} does not apply to {}", opts.command));
    }
    Ok(Some(opts))
}

fn read_input(path: &Path) -> Result<String, String> {
    let bytes = if path == Path::new("-") {
        let mut bytes = Vec::new();
        io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("reading stdin: {e}"))?;
        bytes
    } else {
        fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?
    };
    // A console capture may hold stray non-UTF-8 bytes (line noise); they
    // cannot be part of a valid trace, and `check` will point at them.
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn write_output(path: Option<&Path>, text: &str) -> Result<(), String> {
    match path {
        None => io::stdout()
            .write_all(text.as_bytes())
            .map_err(|e| format!("writing stdout: {e}")),
        Some(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
            }
            fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
        }
    }
}

/// `out.txt` -> `out.2.txt` (for `extract --all`).
fn numbered(path: &Path, n: usize) -> PathBuf {
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let name = match path.extension() {
        Some(ext) => format!("{stem}.{n}.{}", ext.to_string_lossy()),
        None => format!("{stem}.{n}"),
    };
    path.with_file_name(name)
}

/// Prints `FILE:LINE: message` for each error, with the line itself.
fn report_errors(input: &Path, loaded: &Loaded, errors: &[Error]) {
    let lines: Vec<&str> = loaded.text.split('\n').collect();
    for error in errors {
        let line = error.line + loaded.first_line - 1;
        eprintln!("{}:{line}: {}", input.display(), error.message);
        if let Some(text) = error.line.checked_sub(1).and_then(|i| lines.get(i)) {
            eprintln!("    | {text}");
        }
    }
}

/// Loads and parses the input; without `lenient`, a malformed trace is an error.
fn trace_of(opts: &Options, lenient: bool) -> Result<(Loaded, Trace, Vec<Error>), String> {
    let input = opts.input.as_deref().unwrap_or(Path::new("-"));
    let loaded = load(&read_input(input)?)?;
    let (trace, errors) = parse_trace_lenient(&loaded.text);
    if !errors.is_empty() {
        report_errors(input, &loaded, &errors);
        if !lenient {
            return Err(format!(
                "{} problem(s) in the trace (see `pikern-trace check`; --lenient skips malformed lines)",
                errors.len()
            ));
        }
    }
    Ok((loaded, trace, errors))
}

fn run(opts: &Options) -> Result<ExitCode, String> {
    let input = opts.input.as_deref().unwrap_or(Path::new("-"));
    let output = opts.output.as_deref();
    match opts.command.as_str() {
        "extract" => {
            let text = read_input(input)?;
            if !opts.all {
                write_output(output, &load(&text)?.text)?;
                return Ok(ExitCode::SUCCESS);
            }
            let dumps = load_all(&text)?;
            match output {
                None => write_output(
                    None,
                    &dumps.iter().map(|d| d.text.as_str()).collect::<String>(),
                )?,
                Some(path) => {
                    for (i, dump) in dumps.iter().enumerate() {
                        let path = numbered(path, i + 1);
                        write_output(Some(&path), &dump.text)?;
                        eprintln!("{}: dump from line {}", path.display(), dump.first_line);
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        "check" => {
            let loaded = load(&read_input(input)?)?;
            let (trace, errors) = parse_trace_lenient(&loaded.text);
            if !errors.is_empty() {
                report_errors(input, &loaded, &errors);
                println!("{}: {} problem(s)", input.display(), errors.len());
                return Ok(ExitCode::FAILURE);
            }
            let entries: Vec<_> = trace.entries().collect();
            let stacks = entries.iter().filter(|e| e.stack().is_some()).count();
            let calls = entries.iter().filter(|e| e.function().is_some()).count();
            let lost = trace.records.len() - entries.len();
            let span = match (entries.first(), entries.last()) {
                (Some(first), Some(last)) => {
                    format!(", {} s to {} s", first.ts.plain(), last.ts.plain())
                }
                _ => String::new(),
            };
            println!(
                "{}: ok: tracer {}, #P:{}, {} entries ({} events, {} function calls, {} stack traces), {} lost-events lines{span}",
                input.display(),
                trace.header.tracer,
                trace.header.cpus,
                entries.len(),
                entries.len() - stacks - calls,
                calls,
                stacks,
                lost
            );
            Ok(ExitCode::SUCCESS)
        }
        "perfetto" => {
            let (_, trace, _) = trace_of(opts, opts.lenient)?;
            let (text, changes) = perfetto::to_perfetto(&trace);
            write_output(output, &text)?;
            eprintln!(
                "perfetto: {} sched_waking line(s) added, {} line(s) with comms renamed",
                changes.wakings_added, changes.comms_renamed
            );
            Ok(ExitCode::SUCCESS)
        }
        "json" | "svg" | "summary" => {
            let (_, trace, _) = trace_of(opts, opts.lenient)?;
            let timeline = Timeline::build(&trace);
            let text = match opts.command.as_str() {
                "json" => json::to_json(&timeline),
                "svg" => svg::to_svg(&timeline),
                _ => summary::render(&timeline),
            };
            write_output(output, &text)?;
            Ok(ExitCode::SUCCESS)
        }
        "expect" => {
            let comm = opts.comm.as_deref().unwrap_or(expect::DEFAULT_COMM);
            let outcomes = match read_input(input).and_then(|text| load(&text)) {
                Ok(loaded) => {
                    let (trace, errors) = parse_trace_lenient(&loaded.text);
                    expect::run(&trace, &errors, loaded.first_line, comm)
                }
                Err(why) => expect::all_failed(&why),
            };
            print!("{}", expect::render_ktap(&outcomes));
            let counts = expect::counts(&outcomes);
            if let Some(path) = &opts.results {
                write_output(Some(path), &counts.to_results_file())?;
            }
            Ok(if counts.failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        "dat" => {
            let output = output.ok_or("dat needs -o FILE")?;
            let text = read_input(input)?;
            let files = parse_dump(&text)?.ok_or(
                "no `tracefs-dump:` block in the log (/etc/rc runs /bin/tracedump after the trace)",
            )?;
            let kallsyms = match &opts.kernel {
                Some(k) => {
                    let image = fs::read(k).map_err(|e| format!("reading {}: {e}", k.display()))?;
                    let syms = find_kallsyms(&image)
                        .ok_or_else(|| format!("{}: no kallsyms table", k.display()))?;
                    tracedat::kallsyms_text(&syms)
                }
                None => String::new(),
            };
            let cmdlines = match files.iter().find(|(p, _)| p == "saved_cmdlines") {
                Some((_, d)) => String::from_utf8_lossy(d).into_owned(),
                None => load(&text)
                    .map(|l| tracedat::cmdlines_of(&parse_trace_lenient(&l.text).0))
                    .unwrap_or_default(),
            };
            let dat = tracedat::write(&tracedat::Input {
                files: &files,
                kallsyms,
                cmdlines,
            })?;
            fs::write(output, &dat).map_err(|e| format!("writing {}: {e}", output.display()))?;
            let cpus = tracedat::cpu_data(&files);
            let events: usize = cpus
                .iter()
                .map(|(_, d)| tracedat::events(d).map_or(0, |e| e.len()))
                .sum();
            eprintln!(
                "{}: {} bytes, {} CPUs, {events} entries",
                output.display(),
                dat.len(),
                cpus.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        "report-check" => {
            let report_path = opts
                .report
                .as_deref()
                .ok_or("report-check needs --report FILE")?;
            let report = read_input(report_path)?;
            let outcomes = match read_input(input).and_then(|text| load(&text)) {
                Ok(loaded) => tracedat::check_report(&loaded.text, &report),
                Err(why) => tracedat::report_failed(&why),
            };
            print!("{}", expect::render_ktap(&outcomes));
            let counts = expect::counts(&outcomes);
            if let Some(path) = &opts.results {
                write_output(Some(path), &counts.to_results_file())?;
            }
            Ok(if counts.failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        other => Err(format!("unknown subcommand `{other}`")),
    }
}

fn main() -> ExitCode {
    let opts = match Args::from_env().and_then(parse) {
        Ok(Some(opts)) => opts,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            eprintln!("pikern-trace: {err}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&opts) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("pikern-trace {}: {err}", opts.command);
            ExitCode::FAILURE
        }
    }
}
