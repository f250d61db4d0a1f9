//! `bench-report`: runs pikern's benchmarks in QEMU with the virtual clock
//! counting instructions, or reads a console log of such a run; prints the
//! table against the targets and writes `build/bench.json`.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use pikern_tools::bench::{
    self, Measurement, EXPECTED, ICOUNT_ARGS, WITH_BASH_INITRD, WITH_INITRD, WITH_SDCARD,
};
use pikern_tools::board::Board;
use pikern_tools::cli::{parse_seconds, Arg, Args};
use pikern_tools::runner;

const USAGE: &str = "\
usage: bench-report run --board rpi3|rpi4 --kernel IMG --dtb DTB [--quick]
                        [--initrd FILE] [--bash-initrd FILE] [--sdcard IMG]
                        [--log FILE] [--json FILE] [--results FILE]
                        [--timeout SECS] [--qemu PATH]
       bench-report report LOG [--board NAME] [--json FILE] [--results FILE] [--quick]
       bench-report reference LOG

run: boots IMG in QEMU with `-icount shift=0,align=off,sleep=off -seed 1`
(1 ns of virtual time per guest instruction, the same numbers on every run)
and the command line `bench init=/init -- /bin/bench [-q]`, keeps the
console (of every boot) in --log (default build/bench-console.log), then
reports as `report` does. --quick runs every measurement with small counts
(the smoke test).
--initrd FILE: an initramfs with Debian's busybox at /bin/busybox, which
`busybox_sh_true` runs, in a boot of its own with FILE as QEMU's -initrd
(`/bin/bench --only busybox_sh_true`); the first boot, without FILE, skips
it, so every other figure is measured as without FILE.
--bash-initrd FILE: the same for the memory of 10 idle bash processes
(`bash_idle`): an initramfs with Debian's bash at /usr/bin/bash and its
libraries, in a boot of its own.
--sdcard IMG: a scratch SD card image (a power-of-two size; overwritten)
attached as `-drive if=sd` in one boot for each SD measurement
(`/bin/bench --only sd_write_seq`, `sd_read_seq`).

report: parses the `bench: NAME ITERATIONS TOTAL [UNIT]` lines of LOG, prints
the table with Linux's figures and pikern's targets, and writes --json.
Exit status 1 if an expected measurement is missing or not > 0.

reference: the same lines from a run of /bin/bench on Linux
(tools/linux-ref.sh): per operation, next to the Linux figures recorded in
the table. Exit status 1 if LOG has no measurement.

  --results FILE  write `passed N`, `failed N`, `skipped 0`: one test per
                  expected measurement (present and > 0), one for the run";

struct Options {
    run: bool,
    reference: bool,
    board: Board,
    kernel: Option<PathBuf>,
    dtb: Option<PathBuf>,
    initrd: Option<PathBuf>,
    bash_initrd: Option<PathBuf>,
    sdcard: Option<PathBuf>,
    log: PathBuf,
    json: Option<PathBuf>,
    results: Option<PathBuf>,
    quick: bool,
    timeout: Duration,
    qemu: PathBuf,
}

fn parse(mut args: Args) -> Result<Option<Options>, String> {
    let mut o = Options {
        run: false,
        reference: false,
        board: Board::Rpi3,
        kernel: None,
        dtb: None,
        initrd: None,
        bash_initrd: None,
        sdcard: None,
        log: PathBuf::from("build/bench-console.log"),
        json: None,
        results: None,
        quick: false,
        timeout: Duration::from_secs(1800),
        qemu: PathBuf::from("qemu-system-aarch64"),
    };
    let mut mode = None;
    while let Some(arg) = args.next_arg()? {
        match arg {
            Arg::Positional(p)
                if mode.is_none() && (p == "run" || p == "report" || p == "reference") =>
            {
                o.run = p == "run";
                o.reference = p == "reference";
                mode = Some(p);
            }
            Arg::Positional(p) if mode.as_deref().is_some_and(|m| m != "run") => o.log = p.into(),
            Arg::Positional(p) => return Err(format!("unexpected argument `{p}`")),
            Arg::Flag(f) => match f.as_str() {
                "--board" => o.board = args.value(&f)?.parse()?,
                "--kernel" => o.kernel = Some(args.value(&f)?.into()),
                "--dtb" => o.dtb = Some(args.value(&f)?.into()),
                "--initrd" => o.initrd = Some(args.value(&f)?.into()),
                "--bash-initrd" => o.bash_initrd = Some(args.value(&f)?.into()),
                "--sdcard" => o.sdcard = Some(args.value(&f)?.into()),
                "--log" => o.log = args.value(&f)?.into(),
                "--json" => o.json = Some(args.value(&f)?.into()),
                "--results" => o.results = Some(args.value(&f)?.into()),
                "--timeout" => o.timeout = parse_seconds(&f, &args.value(&f)?)?,
                "--qemu" => o.qemu = args.value(&f)?.into(),
                "--quick" | "-q" => o.quick = true,
                "-h" | "--help" => return Ok(None),
                _ => return Err(format!("unknown option {f}")),
            },
        }
    }
    match mode {
        None => Err("say `run`, `report` or `reference`".to_string()),
        Some(_) if o.run && (o.kernel.is_none() || o.dtb.is_none()) => {
            Err("run needs --kernel and --dtb".to_string())
        }
        Some(_) => Ok(Some(o)),
    }
}

