//! Wait queues and sleeping (Linux's `kernel/sched/wait.c` and
//! `schedule_timeout`).
//!
//! The classic race (the condition is checked, then the wake-up arrives
//! before `schedule()`) cannot lose a wake-up: the sleeper sets its state
//! *before* checking the condition, and `try_to_wake_up` makes a task that
//! has not yet left the runqueue runnable again, so `schedule()` returns
//! at once.

use super::core::{schedule, try_to_wake_up};
use crate::sync::IrqSpinLock;
use crate::task::{self, set_current_state, Task, TASK_NORMAL, TASK_RUNNING, TASK_UNINTERRUPTIBLE};
use crate::{time, timer};
use alloc::collections::VecDeque;
use alloc::sync::Arc;

/// Tasks waiting for something (`wait_queue_head_t`).
pub struct WaitQueue {
    waiters: IrqSpinLock<VecDeque<Arc<Task>>>,
}

impl Default for WaitQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl WaitQueue {
    /// An empty queue.
    pub const fn new() -> Self {
        WaitQueue {
            waiters: IrqSpinLock::new(VecDeque::new()),
        }
    }

    /// Adds the current task (once) and sets its sleeping `state`
    /// (`prepare_to_wait`).
    pub fn prepare_to_wait(&self, state: u32) {
        let me = task::current();
        let mut w = self.waiters.lock();
        if !w.iter().any(|t| Arc::ptr_eq(t, &me)) {
            w.push_back(me);
        }
        set_current_state(state);
    }

    /// Back to running and off the queue (`finish_wait`).
    pub fn finish_wait(&self) {
        set_current_state(TASK_RUNNING);
        let mut w = self.waiters.lock();
        w.retain(|t| !is_current(t));
        release_if_empty(&mut w);
    }

    /// Wakes every waiter (`wake_up_all`); woken tasks leave the queue.
    pub fn wake_up_all(&self) -> usize {
        let mut w = self.waiters.lock();
        let mut n = 0;
        w.retain(|t| {
            if try_to_wake_up(t, TASK_NORMAL) {
                n += 1;
                false
            } else {
                true
            }
        });
        release_if_empty(&mut w);
        n
    }

    /// Wakes one waiter (`wake_up`), the first that was sleeping.
    pub fn wake_up(&self) -> bool {
        let mut w = self.waiters.lock();
        let pos = w.iter().position(|t| try_to_wake_up(t, TASK_NORMAL));
        if let Some(i) = pos {
            w.remove(i);
        }
        release_if_empty(&mut w);
        pos.is_some()
    }

    /// Number of tasks on the queue.
    pub fn len(&self) -> usize {
        self.waiters.lock().len()
    }

    /// True if nobody waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sleeps in `state` until `cond()` holds (`wait_event`).
    #[track_caller]
    pub fn wait_event(&self, state: u32, mut cond: impl FnMut() -> bool) {
        super::core::might_sleep();
        loop {
            self.prepare_to_wait(state);
            if cond() {
                break;
            }
            schedule();
        }
        self.finish_wait();
    }
}

/// An empty queue gives its buffer back, so heap use returns exactly to
/// its baseline once nobody waits (the leak checks rely on it).
fn release_if_empty(w: &mut VecDeque<Arc<Task>>) {
    if w.is_empty() && w.capacity() != 0 {
        *w = VecDeque::new();
    }
}

fn is_current(t: &Arc<Task>) -> bool {
    core::ptr::eq(Arc::as_ptr(t), crate::task::current_ptr())
}

/// Sleeps (in the state the caller already set) until woken or `ns`
/// nanoseconds pass; returns the time left, 0 if it timed out
/// (`schedule_timeout`).
#[track_caller]
pub fn schedule_timeout(ns: u64) -> u64 {
    super::core::might_sleep();
    let expires = time::uptime_ns() + ns;
    let t = timer::add_wakeup_timer(expires, task::current());
    schedule();
    timer::del_timer(t);
    expires.saturating_sub(time::uptime_ns())
}

/// Sleeps at least `ms` milliseconds, uninterruptibly (`msleep`).
#[track_caller]
pub fn msleep(ms: u64) {
    super::core::might_sleep();
    let end = time::uptime_ns() + ms * 1_000_000;
    loop {
        let now = time::uptime_ns();
        if now >= end {
            break;
        }
        set_current_state(TASK_UNINTERRUPTIBLE);
        schedule_timeout(end - now);
    }
    set_current_state(TASK_RUNNING);
}
