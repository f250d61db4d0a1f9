//! Pids and the task list: pid allocation (cyclic, `pid_max` 32768,
//! exhaustion is `-EAGAIN`) and the pid -> task table, under one lock
//! (Linux's `tasklist_lock` plus the pid hash).

use crate::errno::{Errno, EAGAIN};
use crate::sync::IrqSpinLock;
use crate::task::{Pid, Task};
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};
use pikern_core::pid::PidAllocator;

/// All tasks with a pid, and the pid bitmap.
pub struct TaskList {
    pids: PidAllocator,
    table: BTreeMap<Pid, Arc<Task>>,
}

/// The task list lock: taken before any task's `family` lock.
pub static TASKLIST: IrqSpinLock<TaskList> = IrqSpinLock::new(TaskList {
    pids: PidAllocator::new(pikern_core::pid::PID_MAX_DEFAULT),
    table: BTreeMap::new(),
});

impl TaskList {
    /// A free pid, or `EAGAIN` when all are in use.
    pub fn alloc_pid(&mut self) -> Result<Pid, Errno> {
        self.pids.alloc().ok_or(EAGAIN)
    }

    /// Returns a pid that never got a task.
    pub fn free_pid(&mut self, pid: Pid) {
        self.pids.free(pid);
    }

    /// Makes `task` findable by its pid.
    pub fn attach(&mut self, task: Arc<Task>) {
        self.table.insert(task.pid, task);
    }

    /// Removes `pid` from the table and frees the number.
    pub fn detach(&mut self, pid: Pid) -> Option<Arc<Task>> {
        let t = self.table.remove(&pid);
        if t.is_some() {
            self.pids.free(pid);
        }
        t
    }

    /// The task with `pid`.
    pub fn find(&self, pid: Pid) -> Option<Arc<Task>> {
        self.table.get(&pid).cloned()
    }

    /// Number of tasks with a pid.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

/// The task with `pid` (`find_task_by_vpid`).
pub fn find_task_by_pid(pid: Pid) -> Option<Arc<Task>> {
    TASKLIST.lock().find(pid)
}

/// Live user processes (with an address space), counted as they gain
/// and lose one instead of scanned: fork checks RLIMIT_NPROC against it on
/// every call (Linux keeps `user->processes` for the same reason).
static NR_USER_PROCESSES: AtomicUsize = AtomicUsize::new(0);

/// A task gained its first address space (user fork, exec from a kernel
/// thread).
pub fn user_process_started() {
    NR_USER_PROCESSES.fetch_add(1, Ordering::Relaxed);
}

/// A user task gave its address space up (`exit_mm`).
pub fn user_process_ended() {
    NR_USER_PROCESSES.fetch_sub(1, Ordering::Relaxed);
}

/// Processes with an address space (user processes).
pub fn nr_user_processes() -> usize {
    NR_USER_PROCESSES.load(Ordering::Relaxed)
}

/// A snapshot of every task with a pid, in pid order.
pub fn all_tasks() -> Vec<Arc<Task>> {
    TASKLIST.lock().table.values().cloned().collect()
}
