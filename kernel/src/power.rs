//! Power off, restart and halt.
//!
//! Under QEMU started with `-semihosting`, power off is a semihosting exit
//! request, which ends QEMU with a status the test runner reads. On a real
//! board (or QEMU without semihosting) the semihosting trap is an undefined
//! instruction: the exception code recognises it, notes that semihosting is
//! absent and skips it, and the board is reset through the watchdog, marked
//! "halt" for power off (the firmware then stays down; QEMU's model powers
//! off), plain for restart. A panic halts in place instead, so the report
//! stays on the screen.

use crate::{arch::cpu, bsp, smp};
use core::arch::asm;
use core::sync::atomic::{AtomicBool, Ordering};
use qemu_exit::QEMUExit;

/// `hlt #0xf000`, the AArch64 semihosting call.
pub const SEMIHOSTING_HLT: u32 = 0xd45e_0000;

static SEMIHOSTING_PROBING: AtomicBool = AtomicBool::new(false);
static SEMIHOSTING_ABSENT: AtomicBool = AtomicBool::new(false);

/// Called by the exception code for an undefined instruction at `insn`:
/// true if it was our semihosting call (there is no semihosting here) and
/// execution should continue after it.
pub fn semihosting_missing(insn: u32) -> bool {
    let ours = insn == SEMIHOSTING_HLT && SEMIHOSTING_PROBING.load(Ordering::Relaxed);
    if ours {
        SEMIHOSTING_ABSENT.store(true, Ordering::Relaxed);
    }
    ours
}

/// Whether a semihosting host answers: asks it for `SYS_ERRNO`, which has
/// no effect, and sees whether the call trapped.
fn semihosting_present() -> bool {
    SEMIHOSTING_PROBING.store(true, Ordering::Relaxed);
    // SAFETY: a semihosting SYS_ERRNO (0x13) call: the host only returns a
    // value in x0; without a host the instruction traps and is skipped.
    unsafe {
        asm!("hlt #0xf000", inout("x0") 0x13u64 => _, in("x1") 0u64, options(nostack));
    }
    !SEMIHOSTING_ABSENT.load(Ordering::Relaxed)
}

/// Ends the machine with `code` (0 = success): QEMU exits with it; a real
/// board halts where it is (used by panics and the test kernel).
pub fn exit(code: u32) -> ! {
    smp::stop_other_cpus();
    cpu::local_irq_disable();
    if semihosting_present() {
        semihosting_exit(code)
    }
    cpu::halt()
}

/// Powers the machine off: QEMU exits with `code` (semihosting); a board
/// is reset into the firmware's halt state through the watchdog.
pub fn power_off(code: u32) -> ! {
    smp::stop_other_cpus();
    cpu::local_irq_disable();
    if semihosting_present() {
        semihosting_exit(code)
    }
    bsp::board().watchdog_reset(true);
    cpu::halt()
}

/// Restarts the board through the watchdog (QEMU resets the machine, or
/// exits with `-no-reboot`).
pub fn restart() -> ! {
    smp::stop_other_cpus();
    cpu::local_irq_disable();
    bsp::board().watchdog_reset(false);
    cpu::halt()
}

fn semihosting_exit(code: u32) -> ! {
    let q = qemu_exit::AArch64 {};
    if code == 0 {
        q.exit_success()
    } else {
        q.exit(code)
    }
}

/// Stops every core without a QEMU exit status (the oops path decides).
pub fn halt_all() -> ! {
    smp::stop_other_cpus();
    cpu::halt()
}
