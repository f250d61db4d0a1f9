//! The fault-injection policy (Linux's `struct fault_attr`, from
//! lib/fault-inject.c): which allocations to fail, so that every `-ENOMEM`
//! path gets exercised on purpose instead of by bad luck.
//!
//! Set with `fail_alloc=<interval>,<probability>,<space>,<times>` on the
//! command line (the format of Linux's `fail_page_alloc=`/`failslab=` boot
//! options) or by writing the same fields to `/proc/fail_alloc`; a trailing
//! `,task-filter` limits failures to tasks that wrote 1 to
//! `/proc/self/make-it-fail` (and their children).
//!
//! - `interval`: only every Nth eligible call may fail (1 = each);
//! - `probability`: percent chance that such a call fails (100 = always);
//! - `space`: that many bytes of requests pass before failures start;
//! - `times`: how many failures at most (-1 = no limit).
//!
//! The random choice uses a seeded xorshift, so a run is reproducible.

/// The attributes of one fault-injection point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultAttr {
    /// Every Nth eligible call is a candidate (0 or 1: every call).
    pub interval: u64,
    /// Percent chance that a candidate fails (0 = injection off).
    pub probability: u32,
    /// Bytes of requests that pass before the first failure.
    pub space: u64,
    /// Failures left (-1 = unlimited).
    pub times: i64,
    /// Only tasks marked make-it-fail are failed.
    pub task_filter: bool,
}

impl FaultAttr {
    /// Injection off.
    pub const OFF: FaultAttr = FaultAttr {
        interval: 1,
        probability: 0,
        space: 0,
        times: -1,
        task_filter: false,
    };

    /// Parses `interval,probability,space,times[,task-filter]`.
    pub fn parse(s: &str) -> Result<FaultAttr, &'static str> {
        let mut f = s.trim().split(',');
        let mut num = |what: &'static str| -> Result<i64, &'static str> {
            let t = f.next().ok_or(what)?.trim();
            t.parse::<i64>().map_err(|_| what)
        };
        let interval = num("interval is not a number")?;
        let probability = num("probability is not a number")?;
        let space = num("space is not a number")?;
        let times = num("times is not a number")?;
        let task_filter = match f.next().map(str::trim) {
            None => false,
            Some("task-filter") => true,
            Some(_) => return Err("the fifth field can only be task-filter"),
        };
        if f.next().is_some() {
            return Err("too many fields");
        }
        if interval < 0 || !(0..=100).contains(&probability) || space < 0 || times < -1 {
            return Err("out of range (interval >= 0, probability 0-100, space >= 0, times >= -1)");
        }
        Ok(FaultAttr {
            interval: interval as u64,
            probability: probability as u32,
            space: space as u64,
            times,
            task_filter,
        })
    }

    /// Whether injection is on at all.
    pub fn enabled(&self) -> bool {
        self.probability > 0 && self.times != 0
    }
}

/// The running state of an injection point: its attributes, counters and
/// random generator. The kernel keeps one behind a lock.
#[derive(Clone, Debug)]
pub struct FaultState {
    /// The attributes in force.
    pub attr: FaultAttr,
    /// Eligible calls seen since the attributes were set.
    pub calls: u64,
    /// Failures injected since the attributes were set.
    pub failures: u64,
    space_left: u64,
    rng: u64,
}

impl FaultState {
    /// A state with `attr`, the generator seeded with `seed`.
    pub const fn new(attr: FaultAttr, seed: u64) -> FaultState {
        FaultState {
            attr,
            calls: 0,
            failures: 0,
            space_left: attr.space,
            rng: seed | 1,
        }
    }

    /// Replaces the attributes and restarts the counters.
    pub fn set(&mut self, attr: FaultAttr) {
        *self = FaultState::new(attr, self.rng);
    }

    fn next_random(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    /// Decides for one eligible request of `size` bytes (Linux's
    /// `should_fail`). `marked` says whether the caller is a make-it-fail
    /// task.
    pub fn should_fail(&mut self, size: u64, marked: bool) -> bool {
        let a = self.attr;
        if !a.enabled() || (a.task_filter && !marked) {
            return false;
        }
        if self.space_left > 0 {
            self.space_left = self.space_left.saturating_sub(size.max(1));
            return false;
        }
        self.calls += 1;
        if a.interval > 1 && !self.calls.is_multiple_of(a.interval) {
            return false;
        }
        if a.probability < 100 && self.next_random() % 100 >= a.probability as u64 {
            return false;
        }
        if self.attr.times > 0 {
            self.attr.times -= 1;
        }
        self.failures += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_linux_format() {
        let a = FaultAttr::parse("10,100,0,-1").unwrap();
        assert_eq!(
            (a.interval, a.probability, a.space, a.times),
            (10, 100, 0, -1)
        );
        assert!(!a.task_filter);
        assert!(
            FaultAttr::parse("1,5,4096,3,task-filter")
                .unwrap()
                .task_filter
        );
        for bad in [
            "",
            "1,2,3",
            "1,101,0,-1",
            "x,1,1,1",
            "1,1,1,-2",
            "1,1,1,1,bogus",
            "1,1,1,1,task-filter,9",
        ] {
            assert!(FaultAttr::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn every_nth_call_fails_with_full_probability() {
        let mut s = FaultState::new(FaultAttr::parse("3,100,0,-1").unwrap(), 1);
        let pattern: Vec<bool> = (0..9).map(|_| s.should_fail(8, false)).collect();
        assert_eq!(
            pattern,
            [false, false, true, false, false, true, false, false, true]
        );
        assert_eq!(s.failures, 3);
    }

    #[test]
    fn times_and_space_limit_failures() {
        let mut s = FaultState::new(FaultAttr::parse("1,100,100,2").unwrap(), 7);
        // 100 bytes pass first.
        assert!(!s.should_fail(60, false));
        assert!(!s.should_fail(60, false));
        assert!(s.should_fail(1, false));
        assert!(s.should_fail(1, false));
        assert!(!s.should_fail(1, false), "times exhausted");
        assert_eq!(s.failures, 2);
    }

    #[test]
    fn task_filter_spares_unmarked_tasks() {
        let mut s = FaultState::new(FaultAttr::parse("1,100,0,-1,task-filter").unwrap(), 3);
        assert!(!s.should_fail(1, false));
        assert!(s.should_fail(1, true));
    }

    #[test]
    fn probability_is_roughly_honoured_and_reproducible() {
        let run = |seed| {
            let mut s = FaultState::new(FaultAttr::parse("1,25,0,-1").unwrap(), seed);
            (0..10_000).filter(|_| s.should_fail(1, false)).count()
        };
        let n = run(42);
        assert!((2000..3000).contains(&n), "{n}");
        assert_eq!(n, run(42));
        assert!(!FaultState::new(FaultAttr::OFF, 1).should_fail(1, true));
    }
}
