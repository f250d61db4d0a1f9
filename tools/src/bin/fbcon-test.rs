//! `fbcon-test --board rpi3|rpi4 --kernel IMG --dtb DTB --font PSF
//! [--results FILE] [--screen FILE.txt] [--ppm FILE.ppm] [--append ARGS]
//! [--panic]`:
//! reads the HDMI screen back. Boots the kernel with a short script, takes
//! QEMU's `screendump` of the framebuffer through its monitor twice, and
//! decodes the pictures glyph by glyph with the same PSF font the kernel
//! embeds (`libkernel::video::decode`). The first, right after boot, must
//! show the boot lines; the second, after `ls /bin` and the seed's
//! `raspbian_fork` scrolled the screen, must show exactly the last lines
//! the UART showed. Neither may hold a cell that is no glyph (garbage from
//! escape sequences, torn glyphs), and the status line must name four
//! online CPUs. With `--panic`, a third picture: the report of a kernel
//! panic (init exiting), which must be readable on the screen. Prints KTAP.

use libkernel::video::{decode, Font};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::process::{Command, ExitCode, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BOOTED: &str = "fbcon-test: booted";
const DONE: &str = "fbcon-test: script done";
const PANIC_END: &str = "---[ end Kernel panic ]---";

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(board), Some(kernel), Some(dtb), Some(font_path)) = (
        arg(&args, "--board"),
        arg(&args, "--kernel"),
        arg(&args, "--dtb"),
        arg(&args, "--font"),
    ) else {
        eprintln!("usage: fbcon-test --board rpi3|rpi4 --kernel IMG --dtb DTB --font PSF [--results FILE] [--screen TXT] [--ppm PPM] [--append ARGS]");
        return ExitCode::from(2);
    };
    let board: pikern_tools::board::Board = match board.parse() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("fbcon-test: {e}");
            return ExitCode::from(2);
        }
    };
    let font_bytes = match std::fs::read(&font_path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("fbcon-test: {font_path}: {e}");
            return ExitCode::from(2);
        }
    };
    let font = match Font::parse(&font_bytes) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("fbcon-test: {font_path}: {e:?}");
            return ExitCode::from(2);
        }
    };
    let append = arg(&args, "--append").unwrap_or_else(|| {
        format!(
            "init=/init -- /bin/sh -c \"echo {BOOTED}; sleep 1; ls /bin; /bin/raspbian_fork; echo {DONE}; sleep 60\""
        )
    });
    let dir = std::env::temp_dir().join(format!("fbcon-test-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let sock = dir.join("monitor.sock");
    let ppm = arg(&args, "--ppm")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.join("screen.ppm"));
    let ppm_boot = dir.join("boot.ppm");
    let _ = std::fs::remove_file(&ppm);
    let Some((mut child, serial)) = boot(board, &kernel, &dtb, &append, &sock, true) else {
        return ExitCode::FAILURE;
    };
    let shot_boot = screendump(&serial, BOOTED, &sock, &ppm_boot);
    let shot = screendump(&serial, DONE, &sock, &ppm);
    let _ = child.kill();
    let _ = child.wait();
    let serial = serial.lock().unwrap().clone();
    // --panic: a second boot whose init exits at once, without semihosting
    // so that the machine halts instead of ending QEMU, and the picture
    // of the panic it leaves.
    let panic_shot = args.iter().any(|a| a == "--panic").then(|| {
        let sock = dir.join("panic.sock");
        let Some((mut child, serial)) = boot(board, &kernel, &dtb, "init=/bin/true", &sock, false)
        else {
            return Err("cannot start QEMU".to_string());
        };
        let shot = screendump(&serial, PANIC_END, &sock, &dir.join("panic.ppm"));
        let _ = child.kill();
        let _ = child.wait();
        shot
    });
    let _ = std::fs::remove_dir_all(&dir);

    let mut results: Vec<(&str, Result<(), String>)> = Vec::new();
    let read = |results: &mut Vec<(&str, Result<(), String>)>,
                name,
                shot: Result<Vec<u8>, String>| match shot.and_then(|data| {
        decode::parse_ppm(&data).ok_or_else(|| "the screendump is not a P6 PPM".to_string())
    }) {
        Ok(img) => {
            results.push((name, Ok(())));
            decode::decode(&font, &img.pixels, img.width, img.width, img.height)
        }
        Err(e) => {
            results.push((name, Err(e)));
            Vec::new()
        }
    };
    let boot_screen = read(&mut results, "screendump_after_boot", shot_boot);
    let screen = read(&mut results, "screendump_after_the_demo", shot);
    if let Some(f) = arg(&args, "--screen") {
        let _ = std::fs::write(&f, screen.join("\n") + "\n");
    }
    let boot: Vec<&str> = boot_screen.iter().map(|l| l.trim_end()).collect();
    let text: Vec<&str> = screen.iter().map(|l| l.trim_end()).collect();
    results.push((
        "boot_lines_on_screen",
        [
            "pikern 0.1.0 booting on Raspberry Pi",
            "fb0: 1024x768, 32 bpp",
            "init: starting /bin/sh",
            BOOTED,
        ]
        .iter()
        .find(|w| !boot.iter().any(|l| l.contains(*w)))
        .map_or(Ok(()), |w| Err(format!("not on the screen: {w:?}"))),
    ));
    // After scrolling: the text rows down to the marker are the UART's
    // last lines down to the marker, one for one.
    let uart_end = serial.iter().rposition(|l| l == DONE);
    let screen_end = text.iter().rposition(|l| *l == DONE);
    results.push((
        "scrolled_screen_is_the_uart_tail",
        match (uart_end, screen_end) {
            (Some(u), Some(s)) if s >= 40 && u + 1 >= s => {
                let want = &serial[u + 1 - s..=u];
                match (1..=s).find(|&r| text[r] != want[r - 1].trim_end()) {
                    Some(r) => Err(format!(
                        "row {r}: {:?}, the UART: {:?}",
                        text[r],
                        want[r - 1]
                    )),
                    None if !want.iter().any(|l| l.starts_with("raspbian tracing")) => {
                        Err("no demo output on the screen".into())
                    }
                    None => Ok(()),
                }
            }
            (u, s) => Err(format!(
                "marker on the UART at {u:?}, on the screen at row {s:?} (< 40: no scrolling)"
            )),
        },
    ));
    results.push((
        "every_cell_readable",
        match boot
            .iter()
            .chain(text.iter())
            .position(|l| l.contains(decode::UNREADABLE))
        {
            Some(r) => Err(format!("row {r} has cells that are no glyph")),
            None if text.is_empty() || boot.is_empty() => Err("no screen".into()),
            None => Ok(()),
        },
    ));
    if let Some(shot) = panic_shot {
        let panic_screen = read(&mut results, "screendump_after_a_panic", shot);
        let lines: Vec<&str> = panic_screen.iter().map(|l| l.trim_end()).collect();
        results.push((
            "panic_report_on_screen",
            [
                "Kernel panic - not syncing: Attempted to kill init!",
                "Call trace:",
                PANIC_END,
            ]
            .iter()
            .find(|w| !lines.iter().any(|l| l.starts_with(*w)))
            .map_or(Ok(()), |w| Err(format!("not on the screen: {w:?}"))),
        ));
    }
    let status = text.first().copied().unwrap_or("");
    results.push((
        "status_line_shows_4_cpus",
        if (0..4).all(|c| status.contains(&format!("cpu{c} ")))
            && !status.contains("offline")
            && status.contains("rq=")
        {
            Ok(())
        } else {
            Err(format!("status line: {status:?}"))
        },
    ));
    println!(
        "KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: fbcon-{board}\n    1..{}",
        results.len()
    );
    let mut fail = 0;
    for (i, (name, r)) in results.iter().enumerate() {
        match r {
            Ok(()) => println!("    ok {} {name}", i + 1),
            Err(e) => {
                fail += 1;
                println!("    # {name}: {e}");
                println!("    not ok {} {name}", i + 1);
            }
        }
    }
    if fail > 0 {
        println!("    # the screen read back:");
        for l in &text {
            println!("    # |{l}");
        }
    }
    println!(
        "{} 1 fbcon-{board}",
        if fail == 0 { "ok" } else { "not ok" }
    );
    if let Some(r) = arg(&args, "--results") {
        let _ = std::fs::write(
            r,
            format!(
                "passed {}\nfailed {fail}\nskipped 0\n",
                results.len() - fail
            ),
        );
    }
    if fail == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Starts QEMU on `board` with its monitor on `sock`, and a thread
/// collecting the UART's lines.
#[allow(clippy::type_complexity)]
fn boot(
    board: pikern_tools::board::Board,
    kernel: &str,
    dtb: &str,
    append: &str,
    sock: &std::path::Path,
    semihosting: bool,
) -> Option<(std::process::Child, Arc<Mutex<Vec<String>>>)> {
    let mut child =
        match Command::new(std::env::var("QEMU").unwrap_or("qemu-system-aarch64".into()))
            .args(["-M", board.qemu_machine(), "-kernel", kernel, "-dtb", dtb])
            .args(["-append", append, "-display", "none", "-serial", "stdio"])
            .arg("-monitor")
            .arg(format!("unix:{},server=on,wait=off", sock.display()))
            .args(if semihosting {
                &["-semihosting"][..]
            } else {
                &[]
            })
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(c) => c,
            Err(e) => {
                eprintln!("fbcon-test: cannot start QEMU: {e}");
                return None;
            }
        };
    // The UART, line by line (what the screen must agree with).
    let serial = Arc::new(Mutex::new(Vec::<String>::new()));
    let stdout = child.stdout.take().expect("piped");
    let sink = serial.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            sink.lock()
                .unwrap()
                .push(line.trim_end_matches('\r').to_string());
        }
    });
    Some((child, serial))
}

/// Waits for the script's marker on the UART, lets the status line catch
/// up (it is redrawn ten times a second), then has QEMU's monitor write
/// the screen to `ppm`, and reads it.
fn screendump(
    serial: &Arc<Mutex<Vec<String>>>,
    marker: &str,
    sock: &std::path::Path,
    ppm: &std::path::Path,
) -> Result<Vec<u8>, String> {
    let end = Instant::now() + Duration::from_secs(120);
    while !serial.lock().unwrap().iter().any(|l| l == marker) {
        if Instant::now() > end {
            return Err(format!("{marker:?} never came on the UART"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(300));
    let mut mon =
        UnixStream::connect(sock).map_err(|e| format!("monitor {}: {e}", sock.display()))?;
    writeln!(mon, "screendump {}", ppm.display()).map_err(|e| e.to_string())?;
    // The file is complete once its size is what its header says.
    let end = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(data) = std::fs::read(ppm) {
            if decode::parse_ppm(&data).is_some() {
                return Ok(data);
            }
        }
        if Instant::now() > end {
            return Err("QEMU wrote no screendump".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
