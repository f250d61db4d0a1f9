//! `linux/time.h`, `linux/time_types.h`: `struct timespec` and clock ids.

use super::bytes::Writer;

/// `struct timespec` (64-bit `time_t` and `long`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timespec {
    pub tv_sec: i64,
    pub tv_nsec: i64,
}

impl Timespec {
    /// The bytes user space sees.
    // Inline: every clock call and sleep copies one out; across the crate
    // boundary it would be a call (and identical code folding makes it
    // `Rlimit64::to_bytes`'s).
    #[inline]
    pub fn to_bytes(&self) -> [u8; 16] {
        let mut w = Writer::<16>::new();
        w.u64(self.tv_sec as u64);
        w.u64(self.tv_nsec as u64);
        w.finish()
    }

    /// Reads one from user bytes (`nanosleep`'s request).
    pub fn from_bytes(b: &[u8; 16]) -> Self {
        Timespec {
            tv_sec: i64::from_le_bytes(b[0..8].try_into().unwrap()),
            tv_nsec: i64::from_le_bytes(b[8..16].try_into().unwrap()),
        }
    }

    /// Linux rejects a timespec with `tv_nsec` outside `0..1e9` or a
    /// negative `tv_sec` with `EINVAL`.
    pub fn is_valid(&self) -> bool {
        self.tv_sec >= 0 && (0..1_000_000_000).contains(&self.tv_nsec)
    }

    /// The time in nanoseconds (a valid timespec), saturating.
    pub fn as_ns(&self) -> u64 {
        (self.tv_sec as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(self.tv_nsec as u64)
    }

    /// A duration in nanoseconds as a timespec.
    pub fn from_ns(ns: u64) -> Self {
        Timespec {
            tv_sec: (ns / 1_000_000_000) as i64,
            tv_nsec: (ns % 1_000_000_000) as i64,
        }
    }
}

/// Wall-clock time, settable.
pub const CLOCK_REALTIME: u32 = 0;
/// Time since boot, not counting suspend; never jumps.
pub const CLOCK_MONOTONIC: u32 = 1;
/// CPU time of the process.
pub const CLOCK_PROCESS_CPUTIME_ID: u32 = 2;
/// CPU time of the thread.
pub const CLOCK_THREAD_CPUTIME_ID: u32 = 3;
/// Monotonic time without NTP slewing.
pub const CLOCK_MONOTONIC_RAW: u32 = 4;
/// Coarse (tick-resolution) `CLOCK_REALTIME`.
pub const CLOCK_REALTIME_COARSE: u32 = 5;
/// Coarse (tick-resolution) `CLOCK_MONOTONIC`.
pub const CLOCK_MONOTONIC_COARSE: u32 = 6;
/// Monotonic time including suspend.
pub const CLOCK_BOOTTIME: u32 = 7;
/// `clock_nanosleep` flag: the time is absolute.
pub const TIMER_ABSTIME: u32 = 1;
