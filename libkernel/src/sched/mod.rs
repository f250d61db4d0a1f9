//! The pure half of the scheduler: task states and flags (Linux's
//! `linux/sched.h`, also read from `/proc` by user tests), and the fair
//! policy's arithmetic and tree.

pub mod cputime;
#[cfg(feature = "alloc")]
pub mod fair;
pub mod loadavg;

// Task states (`state`), Linux 4.19 values.
/// Running on a CPU or waiting on a runqueue.
pub const TASK_RUNNING: u32 = 0x0000;
/// Sleeping; a signal or an explicit wake-up ends it.
pub const TASK_INTERRUPTIBLE: u32 = 0x0001;
/// Sleeping until a specific condition; signals do not wake it.
pub const TASK_UNINTERRUPTIBLE: u32 = 0x0002;
/// Stopped (job control).
pub const TASK_STOPPED: u32 = 0x0004;
/// Being traced.
pub const TASK_TRACED: u32 = 0x0008;
/// Dead: `do_task_dead` switched away for the last time.
pub const TASK_DEAD: u32 = 0x0080;
/// Woken, in the middle of being queued.
pub const TASK_WAKING: u32 = 0x0200;
/// Either kind of sleep (`TASK_NORMAL`).
pub const TASK_NORMAL: u32 = TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE;

// Exit states (`exit_state`).
/// Nobody will reap it: freed as soon as it is gone.
pub const EXIT_DEAD: u32 = 0x0010;
/// Dead, waiting for its parent to reap it.
pub const EXIT_ZOMBIE: u32 = 0x0020;
/// Both bits (`EXIT_TRACE`).
pub const EXIT_TRACE: u32 = EXIT_ZOMBIE | EXIT_DEAD;

// Task flags (`flags`).
/// The idle task of a CPU.
pub const PF_IDLE: u32 = 0x0000_0002;
/// Getting shut down.
pub const PF_EXITING: u32 = 0x0000_0004;
/// Exit finished its pid-related work.
pub const PF_EXITPIDONE: u32 = 0x0000_0008;
/// A workqueue worker.
pub const PF_WQ_WORKER: u32 = 0x0000_0020;
/// Forked but did not exec.
pub const PF_FORKNOEXEC: u32 = 0x0000_0040;
/// Never frozen.
pub const PF_NOFREEZE: u32 = 0x0000_8000;
/// A kernel thread.
pub const PF_KTHREAD: u32 = 0x0020_0000;
/// Flags a child never inherits.
pub const TASK_NEW_FLAGS_MASK: u32 = PF_EXITING | PF_EXITPIDONE | PF_NOFREEZE | PF_KTHREAD;
