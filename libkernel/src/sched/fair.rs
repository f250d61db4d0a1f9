//! The fair-scheduling policy (Linux's CFS, `kernel/sched/fair.c`), as pure
//! arithmetic and an ordered queue, so it can be tested on the host.
//!
//! Each task accumulates *virtual runtime*: real run time scaled by
//! `NICE_0_LOAD / weight`, so a heavier (lower nice) task's clock runs
//! slower and it gets proportionally more CPU. The runnable task with the
//! least vruntime runs next; a new task starts at the queue's
//! `min_vruntime` so it neither starves others nor is starved.

use alloc::collections::BTreeMap;

/// Weight of a nice-0 task.
pub const NICE_0_LOAD: u64 = 1024;

/// Linux's `sched_prio_to_weight`: nice -20..=19 -> load weight. Each nice
/// step is about 10% of CPU relative to a neighbour (factor 1.25).
pub const SCHED_PRIO_TO_WEIGHT: [u32; 40] = [
    88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916, 9548, 7620, 6100, 4904,
    3906, 3121, 2501, 1991, 1586, 1277, 1024, 820, 655, 526, 423, 335, 272, 215, 172, 137, 110, 87,
    70, 56, 45, 36, 29, 23, 18, 15,
];

/// Kernel priority of nice 0 (`DEFAULT_PRIO`): 100 + 20.
pub const DEFAULT_PRIO: i32 = 120;
/// Lowest real-time priority plus one (`MAX_RT_PRIO`).
pub const MAX_RT_PRIO: i32 = 100;

/// Nice value -> kernel priority (`NICE_TO_PRIO`).
pub const fn nice_to_prio(nice: i32) -> i32 {
    nice + DEFAULT_PRIO
}

/// Kernel priority -> nice value.
pub const fn prio_to_nice(prio: i32) -> i32 {
    prio - DEFAULT_PRIO
}

/// The load weight of a nice value (clamped to -20..=19).
pub fn nice_to_weight(nice: i32) -> u32 {
    SCHED_PRIO_TO_WEIGHT[(nice.clamp(-20, 19) + 20) as usize]
}

/// Virtual time for `delta` ns of real run time at `weight`
/// (`calc_delta_fair`).
pub fn calc_delta_fair(delta: u64, weight: u32) -> u64 {
    if weight as u64 == NICE_0_LOAD {
        delta
    } else {
        ((delta as u128 * NICE_0_LOAD as u128) / weight.max(1) as u128) as u64
    }
}

/// Target latency: every runnable task runs once per period (6 ms).
pub const SCHED_LATENCY_NS: u64 = 6_000_000;
/// Minimum slice granularity (0.75 ms).
pub const SCHED_MIN_GRANULARITY_NS: u64 = 750_000;
/// Wake-up preemption granularity (1 ms).
pub const SCHED_WAKEUP_GRANULARITY_NS: u64 = 1_000_000;

/// The scheduling period for `nr_running` tasks (`__sched_period`).
pub fn sched_period(nr_running: u64) -> u64 {
    let nr_latency = SCHED_LATENCY_NS / SCHED_MIN_GRANULARITY_NS;
    if nr_running > nr_latency {
        nr_running * SCHED_MIN_GRANULARITY_NS
    } else {
        SCHED_LATENCY_NS
    }
}

/// A task's share of the period (`sched_slice`).
pub fn sched_slice(nr_running: u64, weight: u32, total_weight: u64) -> u64 {
    let period = sched_period(nr_running.max(1));
    ((period as u128 * weight as u128) / total_weight.max(1) as u128) as u64
}

/// Should the running task be preempted at this tick (`check_preempt_tick`)?
/// `ran` is how long it has run since it was picked; `curr_vruntime` and
/// `leftmost_vruntime` compare it with the best waiting task.
pub fn check_preempt_tick(ran: u64, ideal: u64, curr_vruntime: u64, leftmost: Option<u64>) -> bool {
    if ran > ideal {
        return true;
    }
    if ran < SCHED_MIN_GRANULARITY_NS {
        return false;
    }
    match leftmost {
        Some(left) => curr_vruntime.saturating_sub(left) > ideal,
        None => false,
    }
}

