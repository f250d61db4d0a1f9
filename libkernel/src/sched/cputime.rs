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

/// `cputime_adjust`: `(user, system)` ns, adding up to the run time, in
/// the ratio of the samples. No samples at all (it never ran at a tick):
/// all user time, as Linux reports it.
pub fn cputime_adjust(c: TaskCputime) -> (u64, u64) {
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

    #[test]
    fn splits_run_time_in_the_ratio_of_the_samples() {
        assert_eq!(cputime_adjust(c(30, 10, 1000)), (750, 250));
        assert_eq!(cputime_adjust(c(1, 2, 300)), (100, 200));
    }

    #[test]
    fn one_sided_and_unsampled_time() {
        assert_eq!(cputime_adjust(c(0, 0, 5)), (5, 0));
        assert_eq!(cputime_adjust(c(7, 0, 5)), (5, 0));
        assert_eq!(cputime_adjust(c(0, 7, 5)), (0, 5));
    }

    #[test]
    fn sums_to_run_time_without_overflow() {
        let x = c(u64::MAX / 3, u64::MAX / 2, u64::MAX - 1);
        let (u, s) = cputime_adjust(x);
        assert_eq!(u + s, u64::MAX - 1);
        assert!(s > u);
    }
}
