//! `init`: pid 1. Starts one program, reaps every child until none is left,
//! then powers the machine off with that program's verdict.
//!
//! ```text
//! init [PROG [ARGS...]]
//! ```
//!
//! 1. Mounts the SD card's boot partition at `/boot` (see [`mount_boot`]):
//!    `mount -t vfat /dev/mmcblk0p1 /boot`, as the fstab line of a Raspberry
//!    Pi OS does. Without a card, or when the mount fails, it says why and
//!    goes on without `/boot`. The environment PROG gets has `PATH` set to
//!    busybox init's default plus `/boot/bin`, so programs copied to the
//!    card's `bin/` run by name.
//! 2. Prints `init: starting PROG`. PROG defaults to `/bin/sh` if that file
//!    exists, else `/bin/hello`.
//! 3. Forks; the child starts a session (`setsid`) whose controlling
//!    terminal is the console on fd 0 (`TIOCSCTTY`, as busybox's init does
//!    for its children: opening `/dev/console` never gives one), so PROG's
//!    Ctrl-C reaches its foreground process group; then it execs PROG with
//!    argv `[PROG, ARGS...]` and init's own environment. If execve fails the child prints
//!    `init: cannot run PROG: errno N` on stderr and exits 127.
//! 4. Loops in `wait4(-1)`, reaping every child, orphans included (as pid 1
//!    it inherits them; run as any other pid it asks to be their
//!    "subreaper" so the same holds under qemu-aarch64 on Linux).
//! 5. When `wait4` says `ECHILD` (no children left) and PROG has exited, it
//!    prints `init: PROG exited with status N, powering off`, where N is the
//!    exit code, or 128 + the signal number if a signal killed PROG.
//! 6. As pid 1 it calls `reboot(LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
//!    LINUX_REBOOT_CMD_POWER_OFF, S)` with S = 0 if PROG exited 0, else 1:
//!    pikern makes S QEMU's exit status (Linux ignores it). If that fails,
//!    or if init is not pid 1 (e.g. under qemu-aarch64 on a development
//!    machine, where a real power-off must never happen), init exits with
//!    status N instead.
//!
//! If the fork itself fails, init prints `init: cannot fork: errno N` and
//! powers off with S = 1 (exit status 1).
//!
//! As busybox's init does, pid 1 also takes a shutdown request by signal,
//! which is how busybox's `poweroff`, `halt` and `reboot` ask for one from
//! a shell (after their own `sync`): SIGUSR2 powers off, SIGUSR1 halts,
//! SIGTERM restarts. init then prints `init: SIGUSR2: powering off` (or
//! `halting`, `restarting`), sends SIGTERM and then SIGKILL to every other
//! process (`kill(-1, ...)`), reaps them, and calls `reboot` with that
//! command and S = 0; the kernel writes the SD card back first.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering::Relaxed};
use pikern_rt::consts::*;
use pikern_rt::process::{self, WaitStatus};
use pikern_rt::{env, eprintln, println, sys, Errno};

pikern_rt::entry!(main);

fn main(args: &[&str]) -> i32 {
    let (prog, prog_args) = match args {
        [_, prog, rest @ ..] => (*prog, rest),
        _ => (default_program(), &[][..]),
    };
    let is_pid1 = sys::getpid() == 1;
    if !is_pid1 {
        // Not the real init: adopt orphans anyway (Linux >= 3.4), so that
        // reaping them can be tested on a host. Harmless if refused.
        let _ = sys::prctl(PR_SET_CHILD_SUBREAPER, 1);
    }
    if is_pid1 {
        catch_shutdown_signals();
        mount_boot();
    }
    println!("init: starting {prog}");

    let child = match process::fork() {
        Ok(0) => run_child(prog, prog_args),
        Ok(pid) => Some(pid),
        Err(e) => {
            eprintln!("init: cannot fork: errno {}", e.0);
            None
        }
    };

    let status = child.and_then(reap_all);
    let request = SHUTDOWN.load(Relaxed);
    if request != 0 {
        shutdown(request);
    }
    let code = match status {
        Some(st) => {
            let code = st.shell_status();
            println!("init: {prog} exited with status {code}, powering off");
            code
        }
        None => {
            println!("init: {prog} did not run, powering off");
            1
        }
    };
    if is_pid1 {
        let verdict = if code == 0 { 0 } else { 1 };
        let r = sys::reboot(
            LINUX_REBOOT_MAGIC1,
            LINUX_REBOOT_MAGIC2,
            LINUX_REBOOT_CMD_POWER_OFF,
            verdict,
        );
        if let Err(e) = r {
            eprintln!("init: reboot failed: errno {}", e.0);
        }
    }
    code
}

/// PROG's search path: busybox init's `_PATH_STDPATH` (Linux itself gives
/// init none), then the card's `bin/`, last so that a program there never
/// hides a system one of the same name.
const PATH: &str = "PATH=/sbin:/usr/sbin:/bin:/usr/bin:/boot/bin";

/// The SD card's first partition, where the firmware, `cmdline.txt` and
/// the student's programs and traces live.
const BOOT_DEV: &str = "/dev/mmcblk0p1";

