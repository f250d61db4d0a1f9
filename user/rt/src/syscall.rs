//! Raw Linux arm64 system calls: `svc #0` with the number in `x8`, arguments
//! in `x0`..`x5` and the result (or `-errno`) in `x0`.
//!
//! These are `unsafe`: the kernel may read or write any memory an argument
//! points at, so the caller must guarantee each pointer is what the call
//! expects (the tests deliberately pass bad ones, which the kernel must
//! refuse with `-EFAULT` without touching memory). The typed wrappers in
//! [`crate::sys`] are the safe interface.

use core::arch::asm;

/// System-call numbers (`nr::OPENAT`), generated in libkernel from the
/// one system-call table the kernel's dispatch is generated from too.
pub use libkernel::uapi::nr;

/// A system call without arguments.
///
/// # Safety
/// The call must not violate memory safety (see the module documentation).
#[inline(always)]
pub unsafe fn syscall0(nr: usize) -> isize {
    let ret: isize;
    // SAFETY: the caller vouches for the call; `svc` only clobbers x0 (the
    // result) and does not touch the user stack.
    unsafe { asm!("svc #0", in("x8") nr, lateout("x0") ret, options(nostack)) };
    ret
}

/// A system call with one argument.
///
/// # Safety
/// As [`syscall0`].
#[inline(always)]
pub unsafe fn syscall1(nr: usize, a0: usize) -> isize {
    let ret: isize;
    // SAFETY: as in syscall0.
    unsafe { asm!("svc #0", in("x8") nr, inlateout("x0") a0 as isize => ret, options(nostack)) };
    ret
}

/// A system call with two arguments.
///
/// # Safety
/// As [`syscall0`].
#[inline(always)]
pub unsafe fn syscall2(nr: usize, a0: usize, a1: usize) -> isize {
    let ret: isize;
    // SAFETY: as in syscall0.
    unsafe {
        asm!("svc #0", in("x8") nr, inlateout("x0") a0 as isize => ret, in("x1") a1,
             options(nostack))
    };
    ret
}

/// A system call with three arguments.
///
/// # Safety
/// As [`syscall0`].
#[inline(always)]
pub unsafe fn syscall3(nr: usize, a0: usize, a1: usize, a2: usize) -> isize {
    let ret: isize;
    // SAFETY: as in syscall0.
    unsafe {
        asm!("svc #0", in("x8") nr, inlateout("x0") a0 as isize => ret, in("x1") a1,
             in("x2") a2, options(nostack))
    };
    ret
}

/// A system call with four arguments.
///
/// # Safety
/// As [`syscall0`].
#[inline(always)]
pub unsafe fn syscall4(nr: usize, a0: usize, a1: usize, a2: usize, a3: usize) -> isize {
    let ret: isize;
    // SAFETY: as in syscall0.
    unsafe {
        asm!("svc #0", in("x8") nr, inlateout("x0") a0 as isize => ret, in("x1") a1,
             in("x2") a2, in("x3") a3, options(nostack))
    };
    ret
}

/// A system call with five arguments.
///
/// # Safety
/// As [`syscall0`].
#[inline(always)]
pub unsafe fn syscall5(nr: usize, a0: usize, a1: usize, a2: usize, a3: usize, a4: usize) -> isize {
    let ret: isize;
    // SAFETY: as in syscall0.
    unsafe {
        asm!("svc #0", in("x8") nr, inlateout("x0") a0 as isize => ret, in("x1") a1,
             in("x2") a2, in("x3") a3, in("x4") a4, options(nostack))
    };
    ret
}

/// A system call with six arguments.
///
/// # Safety
/// As [`syscall0`].
#[inline(always)]
pub unsafe fn syscall6(
    nr: usize,
    a0: usize,
    a1: usize,
    a2: usize,
    a3: usize,
    a4: usize,
    a5: usize,
) -> isize {
    let ret: isize;
    // SAFETY: as in syscall0.
    unsafe {
        asm!("svc #0", in("x8") nr, inlateout("x0") a0 as isize => ret, in("x1") a1,
             in("x2") a2, in("x3") a3, in("x4") a4, in("x5") a5, options(nostack))
    };
    ret
}
