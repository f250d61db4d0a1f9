//! The softirq vectors (Linux's `include/linux/interrupt.h`): numbers,
//! in priority order (a lower number runs first), and their names as
//! `/proc/softirqs` and the `irq:softirq_*` events print them.

/// High-priority tasklets.
pub const HI_SOFTIRQ: u32 = 0;
/// Expired `timer_list` timers (`run_timer_softirq`).
pub const TIMER_SOFTIRQ: u32 = 1;
/// Tasklets (`tasklet_action`).
pub const TASKLET_SOFTIRQ: u32 = 6;
/// Scheduler load balancing (`run_rebalance_domains`).
pub const SCHED_SOFTIRQ: u32 = 7;
/// Vectors there are.
pub const NR_SOFTIRQS: usize = 10;

/// The vectors' names (`softirq_to_name`).
pub const SOFTIRQ_NAMES: [&str; NR_SOFTIRQS] = [
    "HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL", "TASKLET", "SCHED", "HRTIMER", "RCU",
];

/// `__do_softirq` gives up after this many passes that found more raised
/// (`MAX_SOFTIRQ_RESTART`): the rest waits for the next interrupt.
pub const MAX_SOFTIRQ_RESTART: u32 = 10;

/// The vectors set in `pending`, lowest (highest priority) first.
pub fn pending_vectors(pending: u32) -> impl Iterator<Item = u32> {
    (0..NR_SOFTIRQS as u32).filter(move |v| pending & (1 << v) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_run_in_priority_order_and_names_match_linux() {
        let p = (1 << SCHED_SOFTIRQ) | (1 << TIMER_SOFTIRQ) | (1 << TASKLET_SOFTIRQ);
        let v: alloc::vec::Vec<u32> = pending_vectors(p).collect();
        assert_eq!(v, [TIMER_SOFTIRQ, TASKLET_SOFTIRQ, SCHED_SOFTIRQ]);
        assert_eq!(SOFTIRQ_NAMES[TIMER_SOFTIRQ as usize], "TIMER");
        assert_eq!(SOFTIRQ_NAMES[TASKLET_SOFTIRQ as usize], "TASKLET");
        assert_eq!(SOFTIRQ_NAMES[SCHED_SOFTIRQ as usize], "SCHED");
    }
}
