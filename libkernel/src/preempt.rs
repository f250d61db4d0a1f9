//! The layout of `preempt_count` (Linux's `include/linux/preempt.h`): one
//! word per task that says whether it may be preempted and why not.
//!
//! Bits 0-7 count `preempt_disable()` nesting (spin locks raise it too),
//! bits 8-15 softirq, bits 16-19 hard-IRQ nesting. A task may be preempted
//! only when the whole word is zero and IRQs are on. The kernel keeps the
//! word in the task (as arm64 Linux keeps it in `thread_info`), so it moves
//! with the task when it migrates; this file is the one home of its layout.

/// Bits that count `preempt_disable()` nesting.
pub const PREEMPT_BITS: u32 = 8;
/// Bits that count softirq nesting.
pub const SOFTIRQ_BITS: u32 = 8;
/// Bits that count hard-IRQ nesting.
pub const HARDIRQ_BITS: u32 = 4;

/// Shift of the preemption-disable count.
pub const PREEMPT_SHIFT: u32 = 0;
/// Shift of the softirq count.
pub const SOFTIRQ_SHIFT: u32 = PREEMPT_SHIFT + PREEMPT_BITS;
/// Shift of the hard-IRQ count.
pub const HARDIRQ_SHIFT: u32 = SOFTIRQ_SHIFT + SOFTIRQ_BITS;

/// One `preempt_disable()`.
pub const PREEMPT_OFFSET: u32 = 1 << PREEMPT_SHIFT;
/// One level of softirq.
pub const SOFTIRQ_OFFSET: u32 = 1 << SOFTIRQ_SHIFT;
/// One level of hard-IRQ handling (`irq_enter`).
pub const HARDIRQ_OFFSET: u32 = 1 << HARDIRQ_SHIFT;

/// The preemption-disable count.
pub const PREEMPT_MASK: u32 = ((1 << PREEMPT_BITS) - 1) << PREEMPT_SHIFT;
/// The softirq count.
pub const SOFTIRQ_MASK: u32 = ((1 << SOFTIRQ_BITS) - 1) << SOFTIRQ_SHIFT;
/// The hard-IRQ count.
pub const HARDIRQ_MASK: u32 = ((1 << HARDIRQ_BITS) - 1) << HARDIRQ_SHIFT;

/// A new task's count before its first run: `schedule_tail` drops one for
/// the runqueue lock its creator's switch held and one for the preemption
/// `schedule()` disables (Linux's `FORK_PREEMPT_COUNT`).
pub const FORK_PREEMPT_COUNT: u32 = 2 * PREEMPT_OFFSET;

/// What `preempt_count` is inside `__schedule` with the runqueue locked:
/// one for the caller's `preempt_disable`, one for the lock.
pub const SCHEDULE_PREEMPT_COUNT: u32 = 2 * PREEMPT_OFFSET;

/// The bit above the count in the 64-bit preempt word that is *clear*
/// when a reschedule is pending (arm64 Linux's `PREEMPT_NEED_RESCHED`,
/// kept inverted): the word is 0 exactly when the task may be preempted
/// and should be, so `preempt_enable` tests both with one compare.
pub const PREEMPT_NEED_RESCHED: u64 = 1 << 32;

/// The word of a task that may be preempted and need not be
/// (`PREEMPT_ENABLED`).
pub const PREEMPT_ENABLED: u64 = PREEMPT_NEED_RESCHED;

/// A task's preempt word from its count, with no reschedule pending.
pub const fn preempt_word(count: u32) -> u64 {
    PREEMPT_ENABLED | count as u64
}

/// The preempt depth an ftrace line shows in its 4th flag column.
pub const fn trace_depth(count: u32) -> u8 {
    ((count & PREEMPT_MASK) >> PREEMPT_SHIFT) as u8
}

/// True inside a hard-IRQ handler.
pub const fn in_hardirq(count: u32) -> bool {
    count & HARDIRQ_MASK != 0
}

/// True while a softirq action runs (`in_serving_softirq`): `__do_softirq`
/// adds [`SOFTIRQ_OFFSET`]; `local_bh_disable` would add twice that, so
/// only the lowest softirq bit means serving.
pub const fn in_serving_softirq(count: u32) -> bool {
    count & SOFTIRQ_OFFSET != 0
}

/// True in any interrupt context, hard or soft (`in_interrupt`).
pub const fn in_interrupt(count: u32) -> bool {
    count & (HARDIRQ_MASK | SOFTIRQ_MASK) != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_do_not_overlap_and_follow_linux_layout() {
        assert_eq!(PREEMPT_MASK, 0x0000_00ff);
        assert_eq!(SOFTIRQ_MASK, 0x0000_ff00);
        assert_eq!(HARDIRQ_MASK, 0x000f_0000);
        assert_eq!(PREEMPT_MASK & SOFTIRQ_MASK & HARDIRQ_MASK, 0);
        assert_eq!(HARDIRQ_OFFSET, 0x1_0000);
    }

    #[test]
    fn the_word_is_zero_only_with_count_zero_and_a_reschedule_pending() {
        let resched = |w: u64| w & !PREEMPT_NEED_RESCHED;
        assert_eq!(preempt_word(0), PREEMPT_ENABLED);
        assert_ne!(preempt_word(0), 0, "nothing pending: not zero");
        assert_eq!(resched(preempt_word(0)), 0);
        assert_ne!(resched(preempt_word(1)), 0, "count 1: not zero");
        assert_eq!(preempt_word(FORK_PREEMPT_COUNT) as u32, FORK_PREEMPT_COUNT);
    }

    #[test]
    fn trace_depth_counts_only_preempt_disables() {
        assert_eq!(trace_depth(0), 0);
        assert_eq!(trace_depth(2), 2);
        assert_eq!(trace_depth(HARDIRQ_OFFSET + 1), 1);
        assert!(in_hardirq(HARDIRQ_OFFSET + 1));
        assert!(!in_hardirq(SOFTIRQ_OFFSET + 3));
        assert!(in_serving_softirq(SOFTIRQ_OFFSET + 3));
        assert!(!in_serving_softirq(2 * SOFTIRQ_OFFSET), "bh disabled only");
        assert!(in_interrupt(SOFTIRQ_OFFSET) && in_interrupt(HARDIRQ_OFFSET));
    }
}
