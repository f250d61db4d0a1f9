//! The runqueue of one CPU and its fair class (Linux's `struct rq`,
//! `struct cfs_rq` and `kernel/sched/fair.c`). The policy's arithmetic and
//! the ordered queue live in `libkernel::sched::fair`; this file applies
//! them to tasks under the runqueue lock.
//!
//! The running task is kept *out* of the tree (as Linux does): it is put
//! back when it stops running and is still runnable.

use crate::task::Task;
use crate::time;
use alloc::sync::Arc;
use core::sync::atomic::Ordering;
use libkernel::sched::fair::{self as policy, CfsQueue};

/// How a task joins a queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enqueue {
    /// A new task (fork): starts at `min_vruntime`.
    New,
    /// A sleeper waking up: a little credit, bounded.
    Wakeup,
    /// Moved from another CPU, vruntime already adjusted.
    Migrated,
    /// The running task going back into the tree.
    PutPrev,
}

/// One CPU's runqueue.
pub struct RunQueue {
    /// Its CPU.
    pub cpu: usize,
    /// Runnable tasks that are not running, by vruntime.
    pub cfs: CfsQueue<Arc<Task>>,
    /// The task on the CPU (holds the CPU's reference).
    pub curr: Option<Arc<Task>>,
    /// The idle task (`swapper/N`).
    pub idle: Option<Arc<Task>>,
    /// Runnable tasks here, the running one included (idle excluded).
    pub nr_running: usize,
    /// Context switches done here.
    pub nr_switches: u64,
    /// Time the idle task has run here (`cpustat[CPUTIME_IDLE]`, for
    /// `/proc/stat`), in ns.
    pub idle_ns: u64,
    /// Uptime in ns read by the last `update_curr` (Linux's
    /// `rq->clock_task`): `pick_next_task`, which always follows it in
    /// `__schedule`, starts the next task's clock from it instead of
    /// reading the counter again.
    pub clock_task: u64,
    /// The counter value that clock was computed from (the watchdog's
    /// touch in `__schedule` reuses it).
    pub clock_counter: u64,
}

impl RunQueue {
    /// An empty runqueue for `cpu`.
    pub const fn new(cpu: usize) -> Self {
        RunQueue {
            cpu,
            cfs: CfsQueue::new(),
            curr: None,
            idle: None,
            nr_running: 0,
            nr_switches: 0,
            idle_ns: 0,
            clock_task: 0,
            clock_counter: 0,
        }
    }

    /// Is `t` the running task?
    pub fn is_curr(&self, t: &Task) -> bool {
        self.curr.as_ref().is_some_and(|c| core::ptr::eq(&**c, t))
    }

    /// Is the idle task running?
    pub fn curr_is_idle(&self) -> bool {
        match (&self.curr, &self.idle) {
            (Some(c), Some(i)) => Arc::ptr_eq(c, i),
            _ => true,
        }
    }

    /// Puts `p` in the tree.
    pub fn enqueue_entity(&mut self, p: &Arc<Task>, how: Enqueue) {
        let se = &p.se;
        // A second entry would let the task be picked while it runs, and
        // the CPU picking it would wait for itself (cheap; stays on).
        if se.rb_seq.load(Ordering::Relaxed) != 0 {
            super::core::sched_state_bug_task("enqueue_entity: already queued", p);
        }
        let vr = se.vruntime.load(Ordering::Relaxed);
        let vr = match how {
            Enqueue::New => policy::place_entity(self.cfs.min_vruntime, vr, true),
            Enqueue::Wakeup => policy::place_entity(self.cfs.min_vruntime, vr, false),
            Enqueue::Migrated | Enqueue::PutPrev => vr,
        };
        se.vruntime.store(vr, Ordering::Relaxed);
        let key = self
            .cfs
            .enqueue(vr, se.weight.load(Ordering::Relaxed), p.clone());
        se.set_rb_key(Some(key));
    }

