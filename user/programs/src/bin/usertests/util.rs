//! Helpers shared by the test suites: which kernel we run on, owned file
//! descriptors, forked children and the addresses used as bad pointers.

use crate::ktap::{Stop, TestResult};
use core::ffi::CStr;
use core::sync::atomic::{AtomicU8, Ordering};
use pikern_rt::consts::*;
use pikern_rt::process::{self, WaitStatus};
use pikern_rt::sys::{self, RLimit};
use pikern_rt::{env, Errno};

/// An address in the kernel half (TTBR1): user accesses must fault and
/// system calls given it must fail with `EFAULT`.
pub const KERNEL_ADDR: usize = 0xffff_0000_0000_0000;

/// The page size (uapi's `PAGE_SIZE`, a `u64`) as a `usize`, for slice
/// lengths and pointer arithmetic.
pub const PAGE: usize = PAGE_SIZE as usize;

/// Where the ELF image is linked (user/user.ld).
pub const IMAGE_BASE: usize = 0x40_0000;

/// 0: unknown, 1: pikern, 2: Linux, 3: something else.
static KERNEL: AtomicU8 = AtomicU8::new(0);

fn kernel() -> u8 {
    let k = KERNEL.load(Ordering::Relaxed);
    if k != 0 {
        return k;
    }
    let k = match sys::uname() {
        Ok(u) if sys::field_str(&u.sysname) == "pikern" => 1,
        Ok(u) if sys::field_str(&u.sysname) == "Linux" => 2,
        _ => 3,
    };
    KERNEL.store(k, Ordering::Relaxed);
    k
}

/// True on pikern (uname sysname "pikern").
pub fn on_pikern() -> bool {
    kernel() == 1
}

/// True on Linux, e.g. under qemu-aarch64 on a development host.
pub fn on_linux() -> bool {
    kernel() == 2
}

/// The path this program was started as (`AT_EXECFN`, else `argv[0]`).
pub fn self_path() -> &'static CStr {
    env::exec_path().unwrap_or(c"/bin/usertests")
}

/// A file descriptor closed when dropped.
pub struct Fd(pub i32);

impl Fd {
    /// `openat(AT_FDCWD, path, flags)`.
    pub fn open(path: &CStr, flags: u32) -> Result<Fd, Errno> {
        sys::open(path, flags).map(Fd)
    }

    /// The raw descriptor.
    pub fn raw(&self) -> i32 {
        self.0
    }
}

impl Drop for Fd {
    fn drop(&mut self) {
        let _ = sys::close(self.0);
    }
}

/// Reads `fd` to the end into `buf` (which must be big enough); returns
/// the byte count.
pub fn read_to_end(fd: i32, buf: &mut [u8]) -> Result<usize, Errno> {
    let mut total = 0;
    loop {
        if total == buf.len() {
            return Err(Errno::EFBIG);
        }
        match sys::read(fd, &mut buf[total..])? {
            0 => return Ok(total),
            n => total += n,
        }
    }
}

/// Runs `f` in a forked child, which exits 0 if `f` passed, 1 if it failed
/// (after printing its diagnostics) and 2 if it skipped (after printing
/// the reason as a diagnostic); returns the child's wait status.
pub fn in_child(f: impl FnOnce() -> TestResult) -> Result<WaitStatus, Errno> {
    match process::fork()? {
        0 => {
            let code = match f() {
                Ok(()) => 0,
                Err(Stop::Fail) => 1,
                Err(Stop::Skip(why)) => {
                    diag!("skipped: {why}");
                    2
                }
            };
            sys::exit_group(code)
        }
        pid => wait_for(pid),
    }
}

/// Waits for child `pid`, checking `wait4` reports that very pid.
pub fn wait_for(pid: i32) -> Result<WaitStatus, Errno> {
    let (got, st) = process::waitpid(pid, 0)?;
    if got != pid {
        return Err(Errno::ECHILD);
    }
    Ok(st)
}

/// Runs `f` in a forked child that is expected to die of a signal: its
/// stderr goes to /dev/null (qemu-user reports guest crashes there) and
/// core dumps are disabled. The child exits 0 if `f` returns.
pub fn crashing_child(f: impl FnOnce()) -> Result<WaitStatus, Errno> {
    match process::fork()? {
        0 => {
            quiet_crashes();
            f();
            sys::exit_group(0)
        }
        pid => wait_for(pid),
    }
}

