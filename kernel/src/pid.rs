//! Pids and the task list: pid allocation (cyclic, `pid_max` 32768,
//! exhaustion is `-EAGAIN`) and the pid -> task table, under one lock
//! (Linux's `tasklist_lock` plus the pid hash). The table is indexed by
//! pid, so attaching, detaching and finding a task cost the same with 10
//! tasks or 10,000 (a B-tree grew deeper, and allocated nodes, as tasks
//! were added).

use crate::errno::{Errno, EAGAIN};
use crate::sync::IrqSpinLock;
use crate::task::{Pid, Task};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};
use libkernel::pid::PidAllocator;

/// All tasks with a pid, and the pid bitmap.
pub struct TaskList {
    pids: PidAllocator,
    /// Slot `pid` holds that task (256 KiB for pid_max 32768, allocated
    /// when the first task is attached).
    table: Vec<Option<Arc<Task>>>,
    /// Tasks in the table.
    len: usize,
}

/// The task list lock: taken before any task's `family` lock.
pub static TASKLIST: IrqSpinLock<TaskList> = IrqSpinLock::named(
    "tasklist_lock",
    TaskList {
        pids: PidAllocator::new(libkernel::pid::PID_MAX_DEFAULT),
        table: Vec::new(),
        len: 0,
    },
);

impl TaskList {
    /// Every task with a pid, in pid order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Task>> {
        self.table.iter().flatten()
    }

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
        let pid = task.pid as usize;
        if self.table.len() <= pid {
            self.table
                .resize(libkernel::pid::PID_MAX_DEFAULT.max(pid + 1), None);
        }
        if self.table[pid].replace(task).is_none() {
            self.len += 1;
        }
    }

    /// Removes `pid` from the table and frees the number.
    pub fn detach(&mut self, pid: Pid) -> Option<Arc<Task>> {
        let t = self.table.get_mut(pid as usize).and_then(Option::take);
        if t.is_some() {
            self.len -= 1;
            self.pids.free(pid);
        }
        t
    }

    /// The task with `pid`.
    pub fn find(&self, pid: Pid) -> Option<Arc<Task>> {
        self.table.get(usize::try_from(pid).ok()?)?.clone()
    }

    /// Pids allocated: a task's, or one a `copy_process` under way holds.
    pub fn pids_in_use(&self) -> usize {
        self.pids.in_use()
    }

    /// Number of tasks with a pid.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The task with `pid` (`find_task_by_vpid`).
pub fn find_task_by_pid(pid: Pid) -> Option<Arc<Task>> {
    TASKLIST.lock().find(pid)
}

/// The task a pid argument of a system call names: the caller for 0
/// (`find_process_by_pid` of `kernel/sched/core.c`), else `ESRCH` when
/// there is none.
pub fn find_process_by_pid(pid: Pid) -> Result<Arc<Task>, crate::errno::Errno> {
    if pid == 0 {
        Ok(crate::task::current())
    } else {
        find_task_by_pid(pid).ok_or(crate::errno::ESRCH)
    }
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
    TASKLIST.lock().table.iter().flatten().cloned().collect()
}
