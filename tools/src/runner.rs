//! Boots the test kernel in QEMU, enforces deadlines and collects its KTAP.
//!
//! A test that hangs or crashes the kernel must still produce a result
//! (shared/spec/ktap.md), so the runner watches the console with deadlines:
//! `boot_timeout` until the top-level plan `1..N`, then `suite_timeout`,
//! restarted at every suite header and result line. When a deadline passes
//! or QEMU exits early, the current suite is reported as `# TIMEOUT` or
//! `# ERROR` with the last console lines, and QEMU is started again with
//! `ktest_from=<next suite>` so the remaining suites still run.
//!
//! Console lines arrive through reader threads and a channel, because a
//! blocking read on QEMU's stdout could never notice a deadline.

use std::collections::{BTreeMap, VecDeque};
use std::ffi::OsString;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use crate::board::Board;
use crate::ktap::{Abort, Collector, Document, SuiteReport};

/// How many console lines a TIMEOUT/ERROR report quotes.
pub const TAIL_LINES: usize = 40;

/// How long QEMU may take to exit once its stdout has closed, before it is
/// killed; it normally exits at once.
const EXIT_GRACE: Duration = Duration::from_secs(5);

/// How long to keep reading after killing QEMU, to catch lines that were
/// already in the pipe (often the most telling ones).
const DRAIN_AFTER_KILL: Duration = Duration::from_millis(500);

/// Most lines of the kernel's magic-SysRq task dump a report quotes.
pub const DUMP_LINES: usize = 400;

/// After a hang, how long the kernel may stay quiet before its SysRq
/// dump is taken as finished, and the most time the dump may take.
const DUMP_QUIET: Duration = Duration::from_secs(2);
const DUMP_MAX: Duration = Duration::from_secs(20);
/// How long the first line of the dump may take: on a loaded host a vCPU
/// can be descheduled for seconds.
const DUMP_FIRST: Duration = Duration::from_secs(8);

/// Everything one `ktest-runner` invocation needs to start QEMU.
#[derive(Clone, Debug)]
pub struct RunConfig {
    pub board: Board,
    pub kernel: PathBuf,
    pub dtb: PathBuf,
    /// `all` or a comma-separated list, passed on as `ktest=<suites>`.
    pub suites: String,
    /// Per-suite deadline, restarted at every `# Subtest:` line.
    pub suite_timeout: Duration,
    /// Deadline for the top-level plan after QEMU starts.
    pub boot_timeout: Duration,
    /// The QEMU executable (tests pass a fake script here).
    pub qemu: PathBuf,
    /// Extra kernel command-line text appended after ours.
    pub append: String,
    /// An initramfs image for QEMU's `-initrd` (the board firmware's
    /// `initramfs` line): added on top of the built-in one.
    pub initrd: Option<PathBuf>,
}

impl RunConfig {
    /// A configuration with the documented defaults: all suites, 120 s per
    /// suite, 60 s to boot, `qemu-system-aarch64` from `PATH`.
    pub fn new(board: Board, kernel: PathBuf, dtb: PathBuf) -> Self {
        RunConfig {
            board,
            kernel,
            dtb,
            suites: "all".to_string(),
            suite_timeout: Duration::from_secs(120),
            boot_timeout: Duration::from_secs(60),
            qemu: PathBuf::from("qemu-system-aarch64"),
            append: String::new(),
            initrd: None,
        }
    }

    /// The kernel command line for a run that starts at suite `from`.
    pub fn cmdline(&self, from: usize) -> String {
        let mut cmdline = format!("ktest={} ktest_from={from}", self.suites);
        if !self.append.trim().is_empty() {
            cmdline.push(' ');
            cmdline.push_str(self.append.trim());
        }
        cmdline
    }