/// In a child about to crash on purpose: no core file, no noise.
pub fn quiet_crashes() {
    let _ = sys::prlimit64(
        0,
        RLIMIT_CORE,
        Some(&RLimit {
            rlim_cur: 0,
            rlim_max: 0,
        }),
        None,
    );
    if let Ok(null) = sys::open(c"/dev/null", O_WRONLY) {
        let _ = sys::dup3(null, 2, 0);
        let _ = sys::close(null);
    }
}

/// Checks a child passed (exited 0); a child that skipped makes the test
/// skip.
pub fn child_passed(st: Result<WaitStatus, Errno>) -> TestResult {
    match st {
        Ok(st) if st.exit_code() == Some(0) => Ok(()),
        Ok(st) if st.exit_code() == Some(2) => {
            Err(Stop::Skip("the child skipped (reason above)".into()))
        }
        Ok(st) => fail!("child {st:?}, expected exit status 0"),
        Err(e) => fail!("fork/wait failed: {e:?}"),
    }
}

/// Checks a child was killed by signal `sig`.
pub fn child_killed_by(st: Result<WaitStatus, Errno>, sig: u32) -> TestResult {
    match st {
        Ok(st) if st.term_signal() == Some(sig) => Ok(()),
        Ok(st) => fail!("child {st:?}, expected killed by signal {sig}"),
        Err(e) => fail!("fork/wait failed: {e:?}"),
    }
}

/// Sends `sig` to a child: refuses pids that are not a specific other
/// process (0 and -1 would signal whole groups, 1 is init).
pub fn signal_child(pid: i32, sig: u32) -> Result<usize, Errno> {
    if pid <= 1 || pid == sys::getpid() {
        return Err(Errno::EINVAL);
    }
    sys::kill(pid, sig)
}

/// An address that was mapped a moment ago and is not any more.
pub fn unmapped_address() -> Result<usize, Errno> {
    // SAFETY: a fresh anonymous mapping, unmapped at once; nothing uses it.
    unsafe {
        let p = sys::mmap(
            0,
            PAGE,
            PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS,
            -1,
            0,
        )?;
        sys::munmap(p, PAGE)?;
        Ok(p as usize)
    }
}

/// Pins the calling process to the lowest CPU it may run on; returns that
/// CPU, or `None` if affinity is not supported.
pub fn pin_to_one_cpu() -> Option<usize> {
    let mut mask = [0u8; 128];
    let n = sys::sched_getaffinity(0, &mut mask).ok()?;
    let cpu = (0..n * 8).find(|&c| mask[c / 8] & (1 << (c % 8)) != 0)?;
    let mut one = [0u8; 128];
    one[cpu / 8] = 1 << (cpu % 8);
    sys::sched_setaffinity(0, &one[..n]).ok()?;
    Some(cpu)
}

