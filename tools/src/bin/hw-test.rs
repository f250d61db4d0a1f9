//! `hw-test --board rpi3|rpi4 [--results FILE]`: the code paths a real
//! board takes, tried under QEMU (KTAP on stdout):
//!
//! - the chainloader (build/chainloader.img as the "firmware's" kernel8.img)
//!   refuses a corrupted transfer sent by `chainboot`, then boots the real
//!   kernel sent next, which runs a program;
//! - without semihosting (as on a board), `poweroff` powers the machine off
//!   through the watchdog and `reboot` resets it through the watchdog;
//! - the UART clock comes from the firmware's mailbox;
//! - with `--real-dtb FILE` (Debian's DTB for the board, as `make sdcard`
//!   puts on the card), the kernel boots and runs a program with the DTB a
//!   real firmware would pass (skipped without it).
//!
//! The chainloader runs with the other three cores parked in the spin
//! table, which under multi-threaded TCG busy-wait and starve QEMU's serial
//! backend on a 2-core host; those runs use one TCG thread.

use pikern_tools::board::Board;
use pikern_tools::chainboot::Transcript;
use pikern_tools::cli::{Arg, Args};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

struct Opts {
    board: Board,
    kernel: String,
    chainloader: String,
    dtb: String,
    real_dtb: Option<String>,
    results: Option<String>,
}

fn parse(mut a: Args) -> Result<Opts, String> {
    let mut board = Board::Rpi3;
    let (mut kernel, mut chainloader, mut dtb, mut results) = (None, None, None, None);
    let mut real_dtb = None;
    while let Some(arg) = a.next_arg()? {
        match arg {
            Arg::Flag(f) if f == "--board" => board = a.value(&f)?.parse()?,
            Arg::Flag(f) if f == "--kernel" => kernel = Some(a.value(&f)?),
            Arg::Flag(f) if f == "--chainloader" => chainloader = Some(a.value(&f)?),
            Arg::Flag(f) if f == "--dtb" => dtb = Some(a.value(&f)?),
            Arg::Flag(f) if f == "--results" => results = Some(a.value(&f)?),
            Arg::Flag(f) if f == "--real-dtb" => {
                real_dtb = Some(a.value(&f)?).filter(|p| !p.is_empty())
            }
            other => return Err(format!("unexpected {other:?}")),
        }
    }
    Ok(Opts {
        board,
        kernel: kernel.unwrap_or_else(|| "build/kernel8.img".into()),
        chainloader: chainloader.unwrap_or_else(|| "build/chainloader.img".into()),
        dtb: dtb.unwrap_or_else(|| format!("build/{board}.dtb")),
        real_dtb,
        results,
    })
}

/// One QEMU, its console followed.
struct Machine {
    child: Child,
    console: Option<Transcript>,
}

impl Machine {
    fn start(o: &Opts, kernel: &str, append: &str, serial: &str, extra: &[&str]) -> Machine {
        Machine::start_with(o, kernel, &o.dtb, append, serial, extra)
    }