    /// QEMU's arguments for a run that starts at suite `from`.
    pub fn qemu_args(&self, from: usize) -> Vec<OsString> {
        let mut args = qemu_args(self.board, &self.kernel, &self.dtb, &self.cmdline(from));
        if let Some(initrd) = &self.initrd {
            args.push("-initrd".into());
            args.push(initrd.into());
        }
        args
    }
}

/// QEMU's arguments to boot `kernel` on `board` with `cmdline`, the console
/// on stdout: what every tool that boots pikern without a terminal uses.
pub fn qemu_args(board: Board, kernel: &Path, dtb: &Path, cmdline: &str) -> Vec<OsString> {
    let mut args: Vec<OsString> = Vec::new();
    let mut push = |a: &dyn AsRef<std::ffi::OsStr>| args.push(a.as_ref().to_os_string());
    push(&"-M");
    push(&board.qemu_machine());
    push(&"-kernel");
    push(&kernel);
    push(&"-dtb");
    push(&dtb);
    push(&"-append");
    push(&cmdline);
    // No window, console on stdio, no monitor multiplexed onto it (it
    // would eat input and print its own banner), semihosting for the
    // kernel's exit status, and a reset ends QEMU instead of rebooting
    // into the same tests forever.
    for arg in [
        "-display",
        "none",
        "-serial",
        "stdio",
        "-monitor",
        "none",
        "-semihosting",
        "-no-reboot",
    ] {
        push(&arg);
    }
    args
}

/// `args` with the console on a multiplexed stdio character device
/// instead of plain `-serial stdio`: the multiplexer turns Ctrl-A b on its
/// input into a serial BREAK, which is how the runner reaches the kernel's
/// magic SysRq after a hang, and Ctrl-A c into QEMU's monitor. Signals stay
/// off, so input is never a signal.
pub fn sysrq_console(args: Vec<OsString>) -> Vec<OsString> {
    let mut out = Vec::with_capacity(args.len() + 2);
    let mut it = args.into_iter().peekable();
    while let Some(a) = it.next() {
        if a == "-serial" && it.peek().is_some_and(|v| v == "stdio") {
            it.next();
            for x in [
                "-chardev",
                "stdio,id=con0,mux=on,signal=off",
                "-serial",
                "chardev:con0",
                // QEMU's monitor on the same multiplexer (Ctrl-A c): after
                // a hang it tells where each vCPU is (`qemu_monitor`).
                "-mon",
                "chardev=con0,mode=readline",
            ] {
                out.push(OsString::from(x));
            }
        } else {
            out.push(a);
        }
    }
    out
}

/// Something QEMU said, as the reader threads pass it on.
enum Message {
    Stdout(String),
    Stderr(String),
    /// QEMU's stdout reached end of file: it exited or is exiting.
    StdoutClosed,
}

/// A running QEMU and the channel its output arrives on.
struct Qemu {
    child: Child,
    messages: Receiver<Message>,
    /// The console's input (through QEMU's multiplexer).
    stdin: Option<std::process::ChildStdin>,
}

