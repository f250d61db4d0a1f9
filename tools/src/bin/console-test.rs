//! `console-test --board rpi3|rpi4 --kernel IMG --dtb DTB [--results FILE]
//! [--busybox INITRD]`:
//! drives the shell through the emulated UART, as a user at the keyboard
//! would: run a program, a background job and `wait`, a redirection into
//! tracefs, a missing command, Ctrl-C of `sleep 100` and of a pipeline (the
//! terminal's foreground process group), `ps` states, the line
//! discipline's canonical editing and end of file as `cat` reads the
//! terminal (erase, kill, Ctrl-D), the shell's own raw-mode editing
//! echoed once, `exit`.
//! With `--busybox INITRD` (make's build/userland.cpio.gz: Debian's
//! busybox as /bin/sh) the shell is busybox's ash, and the steps are job
//! control as a user drives it: Ctrl-C, Ctrl-Z, `jobs`, `bg`, `fg`, then
//! tab completion and history.
//! Prints KTAP; each step has a generous deadline (the host may be busy).

use std::io::{Read, Write};
use std::process::{Command, ExitCode, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Console {
    child: std::process::Child,
    out: Arc<Mutex<String>>,
    seen: usize,
}

impl Console {
    fn send(&mut self, s: &str) {
        if let Some(stdin) = self.child.stdin.as_mut() {
            let _ = stdin.write_all(s.as_bytes());
            let _ = stdin.flush();
        }
    }

    /// Starts `cmd` in the foreground, types the terminal key `key` 2 s
    /// later (Ctrl-C, Ctrl-Z), waits for `shown` (if any) and the prompt.
    fn type_key_during(
        &mut self,
        cmd: &str,
        key: &str,
        shown: Option<&str>,
        prompt: &str,
    ) -> Result<String, String> {
        self.send(&format!("{cmd}\r"));
        std::thread::sleep(Duration::from_secs(2));
        self.send(key);
        if let Some(s) = shown {
            self.expect(s, 10)?;
        }
        self.expect(prompt, 30)
    }

    /// Waits until `want` appears after what earlier steps consumed.
    fn expect(&mut self, want: &str, secs: u64) -> Result<String, String> {
        let end = Instant::now() + Duration::from_secs(secs);
        loop {
            {
                let out = self.out.lock().unwrap();
                if let Some(i) = out[self.seen..].find(want) {
                    let got = out[self.seen..self.seen + i + want.len()].to_string();
                    self.seen += i + want.len();
                    return Ok(got);
                }
            }
            if Instant::now() > end {
                let out = self.out.lock().unwrap();
                let tail: String = out[self.seen..]
                    .chars()
                    .rev()
                    .take(400)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                return Err(format!(
                    "no {want:?} within {secs} s; console ends with: {tail:?}"
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let board = arg(&args, "--board").unwrap_or_else(|| "rpi3".into());
    let machine = if board == "rpi4" {
        "raspi4b"
    } else {
        "raspi3b"
    };
    let kernel = arg(&args, "--kernel").unwrap_or_else(|| "build/kernel8.img".into());
    let dtb = arg(&args, "--dtb").unwrap_or_else(|| format!("build/{board}.dtb"));
    let results = arg(&args, "--results");
    let busybox = arg(&args, "--busybox");
    let initrd: Vec<String> = match &busybox {
        Some(f) => vec!["-initrd".into(), f.clone()],
        None => vec![],
    };
    let mut child =
        match Command::new(std::env::var("QEMU").unwrap_or("qemu-system-aarch64".into()))
            .args([
                "-M",
                machine,
                "-kernel",
                &kernel,
                "-dtb",
                &dtb,
                "-append",
                "-- /bin/sh",
            ])
            .args(&initrd)
            .args([
                "-display",
                "none",
                "-serial",
                "stdio",
                "-monitor",
                "none",
                "-semihosting",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(c) => c,
            Err(e) => {
                eprintln!("console-test: cannot start QEMU: {e}");
                return ExitCode::FAILURE;
            }
        };
    let out = Arc::new(Mutex::new(String::new()));
    let mut stdout = child.stdout.take().expect("piped");
    let sink = out.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    let mut c = Console {
        child,
        out,
        seen: 0,
    };
    let (prompt, steps) = if busybox.is_some() {
        ("/ # ", busybox_steps())
    } else {
        ("pikern:/# ", pikern_shell_steps())
    };
    run_steps(&mut c, prompt, &steps, &board, results)
}

/// The last step of both shells: `exit` ends init's child, init powers off.
fn exit_powers_off(c: &mut Console, _prompt: &str) -> Result<String, String> {
    c.send("exit\r");
    c.expect("reboot: Power down", 30)
}

/// One step: a name and what it types and expects.
type Step = (
    &'static str,
    fn(&mut Console, &str) -> Result<String, String>,
);

/// Job control in busybox's ash, typed at the console: the terminal's
/// signals go to the foreground job's process group, a stopped job is
/// reported, continued in the background and brought back.
fn busybox_steps() -> Vec<Step> {
    vec![
        ("ash_prompt_appears", |c, p| c.expect(p, 60)),
        ("ctrl_c_interrupts_the_foreground_job", |c, p| {
            c.type_key_during("sleep 100", "\x03", Some("^C"), p)
        }),
        ("ctrl_z_stops_the_foreground_job", |c, p| {
            c.type_key_during("sleep 100", "\x1a", Some("Stopped"), p)
        }),
        ("jobs_lists_the_stopped_job", |c, p| {
            c.send("jobs\r");
            c.expect("[1]+  Stopped", 15)?;
            c.expect(p, 15)
        }),
        ("ps_shows_it_stopped", |c, p| {
            c.send("ps -o pid,stat,comm\r");
            let listing = c.expect(p, 30)?;
            if listing
                .lines()
                .any(|l| l.contains(" T ") && l.contains("sleep"))
            {
                Ok(listing)
            } else {
                Err(format!("ps did not show sleep as T:\n{listing}"))
            }
        }),
        ("bg_continues_it_in_the_background", |c, p| {
            c.send("bg\r");
            c.expect("sleep 100", 15)?;
            c.expect(p, 15)?;
            c.send("jobs\r");
            c.expect("[1]+  Running", 15)?;
            c.expect(p, 15)
        }),
        ("fg_brings_it_back_and_ctrl_c_ends_it", |c, p| {
            c.send("fg\r");
            c.expect("sleep 100", 15)?;
            std::thread::sleep(Duration::from_secs(1));
            c.send("\x03");
            c.expect(p, 15)?;
            c.send("jobs; echo jobs-done\r");
            let out = c.expect("jobs-done\r\n", 15)?;
            if out.contains("[1]") {
                return Err(format!("the job is still listed: {out:?}"));
            }
            c.expect(p, 15)
        }),
        ("tab_completes_a_command", |c, p| {
            // `ech` + Tab completes to the one applet that starts so.
            c.send("ech\t");
            c.expect("echo ", 15)?;
            c.send("completed\r");
            c.expect("completed\r\n", 15)?;
            c.expect(p, 15)
        }),
        ("history_recalls_the_last_line", |c, p| {
            c.send("echo from-history\r");
            c.expect("from-history\r\n", 15)?;
            c.expect(p, 15)?;
            // Up arrow, Enter: the same line again.
            c.send("\x1b[A\r");
            c.expect("from-history\r\n", 15)?;
            c.expect(p, 15)
        }),
        ("exit_powers_off", exit_powers_off),
    ]
}

/// pikern's own shell (/bin/sh of the built-in initramfs).
fn pikern_shell_steps() -> Vec<Step> {
    vec![
        ("shell_prompt_appears", |c, p| c.expect(p, 60)),
        ("runs_a_program", |c, p| {
            c.send("hello one two\r");
            c.expect("argv[2]=two", 30)?;
            c.expect(p, 30)
        }),
        ("background_job_and_wait", |c, p| {
            c.send("sleep 1 &\r");
            c.expect(p, 30)?;
            c.send("wait\r");
            c.expect("Done", 30)?;
            c.expect(p, 30)
        }),
        ("redirection_into_tracefs", |c, p| {
            c.send("echo console-test-mark > /sys/kernel/tracing/trace_marker\r");
            c.expect(p, 30)?;
            c.send("cat /sys/kernel/tracing/trace\r");
            c.expect("tracing_mark_write: console-test-mark", 30)?;
            c.expect(p, 30)
        }),
        ("missing_command_is_reported", |c, p| {
            c.send("nosuchcmd\r");
            c.expect("sh: nosuchcmd: command not found", 30)?;
            c.expect(p, 30)
        }),
        ("ctrl_c_interrupts_the_foreground_job", |c, p| {
            c.type_key_during("sleep 100", "\x03", None, p)
        }),
        (
            "ctrl_c_reaches_every_process_of_the_foreground_group",
            |c, p| {
                // Both sleeps are in the shell's process group: if only one
                // got SIGINT the shell would wait 100 s for the other.
                c.type_key_during("sleep 100 | sleep 100", "\x03", Some("^C"), p)
            },
        ),
        ("canonical_mode_edits_and_echoes_lines", |c, p| {
            // cat reads the terminal in its own (canonical) settings: the
            // line discipline echoes, erases (DEL: "\b \b"), kills the
            // line (Ctrl-U), and gives cat whole lines.
            c.send("cat\r");
            c.expect("cat\r\n", 30)?;
            std::thread::sleep(Duration::from_millis(500));
            c.send("helo\x7flo\r");
            c.expect("helo\x08 \x08lo\r\nhello\r\n", 30)?;
            c.send("junk\x15world\r");
            c.expect(
                "junk\x08 \x08\x08 \x08\x08 \x08\x08 \x08world\r\nworld\r\n",
                30,
            )?;
            // Ctrl-D at a line's start: cat's read returns 0 and it ends.
            c.send("\x04");
            c.expect(p, 30)
        }),
        ("shell_raw_mode_editing_echoes_once", |c, p| {
            // The shell edits in raw mode and echoes itself; the line
            // discipline must not echo the same bytes again.
            c.send("echo one x\x17\x7f\r");
            c.expect("echo one x\x08 \x08\x08 \x08\r\none\r\n", 30)?;
            c.expect(p, 30)
        }),
        ("ps_shows_sleeping_and_running", |c, p| {
            c.send("sleep 30 &\r");
            c.expect(p, 30)?;
            c.send("ps\r");
            let listing = c.expect(p, 30)?;
            let sleeping = listing
                .lines()
                .any(|l| l.contains(" S ") && l.contains("sleep"));
            let running = listing
                .lines()
                .any(|l| l.contains(" R ") && l.contains("ps"));
            if sleeping && running {
                Ok(listing)
            } else {
                Err(format!(
                    "ps did not show sleep as S and itself as R:\n{listing}"
                ))
            }
        }),
        ("exit_powers_off", exit_powers_off),
    ]
}

/// Runs the steps in order and prints KTAP; writes the results file.
fn run_steps(
    c: &mut Console,
    prompt: &str,
    steps: &[Step],
    board: &str,
    results: Option<String>,
) -> ExitCode {
    println!(
        "KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: console_{board}\n    1..{}",
        steps.len()
    );
    let (mut pass, mut fail) = (0, 0);
    for (i, (name, step)) in steps.iter().enumerate() {
        match step(c, prompt) {
            Ok(_) => {
                pass += 1;
                println!("    ok {} {name}", i + 1);
            }
            Err(e) => {
                fail += 1;
                for l in e.lines() {
                    println!("    # {name}: {l}");
                }
                println!("    not ok {} {name}", i + 1);
            }
        }
    }
    let _ = c.child.kill();
    let _ = c.child.wait();
    println!(
        "{} 1 console_{board}",
        if fail == 0 { "ok" } else { "not ok" }
    );
    if let Some(r) = results {
        let _ = std::fs::write(r, format!("passed {pass}\nfailed {fail}\nskipped 0\n"));
    }
    if fail == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
