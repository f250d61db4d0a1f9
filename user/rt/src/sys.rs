//! Typed wrappers around the system calls, returning `Result<usize, Errno>`
//! (or the call's natural type), and the Linux arm64 structures they use.
//!
//! Calls that take only values or Rust references are safe functions: the
//! borrow checker already guarantees the buffers are valid. Calls whose
//! effect on memory the type system cannot see (`mmap`, `munmap`,
//! `mprotect`, `brk`, `clone`, `execve`, `ioctl`, `rt_sigaction`) are
//! `unsafe`. Calls Linux documents as unable to fail (`getpid`, ...) return
//! their value directly.

use crate::errno::Errno;
use crate::syscall::{nr, syscall0, syscall1, syscall2, syscall3, syscall4, syscall5, syscall6};
use core::ffi::CStr;
use core::marker::PhantomData;
use core::ptr;
use core::sync::atomic::AtomicI32;

/// Result of a system call.
pub type SysResult<T = usize> = Result<T, Errno>;

#[inline]
fn res(ret: isize) -> SysResult {
    Errno::result(ret)
}

/// An fd or other `int` argument, sign-extended as the kernel expects.
#[inline]
fn int(v: i32) -> usize {
    v as isize as usize
}

fn opt_ptr<T>(p: Option<&T>) -> usize {
    p.map_or(0, |r| r as *const T as usize)
}

fn opt_mut<T>(p: Option<&mut T>) -> usize {
    p.map_or(0, |r| r as *mut T as usize)
}

// ---------------------------------------------------------------- structures

/// `struct stat` (arm64, 128 bytes): the kernel library's, which pins
/// its layout against Linux's in host tests.
pub use libkernel::uapi::Stat;

/// `struct timespec`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timespec {
    pub tv_sec: i64,
    pub tv_nsec: i64,
}

impl Timespec {
    /// A duration of `ms` milliseconds.
    pub const fn from_ms(ms: u64) -> Timespec {
        Timespec {
            tv_sec: (ms / 1000) as i64,
            tv_nsec: ((ms % 1000) * 1_000_000) as i64,
        }
    }

    /// A duration or instant of `ns` nanoseconds.
    pub const fn from_ns(ns: u64) -> Timespec {
        Timespec {
            tv_sec: (ns / 1_000_000_000) as i64,
            tv_nsec: (ns % 1_000_000_000) as i64,
        }
    }

    /// Parses a non-negative decimal number of seconds (`"2"`, `"0.25"`,
    /// `".5"`, `"1."`), as `sleep` takes it; digits past the nanosecond are
    /// dropped. `None` if `s` is not such a number or overflows.
    pub fn parse_seconds(s: &str) -> Option<Timespec> {
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        if whole.is_empty() && frac.is_empty() {
            return None;
        }
        let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || !digits(frac) {
            return None;
        }
        let tv_sec = if whole.is_empty() {
            0
        } else {
            whole.parse::<i64>().ok()?
        };
        let mut tv_nsec = 0i64;
        for i in 0..9 {
            let d = frac.as_bytes().get(i).map_or(0, |b| b - b'0');
            tv_nsec = tv_nsec * 10 + i64::from(d);
        }
        Some(Timespec { tv_sec, tv_nsec })
    }

    /// Total nanoseconds (saturating; negative values give 0).
    pub fn as_ns(&self) -> u64 {
        (self.tv_sec.max(0) as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(self.tv_nsec.max(0) as u64)
    }
}

/// `struct utsname`: six NUL-terminated 65-byte fields.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UtsName {
    pub sysname: [u8; 65],
    pub nodename: [u8; 65],
    pub release: [u8; 65],
    pub version: [u8; 65],
    pub machine: [u8; 65],
    pub domainname: [u8; 65],
}

impl Default for UtsName {
    fn default() -> Self {
        UtsName {
            sysname: [0; 65],
            nodename: [0; 65],
            release: [0; 65],
            version: [0; 65],
            machine: [0; 65],
            domainname: [0; 65],
        }
    }
}

/// The text of a NUL-terminated fixed-size field (up to the first NUL; a
/// field that is not valid UTF-8 gives `"?"`).
pub fn field_str(field: &[u8]) -> &str {
    let len = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    core::str::from_utf8(&field[..len]).unwrap_or("?")
}

/// `struct rlimit64`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RLimit {
    pub rlim_cur: u64,
    pub rlim_max: u64,
}

/// The kernel's `struct sigaction` on arm64 (not glibc's).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigAction {
    /// `SIG_DFL`, `SIG_IGN` or a handler address.
    pub sa_handler: u64,
    pub sa_flags: u64,
    /// Where the handler returns: code that calls `rt_sigreturn`.
    pub sa_restorer: u64,
    pub sa_mask: u64,
}

impl SigAction {
    /// An action with a plain disposition (`SIG_DFL` or `SIG_IGN`).
    pub const fn disposition(handler: u64) -> SigAction {
        SigAction {
            sa_handler: handler,
            sa_flags: 0,
            sa_restorer: 0,
            sa_mask: 0,
        }
    }

    /// An action running `handler`, returning through the runtime's
    /// `rt_sigreturn` trampoline (so no vDSO is needed).
    pub fn handler(handler: extern "C" fn(i32), flags: u64) -> SigAction {
        SigAction {
            sa_handler: handler as usize as u64,
            sa_flags: flags | crate::consts::SA_RESTORER,
            sa_restorer: crate::start::sigreturn_trampoline() as u64,
            sa_mask: 0,
        }
    }
}