impl Qemu {
    fn spawn(config: &RunConfig, from: usize) -> io::Result<Qemu> {
        let mut child = Command::new(&config.qemu)
            .args(sysrq_console(config.qemu_args(from)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let (tx, messages) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        spawn_reader(
            stdout,
            tx.clone(),
            Message::Stdout,
            Some(Message::StdoutClosed),
        );
        spawn_reader(stderr, tx, Message::Stderr, None);
        let stdin = child.stdin.take();
        Ok(Qemu {
            child,
            messages,
            stdin,
        })
    }

    /// Asks the hung kernel for its task states: a BREAK (the console
    /// multiplexer's Ctrl-A b) then `t`, magic SysRq's show-task-states.
    /// The dump is read until the console stays quiet for [`DUMP_QUIET`]
    /// (for its first line, [`DUMP_FIRST`]).
    fn sysrq_show_state(&mut self, console: &mut Console) {
        let Some(stdin) = self.stdin.as_mut() else {
            return;
        };
        if stdin
            .write_all(b"\x01bt")
            .and_then(|_| stdin.flush())
            .is_err()
        {
            return;
        }
        console.dump = Some(Vec::new());
        let end = Instant::now() + DUMP_MAX;
        let mut wait = DUMP_FIRST;
        while Instant::now() < end {
            match self.messages.recv_timeout(wait) {
                Ok(Message::Stdout(line)) => {
                    console.stdout(&line);
                    wait = DUMP_QUIET;
                }
                Ok(Message::Stderr(line)) => console.stderr(&line),
                Ok(Message::StdoutClosed) | Err(_) => break,
            }
        }
    }

    /// Asks QEMU's monitor where every vCPU is (registers, then the frame
    /// records above each kernel frame pointer), for a hang the kernel
    /// could not describe itself: a CPU spinning with IRQs masked.
    fn cpu_states(&mut self, console: &mut Console, kernel: &Path) {
        use crate::qemu_monitor::{
            describe, find_kallsyms, kernel_frame, parse_frame, parse_registers,
        };
        /// Frames walked per CPU.
        const MAX_FRAMES: usize = 16;
        if self.monitor(console, "\x01c", |_| false).is_none() {
            return;
        }
        let Some(reply) = self.monitor(console, "info registers -a\n", |_| false) else {
            return;
        };
        let cpus = parse_registers(&reply);
        if cpus.is_empty() {
            // No monitor on this console (a stand-in QEMU in the tests):
            // nothing to add.
            return;
        }
        let image = std::fs::read(kernel).unwrap_or_default();
        let syms = find_kallsyms(&image);
        let mut notes = vec![format!(
            "where QEMU's monitor found each vCPU (pc, lr, then the return addresses of the frame records){}:",
            if syms.is_some() { "" } else { ", no kallsyms in the image" }
        )];
        for c in &cpus {
            let mut frames = Vec::new();
            if c.mode() != "EL0t"
                && self
                    .monitor(console, &format!("cpu {}\n", c.cpu), |_| false)
                    .is_some()
            {
                let mut fp = c.fp;
                while frames.len() < MAX_FRAMES && kernel_frame(fp) {
                    let key = format!("{fp:016x}:");
                    let Some(reply) =
                        self.monitor(console, &format!("x /2gx {fp:#x}\n"), |l| l.contains(&key))
                    else {
                        break;
                    };
                    let Some((next, ret)) = parse_frame(&reply, fp) else {
                        break;
                    };
                    frames.push(ret);
                    if next <= fp {
                        break;
                    }
                    fp = next;
                }
            }
            notes.extend(describe(c, &frames, syms.as_ref()));
        }
        console.cpus = Some(notes);
    }

    /// Sends `input` to the console multiplexer and collects the lines that
    /// follow until one satisfies `done` (or, without such a line, until the
    /// console is quiet). `None` if QEMU's input is gone.
    fn monitor(
        &mut self,
        console: &mut Console,
        input: &str,
        done: impl Fn(&str) -> bool,
    ) -> Option<Vec<String>> {
        /// A monitor reply comes within milliseconds; the host may be loaded.
        const QUIET: Duration = Duration::from_millis(300);
        const MAX: Duration = Duration::from_secs(3);
        let stdin = self.stdin.as_mut()?;
        stdin
            .write_all(input.as_bytes())
            .and_then(|_| stdin.flush())
            .ok()?;
        let end = Instant::now() + MAX;
        let mut lines = Vec::new();
        while Instant::now() < end {
            match self.messages.recv_timeout(QUIET) {
                Ok(Message::Stdout(line)) => {
                    console.log_only(&line);
                    let finished = done(&line);
                    lines.push(line);
                    if finished {
                        break;
                    }
                }
                Ok(Message::Stderr(line)) => console.stderr(&line),
                Ok(Message::StdoutClosed) => return None,
                Err(_) => break,
            }
        }
        Some(lines)
    }

    /// Kills QEMU and reaps it. The reader threads are left to finish on
    /// their own: they end when the pipes close.
    fn kill(&mut self) -> Option<ExitStatus> {
        // An error here means it already exited, which is what we want.
        let _ = self.child.kill();
        self.child.wait().ok()
    }

    /// Waits up to `grace` for QEMU to exit by itself, logging whatever it
    /// still prints; kills it after that. Returns its status and whether it
    /// had to be killed.
    fn wait_exit(&mut self, grace: Duration, console: &mut Console) -> (Option<ExitStatus>, bool) {
        let deadline = Instant::now() + grace;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    self.drain(console, Duration::from_millis(200));
                    return (Some(status), false);
                }
                Ok(None) if Instant::now() < deadline => {
                    self.drain(console, Duration::from_millis(20));
                }
                _ => {
                    let status = self.kill();
                    self.drain(console, DRAIN_AFTER_KILL);
                    return (status, true);
                }
            }
        }
    }

    /// Logs the messages that arrive within `wait`, stopping early at the
    /// end of stdout.
    fn drain(&mut self, console: &mut Console, wait: Duration) {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.messages.recv_timeout(left) {
                Ok(Message::Stdout(line)) => console.stdout(&line),
                Ok(Message::Stderr(line)) => console.stderr(&line),
                Ok(Message::StdoutClosed) | Err(_) => return,
            }
        }
    }
}

