//! The load average (Linux's `kernel/sched/loadavg.c`): every 5 seconds
//! the boot CPU's tick counts the runnable tasks on all CPUs and moves
//! the 1, 5 and 15 minute averages towards it (`avenrun`), which
//! `/proc/loadavg` and `sysinfo` report.

use super::core::NR_RUNNING;
use core::sync::atomic::{AtomicU64, Ordering};
use libkernel::sched::loadavg::{calc_load, EXP_1, EXP_15, EXP_5, FIXED_1};

/// The averages, fixed point (`avenrun`).
static AVENRUN: [AtomicU64; 3] = [const { AtomicU64::new(0) }; 3];

/// Ticks between samples (`LOAD_FREQ`: 5 s and one tick, so the sample
/// does not beat with activity that is periodic in whole seconds).
const LOAD_FREQ: u64 = 5 * crate::time::HZ + 1;

/// Called by every tick of CPU 0 with its tick count (`calc_global_load`).
pub fn calc_global_load_tick(ticks: u64) {
    if !ticks.is_multiple_of(LOAD_FREQ) {
        return;
    }
    let active: u64 = NR_RUNNING
        .iter()
        .map(|n| n.load(Ordering::Relaxed) as u64)
        .sum::<u64>()
        * FIXED_1;
    for (avg, exp) in AVENRUN.iter().zip([EXP_1, EXP_5, EXP_15]) {
        avg.store(
            calc_load(avg.load(Ordering::Relaxed), exp, active),
            Ordering::Relaxed,
        );
    }
}

/// The three averages (`get_avenrun`), fixed point with `FSHIFT` bits.
pub fn get_avenrun() -> [u64; 3] {
    core::array::from_fn(|i| AVENRUN[i].load(Ordering::Relaxed))
}

/// Runnable tasks now, on all CPUs (`nr_running`).
pub fn nr_running() -> usize {
    NR_RUNNING.iter().map(|n| n.load(Ordering::Relaxed)).sum()
}
