//! The load average's arithmetic (Linux's `kernel/sched/loadavg.c` and
//! `include/linux/sched/loadavg.h`): exponentially decaying averages of
//! the number of runnable tasks over 1, 5 and 15 minutes, sampled every
//! 5 seconds, in fixed point with 11 fraction bits.

/// Fraction bits of a load (`FSHIFT`).
pub const FSHIFT: u32 = 11;
/// 1.0 (`FIXED_1`).
pub const FIXED_1: u64 = 1 << FSHIFT;
/// 1/exp(5s/1min) in fixed point (`EXP_1`).
pub const EXP_1: u64 = 1884;
/// 1/exp(5s/5min) (`EXP_5`).
pub const EXP_5: u64 = 2014;
/// 1/exp(5s/15min) (`EXP_15`).
pub const EXP_15: u64 = 2037;

/// One step of a decaying average (`calc_load`): `load` moves towards
/// `active` (tasks, in fixed point) by `1 - exp`; rounded up while it
/// rises, so it reaches a steady load.
pub fn calc_load(load: u64, exp: u64, active: u64) -> u64 {
    let mut newload = load * exp + active * (FIXED_1 - exp);
    if active >= load {
        newload += FIXED_1 - 1;
    }
    newload / FIXED_1
}

/// A load as `/proc/loadavg` prints it: `"1.25"` (`LOAD_INT`,
/// `LOAD_FRAC` of the value rounded to hundredths).
pub fn format_load(load: u64) -> (u64, u64) {
    let x = load + FIXED_1 / 200;
    (x >> FSHIFT, ((x & (FIXED_1 - 1)) * 100) >> FSHIFT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_load_is_reached_and_printed_as_linux_does() {
        let mut l = 0;
        for _ in 0..200 {
            l = calc_load(l, EXP_1, 2 * FIXED_1);
        }
        assert_eq!(format_load(l), (2, 0));
        for _ in 0..2000 {
            l = calc_load(l, EXP_1, 0);
        }
        assert_eq!(format_load(l), (0, 0));
        assert_eq!(format_load(FIXED_1 / 4), (0, 25));
        // One step from idle with one task: 1 - 1884/2048 = 0.08.
        assert_eq!(format_load(calc_load(0, EXP_1, FIXED_1)), (0, 8));
    }
}