/// Boots the benchmark: once, or with --initrd (--bash-initrd) again:
/// exactly as without --initrd (`/bin/bench` skips what needs busybox), so
/// that the initramfs changes no figure but its own, then with it for each
/// of [`WITH_INITRD`] alone (`/bin/bench --only NAME`). Returns the
/// consoles, one after the other, and whether every boot printed `bench:
/// done` and exited with status 0 in time.
fn run_boots(o: &Options) -> Result<(String, bool), String> {
    let bench = if o.quick {
        "/bin/bench -q"
    } else {
        "/bin/bench"
    };
    let (mut log, mut ok) = run_qemu(o, bench, None, None)?;
    let boots = WITH_INITRD
        .iter()
        .filter_map(|name| Some((name, o.initrd.as_ref()?)))
        .chain(
            WITH_BASH_INITRD
                .iter()
                .filter_map(|name| Some((name, o.bash_initrd.as_ref()?))),
        );
    for (name, initrd) in boots {
        log.push_str(&format!(
            "bench-report: booting again with -initrd {} for {name}\n",
            initrd.display()
        ));
        let (more, more_ok) = run_qemu(o, &format!("{bench} --only {name}"), Some(initrd), None)?;
        log.push_str(&more);
        ok &= more_ok;
    }
    for name in WITH_SDCARD {
        let Some(card) = &o.sdcard else { break };
        log.push_str(&format!(
            "bench-report: booting again with -drive if=sd,file={} for {name}\n",
            card.display()
        ));
        let (more, more_ok) = run_qemu(o, &format!("{bench} --only {name}"), None, Some(card))?;
        log.push_str(&more);
        ok &= more_ok;
    }
    Ok((log, ok))
}

/// Boots `init=/init -- PROG` (with `initrd` as -initrd, if any) and
/// returns its console output and whether it printed `bench: done` and
/// QEMU exited with status 0 in time.
fn run_qemu(
    o: &Options,
    prog: &str,
    initrd: Option<&PathBuf>,
    sdcard: Option<&PathBuf>,
) -> Result<(String, bool), String> {
    let (kernel, dtb) = (o.kernel.as_ref().unwrap(), o.dtb.as_ref().unwrap());
    let cmdline = format!("bench init=/init -- {prog}");
    let mut args = runner::qemu_args(o.board, kernel, dtb, &cmdline);
    if let Some(initrd) = initrd {
        args.push("-initrd".into());
        args.push(initrd.into());
    }
    if let Some(card) = sdcard {
        args.push("-drive".into());
        args.push(format!("if=sd,format=raw,file={}", card.display()).into());
    }
    args.extend(ICOUNT_ARGS.iter().map(Into::into));
    let mut child = Command::new(&o.qemu)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", o.qemu.display()))?;
    // Lines arrive through threads so a hung guest cannot block the
    // deadline check.
    let (tx, rx) = mpsc::channel::<String>();
    for pipe in [
        Box::new(child.stdout.take().expect("piped")) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().expect("piped")),
    ] {
        let tx = tx.clone();
        thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
    }
    drop(tx);
    let deadline = Instant::now() + o.timeout;
    let mut out = String::new();
    loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                if line.starts_with("bench: ") {
                    println!("{line}");
                }
                out.push_str(&line);
                out.push('\n');
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) if Instant::now() > deadline => {
                let _ = child.kill();
                out.push_str("bench-report: timeout, QEMU killed\n");
                break;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
    }
    let done = out.lines().any(|l| l.trim_end() == "bench: done");
    let ok = child.wait().is_ok_and(|s| s.success()) && done;
    Ok((out, ok))
}

fn git_describe() -> String {
    Command::new("git")
        .args(["describe", "--always", "--dirty", "--tags"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

fn today() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    bench::civil_date((secs / 86_400) as i64)
}

fn write(path: &PathBuf, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        let _ = fs::create_dir_all(dir);
    }
    fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn main() -> ExitCode {
    let o = pikern_tools::cli::parse_or_exit("bench-report", USAGE, parse);
    match report(&o) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("bench-report: {e}");
            ExitCode::FAILURE
        }
    }
}

fn report(o: &Options) -> Result<bool, String> {
    if o.reference {
        let log = fs::read_to_string(&o.log)
            .map_err(|e| format!("cannot read {}: {e}", o.log.display()))?;
        let ms = bench::parse_log(&log);
        print!("{}", bench::reference_table(&ms));
        return Ok(!ms.is_empty());
    }
    let (log, run_ok) = if o.run {
        let (log, ok) = run_boots(o)?;
        write(&o.log, &log)?;
        (log, ok)
    } else {
        let log = fs::read_to_string(&o.log)
            .map_err(|e| format!("cannot read {}: {e}", o.log.display()))?;
        (log, true)
    };
    let ms: Vec<Measurement> = bench::parse_log(&log);
    let missing = bench::missing(&ms);
    let done = log.lines().any(|l| l.trim_end() == "bench: done");
    println!();
    println!(
        "pikern benchmarks on {} ({}; 1 ns = 1 instruction under -icount shift=0)",
        o.board,
        if o.quick { "quick" } else { "full" }
    );
    print!("{}", bench::table(&ms));
    if let Some(path) = &o.json {
        write(
            path,
            &bench::json(&ms, o.board.name(), &today(), &git_describe()),
        )?;
        println!("wrote {}", path.display());
    }
    for name in &missing {
        println!("not ok: measurement {name} missing or not > 0");
    }
    if !done || !run_ok {
        println!(
            "not ok: the benchmark did not finish (no `bench: done`, or QEMU failed); see {}",
            o.log.display()
        );
    }
    if let Some(path) = &o.results {
        let failed = missing.len() + usize::from(!done || !run_ok);
        let passed = EXPECTED.len() + 1 - failed;
        write(
            path,
            &format!("passed {passed}\nfailed {failed}\nskipped 0\n"),
        )?;
    }
    Ok(missing.is_empty() && done && run_ok)
}
