//! Jiffies and the timer wheel's bucket numbers (Linux's
//! `include/linux/jiffies.h` and `kernel/time/timer.c`), for the
//! `timer:timer_start` event: pikern keeps its timers sorted by deadline,
//! not in a wheel, but prints `expires` and `idx` as Linux would.

/// Scheduler ticks per second (Linux's `CONFIG_HZ` on the Pi).
pub const HZ: u64 = 100;

/// `jiffies` at boot: five minutes before the 32-bit wrap, so code that
/// mishandles it fails early (`INITIAL_JIFFIES`).
pub const INITIAL_JIFFIES: u64 = (-300i64 * HZ as i64) as u32 as u64;

/// `jiffies` at `ns` nanoseconds after boot.
pub const fn ns_to_jiffies(ns: u64) -> u64 {
    INITIAL_JIFFIES + ns / (1_000_000_000 / HZ)
}

const LVL_CLK_SHIFT: u32 = 3;
const LVL_BITS: u32 = 6;
const LVL_SIZE: u64 = 1 << LVL_BITS;
const LVL_MASK: u64 = LVL_SIZE - 1;
/// Levels of the wheel at HZ=100.
const LVL_DEPTH: u32 = 8;

const fn lvl_shift(n: u32) -> u32 {
    n * LVL_CLK_SHIFT
}

const fn lvl_start(n: u32) -> u64 {
    (LVL_SIZE - 1) << ((n - 1) * LVL_CLK_SHIFT)
}

const fn calc_index(expires: u64, lvl: u32) -> u64 {
    let e = (expires + (1 << lvl_shift(lvl))) >> lvl_shift(lvl);
    lvl as u64 * LVL_SIZE + (e & LVL_MASK)
}

/// The wheel bucket a timer expiring at `expires` (jiffies) goes in when
/// the wheel's clock is `clk` (`calc_wheel_index`).
pub const fn calc_wheel_index(expires: u64, clk: u64) -> u32 {
    let delta = expires.wrapping_sub(clk);
    let mut lvl = 0;
    while lvl < LVL_DEPTH - 1 {
        if delta < lvl_start(lvl + 1) {
            return calc_index(expires, lvl) as u32;
        }
        lvl += 1;
    }
    if (delta as i64) < 0 {
        return (clk & LVL_MASK) as u32;
    }
    let cutoff = lvl_start(LVL_DEPTH);
    let max = cutoff - (1 << lvl_shift(LVL_DEPTH - 1));
    let e = if delta >= cutoff { clk + max } else { expires };
    calc_index(e, LVL_DEPTH - 1) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jiffies_start_five_minutes_before_the_32_bit_wrap() {
        assert_eq!(INITIAL_JIFFIES, 4_294_937_296);
        assert_eq!(ns_to_jiffies(0), INITIAL_JIFFIES);
        assert_eq!(ns_to_jiffies(1_000_000_000), INITIAL_JIFFIES + 100);
    }

    #[test]
    fn wheel_index_by_level() {
        // Level 0: within 63 jiffies, bucket (expires + 1) & 63.
        assert_eq!(calc_wheel_index(1000 + 10, 1000), ((1011) & 63) as u32);
        // Level 1 (64..511 ahead): granularity 8, buckets 64..127.
        let i = calc_wheel_index(1000 + 100, 1000);
        assert!((64..128).contains(&i), "{i}");
        assert_eq!(i as u64, 64 + (((1100 + 8) >> 3) & 63));
        // A deadline in the past goes in the current bucket.
        assert_eq!(calc_wheel_index(990, 1000), (1000 & 63) as u32);
    }
}
