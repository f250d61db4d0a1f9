//! `poweroff` and `reboot` (one program, installed under both names): ask
//! the kernel to power the machine off or to restart it.
//!
//! ```text
//! poweroff [STATUS]
//! reboot
//! ```
//!
//! As `reboot` it calls `reboot(..., LINUX_REBOOT_CMD_RESTART, 0)`: on a
//! board the watchdog resets it; QEMU resets (or exits, with `-no-reboot`).
//!
//! Calls `reboot(LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
//! LINUX_REBOOT_CMD_POWER_OFF, STATUS)`; pikern makes STATUS (default 0)
//! QEMU's exit status. pikern lets only init (pid 1) do that, so run from
//! the shell this normally fails: it prints
//! `poweroff: reboot: Operation not permitted (only init, pid 1, may power
//! off: exit the shell instead)` and exits 1; leaving the shell makes init
//! power off.
//!
//! On any kernel other than pikern it refuses without calling reboot
//! unless it is pid 1: under qemu-aarch64 the call would reach the host,
//! and as root it would power the development machine off.

#![no_std]
#![no_main]

use pikern_rt::consts::*;
use pikern_rt::{eprintln, sys, Errno};

pikern_rt::entry!(main);

fn main(args: &[&str]) -> i32 {
    let name = args
        .first()
        .map_or("poweroff", |a| a.rsplit('/').next().unwrap_or(a));
    let restart = name == "reboot";
    let status = match args.get(1).map(|s| s.parse::<usize>()) {
        None => 0,
        Some(Ok(n)) if args.len() == 2 && !restart => n,
        _ => {
            eprintln!("usage: poweroff [STATUS] | reboot");
            return 2;
        }
    };
    let on_pikern = sys::uname().is_ok_and(|u| sys::field_str(&u.sysname) == "pikern");
    if !on_pikern && sys::getpid() != 1 {
        let verb = if restart { "reboot" } else { "power off" };
        eprintln!("{name}: not on pikern and not pid 1: refusing to {verb} this machine");
        return 1;
    }
    let cmd = if restart {
        LINUX_REBOOT_CMD_RESTART
    } else {
        LINUX_REBOOT_CMD_POWER_OFF
    };
    let r = sys::reboot(LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, cmd, status);
    match r {
        Ok(_) => 0, // not reached when the power goes off
        Err(Errno::EPERM) => {
            eprintln!(
                "{name}: reboot: {} (only init, pid 1, may do that: exit the shell instead)",
                Errno::EPERM.message()
            );
            1
        }
        Err(e) => {
            eprintln!("{name}: reboot: {}", e.message());
            1
        }
    }
}
