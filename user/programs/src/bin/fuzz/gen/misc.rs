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

/// `capget`/`capset(header, data)`: versions 1, 2, 3 and a bad one,
/// pids, the worker's memory or hostile pointers; `capset` of sets read
/// back from `capget`'s answer or of garbage (never more than root has).
pub fn capget_capset(w: &mut Worker, c: &mut Call) {
    let base = crate::worker::SCRATCH_LEN as usize - 8192 + 512;
    let version = w.rng.pick(&[
        uapi::LINUX_CAPABILITY_VERSION_1 as u64,
        uapi::LINUX_CAPABILITY_VERSION_2 as u64,
        uapi::LINUX_CAPABILITY_VERSION_3 as u64,
        0x1234_5678,
    ]);
    let pid = w.pid();
    crate::worker::put_u64(base, version | (pid << 32));
    c.a[0] = if w.rng.chance(85) {
        crate::worker::SCRATCH + base as u64
    } else {
        w.hostile()
    };
    if c.nr == nr::CAPSET as u64 {
        for i in 0..3 {
            crate::worker::put_u64(base + 8 + 8 * i, w.rng.next());
        }
        c.a[1] = crate::worker::SCRATCH + base as u64 + 8;
    } else {
        let (p, k) = w.wptr(24);
        c.a[1] = if w.rng.chance(20) { 0 } else { p };
        c.kout = k && c.a[1] != 0 && version == uapi::LINUX_CAPABILITY_VERSION_3 as u64 && pid == 0;
    }
}

/// `personality(persona)`: the query, `PER_LINUX`, `ADDR_NO_RANDOMIZE`
/// (what `setarch -R` sets) and garbage.
pub fn personality(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.rng.pick(&[
        uapi::PER_QUERY as u64,
        uapi::PER_LINUX as u64,
        uapi::ADDR_NO_RANDOMIZE as u64,
        0x0800_0000,
        u64::MAX,
    ]);
}

/// `sethostname`/`setdomainname(name, len)`: lengths around the limit,
/// the worker's path buffer or hostile pointers.
pub fn sethostname(w: &mut Worker, c: &mut Call) {
    c.a[0] = if w.rng.chance(70) {
        w.set_path("fuzz-host")
    } else {
        w.hostile()
    };
    c.a[1] = w.rng.pick(&[0, 5, 9, 64, 65, -1i64 as u64, u64::MAX]);
}
