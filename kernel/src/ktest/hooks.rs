//! Test-only hooks in kernel paths (ktest builds only): they let a test
//! widen a race window that the normal kernel passes in nanoseconds, so a
//! regression shows in every run instead of one in thousands.

use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The task (its descriptor address) that stops at the entry of
/// `__schedule`, once; 0 for none.
pub static SCHED_ENTRY_VICTIM: AtomicUsize = AtomicUsize::new(0);
/// Set when the victim has arrived in the window.
pub static SCHED_ENTRY_ARRIVED: AtomicBool = AtomicBool::new(false);
/// The CPU the victim was on when it left the window (+1; 0: not yet).
pub static SCHED_ENTRY_LEFT_ON: AtomicUsize = AtomicUsize::new(0);

/// How long the victim waits in the window for a migration.
const WINDOW_NS: u64 = 300_000_000;

/// At the entry of `__schedule`, before the runqueue is locked: where the
/// old code had already read its CPU with IRQs on. The victim waits here,
/// IRQs as they were, until it runs on another CPU or the window closes.
/// With preemption counted, nothing can move it; without, the tick and a
/// changed affinity would.
pub fn schedule_entry() {
    let me = crate::task::current_ptr() as usize;
    if me == 0 || SCHED_ENTRY_VICTIM.load(Ordering::Acquire) != me {
        return;
    }
    SCHED_ENTRY_VICTIM.store(0, Ordering::Release);
    let cpu = crate::percpu::smp_processor_id();
    SCHED_ENTRY_ARRIVED.store(true, Ordering::Release);
    let end = crate::time::uptime_ns() + WINDOW_NS;
    while crate::time::uptime_ns() < end && crate::percpu::smp_processor_id() == cpu {
        core::hint::spin_loop();
    }
    SCHED_ENTRY_LEFT_ON.store(crate::percpu::smp_processor_id() + 1, Ordering::Release);
}

/// A window in a move of a queued task from one runqueue to another, for
/// a test to race a wake-up against: the mover stops there, once, when
/// it moves the victim.
pub struct MoveWindow {
    /// The task (descriptor address) whose move stops; 0 for none.
    pub victim: AtomicUsize,
    /// Set when the move has reached the window.
    pub arrived: AtomicBool,
    /// Set by the test when what it races against the move is done.
    pub release: AtomicBool,
}

impl MoveWindow {
    const fn new() -> Self {
        MoveWindow {
            victim: AtomicUsize::new(0),
            arrived: AtomicBool::new(false),
            release: AtomicBool::new(false),
        }
    }

    /// In the move, between the two runqueues: waits until the test has
    /// raced its wake-up against the move or the window closes.
    pub fn wait(&self, p: &crate::task::Task) {
        let me = p as *const _ as usize;
        if self.victim.load(Ordering::Acquire) != me {
            return;
        }
        self.victim.store(0, Ordering::Release);
        self.arrived.store(true, Ordering::Release);
        let end = crate::time::uptime_ns() + MOVE_WINDOW_NS;
        while crate::time::uptime_ns() < end && !self.release.load(Ordering::Acquire) {
            core::hint::spin_loop();
        }
    }
}

/// How long a move waits in its window for the test's racing action.
const MOVE_WINDOW_NS: u64 = 100_000_000;

/// `sched_setaffinity` moving another queued task: under `p`'s pi_lock
/// no wake-up can get in (the old code held no lock here).
pub static AFFINITY_MOVE: MoveWindow = MoveWindow::new();

/// The load balancer's move (`detach_task` .. `attach_task`), under both
/// runqueue locks but not `p`'s pi_lock: a wake-up must see `on_rq` set
/// and wait for the runqueue lock (it saw the task on no runqueue, and
/// queued it a second time, before `on_rq` stayed set).
pub static BALANCE_MOVE: MoveWindow = MoveWindow::new();

/// The task (descriptor address) switched out for its affinity whose
/// old CPU waits, once IRQs are back on in `finish_task_switch`, for it
/// to run on its new CPU; 0 for none.
pub static MIGRATE_VICTIM: AtomicUsize = AtomicUsize::new(0);
/// Set by the victim when it runs again after the switch.
pub static MIGRATE_VICTIM_RAN: AtomicBool = AtomicBool::new(false);
/// 1 if the victim ran while its old CPU waited, 2 if the wait timed out;
/// 0: the window was not reached.
pub static MIGRATE_RAN_IN_WINDOW: AtomicUsize = AtomicUsize::new(0);

/// How long the old CPU waits for the victim to run elsewhere.
const MIGRATE_WINDOW_NS: u64 = 200_000_000;

/// In `finish_task_switch` on the CPU `prev` left, right after IRQs come
/// back on: `prev` must already be queued where its affinity allows, so
/// it can run there now. If its move were still to come (it was, after
/// this point), nothing could run it during the wait.
pub fn finish_task_switch_irqs_on(prev: &crate::task::Task) {
    let me = prev as *const _ as usize;
    if MIGRATE_VICTIM.load(Ordering::Acquire) != me {
        return;
    }
    MIGRATE_VICTIM.store(0, Ordering::Release);
    let end = crate::time::uptime_ns() + MIGRATE_WINDOW_NS;
    while crate::time::uptime_ns() < end && !MIGRATE_VICTIM_RAN.load(Ordering::Acquire) {
        core::hint::spin_loop();
    }
    let ran = MIGRATE_VICTIM_RAN.load(Ordering::Acquire);
    MIGRATE_RAN_IN_WINDOW.store(if ran { 1 } else { 2 }, Ordering::Release);
}