/// The bit of signal `sig` in a 64-bit signal set.
pub const fn sigbit(sig: u32) -> u64 {
    1u64 << (sig - 1)
}

/// The kernel's `struct termios` (asm-generic, 19 control characters).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Termios {
    pub c_iflag: u32,
    pub c_oflag: u32,
    pub c_cflag: u32,
    pub c_lflag: u32,
    pub c_line: u8,
    pub c_cc: [u8; 19],
}

/// `struct winsize`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WinSize {
    pub ws_row: u16,
    pub ws_col: u16,
    pub ws_xpixel: u16,
    pub ws_ypixel: u16,
}

/// `struct timeval`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timeval {
    pub tv_sec: i64,
    pub tv_usec: i64,
}

impl Timeval {
    /// Total microseconds (negative values give 0).
    pub fn as_us(&self) -> u64 {
        (self.tv_sec.max(0) as u64)
            .saturating_mul(1_000_000)
            .saturating_add(self.tv_usec.max(0) as u64)
    }
}

/// `struct rusage` (144 bytes on arm64): two timevals, then 14 longs.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RUsage {
    pub ru_utime: Timeval,
    pub ru_stime: Timeval,
    pub ru_maxrss: i64,
    pub ru_ixrss: i64,
    pub ru_idrss: i64,
    pub ru_isrss: i64,
    pub ru_minflt: i64,
    pub ru_majflt: i64,
    pub ru_nswap: i64,
    pub ru_inblock: i64,
    pub ru_oublock: i64,
    pub ru_msgsnd: i64,
    pub ru_msgrcv: i64,
    pub ru_nsignals: i64,
    /// Voluntary context switches (the task blocked).
    pub ru_nvcsw: i64,
    /// Involuntary context switches (the task was preempted).
    pub ru_nivcsw: i64,
}

/// `struct iovec` for `writev`: a borrowed byte slice.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct IoSlice<'a> {
    base: *const u8,
    len: usize,
    _buf: PhantomData<&'a [u8]>,
}

impl<'a> IoSlice<'a> {
    /// Describes `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        IoSlice {
            base: buf.as_ptr(),
            len: buf.len(),
            _buf: PhantomData,
        }
    }
}

/// `struct iovec` for `readv`: a mutably borrowed byte slice.
#[repr(C)]
#[derive(Debug)]
pub struct IoSliceMut<'a> {
    base: *mut u8,
    len: usize,
    _buf: PhantomData<&'a mut [u8]>,
}

impl<'a> IoSliceMut<'a> {
    /// Describes `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        IoSliceMut {
            base: buf.as_mut_ptr(),
            len: buf.len(),
            _buf: PhantomData,
        }
    }
}

/// One record of a `getdents64` buffer (`struct linux_dirent64`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dirent<'a> {
    pub d_ino: u64,
    pub d_off: i64,
    pub d_reclen: u16,
    pub d_type: u8,
    /// The name without its terminating NUL.
    pub name: &'a [u8],
}

/// Iterates over the records `getdents64` put in a buffer. A malformed
/// record (length too small, past the end, name without NUL) ends the
/// iteration and sets [`DirentIter::malformed`].
pub struct DirentIter<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Set when a record did not parse.
    pub malformed: bool,
}

impl<'a> DirentIter<'a> {
    /// Parses the first `len` bytes of a `getdents64` buffer.
    pub fn new(buf: &'a [u8]) -> Self {
        DirentIter {
            buf,
            pos: 0,
            malformed: false,
        }
    }
}

impl<'a> Iterator for DirentIter<'a> {
    type Item = Dirent<'a>;

    fn next(&mut self) -> Option<Dirent<'a>> {
        let rest = &self.buf[self.pos..];
        if rest.is_empty() || self.malformed {
            return None;
        }
        let u64_at = |o: usize| u64::from_le_bytes(rest[o..o + 8].try_into().unwrap());
        if rest.len() < crate::consts::DIRENT64_NAME_OFFSET + 1 {
            self.malformed = true;
            return None;
        }
        let reclen = u16::from_le_bytes([rest[16], rest[17]]);
        let r = reclen as usize;
        if r < crate::consts::DIRENT64_NAME_OFFSET + 1 || r > rest.len() {
            self.malformed = true;
            return None;
        }
        let name_area = &rest[crate::consts::DIRENT64_NAME_OFFSET..r];
        let Some(name_len) = name_area.iter().position(|&b| b == 0) else {
            self.malformed = true;
            return None;
        };
        self.pos += r;
        Some(Dirent {
            d_ino: u64_at(0),
            d_off: u64_at(8) as i64,
            d_reclen: reclen,
            d_type: rest[18],
            name: &name_area[..name_len],
        })
    }
}

// ------------------------------------------------------------- files and I/O

/// `read(fd, buf, buf.len())`: bytes read, 0 at end of file.
pub fn read(fd: i32, buf: &mut [u8]) -> SysResult {
    // SAFETY: the kernel writes at most buf.len() bytes into buf.
    res(unsafe { syscall3(nr::READ, int(fd), buf.as_mut_ptr() as usize, buf.len()) })
}