/// Forwards `source` line by line into the channel. Bytes that are not
/// UTF-8 (a garbled serial line) are replaced rather than ending the read.
fn spawn_reader<R: Read + Send + 'static>(
    source: R,
    tx: Sender<Message>,
    wrap: fn(String) -> Message,
    at_eof: Option<Message>,
) {
    thread::spawn(move || {
        let mut reader = BufReader::new(source);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buf);
                    let line = line.trim_end_matches(['\n', '\r']).to_string();
                    if tx.send(wrap(line)).is_err() {
                        return; // the runner moved on; nobody listens
                    }
                }
            }
        }
        if let Some(message) = at_eof {
            let _ = tx.send(message);
        }
    });
}

/// The raw console: copied to the log as it arrives, with the last
/// [`TAIL_LINES`] lines kept for failure reports.
struct Console<'a> {
    log: &'a mut dyn Write,
    tail: VecDeque<String>,
    /// Lines that arrived after the SysRq request, when one was made.
    dump: Option<Vec<String>>,
    /// Kernel bug reports seen on the console (see [`is_kernel_report`]).
    reports: Vec<String>,
    /// Where each vCPU was after a hang, from QEMU's monitor.
    cpus: Option<Vec<String>>,
}

/// Is `line` the first line of a report the kernel prints when it finds
/// one of its own bugs and goes on (lockdep's `WARNING: ...`, `BUG:
/// sleeping function called from invalid context`, `BUG: scheduling while
/// atomic`)? Such a run fails even when every test passed. The spinning
/// reports (a lock, or a task's `on_cpu`, waited on for a second) are left
/// out: on a loaded host a descheduled vCPU can hold either that long
/// without any bug.
pub fn is_kernel_report(line: &str) -> bool {
    let line = line.trim_start();
    (line.starts_with("BUG: ") || line.starts_with("WARNING: "))
        && !line.starts_with("BUG: spinlock lockup suspected")
        && !line.starts_with("BUG: on_cpu wait suspected")
}

impl<'a> Console<'a> {
    fn new(log: &'a mut dyn Write) -> Self {
        Console {
            log,
            tail: VecDeque::with_capacity(TAIL_LINES),
            dump: None,
            reports: Vec::new(),
            cpus: None,
        }
    }

    fn stdout(&mut self, line: &str) {
        self.record(line.to_string());
    }

    fn stderr(&mut self, line: &str) {
        self.record(format!("qemu stderr: {line}"));
    }

    /// Monitor replies: to the log, not to the console tail or dump.
    fn log_only(&mut self, line: &str) {
        let _ = writeln!(self.log, "{line}");
    }

