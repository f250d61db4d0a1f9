//! Generators for the calls that fit no subsystem (`uname`, `getrandom`,
//! `sysinfo`, `times`, `getgroups`, `syslog`),
//! and for garbage system-call numbers.

use super::{callable, row_of, GARBAGE_OK};
use crate::worker::{Call, Worker};
use pikern_rt::syscall::nr;
use pikern_rt::uapi;

/// `uname(buf)`: a kernel `buf` must fail.
pub fn uname(w: &mut Worker, c: &mut Call) {
    let (p, k) = w.wptr(390);
    c.a[0] = p;
    c.kout = k;
}

/// `getrandom(buf, count, flags)`.
pub fn getrandom(w: &mut Worker, c: &mut Call) {
    let len = w.len();
    c.a[0] = w.wptr(len).0;
    c.a[1] = len;
    c.a[2] = w.rng.pick(&[0, 1, 2, 4, 8, u64::MAX]);
}

/// `sysinfo(info)`: a kernel `info` must fail.
pub fn sysinfo(w: &mut Worker, c: &mut Call) {
    let (p, k) = w.wptr(uapi::SYSINFO_SIZE as u64);
    c.a[0] = p;
    c.kout = k;
}

/// `times(buf)`: NULL is allowed; a kernel `buf` must fail.
pub fn times(w: &mut Worker, c: &mut Call) {
    let (p, k) = w.wptr(32);
    c.a[0] = if w.rng.chance(10) { 0 } else { p };
    c.kout = k && c.a[0] != 0;
}

/// `getgroups(size, list)`.
pub fn getgroups(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.rng.pick(&[0, 1, 65536, u64::MAX, 1 << 31]);
    c.a[1] = w.wptr(256).0;
}

/// `syslog(action, buf, len)`: every action; reads into scratch or a
/// hostile address (none of them waits).
pub fn syslog(w: &mut Worker, c: &mut Call) {
    let len = w.len();
    c.a[0] = w.rng.below(12).wrapping_sub(1);
    c.a[1] = w.wptr(len).0;
    c.a[2] = if w.rng.chance(10) { u64::MAX } else { len };
}

/// A number the kernel does not implement (`ENOSYS`: from the table, past
/// its end, or any 64-bit value), or a real one with all-garbage
/// arguments, or a real one with bits above 32 (Linux reads the number's
/// low 32 bits). Numbers that could hurt the worker become `getpid`.
pub fn garbage(w: &mut Worker, c: &mut Call) {
    c.nr = match w.rng.below(5) {
        0 => {
            let ni = uapi::SYSCALLS.iter().filter(|d| !d.implemented);
            let n = ni.clone().count() as u64;
            let k = w.rng.below(n + 2);
            // Past the table too (the last row is 439).
            ni.map(|d| d.nr as u64)
                .nth(k as usize)
                .unwrap_or(if k == n { 451 } else { 1000 })
        }
        1 => w.rng.below(500),
        2 => w.rng.next(),
        3 => (1 << 32) | random_callable(w),
        _ => random_callable(w),
    };
    if !safe_garbage_nr(c.nr) {
        c.nr = nr::GETPID as u64;
    }
}

/// An implemented call a worker may make.
fn random_callable(w: &mut Worker) -> u64 {
    let n = callable().count() as u64;
    let k = w.rng.below(n) as usize;
    callable().nth(k).map_or(nr::GETPID, |d| d.nr) as u64
}

/// Whether a call with all-garbage arguments cannot hurt the worker itself
/// (it may still hurt the kernel: that is the point): not an implemented
/// call, or one marked [`GARBAGE_OK`]. A number that aliases a real call
/// when the kernel reads only its low 32 bits (as Linux does) counts as
/// that call.
pub fn safe_garbage_nr(n: u64) -> bool {
    [n as u32 as u64, n].iter().all(|&x| {
        let Ok(x) = usize::try_from(x) else {
            return true;
        };
        let implemented = uapi::syscall_desc(x).is_some_and(|d| d.implemented);
        !implemented || row_of(x).is_some_and(|r| r.flags & GARBAGE_OK != 0)
    })
}
