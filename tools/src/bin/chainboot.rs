//! `chainboot`: sends a kernel to pikern's chainloader over the serial line
//! and then stays on as the console (`make chainboot DEV=/dev/ttyUSB0`).

use pikern_tools::chainboot::{self, Outcome, PortSpec, SendOptions, Transcript};
use pikern_tools::cli::{parse_seconds, Arg, Args};
use std::io::{IsTerminal, Read, Write};
use std::process::{Command, ExitCode};
use std::time::Duration;

const USAGE: &str = "\
usage: chainboot (--dev DEV [--baud N] | --unix PATH | --tcp HOST:PORT)
                 [--corrupt] [--expect TEXT] [--timeout SECS] [--wait SECS] KERNEL

Waits for pikern's chainloader (flashed as kernel8.img: make
sdcard-chainloader) to say `chainload: ready`, sends KERNEL with its size
and CRC-32, and, once the chainloader has checked it, shows the console:
what you type goes to the board; Ctrl-] quits.

  --dev DEV       serial device, e.g. /dev/ttyUSB0 (set to 115200 8N1 raw)
  --unix PATH     QEMU's serial socket (-serial unix:PATH,server=on)
  --tcp ADDR      QEMU's serial socket (-serial tcp:ADDR,server=on)
  --wait SECS     how long to wait for the chainloader (default 60)
  --expect TEXT   exit 0 as soon as the kernel prints TEXT (for scripts)
  --timeout SECS  with --expect: give up (exit 1) after SECS
  --corrupt       flip one byte after computing the checksum (tests that
                  the chainloader refuses a damaged transfer)

Exit status: 0 = the kernel started (and TEXT appeared), 1 = refused or
no answer, 2 = bad usage.";

struct Opts {
    port: PortSpec,
    kernel: String,
    corrupt: bool,
    expect: Option<String>,
    timeout: Duration,
    wait: Duration,
}

fn parse(mut a: Args) -> Result<Option<Opts>, String> {
    let (mut dev, mut baud, mut port, mut kernel) = (None, 115_200, None, None);
    let (mut corrupt, mut expect) = (false, None);
    let mut timeout = Duration::from_secs(120);
    let mut wait = Duration::from_secs(60);
    while let Some(arg) = a.next_arg()? {
        match arg {
            Arg::Flag(f) if f == "--dev" => dev = Some(a.value(&f)?),
            Arg::Flag(f) if f == "--baud" => {
                baud = a.value(&f)?.parse().map_err(|_| "--baud: not a number")?
            }
            Arg::Flag(f) if f == "--unix" => port = Some(PortSpec::Unix(a.value(&f)?)),
            Arg::Flag(f) if f == "--tcp" => port = Some(PortSpec::Tcp(a.value(&f)?)),
            Arg::Flag(f) if f == "--corrupt" => corrupt = true,
            Arg::Flag(f) if f == "--expect" => expect = Some(a.value(&f)?),
            Arg::Flag(f) if f == "--timeout" => timeout = parse_seconds(&f, &a.value(&f)?)?,
            Arg::Flag(f) if f == "--wait" => wait = parse_seconds(&f, &a.value(&f)?)?,
            Arg::Flag(f) if f == "-h" || f == "--help" => return Ok(None),
            Arg::Flag(f) => return Err(format!("unknown option {f}")),
            Arg::Positional(p) if kernel.is_none() => kernel = Some(p),
            Arg::Positional(p) => return Err(format!("unexpected argument `{p}`")),
        }
    }
    let port = match (port, dev) {
        (Some(p), None) => p,
        (None, Some(d)) => PortSpec::Device(d, baud),
        (None, None) => return Err("say where the board is: --dev, --unix or --tcp".into()),
        (Some(_), Some(_)) => return Err("give only one of --dev, --unix, --tcp".into()),
    };
    Ok(Some(Opts {
        port,
        kernel: kernel.ok_or("which kernel? (e.g. build/kernel8.img)")?,
        corrupt,
        expect,
        timeout,
        wait,
    }))
}

fn main() -> ExitCode {
    let o = pikern_tools::cli::parse_or_exit("chainboot", USAGE, parse);
    match run(&o) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chainboot: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(o: &Opts) -> Result<(), String> {
    let image = std::fs::read(&o.kernel).map_err(|e| format!("{}: {e}", o.kernel))?;
    let (r, mut w) = chainboot::open(&o.port, o.wait)?;
    eprintln!(
        "chainboot: {} ({} bytes) to {:?}; waiting for the chainloader",
        o.kernel,
        image.len(),
        o.port
    );
    let t = Transcript::follow(r, true);
    let opts = SendOptions {
        ready_timeout: o.wait,
        corrupt: o.corrupt,
        progress: std::io::stderr().is_terminal() || matches!(o.port, PortSpec::Device(..)),
    };
    match chainboot::send_kernel(&t, &mut *w, &image, &opts)? {
        Outcome::Refused(line) => {
            return Err(format!("the chainloader refused the transfer: {line}"));
        }
        Outcome::Booting => eprintln!("chainboot: checksum ok; the kernel is starting"),
    }
    if let Some(text) = &o.expect {
        return if t.wait_text(text, o.timeout) {
            Ok(())
        } else {
            Err(format!("the kernel did not print {text:?}"))
        };
    }
    console(&t, &mut *w)
}

/// Forwards the keyboard to the board until Ctrl-] or the line closes.
fn console(t: &Transcript, w: &mut dyn Write) -> Result<(), String> {
    let tty = std::io::stdin().is_terminal();
    if tty {
        eprintln!("chainboot: console; Ctrl-] quits");
        let _ = Command::new("stty").args(["raw", "-echo"]).status();
    }
    let mut stdin = std::io::stdin().lock();
    let mut b = [0u8; 1];
    let result = loop {
        match stdin.read(&mut b) {
            Ok(1) if b[0] == 0x1d => break Ok(()),
            Ok(1) => {
                if w.write_all(&b).and_then(|_| w.flush()).is_err() {
                    break Ok(());
                }
            }
            // End of input: keep showing the board until it closes.
            _ => {
                while !t.closed() {
                    std::thread::sleep(Duration::from_millis(100));
                }
                break Ok(());
            }
        }
    };
    if tty {
        let _ = Command::new("stty").arg("sane").status();
    }
    result
}