    fn record(&mut self, line: String) {
        if self.cpus.is_some() && line.trim() == "(qemu)" {
            // The monitor's last prompt, flushed when QEMU is killed.
            return;
        }
        // The log is a convenience: failing to write it must not stop the tests.
        let _ = writeln!(self.log, "{line}");
        if is_kernel_report(&line) {
            self.reports.push(line.clone());
        }
        if let Some(dump) = self.dump.as_mut() {
            if dump.len() < DUMP_LINES {
                dump.push(line);
            }
            return;
        }
        if self.tail.len() == TAIL_LINES {
            self.tail.pop_front();
        }
        self.tail.push_back(line);
    }

    /// A separator line in the log only; it is not console output.
    fn separator(&mut self, text: &str) {
        let _ = writeln!(self.log, "===== ktest-runner: {text} =====");
        let _ = self.log.flush();
    }

    /// The console tail as diagnostic lines, starting afresh for the next run.
    fn take_tail(&mut self) -> Vec<String> {
        let lines: Vec<String> = self.tail.drain(..).collect();
        let dump = self.dump.take();
        let mut notes = if lines.is_empty() {
            vec!["the console printed nothing".to_string()]
        } else {
            let mut n = vec![format!("last {} console line(s):", lines.len())];
            n.extend(lines.into_iter().map(|l| format!("| {l}")));
            n
        };
        match dump {
            None => {}
            Some(dump) if dump.is_empty() => notes.push(
                "asked for magic SysRq t (show-task-states), the kernel printed nothing \
                 (interrupts off, or stuck before its console works)"
                    .to_string(),
            ),
            Some(dump) => {
                notes.push(format!(
                "then, asked for magic SysRq t (show-task-states), the kernel printed {} line(s){}:",
                dump.len(),
                if dump.len() == DUMP_LINES { ", the first ones" } else { "" }
            ));
                notes.extend(dump.into_iter().map(|l| format!("| {l}")));
            }
        }
        notes.extend(self.cpus.take().unwrap_or_default());
        notes
    }
}

/// How one QEMU run ended.
enum End {
    /// Every suite of the plan has a result; QEMU's exit status, and
    /// whether it had to be killed because it did not exit by itself.
    Complete {
        status: Option<ExitStatus>,
        killed: bool,
    },
    /// A deadline passed (this long after the last progress) and QEMU was
    /// killed.
    Deadline(Duration),
    /// QEMU exited before every suite had a result.
    Exited(Option<ExitStatus>),
    /// QEMU could not be started at all.
    SpawnFailed(String),
}

fn describe_status(status: Option<ExitStatus>) -> String {
    status.map_or_else(|| "an unknown status".to_string(), |s| s.to_string())
}

/// Runs QEMU once, from suite `from`, until every suite in 1..=N has a
/// result (counting `done` from earlier runs), a deadline passes, or QEMU
/// exits.
fn run_once(
    config: &RunConfig,
    from: usize,
    done: &BTreeMap<usize, SuiteReport>,
    console: &mut Console,
) -> (Collector, End) {
    let mut collector = Collector::new();
    let mut qemu = match Qemu::spawn(config, from) {
        Ok(qemu) => qemu,
        Err(err) => {
            let message = format!("could not start `{}`: {err}", config.qemu.display());
            console.separator(&message);
            return (collector, End::SpawnFailed(message));
        }
    };
    let complete = |collector: &Collector| match collector.plan() {
        Some(plan) => (1..=plan)
            .all(|k| done.contains_key(&k) || collector.finished().iter().any(|s| s.number == k)),
        None => false,
    };
    let mut allowed = config.boot_timeout;
    let mut deadline = Instant::now() + allowed;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match qemu.messages.recv_timeout(left) {
            Ok(Message::Stdout(line)) => {
                console.stdout(&line);
                if collector.feed(&line).is_some() {
                    // Any KTAP progress (plan, suite header, suite result)
                    // restarts the per-suite deadline.
                    allowed = config.suite_timeout;
                    deadline = Instant::now() + allowed;
                }
                if complete(&collector) {
                    // The kernel exits through semihosting right after the
                    // last suite; give it one suite deadline to do so.
                    let (status, killed) = qemu.wait_exit(config.suite_timeout, console);
                    return (collector, End::Complete { status, killed });
                }
            }
            Ok(Message::Stderr(line)) => console.stderr(&line),
            Ok(Message::StdoutClosed) | Err(RecvTimeoutError::Disconnected) => {
                let (status, _) = qemu.wait_exit(EXIT_GRACE, console);
                return (collector, End::Exited(status));
            }
            Err(RecvTimeoutError::Timeout) => {
                qemu.sysrq_show_state(console);
                qemu.cpu_states(console, &config.kernel);
                qemu.kill();
                qemu.drain(console, DRAIN_AFTER_KILL);
                return (collector, End::Deadline(allowed));
            }
        }
    }
}