/// Mounts [`BOOT_DEV`] on `/boot` as vfat, unless something (the kernel, for
/// an `init=/boot/...`) already mounted `/boot`. Every failure is reported
/// in one line that says what it means, and the boot goes on without
/// `/boot`: a missing or unreadable card must never stop the machine.
fn mount_boot() {
    let mut root = sys::Stat::default();
    let mut boot = sys::Stat::default();
    if sys::newfstatat(AT_FDCWD, c"/", &mut root, 0).is_ok()
        && sys::newfstatat(AT_FDCWD, c"/boot", &mut boot, 0).is_ok()
        && boot.st_dev != root.st_dev
    {
        return; // already a mount point
    }
    let mut dev = sys::Stat::default();
    if sys::newfstatat(AT_FDCWD, c"/dev/mmcblk0p1", &mut dev, 0).is_err() {
        let disk = sys::newfstatat(AT_FDCWD, c"/dev/mmcblk0", &mut dev, 0).is_ok();
        if disk {
            println!("init: the SD card (/dev/mmcblk0) has no partition 1 (no MBR partition table?): no /boot");
        } else {
            println!("init: no SD card (no /dev/mmcblk0): no /boot");
        }
        return;
    }
    if let Err(e) = sys::mkdirat(AT_FDCWD, c"/boot", 0o755) {
        if e != Errno::EEXIST {
            println!("init: cannot create /boot: {}: no /boot", e.message());
            return;
        }
    }
    match sys::mount(c"/dev/mmcblk0p1", c"/boot", c"vfat", 0, None) {
        Ok(_) => println!("init: mounted {BOOT_DEV} on /boot (vfat)"),
        Err(e) => println!(
            "init: cannot mount {BOOT_DEV} on /boot (vfat): {} (not a FAT file system, or a damaged one?): no /boot",
            e.message()
        ),
    }
}

/// The signal that asked for a shutdown (0: none yet).
static SHUTDOWN: AtomicU32 = AtomicU32::new(0);

extern "C" fn on_shutdown_signal(sig: i32) {
    SHUTDOWN.store(sig as u32, Relaxed);
}

/// busybox init's shutdown signals. Without `SA_RESTART`, so `wait4`
/// returns `EINTR` and the main loop sees the request. A program init
/// starts gets the default actions back at exec, as for every caught
/// signal.
fn catch_shutdown_signals() {
    let act = sys::SigAction::handler(on_shutdown_signal, 0);
    for sig in [SIGUSR1, SIGUSR2, SIGTERM] {
        // SAFETY: the handler only stores to an atomic.
        let _ = unsafe { sys::rt_sigaction(sig, Some(&act), None) };
    }
}

/// Stops every other process and ends the machine as signal `sig` asked
/// (busybox init's `halt_reboot_pwoff`). Returns only if `reboot` fails.
fn shutdown(sig: u32) {
    let (cmd, what) = match sig {
        SIGUSR1 => (LINUX_REBOOT_CMD_HALT, "halting"),
        SIGTERM => (LINUX_REBOOT_CMD_RESTART, "restarting"),
        _ => (LINUX_REBOOT_CMD_POWER_OFF, "powering off"),
    };
    let name = pikern_rt::signal::name(sig).unwrap_or("?");
    println!("init: SIG{name}: {what}");
    // Give them a moment to exit on SIGTERM before the SIGKILL, as
    // busybox init does (it waits up to a second).
    let _ = sys::kill(-1, SIGTERM);
    let _ = process::sleep_ms(200);
    let _ = sys::kill(-1, SIGKILL);
    while process::waitpid(-1, 0).is_ok() {}
    sys::sync();
    if let Err(e) = sys::reboot(LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, cmd, 0) {
        eprintln!("init: reboot failed: errno {}", e.0);
    }
}

/// `/bin/sh` if it exists, else `/bin/hello`.
fn default_program() -> &'static str {
    let mut st = sys::Stat::default();
    match sys::newfstatat(AT_FDCWD, c"/bin/sh", &mut st, 0) {
        Ok(_) => "/bin/sh",
        Err(_) => "/bin/hello",
    }
}

/// In the forked child: becomes PROG, or reports why not and exits 127.
fn run_child(prog: &str, prog_args: &[&str]) -> ! {
    // Errors are harmless: fd 0 may be no terminal (a pipe under a test
    // harness), or already another session's on a development machine.
    let _ = sys::setsid();
    let _ = sys::tiocsctty(0, 0);
    let mut argv: Vec<&str> = Vec::with_capacity(prog_args.len() + 1);
    argv.push(prog);
    argv.extend_from_slice(prog_args);
    let mut envs: Vec<&str> = env::vars().filter(|v| !v.starts_with("PATH=")).collect();
    envs.push(PATH);
    let err = process::exec(prog, &argv, &envs);
    eprintln!("init: cannot run {prog}: errno {}", err.0);
    sys::exit_group(127)
}

/// Reaps children until there are none left; returns how `prog_pid`
/// ended (`None` if it was never seen, which cannot happen for a child).
fn reap_all(prog_pid: i32) -> Option<WaitStatus> {
    let mut prog_status = None;
    loop {
        // wait4 itself, not process::waitpid, which retries EINTR: a
        // shutdown signal must end the loop.
        if SHUTDOWN.load(Relaxed) != 0 {
            return prog_status;
        }
        let mut status = 0;
        match sys::wait4(-1, Some(&mut status), 0) {
            Ok(pid) if pid == prog_pid => prog_status = Some(WaitStatus(status)),
            Ok(_) => {} // an orphan (or another child): just reaped
            Err(Errno::ECHILD) => return prog_status,
            Err(Errno::EINTR) => {}
            Err(e) => {
                // Should not happen; do not spin if it does.
                eprintln!("init: wait4 failed: {e}");
                let _ = process::sleep_ms(100);
            }
        }
    }
}