/// Should a woken task with `wakee_vruntime` preempt the running one
/// (`wakeup_preempt_entity`)?
pub fn wakeup_preempt(curr_vruntime: u64, wakee_vruntime: u64) -> bool {
    curr_vruntime.saturating_sub(wakee_vruntime) > SCHED_WAKEUP_GRANULARITY_NS
}

/// Where a task joining the queue starts (`place_entity`): a new task at
/// `min_vruntime`; a waking sleeper gets at most half a latency of credit.
pub fn place_entity(min_vruntime: u64, vruntime: u64, initial: bool) -> u64 {
    if initial {
        min_vruntime.max(vruntime.min(min_vruntime))
    } else {
        vruntime.max(min_vruntime.saturating_sub(SCHED_LATENCY_NS / 2))
    }
}

/// The runnable tasks of one CPU ordered by vruntime (Linux's red-black
/// tree `tasks_timeline`); `T` is whatever identifies a task.
pub struct CfsQueue<T> {
    tree: BTreeMap<(u64, u64), T>,
    seq: u64,
    /// Monotonic floor of the queue's vruntimes.
    pub min_vruntime: u64,
    /// Sum of the queued tasks' weights.
    pub load: u64,
}

/// Identifies a queued entry so it can be removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct QueueKey(pub u64, pub u64);

impl<T> Default for CfsQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> CfsQueue<T> {
    /// An empty queue.
    pub const fn new() -> Self {
        CfsQueue {
            tree: BTreeMap::new(),
            seq: 0,
            min_vruntime: 0,
            load: 0,
        }
    }

    /// Number of queued tasks.
    pub fn len(&self) -> usize {
        self.tree.len()
    }

    /// True if nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }

    /// Queues `item` at `vruntime` with `weight`; returns its key.
    pub fn enqueue(&mut self, vruntime: u64, weight: u32, item: T) -> QueueKey {
        self.seq += 1;
        let key = (vruntime, self.seq);
        self.tree.insert(key, item);
        self.load += weight as u64;
        QueueKey(key.0, key.1)
    }

    /// Removes the entry with `key`.
    pub fn dequeue(&mut self, key: QueueKey, weight: u32) -> Option<T> {
        let t = self.tree.remove(&(key.0, key.1));
        if t.is_some() {
            self.load -= weight as u64;
        }
        t
    }

    /// Takes out the entry with the least vruntime in one tree operation
    /// (Linux's `pick_next_entity` + `__dequeue_entity`); `weight` gives
    /// the weight it was queued with.
    pub fn pop_first(&mut self, weight: impl FnOnce(&T) -> u32) -> Option<(QueueKey, T)> {
        let (k, t) = self.tree.pop_first()?;
        self.load -= weight(&t) as u64;
        Some((QueueKey(k.0, k.1), t))
    }

    /// The least queued vruntime (`__pick_first_entity`), without building
    /// an iterator.
    pub fn first_vruntime(&self) -> Option<u64> {
        self.tree.first_key_value().map(|(k, _)| k.0)
    }

    /// The greatest queued vruntime (`__pick_last_entity`).
    pub fn last_vruntime(&self) -> Option<u64> {
        self.tree.last_key_value().map(|(k, _)| k.0)
    }

    /// The entry with the least vruntime.
    pub fn first(&self) -> Option<(QueueKey, &T)> {
        self.tree
            .iter()
            .next()
            .map(|(k, v)| (QueueKey(k.0, k.1), v))
    }

    /// All entries in vruntime order.
    pub fn iter(&self) -> impl Iterator<Item = (QueueKey, &T)> {
        self.tree.iter().map(|(k, v)| (QueueKey(k.0, k.1), v))
    }

