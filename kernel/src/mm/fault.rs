//! User page faults (Linux's `do_page_fault` for EL0): resolve them in the
//! current address space, or report that the access was not allowed.

use crate::errno::{Errno, EFAULT};
use crate::mm::vm::Access;
use crate::task;

/// Handles a fault at `far` from user space; `Err` means SIGSEGV.
pub fn do_user_fault(far: u64, access: Access) -> Result<(), Errno> {
    let mm = task::current().mm.lock().clone().ok_or(EFAULT)?;
    mm.handle_fault(far, access).map(|_| ())
}