fn seconds(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs.fract() == 0.0 {
        format!("{secs:.0} s")
    } else {
        format!("{secs} s")
    }
}

/// Runs the selected suites on `config.board`, restarting QEMU after each
/// hang or crash, and returns the whole KTAP document. The raw console of
/// every run goes to `log`.
pub fn run(config: &RunConfig, log: &mut dyn Write) -> Document {
    let machine = config.board.qemu_machine();
    let mut doc = Document {
        title: format!("pikern in-kernel tests on {machine}"),
        ..Document::default()
    };
    let mut console = Console::new(log);
    let mut results: BTreeMap<usize, SuiteReport> = BTreeMap::new();
    let mut plan: Option<usize> = None;
    let mut from = 1;
    for run_number in 1.. {
        console.separator(&format!(
            "run {run_number} on {machine}: {} {}",
            config.qemu.display(),
            sysrq_console(config.qemu_args(from))
                .iter()
                .map(|a| a.to_string_lossy())
                .collect::<Vec<_>>()
                .join(" ")
        ));
        let (mut collector, end) = run_once(config, from, &results, &mut console);
        match &end {
            End::Complete { status, killed } => console.separator(&format!(
                "QEMU {} with {}",
                if *killed { "was killed" } else { "exited" },
                describe_status(*status)
            )),
            End::Deadline(d) => {
                console.separator(&format!("deadline of {} passed; QEMU killed", seconds(*d)))
            }
            End::Exited(status) => console.separator(&format!(
                "QEMU exited early with {}",
                describe_status(*status)
            )),
            End::SpawnFailed(_) => {}
        }

        match (plan, collector.plan()) {
            (None, Some(n)) => plan = Some(n),
            (Some(n), Some(m)) if n != m => doc.notes.push(format!(
                "run {run_number} (ktest_from={from}) announced 1..{m}, the first run 1..{n}; keeping 1..{n}"
            )),
            _ => {}
        }
        if let Some(first) = collector.finished().first() {
            if first.number < from {
                doc.notes.push(format!(
                    "run {run_number} was asked for ktest_from={from} but its first result is suite {}",
                    first.number
                ));
            }
        }
        for report in collector.finished() {
            if plan.is_some_and(|n| report.number == 0 || report.number > n) {
                doc.notes.push(format!(
                    "ignored the result of suite {} (`{}`): outside the plan",
                    report.number, report.name
                ));
                continue;
            }
            results
                .entry(report.number)
                .or_insert_with(|| report.clone());
        }

        let Some(n) = plan else {
            // No plan ever: nothing is known about the suites, so the
            // whole run is one failed `boot` test.
            let (abort, reason) = match &end {
                End::Deadline(d) => (
                    Abort::Timeout,
                    format!(
                        "no KTAP plan within {} of starting QEMU; QEMU killed",
                        seconds(*d)
                    ),
                ),
                End::Exited(status) => (
                    Abort::Error,
                    format!(
                        "QEMU exited with {} before printing the KTAP plan",
                        describe_status(*status)
                    ),
                ),
                End::SpawnFailed(message) => (Abort::Error, message.clone()),
                End::Complete { .. } => unreachable!("a run without a plan cannot be complete"),
            };
            let mut boot = SuiteReport::aborted(1, "boot".to_string(), Vec::new(), abort);
            boot.notes
                .push(format!("{}: {reason}", directive_word(abort)));
            boot.notes.extend(console.take_tail());
            eprintln!("ktest-runner: {machine}: boot failed: {reason}");
            doc.plan = 1;
            doc.suites = vec![boot];
            return doc;
        };

        let missing = |results: &BTreeMap<usize, SuiteReport>| -> Vec<usize> {
            (1..=n).filter(|k| !results.contains_key(k)).collect()
        };
        let (abort, reason) = match &end {
            End::Complete { status, killed } => {
                if *killed {
                    doc.notes.push(format!(
                        "QEMU did not exit within {} after the last suite; killed",
                        seconds(config.suite_timeout)
                    ));
                } else if status.is_some_and(|s| !matches!(s.code(), Some(0 | 1))) {
                    doc.notes.push(format!(
                        "QEMU exited with {} after the last suite (expected 0 or 1)",
                        describe_status(*status)
                    ));
                }
                break;
            }
            End::Deadline(d) => (
                Abort::Timeout,
                format!("no progress within {}; QEMU killed", seconds(*d)),
            ),
            End::Exited(status) => (
                Abort::Error,
                format!(
                    "QEMU exited with {} before the suite's result line",
                    describe_status(*status)
                ),
            ),
            End::SpawnFailed(message) => (Abort::Error, message.clone()),
        };
        let left = missing(&results);
        let Some(&first_missing) = left.first() else {
            break; // every result is in after all; nothing to blame
        };

        if collector.plan().is_none() {
            // A restarted kernel that does not even print its plan will not
            // do better on the next try: blame the suite it should have
            // started with and give up on the rest.
            let k = if left.contains(&from) {
                from
            } else {
                first_missing
            };
            let mut report = collector.abort_current(k, abort);
            report.notes.push(format!(
                "{}: QEMU restarted with ktest_from={from} printed no KTAP plan: {reason}",
                directive_word(abort)
            ));
            report.notes.extend(console.take_tail());
            results.insert(k, report);
            for other in missing(&results) {
                let mut report =
                    SuiteReport::aborted(other, format!("suite{other}"), Vec::new(), Abort::Error);
                report.notes.push(format!(
                    "ERROR: not run: QEMU restarted with ktest_from={from} did not boot"
                ));
                results.insert(other, report);
            }
            eprintln!("ktest-runner: {machine}: restart at suite {from} failed to boot: {reason}");
            break;
        }

        // The suite to blame: the one after the last result of this run
        // (which is also the one whose `# Subtest:` is open, if any).
        let next = collector.finished().last().map_or(from, |s| s.number + 1);
        let mut report = if left.contains(&next) {
            collector.abort_current(next, abort)
        } else {
            // The kernel's numbering does not lead to a missing suite (it
            // ignored ktest_from, or skipped a number): blame the first
            // missing one, without the open block, which belongs to another.
            SuiteReport::aborted(
                first_missing,
                format!("suite{first_missing}"),
                Vec::new(),
                abort,
            )
        };
        let k = report.number;
        report.notes.push(format!(
            "{}: suite {k} ({}): {reason}",
            directive_word(abort),
            report.name
        ));
        report.notes.extend(console.take_tail());
        eprintln!(
            "ktest-runner: {machine}: suite {k} ({}): {reason}",
            report.name
        );
        results.insert(k, report);
        let left = missing(&results);
        match left.iter().find(|&&m| m > k).or(left.first()) {
            Some(&next_from) => {
                eprintln!("ktest-runner: {machine}: restarting QEMU at suite {next_from}");
                from = next_from;
            }
            None => break,
        }
    }
    doc.plan = plan.unwrap_or(0);
    if doc.plan == 0 {
        doc.notes
            .push("the kernel selected no suites (plan 1..0)".to_string());
    }
    doc.suites = results.into_values().collect();
    if !console.reports.is_empty() {
        // One more result, failed, that names every report: a kernel bug
        // found by its own checks fails the run (the full text is in the
        // console log).
        doc.plan += 1;
        let mut r = SuiteReport::aborted(
            doc.plan,
            "kernel_reports".to_string(),
            Vec::new(),
            Abort::Error,
        );
        r.notes.push(format!(
            "ERROR: the kernel reported {} bug(s) of its own (lockdep, sleeping in atomic context); see the console log",
            console.reports.len()
        ));
        r.notes
            .extend(console.reports.iter().map(|l| format!("| {l}")));
        doc.suites.push(r);
    }
    doc
}

