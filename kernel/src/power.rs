//! Power off and halt. Under QEMU (started with `-semihosting`) the exit
//! request ends QEMU with a status the test runner reads; on a real board,
//! or QEMU without semihosting, the semihosting trap is an undefined
//! instruction, which the exception code recognises and skips, and the
//! machine halts instead.

use crate::{arch::cpu, smp};
use core::sync::atomic::{AtomicBool, Ordering};
use qemu_exit::QEMUExit;

/// `hlt #0xf000`, the AArch64 semihosting call.
pub const SEMIHOSTING_HLT: u32 = 0xd45e_0000;

static SEMIHOSTING_PROBING: AtomicBool = AtomicBool::new(false);

/// Called by the exception code for an undefined instruction at `insn`:
/// true if it was our semihosting call (there is no semihosting here) and
/// execution should continue after it.
pub fn semihosting_missing(insn: u32) -> bool {
    insn == SEMIHOSTING_HLT && SEMIHOSTING_PROBING.load(Ordering::Relaxed)
}

/// Ends the machine with `code` (0 = success): QEMU exits with it; a real
/// board halts.
pub fn exit(code: u32) -> ! {
    smp::stop_other_cpus();
    SEMIHOSTING_PROBING.store(true, Ordering::Relaxed);
    cpu::local_irq_disable();
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
