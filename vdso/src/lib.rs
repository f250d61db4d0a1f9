//! pikern's vDSO, `linux-vdso.so.1` (Linux's `arch/arm64/kernel/vdso/`):
//! a small shared object the kernel maps into every process and names with
//! `AT_SYSINFO_EHDR`. C libraries find its functions by symbol (version
//! `LINUX_2.6.39`) and call them instead of the system calls:
//!
//! - `__kernel_clock_gettime`, `__kernel_gettimeofday` and
//!   `__kernel_clock_getres` read the kernel's data page (`[vvar]`, the
//!   page below this one) and the virtual counter `CNTVCT_EL0` (which the
//!   kernel lets EL0 read), and compute the time with the kernel's own
//!   arithmetic (`libkernel::vdso`): no exception, no kernel entry. What
//!   the page does not serve (CPU-time clocks, unknown ids, a counter user
//!   space may not read) falls back to the real system call, as Linux's
//!   `lib/vdso/gettimeofday.c` does.
//! - `__kernel_rt_sigreturn` is where a signal handler without
//!   `SA_RESTORER` returns: `rt_sigreturn`, with the unwind notes that mark
//!   it a signal frame.
//!
//! Built by `kernel/build.rs`: position-independent, no data or bss of its
//! own, no relocations (`vdso.lds` places it; the build checks the
//! result), embedded in the kernel image.

#![no_std]

use core::arch::{asm, global_asm};
use libkernel::uapi::{nr, Timespec};
use libkernel::vdso::{self, VdsoClock, VdsoData};

/// The data page, one page below this image wherever the kernel mapped
/// the pair; `adrp`/`add` reach it without a relocation.
#[inline(always)]
fn vdso_data() -> &'static VdsoData {
    let p: *const VdsoData;
    // SAFETY: only computes an address, PC-relative (`_vdso_data` is
    // defined by vdso.lds); reads nothing.
    unsafe {
        asm!(
            "adrp {0}, _vdso_data",
            "add {0}, {0}, :lo12:_vdso_data",
            out(reg) p,
            options(pure, nomem, nostack, preserves_flags)
        )
    };
    // SAFETY: the kernel maps the data page, read-only, just below this
    // image in every process it maps the vDSO into; its fields are atomics.
    unsafe { &*p }
}

/// The virtual counter, read in order after earlier instructions (the
/// `isb` keeps it from being read early, as the kernel's `read_counter`
/// and Linux's `__arch_get_hw_counter` do). The kernel leaves the virtual
/// offset 0, so this is the counter the kernel reads.
#[inline(always)]
fn read_cntvct() -> u64 {
    let v: u64;
    // SAFETY: CNTKCTL_EL1.EL0VCTEN is set on every CPU before user space
    // runs (the clock mode says so); reading the counter changes nothing.
    unsafe {
        asm!("isb", "mrs {0}, cntvct_el0", out(reg) v, options(nomem, nostack, preserves_flags))
    };
    v
}

/// A system call with two arguments; returns the kernel's `x0` (a
/// negative errno on failure), which is what the vDSO functions return.
#[inline(always)]
fn syscall2(n: usize, a0: usize, a1: usize) -> i64 {
    let ret: i64;
    // SAFETY: the kernel checks every argument; the call touches only
    // x0 and memory the arguments name.
    unsafe {
        asm!("svc #0", in("x8") n, inlateout("x0") a0 as i64 => ret, in("x1") a1, options(nostack))
    };
    ret
}

/// The time of `clock` now, ns, or `None` to make the system call.
#[inline(always)]
fn clock_ns(clock: VdsoClock) -> Option<u64> {
    let (snap, now) = vdso_data().read(read_cntvct);
    snap.clock_ns(clock, now)
}