fn directive_word(abort: Abort) -> &'static str {
    match abort {
        Abort::Timeout => "TIMEOUT",
        Abort::Error => "ERROR",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_carries_suites_start_and_extra_text() {
        let mut config = RunConfig::new(Board::Rpi4, "k.img".into(), "d.dtb".into());
        assert_eq!(config.cmdline(1), "ktest=all ktest_from=1");
        config.suites = "console,timer".into();
        config.append = " loglevel=7 ".into();
        assert_eq!(
            config.cmdline(3),
            "ktest=console,timer ktest_from=3 loglevel=7"
        );
    }

    #[test]
    fn qemu_arguments_select_the_machine_and_semihosting() {
        let config = RunConfig::new(Board::Rpi3, "build/k.img".into(), "build/rpi3.dtb".into());
        let args: Vec<String> = config
            .qemu_args(2)
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect();
        assert_eq!(
            args,
            [
                "-M",
                "raspi3b",
                "-kernel",
                "build/k.img",
                "-dtb",
                "build/rpi3.dtb",
                "-append",
                "ktest=all ktest_from=2",
                "-display",
                "none",
                "-serial",
                "stdio",
                "-monitor",
                "none",
                "-semihosting",
                "-no-reboot",
            ]
        );
    }

    #[test]
    fn kernel_bug_reports_are_recognised_but_not_spinlock_stalls() {
        assert!(is_kernel_report(
            "WARNING: possible circular locking dependency detected"
        ));
        assert!(is_kernel_report(
            "BUG: sleeping function called from invalid context at kernel/src/x.rs:1"
        ));
        assert!(!is_kernel_report(
            "BUG: spinlock lockup suspected on CPU#1, a/1"
        ));
        assert!(!is_kernel_report(
            "BUG: on_cpu wait suspected on CPU#2: a/7 still on CPU#3 after 1s"
        ));
        assert!(!is_kernel_report(
            "watchdog: BUG: soft lockup - CPU#0 stuck for 3s!"
        ));
        assert!(!is_kernel_report("    ok 1 WARNING_is_a_name"));
    }

    #[test]
    fn console_tail_keeps_the_last_lines_only() {
        let mut log = Vec::new();
        let mut console = Console::new(&mut log);
        for i in 0..(TAIL_LINES + 5) {
            console.stdout(&format!("line {i}"));
        }
        console.stderr("boom");
        let tail = console.take_tail();
        assert_eq!(tail[0], format!("last {TAIL_LINES} console line(s):"));
        assert_eq!(tail.len(), TAIL_LINES + 1);
        assert_eq!(tail[1], "| line 6");
        assert_eq!(tail.last().unwrap(), "| qemu stderr: boom");
        assert_eq!(console.take_tail(), ["the console printed nothing"]);
        let log = String::from_utf8(log).unwrap();
        assert!(log.starts_with("line 0\n") && log.ends_with("qemu stderr: boom\n"));
    }
}
