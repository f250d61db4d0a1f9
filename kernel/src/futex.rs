//! `kernel/futex/`: fast user-space locks. Only the robust-list
//! registration exists so far, which C libraries make at start-up.

use crate::errno::*;

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