/// `write(fd, buf, buf.len())`: bytes written.
pub fn write(fd: i32, buf: &[u8]) -> SysResult {
    // SAFETY: the kernel only reads buf.
    res(unsafe { syscall3(nr::WRITE, int(fd), buf.as_ptr() as usize, buf.len()) })
}

/// `writev(fd, iov, iov.len())`: total bytes written.
pub fn writev(fd: i32, iov: &[IoSlice<'_>]) -> SysResult {
    // SAFETY: IoSlice is a `struct iovec` over live borrowed slices that the
    // kernel only reads.
    res(unsafe { syscall3(nr::WRITEV, int(fd), iov.as_ptr() as usize, iov.len()) })
}

/// `readv(fd, iov, iov.len())`: total bytes read.
pub fn readv(fd: i32, iov: &mut [IoSliceMut<'_>]) -> SysResult {
    // SAFETY: each IoSliceMut is a `struct iovec` over a live exclusively
    // borrowed slice; the kernel writes within those bounds.
    res(unsafe { syscall3(nr::READV, int(fd), iov.as_mut_ptr() as usize, iov.len()) })
}

/// `openat(dirfd, path, flags, mode)`: the new file descriptor.
pub fn openat(dirfd: i32, path: &CStr, flags: u32, mode: u32) -> SysResult<i32> {
    // SAFETY: path is NUL-terminated and only read.
    let r = unsafe {
        syscall4(
            nr::OPENAT,
            int(dirfd),
            path.as_ptr() as usize,
            flags as usize,
            mode as usize,
        )
    };
    res(r).map(|fd| fd as i32)
}

/// `openat(AT_FDCWD, path, flags, 0)`.
pub fn open(path: &CStr, flags: u32) -> SysResult<i32> {
    openat(crate::consts::AT_FDCWD, path, flags, 0)
}

/// `close(fd)`.
pub fn close(fd: i32) -> SysResult {
    // SAFETY: no memory is involved.
    res(unsafe { syscall1(nr::CLOSE, int(fd)) })
}

/// `lseek(fd, offset, whence)`: the new offset.
pub fn lseek(fd: i32, offset: i64, whence: u32) -> SysResult {
    // SAFETY: no memory is involved.
    res(unsafe { syscall3(nr::LSEEK, int(fd), offset as usize, whence as usize) })
}

/// `newfstatat(dirfd, path, &st, flags)` (`fstatat` / `stat`).
pub fn newfstatat(dirfd: i32, path: &CStr, st: &mut Stat, flags: u32) -> SysResult {
    // SAFETY: path is NUL-terminated; st is a writable struct stat.
    res(unsafe {
        syscall4(
            nr::NEWFSTATAT,
            int(dirfd),
            path.as_ptr() as usize,
            st as *mut Stat as usize,
            flags as usize,
        )
    })
}

/// `fstat(fd, &st)`.
pub fn fstat(fd: i32, st: &mut Stat) -> SysResult {
    // SAFETY: st is a writable struct stat.
    res(unsafe { syscall2(nr::FSTAT, int(fd), st as *mut Stat as usize) })
}

/// `getdents64(fd, buf, buf.len())`: bytes of records written (parse them
/// with [`DirentIter`]); 0 at the end of the directory.
pub fn getdents64(fd: i32, buf: &mut [u8]) -> SysResult {
    // SAFETY: the kernel writes at most buf.len() bytes into buf.
    res(unsafe {
        syscall3(
            nr::GETDENTS64,
            int(fd),
            buf.as_mut_ptr() as usize,
            buf.len(),
        )
    })
}

/// `ioctl(fd, request, arg)`.
///
/// # Safety
/// `arg` must be what `request` expects (often a pointer to a structure
/// the kernel reads or writes).
pub unsafe fn ioctl(fd: i32, request: u32, arg: usize) -> SysResult {
    // SAFETY: the caller guarantees arg matches request.
    res(unsafe { syscall3(nr::IOCTL, int(fd), request as usize, arg) })
}

/// `ioctl(fd, TCGETS, &termios)`: the terminal settings; `ENOTTY` if `fd` is
/// not a terminal.
pub fn tcgets(fd: i32) -> SysResult<Termios> {
    let mut t = Termios::default();
    // SAFETY: TCGETS writes one struct termios (the kernel's layout) to arg.
    unsafe { ioctl(fd, crate::consts::TCGETS, &mut t as *mut Termios as usize) }.map(|_| t)
}

/// `ioctl(fd, TCSETS, &termios)`: changes the terminal settings at once.
pub fn tcsets(fd: i32, t: &Termios) -> SysResult {
    // SAFETY: TCSETS reads one struct termios (the kernel's layout) from arg.
    unsafe { ioctl(fd, crate::consts::TCSETS, t as *const Termios as usize) }
}

/// `ioctl(fd, TIOCSPGRP, &pgrp)`: makes `pgrp` the terminal's foreground
/// process group (one of the caller's session, on its controlling
/// terminal).
pub fn tcsetpgrp(fd: i32, pgrp: i32) -> SysResult {
    // SAFETY: TIOCSPGRP reads one pid_t from arg, a live local.
    unsafe { ioctl(fd, crate::consts::TIOCSPGRP, &pgrp as *const i32 as usize) }
}

/// `ioctl(fd, TIOCGPGRP, &pgrp)`: the terminal's foreground process group.
pub fn tcgetpgrp(fd: i32) -> SysResult<i32> {
    let mut pgrp = 0i32;
    // SAFETY: TIOCGPGRP writes one pid_t to arg, a live local.
    unsafe { ioctl(fd, crate::consts::TIOCGPGRP, &mut pgrp as *mut i32 as usize) }.map(|_| pgrp)
}

/// `ioctl(fd, TIOCGSID, &sid)`: the session the terminal controls.
pub fn tcgetsid(fd: i32) -> SysResult<i32> {
    let mut sid = 0i32;
    // SAFETY: TIOCGSID writes one pid_t to arg, a live local.
    unsafe { ioctl(fd, crate::consts::TIOCGSID, &mut sid as *mut i32 as usize) }.map(|_| sid)
}

/// `ioctl(fd, TIOCSCTTY, steal)`: makes the terminal the calling session
/// leader's controlling terminal (`steal` 1: even from another session).
pub fn tiocsctty(fd: i32, steal: usize) -> SysResult {
    // SAFETY: TIOCSCTTY takes a plain value.
    unsafe { ioctl(fd, crate::consts::TIOCSCTTY, steal) }
}

/// `sync()`: writes every dirty buffer of every disk back (never fails).
pub fn sync() {
    // SAFETY: no memory is involved.
    let _ = res(unsafe { syscall0(nr::SYNC) });
}

/// `setsid()`: a new session and process group led by the caller.
pub fn setsid() -> SysResult {
    // SAFETY: no memory is involved.
    res(unsafe { syscall0(nr::SETSID) })
}

/// `setpgid(pid, pgid)`.
pub fn setpgid(pid: i32, pgid: i32) -> SysResult {
    // SAFETY: no memory is involved.
    res(unsafe { syscall2(nr::SETPGID, int(pid), int(pgid)) })
}

/// `getpgid(pid)`.
pub fn getpgid(pid: i32) -> SysResult {
    // SAFETY: no memory is involved.
    res(unsafe { syscall1(nr::GETPGID, int(pid)) })
}

/// `getsid(pid)`.
pub fn getsid(pid: i32) -> SysResult {
    // SAFETY: no memory is involved.
    res(unsafe { syscall1(nr::GETSID, int(pid)) })
}

/// True if `fd` is a terminal (`TCGETS` succeeds), as `isatty` decides.
pub fn isatty(fd: i32) -> bool {
    tcgets(fd).is_ok()
}

/// `fcntl(fd, cmd, arg)` for commands whose argument is a value
/// (`F_DUPFD`, `F_DUPFD_CLOEXEC`, `F_GETFD`, `F_SETFD`, `F_GETFL`, `F_SETFL`).
pub fn fcntl(fd: i32, cmd: u32, arg: usize) -> SysResult {
    use crate::consts::*;
    if !matches!(
        cmd,
        F_DUPFD | F_DUPFD_CLOEXEC | F_GETFD | F_SETFD | F_GETFL | F_SETFL
    ) {
        // Other commands take pointers, which this safe wrapper cannot vouch for.
        return Err(Errno::EINVAL);
    }
    // SAFETY: the commands allowed above take a plain value, no memory.
    res(unsafe { syscall3(nr::FCNTL, int(fd), cmd as usize, arg) })
}

/// `getcwd(buf, buf.len())`: the raw call's result, the length of the path
/// including its NUL.
pub fn getcwd(buf: &mut [u8]) -> SysResult {
    // SAFETY: the kernel writes at most buf.len() bytes into buf.
    res(unsafe { syscall2(nr::GETCWD, buf.as_mut_ptr() as usize, buf.len()) })
}

/// `chdir(path)`.
pub fn chdir(path: &CStr) -> SysResult {
    // SAFETY: path is NUL-terminated and only read.
    res(unsafe { syscall1(nr::CHDIR, path.as_ptr() as usize) })
}

/// `mount(source, target, fstype, flags, data)`; `data` is the
/// comma-separated option string, or none.
pub fn mount(
    source: &CStr,
    target: &CStr,
    fstype: &CStr,
    flags: u64,
    data: Option<&CStr>,
) -> SysResult {
    // SAFETY: the strings are NUL-terminated and only read; data may be
    // null, which the kernel takes as no options.
    res(unsafe {
        syscall5(
            nr::MOUNT,
            source.as_ptr() as usize,
            target.as_ptr() as usize,
            fstype.as_ptr() as usize,
            flags as usize,
            data.map_or(0, |d| d.as_ptr() as usize),
        )
    })
}

/// `mkdirat(dirfd, path, mode)`.
pub fn mkdirat(dirfd: i32, path: &CStr, mode: u32) -> SysResult {
    // SAFETY: path is NUL-terminated and only read.
    res(unsafe {
        syscall3(
            nr::MKDIRAT,
            int(dirfd),
            path.as_ptr() as usize,
            mode as usize,
        )
    })
}

/// `readlinkat(dirfd, path, buf, buf.len())`: bytes of the link's target
/// written (not NUL-terminated).
pub fn readlinkat(dirfd: i32, path: &CStr, buf: &mut [u8]) -> SysResult {
    // SAFETY: path is read; the kernel writes at most buf.len() bytes.
    res(unsafe {
        syscall4(
            nr::READLINKAT,
            int(dirfd),
            path.as_ptr() as usize,
            buf.as_mut_ptr() as usize,
            buf.len(),
        )
    })
}

/// `dup3(oldfd, newfd, flags)`: `newfd`.
pub fn dup3(oldfd: i32, newfd: i32, flags: u32) -> SysResult<i32> {
    // SAFETY: no memory is involved.
    res(unsafe { syscall3(nr::DUP3, int(oldfd), int(newfd), flags as usize) }).map(|fd| fd as i32)
}

/// `pipe2(fds, flags)`: `[read end, write end]`.
pub fn pipe2(flags: u32) -> SysResult<[i32; 2]> {
    let mut fds = [-1i32; 2];
    // SAFETY: the kernel writes two ints into fds.
    res(unsafe { syscall2(nr::PIPE2, fds.as_mut_ptr() as usize, flags as usize) }).map(|_| fds)
}

/// `unlinkat(dirfd, path, flags)`.
pub fn unlinkat(dirfd: i32, path: &CStr, flags: u32) -> SysResult {
    // SAFETY: path is NUL-terminated and only read.
    res(unsafe {
        syscall3(
            nr::UNLINKAT,
            int(dirfd),
            path.as_ptr() as usize,
            flags as usize,
        )
    })
}

// ------------------------------------------------------------------ processes

/// `execve(path, argv, envp)`; returns only on failure.
///
/// # Safety
/// `argv` and `envp` must be NULL-terminated arrays of pointers to
/// NUL-terminated strings (see [`crate::process::exec`] for a safe form).
pub unsafe fn execve(path: &CStr, argv: *const *const u8, envp: *const *const u8) -> Errno {
    // SAFETY: the caller guarantees the arrays' shape.
    let r = unsafe {
        syscall3(
            nr::EXECVE,
            path.as_ptr() as usize,
            argv as usize,
            envp as usize,
        )
    };
    match res(r) {
        Err(e) => e,
        // execve never returns success to its caller.
        Ok(_) => Errno::EINVAL,
    }
}

/// `exit(code)`: ends the calling thread (the process, when single-threaded).
pub fn exit(code: i32) -> ! {
    // SAFETY: exit does not return and touches no user memory.
    unsafe { syscall1(nr::EXIT, int(code)) };
    unreachable_exit()
}

/// `exit_group(code)`: ends every thread of the process.
pub fn exit_group(code: i32) -> ! {
    // SAFETY: exit_group does not return and touches no user memory.
    unsafe { syscall1(nr::EXIT_GROUP, int(code)) };
    unreachable_exit()
}

/// Reached only if the kernel returned from an exit call; trap so the
/// failure is visible instead of running on.
fn unreachable_exit() -> ! {
    loop {
        // SAFETY: `udf` raises an undefined-instruction exception; nothing
        // after it runs.
        unsafe { core::arch::asm!("udf #0xe1", options(nomem, nostack)) };
    }
}

macro_rules! simple_id_call {
    ($(#[$doc:meta] $name:ident => $nr:ident : $ty:ty;)*) => {
        $(
            #[$doc]
            pub fn $name() -> $ty {
                // SAFETY: no arguments, no memory involved.
                unsafe { syscall0(nr::$nr) as $ty }
            }
        )*
    };
}

simple_id_call! {
    /// `getpid()`.
    getpid => GETPID: i32;
    /// `getppid()`.
    getppid => GETPPID: i32;
    /// `gettid()`.
    gettid => GETTID: i32;
    /// `getuid()`.
    getuid => GETUID: u32;
    /// `geteuid()`.
    geteuid => GETEUID: u32;
    /// `getgid()`.
    getgid => GETGID: u32;
    /// `getegid()`.
    getegid => GETEGID: u32;
}

/// `uname(&buf)`.
pub fn uname() -> SysResult<UtsName> {
    let mut u = UtsName::default();
    // SAFETY: u is a writable struct utsname.
    res(unsafe { syscall1(nr::UNAME, &mut u as *mut UtsName as usize) }).map(|_| u)
}

/// `set_tid_address(tidptr)`: the caller's thread id.
///
/// # Safety
/// The kernel writes 0 to `tidptr` (and wakes futex waiters) when the
/// thread exits, so it must stay valid for the thread's lifetime.
pub unsafe fn set_tid_address(tidptr: *mut i32) -> i32 {
    // SAFETY: the caller keeps tidptr valid.
    unsafe { syscall1(nr::SET_TID_ADDRESS, tidptr as usize) as i32 }
}

/// `set_robust_list(head, len)`.
///
/// # Safety
/// The kernel walks the list at `head` when the thread exits.
pub unsafe fn set_robust_list(head: usize, len: usize) -> SysResult {
    // SAFETY: the caller keeps the list valid.
    res(unsafe { syscall2(nr::SET_ROBUST_LIST, head, len) })
}

/// `get_robust_list(pid, &head, &len)`: task `pid`'s (0: the caller's)
/// robust-list head and the length it was registered with.
pub fn get_robust_list(pid: i32) -> SysResult<(usize, usize)> {
    let (mut head, mut len) = (0usize, 0usize);
    // SAFETY: both are writable words.
    res(unsafe {
        syscall3(
            nr::GET_ROBUST_LIST,
            int(pid),
            &mut head as *mut usize as usize,
            &mut len as *mut usize as usize,
        )
    })
    .map(|_| (head, len))
}

/// `futex(uaddr, op, val, timeout, uaddr2, val3)`, the raw call: the
/// fourth argument is what the command reads there, the address of a
/// [`Timespec`] for the waits (0 for none) or a count (`val2`) for the
/// requeue and wake-op commands.
///
/// # Safety
/// The kernel reads the words at `uaddr` and `uaddr2` and the timespec,
/// if the command uses them, and `FUTEX_WAKE_OP` writes `uaddr2`: each
/// must be valid for that, or a deliberately bad address the kernel
/// must refuse.
pub unsafe fn futex(
    uaddr: usize,
    op: u32,
    val: u32,
    timeout: usize,
    uaddr2: usize,
    val3: u32,
) -> SysResult {
    // SAFETY: the caller vouches for the pointers.
    res(unsafe {
        syscall6(
            nr::FUTEX,
            uaddr,
            op as usize,
            val as usize,
            timeout,
            uaddr2,
            val3 as usize,
        )
    })
}

/// `prlimit64(pid, resource, new, old)`.
pub fn prlimit64(
    pid: i32,
    resource: u32,
    new: Option<&RLimit>,
    old: Option<&mut RLimit>,
) -> SysResult {
    // SAFETY: new is read, old is written, both are rlimit64-sized.
    res(unsafe {
        syscall4(
            nr::PRLIMIT64,
            int(pid),
            resource as usize,
            opt_ptr(new),
            opt_mut(old),
        )
    })
}

/// `clone(flags, newsp, parent_tid, tls, child_tid)` (arm64 argument order):
/// the child's pid in the parent, 0 in the child.
///
/// # Safety
/// With `CLONE_VM` the child shares this address space and runs on
/// `newsp` (it must not return from this function, nor allocate); the tid
/// pointers must be valid as the flags require. Plain `SIGCHLD` (a fork) is
/// always sound: use [`crate::process::fork`].
pub unsafe fn clone(
    flags: u64,
    newsp: usize,
    parent_tid: *mut i32,
    tls: usize,
    child_tid: *mut i32,
) -> SysResult<i32> {
    // SAFETY: the caller guarantees the flags' requirements.
    let r = unsafe {
        syscall5(
            nr::CLONE,
            flags as usize,
            newsp,
            parent_tid as usize,
            tls,
            child_tid as usize,
        )
    };
    res(r).map(|pid| pid as i32)
}

/// `clone3(args, args.len())`: `args` is a `struct clone_args` (or not:
/// the kernel checks it). The child's pid in the parent, 0 in the child.
///
/// # Safety
/// As [`clone`], for the flags, stack and tid pointers `args` holds.
pub unsafe fn clone3(args: &[u8]) -> SysResult<i32> {
    // SAFETY: the kernel reads `args.len()` bytes of `args`; the rest is
    // the caller's guarantee.
    let r = unsafe { syscall2(nr::CLONE3, args.as_ptr() as usize, args.len()) };
    res(r).map(|pid| pid as i32)
}

/// `wait4(pid, &status, options, NULL)`: the pid reaped (0 with `WNOHANG`
/// when no child has changed state).
pub fn wait4(pid: i32, status: Option<&mut i32>, options: u32) -> SysResult<i32> {
    // SAFETY: status, when given, is a writable int; rusage is NULL.
    res(unsafe { syscall4(nr::WAIT4, int(pid), opt_mut(status), options as usize, 0) })
        .map(|p| p as i32)
}

/// `kill(pid, sig)`.
///
/// Careful: `pid` 0 signals the whole process group and -1 every process
/// the caller may signal.
pub fn kill(pid: i32, sig: u32) -> SysResult {
    // SAFETY: no memory is involved.
    res(unsafe { syscall2(nr::KILL, int(pid), sig as usize) })
}

/// `tgkill(tgid, tid, sig)`: signals one thread, `tid`, which must belong
/// to thread group (process) `tgid` (`ESRCH` otherwise).
pub fn tgkill(tgid: i32, tid: i32, sig: u32) -> SysResult {
    // SAFETY: no memory is involved.
    res(unsafe { syscall3(nr::TGKILL, int(tgid), int(tid), sig as usize) })
}

/// `rt_sigaction(sig, act, oldact, 8)`.
///
/// # Safety
/// A handler in `act` runs asynchronously, on this thread's stack, whenever
/// the signal arrives: it must be async-signal-safe.
pub unsafe fn rt_sigaction(
    sig: u32,
    act: Option<&SigAction>,
    old: Option<&mut SigAction>,
) -> SysResult {
    // SAFETY: act is read, old written; the caller vouches for the handler.
    res(unsafe {
        syscall4(
            nr::RT_SIGACTION,
            sig as usize,
            opt_ptr(act),
            opt_mut(old),
            crate::consts::SIGSET_SIZE,
        )
    })
}

/// `rt_sigprocmask(how, set, oldset, 8)`.
pub fn rt_sigprocmask(how: u32, set: Option<&u64>, old: Option<&mut u64>) -> SysResult {
    // SAFETY: set is read, old written, both 8-byte signal sets.
    res(unsafe {
        syscall4(
            nr::RT_SIGPROCMASK,
            how as usize,
            opt_ptr(set),
            opt_mut(old),
            crate::consts::SIGSET_SIZE,
        )
    })
}

/// `reboot(magic1, magic2, cmd, arg)`. On pikern, for
/// `LINUX_REBOOT_CMD_POWER_OFF`, `arg` becomes QEMU's exit status (Linux
/// ignores it).
pub fn reboot(magic1: u32, magic2: u32, cmd: u32, arg: usize) -> SysResult {
    // SAFETY: arg is only dereferenced for LINUX_REBOOT_CMD_RESTART2, which
    // this wrapper's callers do not use with a pointer.
    res(unsafe {
        syscall4(
            nr::REBOOT,
            magic1 as usize,
            magic2 as usize,
            cmd as usize,
            arg,
        )
    })
}

/// `prctl(option, arg2, arg3, arg4, arg5)` for options that take values
/// only.
pub fn prctl(option: u32, arg2: usize) -> SysResult {
    // SAFETY: callers pass options whose arguments are plain values.
    res(unsafe { syscall5(nr::PRCTL, option as usize, arg2, 0, 0, 0) })
}

// ---------------------------------------------------------------------- memory

/// `brk(addr)`: the resulting program break. `brk(0)` queries it; on
/// failure Linux returns the unchanged break (not an error code).
///
/// # Safety
/// Shrinking the break unmaps memory: nothing (in particular the heap of
/// [`crate::heap`]) may still use the released range.
pub unsafe fn brk(addr: usize) -> usize {
    // SAFETY: the caller guarantees the released range is unused.
    unsafe { syscall1(nr::BRK, addr) as usize }
}

/// The current program break (`brk(0)`).
pub fn brk_current() -> usize {
    // SAFETY: brk(0) changes nothing.
    unsafe { brk(0) }
}

/// `mmap(addr, len, prot, flags, fd, offset)`: the mapping's address.
///
/// # Safety
/// With `MAP_FIXED` the new mapping replaces whatever was at `addr`.
pub unsafe fn mmap(
    addr: usize,
    len: usize,
    prot: u32,
    flags: u32,
    fd: i32,
    offset: u64,
) -> SysResult<*mut u8> {
    // SAFETY: the caller guarantees MAP_FIXED replaces nothing in use.
    res(unsafe {
        syscall6(
            nr::MMAP,
            addr,
            len,
            prot as usize,
            flags as usize,
            int(fd),
            offset as usize,
        )
    })
    .map(|a| a as *mut u8)
}

/// `munmap(addr, len)`.
///
/// # Safety
/// Nothing may use the range afterwards.
pub unsafe fn munmap(addr: *mut u8, len: usize) -> SysResult {
    // SAFETY: the caller guarantees the range is unused.
    res(unsafe { syscall2(nr::MUNMAP, addr as usize, len) })
}

/// `mprotect(addr, len, prot)`.
///
/// # Safety
/// Removing access from memory Rust still uses makes those uses fault.
pub unsafe fn mprotect(addr: *mut u8, len: usize, prot: u32) -> SysResult {
    // SAFETY: the caller guarantees no live use loses a needed permission.
    res(unsafe { syscall3(nr::MPROTECT, addr as usize, len, prot as usize) })
}

// -------------------------------------------------------------- time, random

/// `getrandom(buf, buf.len(), flags)`: bytes written.
pub fn getrandom(buf: &mut [u8], flags: u32) -> SysResult {
    // SAFETY: the kernel writes at most buf.len() bytes into buf.
    res(unsafe {
        syscall3(
            nr::GETRANDOM,
            buf.as_mut_ptr() as usize,
            buf.len(),
            flags as usize,
        )
    })
}

/// `clock_gettime(clock, &ts)`.
pub fn clock_gettime(clock: u32) -> SysResult<Timespec> {
    let mut ts = Timespec::default();
    // SAFETY: ts is a writable struct timespec.
    res(unsafe {
        syscall2(
            nr::CLOCK_GETTIME,
            clock as usize,
            &mut ts as *mut Timespec as usize,
        )
    })
    .map(|_| ts)
}

/// `clock_nanosleep(clock, flags, req, rem)`. The raw call returns
/// `-errno` (unlike the C library function, which returns errno).
pub fn clock_nanosleep(
    clock: u32,
    flags: u32,
    req: &Timespec,
    rem: Option<&mut Timespec>,
) -> SysResult {
    // SAFETY: req is read, rem written.
    res(unsafe {
        syscall4(
            nr::CLOCK_NANOSLEEP,
            clock as usize,
            flags as usize,
            req as *const Timespec as usize,
            opt_mut(rem),
        )
    })
}

/// `setitimer(which, new, old)`.
pub fn setitimer(
    which: u32,
    new: &libkernel::uapi::Itimerval,
    old: Option<&mut libkernel::uapi::Itimerval>,
) -> SysResult {
    let nb = new.to_bytes();
    let mut ob = [0u8; 32];
    // SAFETY: nb is a readable, ob a writable struct itimerval.
    let r = res(unsafe {
        syscall3(
            nr::SETITIMER,
            which as usize,
            nb.as_ptr() as usize,
            ob.as_mut_ptr() as usize,
        )
    })?;
    if let Some(old) = old {
        *old = libkernel::uapi::Itimerval::from_bytes(&ob).unwrap_or_default();
    }
    Ok(r)
}

/// `nanosleep(req, rem)`.
pub fn nanosleep(req: &Timespec, rem: Option<&mut Timespec>) -> SysResult {
    // SAFETY: req is read, rem written.
    res(unsafe { syscall2(nr::NANOSLEEP, req as *const Timespec as usize, opt_mut(rem)) })
}

// --------------------------------------------------------------------- futexes

// The two operations the runtime uses, from Linux's
// include/uapi/linux/futex.h; they belong in libkernel::uapi (the one
// home of ABI numbers) once issue 19's futex work puts the table there.

/// Linux's `FUTEX_WAIT` operation.
pub const FUTEX_WAIT: u32 = 0;
/// Linux's `FUTEX_WAKE` operation.
pub const FUTEX_WAKE: u32 = 1;

/// `futex(word, FUTEX_WAIT, val, timeout)`: sleeps while `*word == val`
/// until a [`futex_wake`] on the same word, a signal (`EINTR`) or the
/// relative `timeout` (`ETIMEDOUT`); `EAGAIN` at once if the word no
/// longer holds `val`. The shared (not `FUTEX_PRIVATE_FLAG`) form, which
/// the kernel's `CLONE_CHILD_CLEARTID` wake at thread exit uses too.
pub fn futex_wait(word: &AtomicI32, val: i32, timeout: Option<&Timespec>) -> SysResult {
    // SAFETY: the kernel only reads the word and the timespec.
    res(unsafe {
        syscall4(
            nr::FUTEX,
            word.as_ptr() as usize,
            FUTEX_WAIT as usize,
            int(val),
            opt_ptr(timeout),
        )
    })
}

/// `futex(word, FUTEX_WAKE, n)`: wakes at most `n` waiters on `word`;
/// the number woken.
pub fn futex_wake(word: &AtomicI32, n: i32) -> SysResult {
    // SAFETY: FUTEX_WAKE does not access the word's memory.
    res(unsafe {
        syscall3(
            nr::FUTEX,
            word.as_ptr() as usize,
            FUTEX_WAKE as usize,
            int(n),
        )
    })
}

// ------------------------------------------------------------------ scheduling

/// `sched_yield()`.
pub fn sched_yield() -> SysResult {
    // SAFETY: no memory is involved.
    res(unsafe { syscall0(nr::SCHED_YIELD) })
}

/// `getcpu(&cpu, &node, NULL)`: the CPU and NUMA node the caller is
/// running on (the CPU may change as soon as this returns).
pub fn getcpu() -> SysResult<(u32, u32)> {
    let (mut cpu, mut node) = (0u32, 0u32);
    // SAFETY: the kernel writes one u32 to each pointer; the third
    // argument (a cache Linux ignores) is NULL.
    res(unsafe {
        syscall3(
            nr::GETCPU,
            &mut cpu as *mut u32 as usize,
            &mut node as *mut u32 as usize,
            0,
        )
    })
    .map(|_| (cpu, node))
}

/// `getrusage(who, &usage)` (`RUSAGE_SELF`, `RUSAGE_CHILDREN`,
/// `RUSAGE_THREAD`).
pub fn getrusage(who: i32) -> SysResult<RUsage> {
    let mut u = RUsage::default();
    // SAFETY: u is a writable struct rusage.
    res(unsafe { syscall2(nr::GETRUSAGE, int(who), &mut u as *mut RUsage as usize) }).map(|_| u)
}

/// `sched_setaffinity(pid, mask.len(), mask)`.
pub fn sched_setaffinity(pid: i32, mask: &[u8]) -> SysResult {
    // SAFETY: the kernel reads mask.len() bytes.
    res(unsafe {
        syscall3(
            nr::SCHED_SETAFFINITY,
            int(pid),
            mask.len(),
            mask.as_ptr() as usize,
        )
    })
}

/// `sched_getaffinity(pid, mask.len(), mask)`: bytes of mask written (the
/// raw call's result; the C wrapper hides it).
pub fn sched_getaffinity(pid: i32, mask: &mut [u8]) -> SysResult {
    // SAFETY: the kernel writes at most mask.len() bytes.
    res(unsafe {
        syscall3(
            nr::SCHED_GETAFFINITY,
            int(pid),
            mask.len(),
            mask.as_mut_ptr() as usize,
        )
    })
}

/// `setpriority(which, who, nice)`.
pub fn setpriority(which: u32, who: i32, nice: i32) -> SysResult {
    // SAFETY: no memory is involved.
    res(unsafe { syscall3(nr::SETPRIORITY, which as usize, int(who), int(nice)) })
}

/// `getpriority(which, who)` as a nice value (-20..=19). The raw call
/// returns `20 - nice` so that it is never negative; this converts back.
pub fn getpriority(which: u32, who: i32) -> SysResult<i32> {
    // SAFETY: no memory is involved.
    res(unsafe { syscall2(nr::GETPRIORITY, which as usize, int(who)) }).map(|r| 20 - r as i32)
}

/// Reads `TPIDR_EL0`, the user thread pointer.
pub fn read_tpidr_el0() -> u64 {
    let v: u64;
    // SAFETY: reading TPIDR_EL0 is always allowed at EL0.
    unsafe { core::arch::asm!("mrs {}, tpidr_el0", out(reg) v, options(nomem, nostack)) };
    v
}

/// Writes `TPIDR_EL0`. The runtime itself does not use it (no TLS), so any
/// value is harmless to the runtime.
pub fn write_tpidr_el0(v: u64) {
    // SAFETY: TPIDR_EL0 is writable at EL0; nothing in this runtime reads it.
    unsafe { core::arch::asm!("msr tpidr_el0, {}", in(reg) v, options(nomem, nostack)) };
}

/// A NULL pointer, for tests and arrays.
pub const NULL: *const u8 = ptr::null();