    /// Takes `p` out of the tree, if it is there.
    pub fn dequeue_entity(&mut self, p: &Task) -> Option<Arc<Task>> {
        let key = p.se.rb_key()?;
        p.se.set_rb_key(None);
        self.cfs.dequeue(key, p.se.weight.load(Ordering::Relaxed))
    }

    /// `activate_task`: `p` becomes runnable on this CPU.
    pub fn activate_task(&mut self, p: &Arc<Task>, how: Enqueue) {
        self.enqueue_entity(p, how);
        self.nr_running += 1;
        p.on_rq.store(true, Ordering::Release);
        super::core::NR_RUNNING[self.cpu].store(self.nr_running, Ordering::Relaxed);
    }

    /// `deactivate_task`: `p` stops being runnable here (sleep, exit,
    /// migration).
    ///
    /// Returns the tree's reference to `p`. It may be the last one, and a
    /// task's destructor wakes waiters (taking `pi_lock`, which ranks
    /// above this lock): the caller drops it after unlocking, or holds
    /// another reference itself.
    #[must_use = "drop the tree's reference after the runqueue lock (it may be the last)"]
    pub fn deactivate_task(&mut self, p: &Task) -> Option<Arc<Task>> {
        let tree_ref = self.detach_task(p);
        p.on_rq.store(false, Ordering::Release);
        tree_ref
    }

    /// Takes a queued `p` off this runqueue to move it to another one
    /// (`detach_task`), leaving `on_rq` set, as Linux's
    /// `TASK_ON_RQ_MIGRATING` does: a wake-up holds only `p`'s `pi_lock`
    /// when it reads `on_rq`, and a task it saw off every runqueue it
    /// would queue a second time. Seeing it queued, it waits for the
    /// runqueue lock the move holds and finds the task where it landed.
    /// The caller holds both runqueues' locks until [`Self::attach_task`].
    #[must_use = "drop the tree's reference after the runqueue lock (it may be the last)"]
    pub fn detach_task(&mut self, p: &Task) -> Option<Arc<Task>> {
        let tree_ref = self.dequeue_entity(p);
        self.nr_running -= 1;
        super::core::NR_RUNNING[self.cpu].store(self.nr_running, Ordering::Relaxed);
        tree_ref
    }

    /// Queues a task [`Self::detach_task`] took off another runqueue
    /// (`attach_task`).
    pub fn attach_task(&mut self, p: &Arc<Task>) {
        self.enqueue_entity(p, Enqueue::Migrated);
        self.nr_running += 1;
        super::core::NR_RUNNING[self.cpu].store(self.nr_running, Ordering::Relaxed);
    }

    /// Charges the running task for the time since it last was
    /// (`update_curr`).
    pub fn update_curr(&mut self) {
        let counter = crate::arch::cpu::read_counter();
        let now = time::cycles_to_ns(counter.wrapping_sub(time::boot_counter()));
        self.clock_counter = counter;
        self.clock_task = now;
        let idle = self.curr_is_idle();
        // Borrowed, not cloned: no reference-count traffic on every tick
        // and every schedule.
        let Some(curr) = self.curr.as_deref() else {
            return;
        };
        let se = &curr.se;
        // Plain loads and stores, not read-modify-write atomics: the
        // running task's clock and runtimes are only written by the CPU
        // holding this runqueue's lock.
        let start = se.exec_start.load(Ordering::Relaxed);
        se.exec_start.store(now, Ordering::Relaxed);
        let delta = now.saturating_sub(start);
        if idle {
            self.idle_ns += delta;
            return;
        }
        let sum = se.sum_exec_runtime.load(Ordering::Relaxed);
        se.sum_exec_runtime.store(sum + delta, Ordering::Relaxed);
        let vd = policy::calc_delta_fair(delta, se.weight.load(Ordering::Relaxed));
        let vr = se.vruntime.load(Ordering::Relaxed) + vd;
        se.vruntime.store(vr, Ordering::Relaxed);
        crate::trace::events::sched_stat_runtime(curr, delta, vr);
        self.cfs.update_min_vruntime(Some(vr));
    }

