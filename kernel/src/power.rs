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

use crate::arch::cpu;
use crate::arch::semihosting::{semihosting_exit, semihosting_present};
use crate::{bsp, smp};

/// Ends the machine with `code` (0 = success): QEMU exits with it; a real
/// board halts where it is (used by panics and the test kernel).
pub fn exit(code: u32) -> ! {
    // IRQs off first: a task preempted and moved to another CPU after
    // `stop_other_cpus` read its CPU number would stop itself, leaving
    // the machine running (seen as an intermittent hang at power-off).
    cpu::local_irq_disable();
    smp::stop_other_cpus();
    if semihosting_present() {
        semihosting_exit(code)
    }
    cpu::halt()
}

/// Powers the machine off: QEMU exits with `code` (semihosting); a board
/// is reset into the firmware's halt state through the watchdog.
pub fn power_off(code: u32) -> ! {
    // IRQs off first: a task preempted and moved to another CPU after
    // `stop_other_cpus` read its CPU number would stop itself, leaving
    // the machine running (seen as an intermittent hang at power-off).
    cpu::local_irq_disable();
    smp::stop_other_cpus();
    if semihosting_present() {
        semihosting_exit(code)
    }
    bsp::board().watchdog_reset(true);
    cpu::halt()
}

/// Restarts the board through the watchdog (QEMU resets the machine, or
/// exits with `-no-reboot`).
pub fn restart() -> ! {
    // IRQs off first: a task preempted and moved to another CPU after
    // `stop_other_cpus` read its CPU number would stop itself, leaving
    // the machine running (seen as an intermittent hang at power-off).
    cpu::local_irq_disable();
    smp::stop_other_cpus();
    bsp::board().watchdog_reset(false);
    cpu::halt()
}

/// Stops every core without a QEMU exit status (the oops path decides).
pub fn halt_all() -> ! {
    smp::stop_other_cpus();
    cpu::halt()
}
