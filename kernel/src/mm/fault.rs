//! User page faults (Linux's `do_page_fault` for EL0): resolve them in the
//! current address space, or report that the access was not allowed.

use crate::errno::{Errno, EFAULT};
use crate::mm::vm::Access;
use crate::task;

/// Handles a fault at `far` from user space; `Err(ENOMEM)` means no page
/// could be had, any other `Err` that the access was not allowed (SIGSEGV).
pub fn do_user_fault(far: u64, access: Access) -> Result<(), Errno> {
    let mm = task::current().mm.lock().clone().ok_or(EFAULT)?;
    mm.handle_fault(far, access).map(|_| ())
}

/// A valid user access that could not get a page (Linux's
/// `pagefault_out_of_memory`, without an OOM killer choosing a victim):
/// the faulting process is killed with SIGKILL and says why.
pub fn pagefault_out_of_memory() {
    let me = task::current();
    println!(
        "Out of memory: Killed process {} ({}): no page for its fault",
        me.tgid,
        me.comm()
    );
    crate::signal::force_sig(crate::signal::SIGKILL);
}
