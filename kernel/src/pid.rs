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
    /// Per pid number: tasks whose process group / session it is. A number
    /// stays allocated while a task has it or a group or session is named
    /// by it (Linux keeps `struct pid` alive for `PIDTYPE_PGID` and
    /// `PIDTYPE_SID` users): a new process never joins a group by chance.
    groups: Vec<[u16; 2]>,
}

/// Index into [`TaskList`]'s per-pid group counts.
const PGRP: usize = 0;
/// Index into [`TaskList`]'s per-pid group counts.
const SESSION: usize = 1;

/// The task list lock: taken before any task's `family` lock.
pub static TASKLIST: IrqSpinLock<TaskList> = IrqSpinLock::named(
    &"tasklist_lock",
    TaskList {
        pids: PidAllocator::new(libkernel::pid::PID_MAX_DEFAULT),
        table: Vec::new(),
        len: 0,
        groups: Vec::new(),
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
        let pid = task.pid() as usize;
        if self.table.len() <= pid {
            self.table
                .resize(libkernel::pid::PID_MAX_DEFAULT.max(pid + 1), None);
        }
        if self.table[pid].replace(task).is_none() {
            self.len += 1;
        }
    }

    /// Gives `a` the pid of `b` and `b` that of `a`, in the table too
    /// (`exchange_tids`: a thread that execs takes its leader's pid).
    pub fn exchange_pids(&mut self, a: &Arc<Task>, b: &Arc<Task>) {
        let (pa, pb) = (a.pid(), b.pid());
        self.table[pa as usize] = Some(b.clone());
        self.table[pb as usize] = Some(a.clone());
        a.set_pid(pb);
        b.set_pid(pa);
    }

    /// Removes `pid` from the table, leaves its process group and session,
    /// and frees the number unless a group or session still has it.
    pub fn detach(&mut self, pid: Pid) -> Option<Arc<Task>> {
        let t = self.table.get_mut(pid as usize).and_then(Option::take);
        if let Some(t) = &t {
            self.len -= 1;
            self.put_group(t.pgrp.load(Ordering::Relaxed), PGRP);
            self.put_group(t.session.load(Ordering::Relaxed), SESSION);
            self.maybe_free(pid);
        }
        t
    }

    /// Puts `t` in process group `pgrp` and session `session` (`attach_pid`
    /// / `change_pid` for `PIDTYPE_PGID` and `PIDTYPE_SID`); `t` must be
    /// attached. Group 0 is the kernel's (init and kernel threads start in
    /// it, as in Linux) and is not counted.
    pub fn set_groups(&mut self, t: &Task, pgrp: Pid, session: Pid) {
        let (old_pgrp, old_session) = (
            t.pgrp.swap(pgrp, Ordering::Relaxed),
            t.session.swap(session, Ordering::Relaxed),
        );
        self.get_group(pgrp, PGRP);
        self.get_group(session, SESSION);
        self.put_group(old_pgrp, PGRP);
        self.put_group(old_session, SESSION);
        self.maybe_free(old_pgrp);
        self.maybe_free(old_session);
    }

    /// Puts every thread of `p`'s process in `pgrp` and `session`
    /// (process groups and sessions are the process's, `signal->pids`).
    pub fn set_process_groups(&mut self, p: &Arc<Task>, pgrp: Pid, session: Pid) {
        let threads: Vec<Arc<Task>> = p.signal.threads.lock().iter().cloned().collect();
        if threads.is_empty() {
            self.set_groups(p, pgrp, session);
        }
        for t in &threads {
            self.set_groups(t, pgrp, session);
        }
    }

    /// Tasks whose process group is `pgrp`.
    pub fn pgrp_members(&self, pgrp: Pid) -> usize {
        self.group_count(pgrp, PGRP)
    }

    /// Tasks whose session is `session`.
    pub fn session_members(&self, session: Pid) -> usize {
        self.group_count(session, SESSION)
    }

    /// The tasks of process group `pgrp` (`do_each_pid_task(PIDTYPE_PGID)`),
    /// zombies included: the walk stops once all are found.
    pub fn each_in_pgrp(&self, pgrp: Pid) -> impl Iterator<Item = &Arc<Task>> {
        let n = self.pgrp_members(pgrp);
        self.iter()
            .filter(move |t| t.pgrp.load(Ordering::Relaxed) == pgrp)
            .take(n)
    }

    fn group_count(&self, id: Pid, kind: usize) -> usize {
        usize::try_from(id)
            .ok()
            .and_then(|i| self.groups.get(i))
            .map_or(0, |g| usize::from(g[kind]))
    }

    fn get_group(&mut self, id: Pid, kind: usize) {
        if id <= 0 {
            return;
        }
        if self.groups.len() <= id as usize {
            self.groups
                .resize(libkernel::pid::PID_MAX_DEFAULT.max(id as usize + 1), [0; 2]);
        }
        self.groups[id as usize][kind] += 1;
    }

    fn put_group(&mut self, id: Pid, kind: usize) {
        if let Some(g) = usize::try_from(id)
            .ok()
            .and_then(|i| self.groups.get_mut(i))
        {
            if id > 0 {
                g[kind] -= 1;
            }
        }
    }

    /// Frees number `pid` once no task has it and no group or session is
    /// named by it.
    fn maybe_free(&mut self, pid: Pid) {
        if pid > 0
            && self.find(pid).is_none()
            && self.pgrp_members(pid) == 0
            && self.session_members(pid) == 0
        {
            self.pids.free(pid);
        }
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
