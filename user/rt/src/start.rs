//! Process start-up: `_start`, the first user instruction of every program.
//!
//! The kernel enters `_start` with `sp` pointing at the initial stack
//! (`argc`, `argv[]`, NULL, `envp[]`, NULL, auxv pairs, `AT_NULL`) and every
//! general register zero. `_start` records what the tests need to check that
//! contract (the OR of all registers, `TPIDR_EL0`, the original `sp`), makes
//! sure `sp` is 16-byte aligned, ends the frame-pointer chain and calls
//! [`start_rust`], which saves the start-up data for [`crate::env`], calls
//! the program's `main` and exits with its status. BSS is not cleared: the
//! kernel (like Linux) hands over zero-filled pages past `p_filesz`.

use crate::env;
use crate::sys;
use core::arch::global_asm;

global_asm!(
    ".section .text._start, \"ax\", %progbits",
    ".globl _start",
    ".type _start, %function",
    "_start:",
    // x17 = x0 | x1 | ... | x30: zero iff the kernel cleared every register
    // (x17 itself included, as it is the first operand).
    "orr x17, x17, x0",
    "orr x17, x17, x1",
    "orr x17, x17, x2",
    "orr x17, x17, x3",
    "orr x17, x17, x4",
    "orr x17, x17, x5",
    "orr x17, x17, x6",
    "orr x17, x17, x7",
    "orr x17, x17, x8",
    "orr x17, x17, x9",
    "orr x17, x17, x10",
    "orr x17, x17, x11",
    "orr x17, x17, x12",
    "orr x17, x17, x13",
    "orr x17, x17, x14",
    "orr x17, x17, x15",
    "orr x17, x17, x16",
    "orr x17, x17, x18",
    "orr x17, x17, x19",
    "orr x17, x17, x20",
    "orr x17, x17, x21",
    "orr x17, x17, x22",
    "orr x17, x17, x23",
    "orr x17, x17, x24",
    "orr x17, x17, x25",
    "orr x17, x17, x26",
    "orr x17, x17, x27",
    "orr x17, x17, x28",
    "orr x17, x17, x29",
    "orr x17, x17, x30",
    "mov x0, sp",
    "mov x1, x17",
    "mrs x2, tpidr_el0",
    // Never store through a misaligned sp (that faults); a kernel that got
    // the alignment wrong is reported by the tests instead.
    "and x9, x0, #~15",
    "mov sp, x9",
    "mov x29, xzr",
    "mov x30, xzr",
    "bl {start_rust}",
    "udf #0",
    ".size _start, . - _start",
    "",
    // Signal handlers return here (sa_restorer with SA_RESTORER).
    ".section .text.__pikern_sigreturn, \"ax\", %progbits",
    ".globl __pikern_sigreturn",
    ".type __pikern_sigreturn, %function",
    "__pikern_sigreturn:",
    "mov x8, #139", // rt_sigreturn
    "svc #0",
    "udf #1",
    ".size __pikern_sigreturn, . - __pikern_sigreturn",
    start_rust = sym start_rust,
);

extern "C" {
    fn _start();
    fn __pikern_sigreturn();
}

extern "Rust" {
    /// The program's main, defined by [`crate::entry!`].
    fn __pikern_main(args: &[&str]) -> i32;
}

/// The program's entry address (what `AT_ENTRY` should say).
pub fn entry_address() -> usize {
    _start as *const () as usize
}

/// The address of the `rt_sigreturn` trampoline signal handlers return to.
pub fn sigreturn_trampoline() -> usize {
    __pikern_sigreturn as *const () as usize
}

/// How many arguments `main` gets without touching the heap: programs must
/// start even if `brk` does not work yet.
const STACK_ARGS: usize = 32;

/// Rust half of `_start`.
///
/// # Safety
/// `sp` must be the initial stack pointer the kernel gave the program.
unsafe extern "C" fn start_rust(sp: *const usize, reg_or: u64, tpidr: u64) -> ! {
    // SAFETY: the kernel laid out the initial stack at sp as the ABI says.
    unsafe { env::init(sp, reg_or, tpidr) };
    let argc = env::argc();
    let code = if argc <= STACK_ARGS {
        let mut args = [""; STACK_ARGS];
        for (slot, arg) in args.iter_mut().zip(env::args()) {
            *slot = arg;
        }
        // SAFETY: __pikern_main is the Rust fn defined by entry!().
        unsafe { __pikern_main(&args[..argc]) }
    } else {
        let args: alloc::vec::Vec<&str> = env::args().collect();
        // SAFETY: as above.
        unsafe { __pikern_main(&args) }
    };
    sys::exit_group(code)
}
