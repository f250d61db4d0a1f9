//! `kernel/futex/`: fast user-space locks. Only the robust-list
//! registration exists so far, which C libraries make at start-up.

use crate::errno::*;
use crate::mm::vm::MmStruct;
use crate::task::Task;

/// Bytes of `struct robust_list_head`.
const ROBUST_LIST_HEAD_SIZE: u64 = 24;

/// `set_robust_list(head, len)`: accepted and not recorded (futexes are not
/// modelled, so there is nothing to wake at exit).
pub fn sys_set_robust_list(_head: u64, len: u64) -> SysResult {
    if len != ROBUST_LIST_HEAD_SIZE {
        return Err(EINVAL);
    }
    Ok(0)
}

/// Walks the exiting task's robust-futex list (`exit_robust_list`).
pub fn exit_robust_list(_tsk: &Task, _mm: &MmStruct) {}

/// Wakes one waiter on the tid word `CLONE_CHILD_CLEARTID` named, just
/// cleared by an exiting thread (`mm_release`).
pub fn futex_wake_tid(_mm: &MmStruct, _uaddr: u64) {}
