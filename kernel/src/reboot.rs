//! `kernel/reboot.c`: the `reboot` system call.

use crate::errno::*;
use crate::task;
use libkernel::uapi;

/// `reboot`: power off, halt or restart the machine. Under QEMU (with
/// semihosting) power off and halt end it and the 4th argument's low byte
/// becomes QEMU's exit status (Linux ignores it); on a board power off and
/// restart go through the watchdog (see `power`).
pub fn sys_reboot(magic1: u32, magic2: u32, cmd: u32, arg: u64) -> SysResult {
    if !uapi::reboot_magic_ok(magic1, magic2) {
        return Err(EINVAL);
    }
    if task::current().pid() != 1 {
        return Err(EPERM);
    }
    // The disks' dirty buffers reach them before the machine stops (what
    // Linux leaves to the `reboot` program's own sync): the disk file
    // systems' dirty files first.
    let _ = crate::fs::namespace::sync_filesystems(None);
    let _ = crate::block::sync_all();
    match cmd {
        uapi::LINUX_REBOOT_CMD_POWER_OFF => {
            println!("reboot: Power down");
            crate::power::power_off((arg & 0xff) as u32)
        }
        uapi::LINUX_REBOOT_CMD_HALT => {
            println!("reboot: System halted");
            crate::power::exit((arg & 0xff) as u32)
        }
        uapi::LINUX_REBOOT_CMD_RESTART => {
            println!("reboot: Restarting system");
            crate::power::restart()
        }
        _ => Err(EINVAL),
    }
}
