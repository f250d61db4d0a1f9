//! Arm semihosting (`hlt #0xf000`): how the kernel asks QEMU to exit with
//! a status. On a board, or QEMU without `-semihosting`, the instruction is
//! undefined: the exception code recognises it through
//! [`semihosting_missing`], notes that no host answers and skips it.

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
pub fn semihosting_present() -> bool {
    SEMIHOSTING_PROBING.store(true, Ordering::Relaxed);
    // SAFETY: a semihosting SYS_ERRNO (0x13) call: the host only returns a
    // value in x0; without a host the instruction traps and is skipped.
    unsafe {
        core::arch::asm!("hlt #0xf000", inout("x0") 0x13u64 => _, in("x1") 0u64, options(nostack));
    }
    !SEMIHOSTING_ABSENT.load(Ordering::Relaxed)
}

/// Ends QEMU with `code` (0: success) through `SYS_EXIT`.
pub fn semihosting_exit(code: u32) -> ! {
    let q = qemu_exit::AArch64 {};
    if code == 0 {
        q.exit_success()
    } else {
        q.exit(code)
    }
}
