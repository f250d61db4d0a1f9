//! CPU time split into user and system time (Linux's
//! `kernel/sched/cputime.c`), the arithmetic part.
//!
//! The scheduler knows exactly how long a task ran (`sum_exec_runtime`,
//! nanoseconds), but not how that time divides between user and kernel
//! mode: each timer tick only samples where the task was when it fired
//! (`account_process_tick`). Like Linux's `cputime_adjust`, what is
//! reported is the precise run time split in the proportion of those
//! samples, so user + system always equals the real run time and a task
//! that ran between two ticks still shows its time.

/// The tick samples and the run time of a task or a process, in ns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TaskCputime {
    /// Ticks that found it in user mode, as ns (`utime`).
    pub utime: u64,
    /// Ticks that found it in the kernel, as ns (`stime`).
    pub stime: u64,
    /// How long it really ran (`sum_exec_runtime`).
    pub sum_exec_runtime: u64,
}

/// What was last reported of a task or process (`struct prev_cputime`):
/// the split moves with each new sample, and what user space saw must
/// never go back.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PrevCputime {
    /// User time last reported, ns.
    pub utime: u64,
    /// System time last reported, ns.
    pub stime: u64,
}

/// The run time split in the ratio of the samples (`scale_stime`): `(user,
/// system)`. No samples at all (it never ran at a tick): all user time,
/// as Linux reports it.
fn split(c: TaskCputime) -> (u64, u64) {
    let rtime = c.sum_exec_runtime;
    let (u, s) = (c.utime, c.stime);
    if s == 0 {
        return (rtime, 0);
    }
    if u == 0 {
        return (0, rtime);
    }
    // rtime * s / (u + s) without overflow: u128 holds any product of two u64.
    let stime = (rtime as u128 * s as u128 / (u as u128 + s as u128)) as u64;
    (rtime - stime, stime)
}

/// `cputime_adjust`: `(user, system)` ns adding up to the run time, split
/// as the samples are, and neither less than last reported in `prev`
/// (which it updates): a new sample can shift the ratio, but a process
/// reading its times twice must never see one shrink.
pub fn cputime_adjust(c: TaskCputime, prev: &mut PrevCputime) -> (u64, u64) {
    let rtime = c.sum_exec_runtime;
    if prev.utime.saturating_add(prev.stime) >= rtime {
        return (prev.utime, prev.stime);
    }
    // stime not below its last value keeps utime = rtime - stime at or
    // above its own, as rtime only grows; and the other way round.
    let mut stime = split(c).1.max(prev.stime);
    let mut utime = rtime - stime.min(rtime);
    if utime < prev.utime {
        utime = prev.utime;
        stime = rtime - utime;
    }
    *prev = PrevCputime { utime, stime };
    (utime, stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(utime: u64, stime: u64, sum_exec_runtime: u64) -> TaskCputime {
        TaskCputime {
            utime,
            stime,
            sum_exec_runtime,
        }
    }

    fn fresh(x: TaskCputime) -> (u64, u64) {
        cputime_adjust(x, &mut PrevCputime::default())
    }

    #[test]
    fn splits_run_time_in_the_ratio_of_the_samples() {
        assert_eq!(fresh(c(30, 10, 1000)), (750, 250));
        assert_eq!(fresh(c(1, 2, 300)), (100, 200));
    }

    #[test]
    fn one_sided_and_unsampled_time() {
        assert_eq!(fresh(c(0, 0, 5)), (5, 0));
        assert_eq!(fresh(c(7, 0, 5)), (5, 0));
        assert_eq!(fresh(c(0, 7, 5)), (0, 5));
    }

    #[test]
    fn sums_to_run_time_without_overflow() {
        let (u, s) = fresh(c(u64::MAX / 3, u64::MAX / 2, u64::MAX - 1));
        assert_eq!(u + s, u64::MAX - 1);
        assert!(s > u);
    }

    #[test]
    fn never_goes_back_when_the_ratio_shifts() {
        let mut prev = PrevCputime::default();
        // One system sample: all 100 ns are system time.
        assert_eq!(cputime_adjust(c(0, 10, 100), &mut prev), (0, 100));
        // Then user samples pile up: the raw split would give system time
        // 110 * 10/40 = 27, below the 100 reported; it stays at 100.
        assert_eq!(cputime_adjust(c(30, 10, 110), &mut prev), (10, 100));
        // Run time that has not grown past what was reported: unchanged.
        assert_eq!(cputime_adjust(c(30, 10, 105), &mut prev), (10, 100));
        let mut last = prev;
        for (i, rt) in (200..2000).step_by(37).enumerate() {
            let (u, s) = cputime_adjust(c(i as u64 * 3, 7 + (i as u64 % 5), rt), &mut prev);
            assert!(u >= last.utime && s >= last.stime, "{u},{s} after {last:?}");
            assert_eq!(u + s, rt);
            last = prev;
        }
    }
}
