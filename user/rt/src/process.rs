//! Process helpers on top of the raw calls: `fork`, `waitpid`, `exec` with
//! Rust strings, sleeping, and decoding wait statuses.

use crate::consts::SIGCHLD;
use crate::errno::Errno;
use crate::sys::{self, Timespec};
use alloc::ffi::CString;
use alloc::vec::Vec;
use core::fmt;
use core::ptr;

/// `fork()`: `clone(SIGCHLD, 0, NULL, 0, NULL)`, as musl does it (arm64 has
/// no fork system call). `Ok(0)` in the child, `Ok(child_pid)` in the
/// parent.
pub fn fork() -> Result<i32, Errno> {
    // SAFETY: without CLONE_VM the child gets a copy of the address space
    // and continues on its own copy of this stack: nothing is shared.
    unsafe { sys::clone(SIGCHLD as u64, 0, ptr::null_mut(), 0, ptr::null_mut()) }
}

/// A `wait4` status word.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct WaitStatus(pub i32);

impl WaitStatus {
    /// `WIFEXITED`: the process called exit.
    pub fn exited(self) -> bool {
        self.0 & 0x7f == 0
    }

    /// `WEXITSTATUS`: the exit code, if it exited.
    pub fn exit_code(self) -> Option<i32> {
        self.exited().then_some((self.0 >> 8) & 0xff)
    }

    /// `WIFSIGNALED`: a signal killed it.
    pub fn signaled(self) -> bool {
        let sig = self.0 & 0x7f;
        sig != 0 && sig != 0x7f
    }

    /// `WTERMSIG`: the signal that killed it.
    pub fn term_signal(self) -> Option<u32> {
        self.signaled().then_some((self.0 & 0x7f) as u32)
    }

    /// `WCOREDUMP`: the kernel reported a core dump.
    pub fn core_dumped(self) -> bool {
        self.signaled() && self.0 & 0x80 != 0
    }

    /// `WIFSTOPPED`: stopped (only reported with `WUNTRACED`).
    pub fn stopped(self) -> bool {
        self.0 & 0xff == 0x7f
    }

    /// A shell-style status: the exit code, or 128 + the signal number.
    pub fn shell_status(self) -> i32 {
        match (self.exit_code(), self.term_signal()) {
            (Some(code), _) => code,
            (None, Some(sig)) => 128 + sig as i32,
            _ => 255,
        }
    }
}

impl fmt::Debug for WaitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(code) = self.exit_code() {
            write!(f, "exited with status {code}")
        } else if let Some(sig) = self.term_signal() {
            let core = if self.core_dumped() {
                " (core dumped)"
            } else {
                ""
            };
            write!(f, "killed by signal {sig}{core}")
        } else {
            write!(f, "wait status {:#x}", self.0)
        }
    }
}

impl fmt::Display for WaitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// `wait4(pid, &status, options, NULL)`, retrying `EINTR`: the pid reaped
/// and its status (`(0, _)` with `WNOHANG` if none was ready).
pub fn waitpid(pid: i32, options: u32) -> Result<(i32, WaitStatus), Errno> {
    loop {
        let mut status = 0;
        match sys::wait4(pid, Some(&mut status), options) {
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
            Ok(p) => return Ok((p, WaitStatus(status))),
        }
    }
}

/// A NUL-terminated copy of `s` (`EINVAL` if `s` contains a NUL).
pub fn cstring(s: &str) -> Result<CString, Errno> {
    CString::new(s).map_err(|_| Errno::EINVAL)
}

/// `execve(path, args, env)` with Rust strings; returns only on failure.
/// `args` is the whole argv (`args[0]` is conventionally the program
/// name); `env` holds `NAME=value` strings.
pub fn exec(path: &str, args: &[&str], env: &[&str]) -> Errno {
    let strings = |list: &[&str]| {
        list.iter()
            .map(|s| cstring(s))
            .collect::<Result<Vec<_>, _>>()
    };
    let (path, args, env) = match (cstring(path), strings(args), strings(env)) {
        (Ok(p), Ok(a), Ok(e)) => (p, a, e),
        _ => return Errno::EINVAL,
    };
    let array = |list: &[CString]| {
        let mut v: Vec<*const u8> = list.iter().map(|s| s.as_ptr().cast()).collect();
        v.push(ptr::null());
        v
    };
    let (argv, envp) = (array(&args), array(&env));
    // SAFETY: argv and envp are NULL-terminated arrays of pointers into the
    // CStrings above, all alive until execve returns.
    unsafe { sys::execve(&path, argv.as_ptr(), envp.as_ptr()) }
}

/// Sleeps for `ms` milliseconds (monotonic), resuming after interruptions.
pub fn sleep_ms(ms: u64) -> Result<(), Errno> {
    sleep(Timespec::from_ms(ms))
}

/// Sleeps for `duration` (monotonic), resuming after interruptions.
pub fn sleep(duration: Timespec) -> Result<(), Errno> {
    let mut req = duration;
    loop {
        let mut rem = Timespec::default();
        match sys::nanosleep(&req, Some(&mut rem)) {
            Ok(_) => return Ok(()),
            Err(Errno::EINTR) => req = rem,
            Err(e) => return Err(e),
        }
    }
}

/// `CLOCK_MONOTONIC` in nanoseconds (0 if the clock is unavailable).
pub fn monotonic_ns() -> u64 {
    sys::clock_gettime(crate::consts::CLOCK_MONOTONIC).map_or(0, |t| t.as_ns())
}
