//! Fault injection for allocations: Linux's `fail_page_alloc` and
//! `failslab` as one knob, `fail_alloc=` on the command line and
//! `/proc/fail_alloc` at run time (the policy is
//! `libkernel::fault_inject`).
//!
//! Two kinds of sites ask [`should_fail_alloc`]: the page allocator (every
//! page table, kernel stack, user page and copy-on-write copy), and the
//! places where Linux would `kmalloc` a kernel object and has an error path
//! for it (a task, an address space, a VMA, an open file). Only
//! allocations made on behalf of a user process are failed: a kernel
//! thread has no caller to hand `-ENOMEM` to. The kernel heap's own growth
//! is never failed, because Rust's infallible allocations would turn that
//! into a panic; the sites above are where a real shortage must surface.

use crate::sync::IrqSpinLock;
use crate::task;
use core::sync::atomic::{AtomicBool, Ordering};
use libkernel::fault_inject::{FaultAttr, FaultState};

static STATE: IrqSpinLock<FaultState> =
    IrqSpinLock::new(FaultState::new(FaultAttr::OFF, 0x2545_f491_4f6c_dd1d));
/// Fast check on every allocation: off unless someone turned it on.
static ENABLED: AtomicBool = AtomicBool::new(false);

/// Applies `fail_alloc=` from the command line, if present.
pub fn init() {
    if let Some(v) = crate::cmdline::get().get("fail_alloc") {
        match set(v) {
            Ok(()) => println!("fault injection: fail_alloc={v}"),
            Err(why) => println!("fault injection: fail_alloc={v} ignored: {why}"),
        }
    }
}

/// Sets the attributes from `interval,probability,space,times[,task-filter]`.
pub fn set(text: &str) -> Result<(), &'static str> {
    let attr = FaultAttr::parse(text)?;
    STATE.lock().set(attr);
    ENABLED.store(attr.enabled(), Ordering::Release);
    Ok(())
}

/// `/proc/fail_alloc`: the attributes, then the counters.
pub fn status() -> alloc::string::String {
    let s = STATE.lock();
    let a = s.attr;
    alloc::format!(
        "{},{},{},{}{}\ncalls: {}\nfailures: {}\n",
        a.interval,
        a.probability,
        a.space,
        a.times,
        if a.task_filter { ",task-filter" } else { "" },
        s.calls,
        s.failures
    )
}

/// Whether the allocation of `size` bytes being made now should fail
/// (Linux's `should_fail`). Cheap when injection is off.
pub fn should_fail_alloc(size: usize) -> bool {
    if !ENABLED.load(Ordering::Relaxed) {
        return false;
    }
    let p = crate::task::current_ptr();
    if p.is_null() {
        return false;
    }
    // SAFETY: as in `task::current_pid`: the running task stays alive while
    // it runs here; only atomics are read.
    let me = unsafe { &*p };
    if me.flags() & (task::PF_KTHREAD | task::PF_IDLE) != 0 {
        return false;
    }
    let marked = me.make_it_fail.load(Ordering::Relaxed);
    let mut st = STATE.lock();
    let fail = st.should_fail(size as u64, marked);
    if fail && !st.attr.enabled() {
        // `times` used up: back to the fast path.
        ENABLED.store(false, Ordering::Release);
    }
    fail
}