    fn start_with(
        o: &Opts,
        kernel: &str,
        dtb: &str,
        append: &str,
        serial: &str,
        extra: &[&str],
    ) -> Machine {
        let qemu = std::env::var("QEMU").unwrap_or_else(|_| "qemu-system-aarch64".into());
        let mut cmd = Command::new(qemu);
        cmd.args(["-M", o.board.qemu_machine(), "-kernel", kernel, "-dtb", dtb])
            .args(["-append", append, "-display", "none", "-monitor", "none"])
            .args(["-serial", serial, "-no-reboot"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().expect("qemu-system-aarch64 runs (make deps)");
        let out = child.stdout.take().expect("piped");
        let console = (serial == "stdio").then(|| Transcript::follow(Box::new(out), false));
        Machine { child, console }
    }

    /// QEMU's exit status, or None if it is still running after `secs`.
    fn wait(&mut self, secs: u64) -> Option<i32> {
        let end = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < end {
            if let Ok(Some(st)) = self.child.try_wait() {
                return Some(st.code().unwrap_or(-1));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The kernel's console must show every one of `want`, and QEMU must end by
/// itself with status 0 within `secs` (semihosting off: the watchdog did
/// it).
fn ends_by_watchdog(o: &Opts, append: &str, want: &[&str], secs: u64) -> Result<(), String> {
    ends_cleanly(o, &o.dtb, append, &[], want, secs)
}

/// Boots the kernel with `dtb`; QEMU must exit 0 by itself within `secs`
/// and the console show every one of `want`.
fn ends_cleanly(
    o: &Opts,
    dtb: &str,
    append: &str,
    extra: &[&str],
    want: &[&str],
    secs: u64,
) -> Result<(), String> {
    let mut m = Machine::start_with(o, &o.kernel, dtb, append, "stdio", extra);
    let status = m.wait(secs);
    let text = m.console.as_ref().map(|t| t.text()).unwrap_or_default();
    match status {
        None => return Err(format!("QEMU still running after {secs} s")),
        Some(0) => {}
        Some(s) => return Err(format!("QEMU exited with {s}")),
    }
    for w in want {
        if !text.contains(w) {
            let tail: String = text.chars().rev().take(300).collect::<String>();
            let tail: String = tail.chars().rev().collect();
            return Err(format!("console lacks {w:?}; it ends: {tail:?}"));
        }
    }
    Ok(())
}

fn chainboot(o: &Opts, sock: &Path, extra: &[&str]) -> Result<(bool, String), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let tool = exe.with_file_name("chainboot");
    let out = Command::new(&tool)
        .arg("--unix")
        .arg(sock)
        .args(["--wait", "60"])
        .args(extra)
        .arg(&o.kernel)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{}: {e}", tool.display()))?;
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    Ok((out.status.success(), text))
}

fn chainload(o: &Opts) -> Result<(), String> {
    let sock: PathBuf = std::env::temp_dir().join(format!(
        "pikern-chainload-{}-{}",
        o.board,
        std::process::id()
    ));
    let _ = std::fs::remove_file(&sock);
    let serial = format!("unix:{},server=on,wait=on", sock.display());
    let mut m = Machine::start(
        o,
        &o.chainloader,
        "-- /bin/hello",
        &serial,
        &["-semihosting", "-accel", "tcg,thread=single"],
    );
    let (ok, text) = chainboot(o, &sock, &["--corrupt"])?;
    if ok || !text.contains("chainload: refused: image checksum mismatch") {
        return Err(format!("a corrupted transfer was not refused: {text:?}"));
    }
    let (ok, text) = chainboot(o, &sock, &["--expect", "powering off", "--timeout", "120"])?;
    let _ = std::fs::remove_file(&sock);
    if !ok {
        return Err(format!("the good transfer did not boot: {text:?}"));
    }
    for want in ["pikern 0.1.0 booting", "Hello from user space!"] {
        if !text.contains(want) {
            return Err(format!("after chainloading, no {want:?}: {text:?}"));
        }
    }
    match m.wait(60) {
        Some(0) => Ok(()),
        other => Err(format!("QEMU did not exit 0 after the kernel: {other:?}")),
    }
}

fn main() -> ExitCode {
    let o = match Args::from_env().and_then(parse) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("hw-test: {e}");
            return ExitCode::from(2);
        }
    };
    // Ok(false) = skipped.
    type Case<'a> = (&'a str, Box<dyn Fn() -> Result<bool, String> + 'a>);
    let cases: Vec<Case> = vec![
        (
            "the UART clock comes from the firmware; poweroff without semihosting powers off through the watchdog",
            Box::new(|| {
                ends_by_watchdog(
                    &o,
                    "-- /bin/true",
                    &["Hz (from the firmware)", "reboot: Power down"],
                    120,
                )
                .map(|_| true)
            }),
        ),
        (
            "reboot resets the machine through the watchdog",
            Box::new(|| {
                ends_by_watchdog(
                    &o,
                    "init=/bin/reboot",
                    &["reboot: Restarting system"],
                    120,
                )
                .map(|_| true)
            }),
        ),
        (
            "the chainloader refuses a corrupted transfer, then boots the kernel sent next",
            Box::new(|| chainload(&o).map(|_| true)),
        ),
        (
            "the kernel boots with the board's real DTB (Debian's, as on the SD card)",
            Box::new(|| match &o.real_dtb {
                Some(dtb) if Path::new(dtb).exists() => ends_cleanly(
                    &o,
                    dtb,
                    "-- /bin/hello",
                    &["-semihosting"],
                    &["Hello from user space!", "4 CPUs online"],
                    120,
                )
                .map(|_| true),
                _ => Ok(false),
            }),
        ),
    ];
    println!("KTAP version 1\n1..{}", cases.len());
    let (mut failed, mut skipped) = (0, 0);
    for (i, (name, case)) in cases.iter().enumerate() {
        match case() {
            Ok(true) => println!("ok {} - {} ({})", i + 1, name, o.board),
            Ok(false) => {
                skipped += 1;
                println!(
                    "ok {} - {} ({}) # SKIP no DTB file (make sdcard fetches it)",
                    i + 1,
                    name,
                    o.board
                );
            }
            Err(e) => {
                failed += 1;
                println!("# {e}");
                println!("not ok {} - {} ({})", i + 1, name, o.board);
            }
        }
    }
    if let Some(path) = &o.results {
        let body = format!(
            "passed {}\nfailed {}\nskipped {}\n",
            cases.len() - failed - skipped,
            failed,
            skipped
        );
        if let Err(e) = std::fs::write(path, body) {
            eprintln!("hw-test: {path}: {e}");
            return ExitCode::FAILURE;
        }
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