    /// Picks the next task to run (`pick_next_task_fair`); `prev` goes back
    /// into the tree if it is still runnable and another task runs.
    ///
    /// The running task competes from outside the tree (as Linux's
    /// `pick_next_entity` weighs `curr` against the leftmost entity): the
    /// leftmost queued task is taken out *before* prev is put back, so a
    /// switch between two tasks is one removal from a one-entry tree and
    /// one insertion into an empty one, with no slots shifted. The choice
    /// is the one a put-back-then-pick makes: the least vruntime, the
    /// queued task winning a tie (it was queued first).
    ///
    /// `None`: prev keeps the CPU (the caller still holds its reference).
    pub fn pick_next_task(&mut self, prev: &Arc<Task>, prev_is_idle: bool) -> Option<Arc<Task>> {
        let put_prev = !prev_is_idle && prev.on_rq.load(Ordering::Relaxed);
        if put_prev {
            let Some(left) = self.cfs.first_vruntime() else {
                // Nobody else wants the CPU: prev keeps it (and its slice)
                // without a trip through the tree.
                return None;
            };
            if prev.se.vruntime.load(Ordering::Relaxed) < left {
                // Picked again: a new slice, as a pick from the tree gives.
                Self::set_next_entity(&prev.se, self.clock_task);
                return None;
            }
        }
        // One tree operation takes the leftmost out, and the tree's own
        // reference becomes the one returned (no clone, no search by key).
        let next = match self.cfs.pop_first(|t| t.se.weight.load(Ordering::Relaxed)) {
            Some((_, next)) => {
                next.se.set_rb_key(None);
                Self::set_next_entity(&next.se, self.clock_task);
                next
            }
            // The idle task goes on idling.
            None if prev_is_idle => return None,
            None => {
                let idle = self.idle.clone().expect("every runqueue has an idle task");
                idle.se.exec_start.store(self.clock_task, Ordering::Relaxed);
                idle
            }
        };
        if put_prev {
            self.enqueue_entity(prev, Enqueue::PutPrev);
        }
        Some(next)
    }

    /// `se` starts running now (`set_next_entity`): its clock restarts from
    /// the one update_curr just read (Linux's `rq->clock_task`), and its
    /// slice from its current runtime.
    fn set_next_entity(se: &crate::task::SchedEntity, now: u64) {
        se.exec_start.store(now, Ordering::Relaxed);
        se.prev_sum_exec_runtime.store(
            se.sum_exec_runtime.load(Ordering::Relaxed),
            Ordering::Relaxed,
        );
    }

    /// Should the running task give way at this tick (`check_preempt_tick`)?
    pub fn tick_wants_preempt(&self) -> bool {
        let Some(curr) = &self.curr else {
            return false;
        };
        if self.curr_is_idle() {
            return self.nr_running > 0;
        }
        let se = &curr.se;
        let ran = se.sum_exec_runtime.load(Ordering::Relaxed)
            - se.prev_sum_exec_runtime.load(Ordering::Relaxed);
        let weight = se.weight.load(Ordering::Relaxed);
        let ideal = policy::sched_slice(
            self.nr_running as u64,
            weight,
            self.cfs.load + weight as u64,
        );
        let left = self.cfs.first_vruntime();
        policy::check_preempt_tick(ran, ideal, se.vruntime.load(Ordering::Relaxed), left)
    }

    /// Should a newly woken `p` preempt the running task
    /// (`check_preempt_wakeup`)?
    pub fn wakeup_wants_preempt(&self, p: &Task) -> bool {
        match &self.curr {
            None => true,
            Some(_) if self.curr_is_idle() => true,
            Some(c) => policy::wakeup_preempt(
                c.se.vruntime.load(Ordering::Relaxed),
                p.se.vruntime.load(Ordering::Relaxed),
            ),
        }
    }

    /// A queued (not running) task that may run on `cpu`, for balancing.
    pub fn pick_migratable(&self, cpu: usize) -> Option<Arc<Task>> {
        self.cfs
            .iter()
            .map(|(_, t)| t)
            .find(|t| t.may_run_on(cpu))
            .cloned()
    }
}