/// `clock_gettime(clock, ts)` in user space.
///
/// # Safety
///
/// `ts` must be writable, as for the system call (Linux's vDSO faults on
/// a bad pointer too).
#[no_mangle]
pub unsafe extern "C" fn __kernel_clock_gettime(clock: i32, ts: *mut Timespec) -> i64 {
    if let Some(ns) = VdsoClock::from_id(clock as u32).and_then(clock_ns) {
        // SAFETY: the caller's pointer, as the system call would take it.
        unsafe { ts.write(vdso::ns_to_timespec(ns)) };
        return 0;
    }
    syscall2(nr::CLOCK_GETTIME, clock as usize, ts as usize)
}

/// `gettimeofday(tv, tz)` in user space: `CLOCK_REALTIME` in
/// microseconds, and the time zone `settimeofday` set.
///
/// # Safety
///
/// `tv` and `tz` must each be null or writable.
#[no_mangle]
pub unsafe extern "C" fn __kernel_gettimeofday(tv: *mut [i64; 2], tz: *mut [i32; 2]) -> i64 {
    if !tv.is_null() {
        match clock_ns(VdsoClock::Real) {
            Some(ns) => {
                let (s, us) = vdso::ns_to_timeval(ns);
                // SAFETY: the caller's pointer, as the system call would
                // take it.
                unsafe { tv.write([s, us]) };
            }
            None => return syscall2(nr::GETTIMEOFDAY, tv as usize, tz as usize),
        }
    }
    if !tz.is_null() {
        let d = vdso_data();
        let zone = [
            d.tz_minuteswest.load(core::sync::atomic::Ordering::Relaxed),
            d.tz_dsttime.load(core::sync::atomic::Ordering::Relaxed),
        ];
        // SAFETY: as above.
        unsafe { tz.write(zone) };
    }
    0
}

/// `clock_getres(clock, res)` in user space.
///
/// # Safety
///
/// `res` must be null or writable.
#[no_mangle]
pub unsafe extern "C" fn __kernel_clock_getres(clock: i32, res: *mut Timespec) -> i64 {
    let d = vdso_data();
    let hres = d.hrtimer_res.load(core::sync::atomic::Ordering::Relaxed);
    match VdsoClock::from_id(clock as u32) {
        Some(c) if hres != 0 => {
            if !res.is_null() {
                // SAFETY: the caller's pointer, as the system call would
                // take it.
                unsafe { res.write(vdso::ns_to_timespec(vdso::clock_res_ns(c, hres))) };
            }
            0
        }
        _ => syscall2(nr::CLOCK_GETRES, clock as usize, res as usize),
    }
}

// The signal trampoline (Linux's `arch/arm64/kernel/vdso/sigreturn.S`).
// Unwinders at run time (libgcc's `aarch64_fallback_frame_state`, gdb)
// recognise the exact `mov x8, #139; svc #0` at a return address and read
// the registers from the signal frame, so there is no prologue, no BTI.
// The CFI, in .debug_frame (vdso.so.dbg; the image has no unwind tables,
// as Linux's has none), marks a signal frame and says the caller's frame
// record is where x29 points: the kernel leaves x29 at a frame record
// {x29, x30} of the interrupted code above the signal frame. The nop
// before the symbol is for unwinders that look up "return address - 1".
global_asm!(
    ".cfi_sections .debug_frame",
    ".text",
    ".cfi_startproc",
    ".cfi_signal_frame",
    ".cfi_def_cfa x29, 0",
    ".cfi_offset x29, 0 * 8",
    ".cfi_offset x30, 1 * 8",
    "nop",
    ".globl __kernel_rt_sigreturn",
    ".type __kernel_rt_sigreturn, %function",
    "__kernel_rt_sigreturn:",
    "mov x8, #{nr}",
    "svc #0",
    ".size __kernel_rt_sigreturn, . - __kernel_rt_sigreturn",
    ".cfi_endproc",
    nr = const nr::RT_SIGRETURN,
);

/// Nothing in the vDSO panics (no indexing, no checked arithmetic, a
/// non-zero divisor type); should a panic path ever be linked in, it stops
/// the process with a breakpoint rather than spinning.
#[cfg(not(test))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {
        // SAFETY: a breakpoint exception; the kernel sends SIGTRAP.
        unsafe { asm!("brk #0x3e8", options(nomem, nostack)) };
    }
}
