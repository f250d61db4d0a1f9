//! The scheduler (Linux's `kernel/sched/`): per-CPU runqueues with a fair
//! policy, `schedule()`, wake-ups, load balancing, wait queues and sleeps.

pub mod core;
pub mod cputime;
pub mod fair;
pub mod loadavg;
pub mod wait;

pub use self::core::{
    sched_setaffinity, schedule, scheduler_tick, set_user_nice, wake_up_process, yield_now,
};