    /// Advances `min_vruntime` towards the smallest of the running task's
    /// vruntime and the leftmost queued one; it never goes back
    /// (`update_min_vruntime`).
    pub fn update_min_vruntime(&mut self, curr: Option<u64>) {
        let left = self.first_vruntime();
        let candidate = match (curr, left) {
            (Some(c), Some(l)) => c.min(l),
            (Some(c), None) => c,
            (None, Some(l)) => l,
            (None, None) => return,
        };
        self.min_vruntime = self.min_vruntime.max(candidate);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_follow_linux_table() {
        assert_eq!(nice_to_weight(0), 1024);
        assert_eq!(nice_to_weight(5), 335);
        assert_eq!(nice_to_weight(-20), 88761);
        assert_eq!(nice_to_weight(99), 15);
        assert_eq!(nice_to_prio(0), 120);
        assert_eq!(prio_to_nice(125), 5);
    }

    #[test]
    fn vruntime_runs_slower_for_heavier_tasks() {
        assert_eq!(calc_delta_fair(1_000_000, 1024), 1_000_000);
        assert_eq!(calc_delta_fair(1_000_000, 2048), 500_000);
        let light = calc_delta_fair(1_000_000, nice_to_weight(5));
        assert!(light > 3_000_000 && light < 3_100_000, "{light}");
    }

    /// Simulates tick-driven CFS on one CPU and checks the CPU-time ratio.
    fn simulate(weights: &[u32], ticks: usize, tick_ns: u64) -> Vec<u64> {
        let mut q: CfsQueue<usize> = CfsQueue::new();
        let mut vr = vec![0u64; weights.len()];
        let mut run = vec![0u64; weights.len()];
        let mut keys: Vec<Option<QueueKey>> = vec![None; weights.len()];
        for (i, &w) in weights.iter().enumerate() {
            keys[i] = Some(q.enqueue(0, w, i));
        }
        let (k, &first) = q.first().unwrap();
        q.dequeue(k, weights[first]);
        let mut curr = first;
        let mut ran = 0;
        for _ in 0..ticks {
            run[curr] += tick_ns;
            ran += tick_ns;
            vr[curr] += calc_delta_fair(tick_ns, weights[curr]);
            q.update_min_vruntime(Some(vr[curr]));
            let total = q.load + weights[curr] as u64;
            let ideal = sched_slice(q.len() as u64 + 1, weights[curr], total);
            let left = q.first().map(|(k, _)| k.0);
            if check_preempt_tick(ran, ideal, vr[curr], left) {
                q.enqueue(vr[curr], weights[curr], curr);
                let (k, &next) = q.first().unwrap();
                q.dequeue(k, weights[next]);
                curr = next;
                ran = 0;
            }
        }
        run
    }

    #[test]
    fn equal_nice_gets_equal_time() {
        let r = simulate(&[1024, 1024], 100, 10_000_000);
        assert_eq!(r[0], r[1]);
    }

    #[test]
    fn nice_5_gets_its_weight_share() {
        let r = simulate(&[1024, 335], 1000, 10_000_000);
        let ratio = r[0] as f64 / r[1] as f64;
        assert!(
            (ratio - 1024.0 / 335.0).abs() / (1024.0 / 335.0) < 0.1,
            "{ratio}"
        );
    }

    #[test]
    fn min_vruntime_never_goes_back() {
        let mut q: CfsQueue<u32> = CfsQueue::new();
        q.enqueue(100, 1024, 1);
        q.update_min_vruntime(None);
        assert_eq!(q.min_vruntime, 100);
        q.update_min_vruntime(Some(50));
        assert_eq!(q.min_vruntime, 100);
        let k = q.enqueue(300, 1024, 2);
        assert_eq!(q.len(), 2);
        assert_eq!(q.dequeue(k, 1024), Some(2));
        assert_eq!(q.load, 1024);
    }

    #[test]
    fn pop_first_takes_the_leftmost_and_its_load() {
        let mut q = CfsQueue::new();
        q.enqueue(30, 2, 'c');
        let kb = q.enqueue(10, 3, 'b');
        q.enqueue(10, 5, 'a');
        assert_eq!(q.first_vruntime(), Some(10));
        assert_eq!(q.last_vruntime(), Some(30));
        // Equal vruntimes leave in the order they came (the sequence).
        assert_eq!(q.pop_first(|_| 3), Some((kb, 'b')));
        assert_eq!(q.load, 7);
        assert_eq!(q.pop_first(|_| 5).map(|(_, t)| t), Some('a'));
        assert_eq!(q.pop_first(|_| 2).map(|(_, t)| t), Some('c'));
        assert_eq!(q.load, 0);
        assert!(q.pop_first(|_| 0).is_none());
        assert_eq!(q.first_vruntime(), None);
    }

    #[test]
    fn placement_of_new_and_waking_tasks() {
        assert_eq!(place_entity(1_000_000_000, 0, true), 1_000_000_000);
        assert_eq!(place_entity(1_000_000_000, 0, false), 997_000_000);
        assert_eq!(
            place_entity(1_000_000_000, 1_200_000_000, false),
            1_200_000_000
        );
    }
}
