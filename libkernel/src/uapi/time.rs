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
/// `CLOCK_REALTIME` for timers that wake a suspended system.
pub const CLOCK_REALTIME_ALARM: u32 = 8;
/// `CLOCK_BOOTTIME` for timers that wake a suspended system.
pub const CLOCK_BOOTTIME_ALARM: u32 = 9;
/// International Atomic Time: `CLOCK_REALTIME` without leap seconds.
pub const CLOCK_TAI: u32 = 11;
/// `clock_nanosleep` flag: the time is absolute.
pub const TIMER_ABSTIME: u32 = 1;

/// `setitimer`'s real-time timer: `SIGALRM` when it expires (`alarm`).
pub const ITIMER_REAL: u32 = 0;
/// The process's user CPU time timer (`SIGVTALRM`).
pub const ITIMER_VIRTUAL: u32 = 1;
/// The process's CPU time timer (`SIGPROF`).
pub const ITIMER_PROF: u32 = 2;

/// `struct itimerval`: the interval, then the time left, as two
/// `timeval`s (seconds, microseconds), 32 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Itimerval {
    /// Reload value, ns (0: one shot).
    pub interval_ns: u64,
    /// Time to the next expiry, ns (0: disarmed).
    pub value_ns: u64,
}

impl Itimerval {
    /// Reads a user `itimerval`; `None` for a microsecond field outside
    /// `0..1e6` or a negative second (`EINVAL`).
    pub fn from_bytes(b: &[u8; 32]) -> Option<Itimerval> {
        let w = |i: usize| {
            let mut v = [0u8; 8];
            v.copy_from_slice(&b[i * 8..i * 8 + 8]);
            i64::from_le_bytes(v)
        };
        let tv = |s: i64, us: i64| {
            (s >= 0 && (0..1_000_000).contains(&us)).then(|| {
                (s as u64)
                    .saturating_mul(1_000_000_000)
                    .saturating_add(us as u64 * 1000)
            })
        };
        Some(Itimerval {
            interval_ns: tv(w(0), w(1))?,
            value_ns: tv(w(2), w(3))?,
        })
    }

    /// The user `itimerval`; a time left below a microsecond but not zero
    /// reads as 1 µs, so a running timer never looks disarmed.
    pub fn to_bytes(&self) -> [u8; 32] {
        let mut b = [0u8; 32];
        let us = |ns: u64, round_up: bool| {
            let us = ns / 1000 + u64::from(round_up && ns > 0 && ns < 1000);
            ((us / 1_000_000) as i64, (us % 1_000_000) as i64)
        };
        let (is, iu) = us(self.interval_ns, false);
        let (vs, vu) = us(self.value_ns, true);
        for (i, v) in [is, iu, vs, vu].iter().enumerate() {
            b[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
        }
        b
    }
}

#[cfg(test)]
mod itimer_tests {
    use super::*;

    #[test]
    fn itimerval_round_trips_and_rejects_bad_microseconds() {
        let mut b = [0u8; 32];
        b[0..8].copy_from_slice(&1i64.to_le_bytes());
        b[8..16].copy_from_slice(&500_000i64.to_le_bytes());
        b[16..24].copy_from_slice(&2i64.to_le_bytes());
        let it = Itimerval::from_bytes(&b).unwrap();
        assert_eq!(it.interval_ns, 1_500_000_000);
        assert_eq!(it.value_ns, 2_000_000_000);
        assert_eq!(it.to_bytes(), b);
        b[8..16].copy_from_slice(&1_000_000i64.to_le_bytes());
        assert_eq!(Itimerval::from_bytes(&b), None);
        let tiny = Itimerval {
            interval_ns: 0,
            value_ns: 10,
        };
        assert_eq!(&tiny.to_bytes()[24..32], &1i64.to_le_bytes());
    }
}
