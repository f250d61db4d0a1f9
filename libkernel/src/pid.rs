//! Pid allocation, as Linux's `alloc_pid` does it: a bitmap of `pid_max`
//! numbers handed out cyclically (the next free number after the last one
//! given), so a just-freed pid is not immediately reused. Running out is an
//! error (`-EAGAIN` to the caller), never a panic.

/// Linux's default `pid_max`.
pub const PID_MAX_DEFAULT: usize = 32768;
/// After wrapping, allocation restarts here (Linux's `RESERVED_PIDS`).
pub const RESERVED_PIDS: usize = 300;

const WORDS: usize = PID_MAX_DEFAULT / 64;

/// The pid bitmap. Pid 0 (the idle tasks) is never handed out.
pub struct PidAllocator {
    bits: [u64; WORDS],
    last: usize,
    pid_max: usize,
    in_use: usize,
}

impl Default for PidAllocator {
    fn default() -> Self {
        Self::new(PID_MAX_DEFAULT)
    }
}

impl PidAllocator {
    /// An allocator of pids `1..pid_max` (at most 32768).
    pub const fn new(pid_max: usize) -> Self {
        let mut bits = [0u64; WORDS];
        bits[0] = 1; // pid 0
        PidAllocator {
            bits,
            last: 0,
            pid_max: if pid_max > PID_MAX_DEFAULT {
                PID_MAX_DEFAULT
            } else {
                pid_max
            },
            in_use: 0,
        }
    }

    fn test(&self, pid: usize) -> bool {
        self.bits[pid / 64] & (1 << (pid % 64)) != 0
    }

    /// The next free pid after the last one allocated, wrapping to
    /// `RESERVED_PIDS` (or 1 while the low pids were never used).
    pub fn alloc(&mut self) -> Option<i32> {
        let low = if self.pid_max > RESERVED_PIDS * 2 {
            RESERVED_PIDS
        } else {
            1
        };
        let start = self.last + 1;
        let candidates = (start..self.pid_max).chain(low.min(start)..start.min(self.pid_max));
        for pid in candidates {
            if pid == 0 || self.test(pid) {
                continue;
            }
            self.bits[pid / 64] |= 1 << (pid % 64);
            self.last = pid;
            self.in_use += 1;
            return Some(pid as i32);
        }
        None
    }

    /// Returns `pid`; false if it was not allocated.
    pub fn free(&mut self, pid: i32) -> bool {
        let p = pid as usize;
        if pid <= 0 || p >= self.pid_max || !self.test(p) {
            return false;
        }
        self.bits[p / 64] &= !(1 << (p % 64));
        self.in_use -= 1;
        true
    }

    /// Pids currently allocated.
    pub fn in_use(&self) -> usize {
        self.in_use
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_pids_are_1_2_3() {
        let mut a = PidAllocator::default();
        assert_eq!(a.alloc(), Some(1));
        assert_eq!(a.alloc(), Some(2));
        assert_eq!(a.alloc(), Some(3));
    }

    #[test]
    fn freed_pid_is_reused_only_after_wrapping() {
        let mut a = PidAllocator::new(500);
        let pids: Vec<_> = (0..10).map(|_| a.alloc().unwrap()).collect();
        assert!(a.free(pids[4]));
        assert_eq!(a.alloc(), Some(11));
        // Fill up to pid_max: then the low free numbers come back.
        while let Some(p) = a.alloc() {
            if p == 5 {
                return;
            }
        }
        panic!("pid 5 was never reused");
    }

    #[test]
    fn exhaustion_is_none_and_recovers() {
        let mut a = PidAllocator::new(64);
        let mut n = 0;
        while a.alloc().is_some() {
            n += 1;
        }
        assert_eq!(n, 63);
        assert_eq!(a.in_use(), 63);
        assert!(a.free(40));
        assert_eq!(a.alloc(), Some(40));
        assert!(!a.free(0));
        assert!(!a.free(64));
        assert!(a.free(40));
        assert!(!a.free(40));
    }
}