/// Sets a deliberately sticky value in all FP/SIMD registers, runs a system
/// call and reads them back: returns how many of the 64 doublewords changed.
pub fn fp_registers_clobbered_by(nr: usize, a0: usize, a1: usize, seed: u64) -> usize {
    let mut input = [0u64; 64];
    for (i, w) in input.iter_mut().enumerate() {
        *w = seed ^ (0x0101_0101_0101_0101u64.wrapping_mul(i as u64 + 1)).rotate_left(i as u32);
    }
    let mut output = [0u64; 64];
    // SAFETY: loads from `input` and stores to `output`, both 512 bytes; the
    // system calls used here (sched_yield, nanosleep with a valid timespec)
    // only touch memory their arguments name. Every vector register is
    // declared clobbered.
    unsafe {
        core::arch::asm!(
            "ldp q0, q1, [{i}, #0]",
            "ldp q2, q3, [{i}, #32]",
            "ldp q4, q5, [{i}, #64]",
            "ldp q6, q7, [{i}, #96]",
            "ldp q8, q9, [{i}, #128]",
            "ldp q10, q11, [{i}, #160]",
            "ldp q12, q13, [{i}, #192]",
            "ldp q14, q15, [{i}, #224]",
            "ldp q16, q17, [{i}, #256]",
            "ldp q18, q19, [{i}, #288]",
            "ldp q20, q21, [{i}, #320]",
            "ldp q22, q23, [{i}, #352]",
            "ldp q24, q25, [{i}, #384]",
            "ldp q26, q27, [{i}, #416]",
            "ldp q28, q29, [{i}, #448]",
            "ldp q30, q31, [{i}, #480]",
            "svc #0",
            "stp q0, q1, [{o}, #0]",
            "stp q2, q3, [{o}, #32]",
            "stp q4, q5, [{o}, #64]",
            "stp q6, q7, [{o}, #96]",
            "stp q8, q9, [{o}, #128]",
            "stp q10, q11, [{o}, #160]",
            "stp q12, q13, [{o}, #192]",
            "stp q14, q15, [{o}, #224]",
            "stp q16, q17, [{o}, #256]",
            "stp q18, q19, [{o}, #288]",
            "stp q20, q21, [{o}, #320]",
            "stp q22, q23, [{o}, #352]",
            "stp q24, q25, [{o}, #384]",
            "stp q26, q27, [{o}, #416]",
            "stp q28, q29, [{o}, #448]",
            "stp q30, q31, [{o}, #480]",
            i = in(reg) input.as_ptr(),
            o = in(reg) output.as_mut_ptr(),
            in("x8") nr,
            inlateout("x0") a0 => _,
            in("x1") a1,
            out("v0") _, out("v1") _, out("v2") _, out("v3") _,
            out("v4") _, out("v5") _, out("v6") _, out("v7") _,
            out("v8") _, out("v9") _, out("v10") _, out("v11") _,
            out("v12") _, out("v13") _, out("v14") _, out("v15") _,
            out("v16") _, out("v17") _, out("v18") _, out("v19") _,
            out("v20") _, out("v21") _, out("v22") _, out("v23") _,
            out("v24") _, out("v25") _, out("v26") _, out("v27") _,
            out("v28") _, out("v29") _, out("v30") _, out("v31") _,
            options(nostack),
        );
    }
    input
        .iter()
        .zip(output.iter())
        .filter(|(a, b)| a != b)
        .count()
}

/// Like [`in_child`], but returns the child's pid at once instead of
/// waiting (collect it with [`wait_for`]).
pub fn in_child_async(f: impl FnOnce() -> TestResult) -> Result<i32, Errno> {
    match process::fork()? {
        0 => {
            let code = match f() {
                Ok(()) => 0,
                Err(Stop::Fail) => 1,
                Err(Stop::Skip(_)) => 2,
            };
            sys::exit_group(code)
        }
        pid => Ok(pid),
    }
}

/// Runs system call `nr` with x0 = `a0`, x1 = `a1` and a known value in
/// every other general register the compiler lets us name (all but x19
/// and x29, which it reserves), then checks none changed (x1 and the call
/// number in x8 included): `Ok(x0)` or `Err((register, before, after))`.
pub fn gp_registers_across(
    nr: usize,
    a0: usize,
    a1: usize,
) -> Result<isize, (&'static str, u64, u64)> {
    const NAMES: [&str; 28] = [
        "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x9", "x10", "x11", "x12", "x13", "x14", "x15",
        "x16", "x17", "x18", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28", "x30",
        "x8",
    ];
    let mut v: [u64; 28] = core::array::from_fn(|i| {
        0x1111_0000_0000_0000u64.wrapping_mul(i as u64 + 1) | (i as u64) << 8 | 0x5a
    });
    v[0] = a1 as u64;
    v[27] = nr as u64;
    let mut r = v;
    let ret: isize;
    // SAFETY: the callers' system calls (getpid, kill of itself) read no
    // memory; every register the asm touches is an operand.
    unsafe {
        core::arch::asm!(
            "svc #0",
            inlateout("x0") a0 as isize => ret,
            inout("x1") r[0], inout("x2") r[1], inout("x3") r[2], inout("x4") r[3],
            inout("x5") r[4], inout("x6") r[5], inout("x7") r[6], inout("x9") r[7],
            inout("x10") r[8], inout("x11") r[9], inout("x12") r[10], inout("x13") r[11],
            inout("x14") r[12], inout("x15") r[13], inout("x16") r[14], inout("x17") r[15],
            inout("x18") r[16], inout("x20") r[17], inout("x21") r[18], inout("x22") r[19],
            inout("x23") r[20], inout("x24") r[21], inout("x25") r[22], inout("x26") r[23],
            inout("x27") r[24], inout("x28") r[25], inout("x30") r[26], inout("x8") r[27],
            options(nostack),
        );
    }
    match (0..28).find(|&i| r[i] != v[i]) {
        Some(i) => Err((NAMES[i], v[i], r[i])),
        None => Ok(ret),
    }
}
