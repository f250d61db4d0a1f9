//! `asm-generic/resource.h`: resource limits and `struct rlimit64`.

use super::bytes::Writer;

/// CPU time in seconds.
pub const RLIMIT_CPU: u32 = 0;
/// Largest file size.
pub const RLIMIT_FSIZE: u32 = 1;
/// Data segment (heap) size.
pub const RLIMIT_DATA: u32 = 2;
/// Stack size (glibc's start-up asks for this).
pub const RLIMIT_STACK: u32 = 3;
/// Core file size.
pub const RLIMIT_CORE: u32 = 4;
/// Resident set size.
pub const RLIMIT_RSS: u32 = 5;
/// Number of processes.
pub const RLIMIT_NPROC: u32 = 6;
/// Number of open files.
pub const RLIMIT_NOFILE: u32 = 7;
/// Locked memory.
pub const RLIMIT_MEMLOCK: u32 = 8;
/// Address-space size.
pub const RLIMIT_AS: u32 = 9;
/// File locks.
pub const RLIMIT_LOCKS: u32 = 10;
/// Pending signals.
pub const RLIMIT_SIGPENDING: u32 = 11;
/// POSIX message-queue bytes.
pub const RLIMIT_MSGQUEUE: u32 = 12;
/// Nice ceiling.
pub const RLIMIT_NICE: u32 = 13;
/// Real-time priority ceiling.
pub const RLIMIT_RTPRIO: u32 = 14;
/// Real-time CPU time in microseconds.
pub const RLIMIT_RTTIME: u32 = 15;
/// Number of resources; larger ones get `EINVAL`.
pub const RLIM_NLIMITS: u32 = 16;
/// "No limit".
pub const RLIM_INFINITY: u64 = u64::MAX;

/// `struct rlimit64` for `prlimit64`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rlimit64 {
    pub rlim_cur: u64,
    pub rlim_max: u64,
}

impl Rlimit64 {
    /// The bytes user space sees.
    pub fn to_bytes(&self) -> [u8; 16] {
        let mut w = Writer::<16>::new();
        w.u64(self.rlim_cur);
        w.u64(self.rlim_max);
        w.finish()
    }
}

/// `getrusage` `who`: the calling process.
pub const RUSAGE_SELF: i32 = 0;
/// `getrusage` `who`: its reaped children.
pub const RUSAGE_CHILDREN: i32 = -1;
/// `getrusage` `who`: the calling thread.
pub const RUSAGE_THREAD: i32 = 1;
/// `getpriority`/`setpriority` `which`: a process.
pub const PRIO_PROCESS: u32 = 0;
/// `getpriority`/`setpriority` `which`: a process group.
pub const PRIO_PGRP: u32 = 1;
/// `getpriority`/`setpriority` `which`: a user's processes.
pub const PRIO_USER: u32 = 2;
