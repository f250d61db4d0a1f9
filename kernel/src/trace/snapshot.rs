//! The snapshot buffer (Linux's `max_tr` and the `snapshot` file of
//! `kernel/trace/trace.c`): a spare ring per CPU, allocated by
//! `echo 1 > snapshot`, swapped with the live rings by that write or by a
//! `snapshot` trigger, read through `snapshot`, cleared by `echo 2` and
//! freed by `echo 0`.

use super::CLEARED;
use crate::errno::*;
use crate::percpu::{self, NR_CPUS};
use crate::sync::IrqSpinLock;
use alloc::boxed::Box;
use core::ptr;
use core::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use libkernel::trace::Ring;

/// The spare rings; null while the snapshot is freed.
static SPARE: [AtomicPtr<Ring>; NR_CPUS] = [const { AtomicPtr::new(ptr::null_mut()) }; NR_CPUS];
/// Per CPU: index of the spare ring before which entries were cleared.
static SPARE_CLEARED: [AtomicU64; NR_CPUS] = [const { AtomicU64::new(0) }; NR_CPUS];
/// Taken to swap or free, so a swap never moves a ring being freed.
static SWAP_LOCK: IrqSpinLock<()> = IrqSpinLock::new(());

/// Is the snapshot buffer allocated?
pub fn allocated() -> bool {
    !SPARE[0].load(Ordering::Acquire).is_null()
}

/// Runs `f` with the spare rings held (a snapshot read): `free` waits.
pub(super) fn with_rings<T>(f: impl FnOnce(&dyn Fn(usize) -> Option<&'static Ring>) -> T) -> T {
    let guard = SWAP_LOCK.lock();
    let get = |c: usize| {
        let p = SPARE[c].load(Ordering::Acquire);
        // SAFETY: spare rings are freed only by `free`, after it took
        // SWAP_LOCK, held here.
        (!p.is_null()).then(|| unsafe { &*p })
    };
    let r = f(&get);
    drop(guard);
    r
}

/// Index before which CPU `c`'s spare ring counts as empty.
pub(super) fn cleared(c: usize) -> u64 {
    SPARE_CLEARED[c].load(Ordering::Relaxed)
}

/// Allocates the spare rings (as large as the live ones) if needed.
pub fn alloc() {
    let entries = super::ring(0).map_or(2048, |r| r.capacity() as usize);
    for c in 0..NR_CPUS {
        if SPARE[c].load(Ordering::Acquire).is_null() {
            let r = Box::into_raw(Box::new(Ring::new(entries)));
            if SPARE[c]
                .compare_exchange(ptr::null_mut(), r, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
            {
                // SAFETY: never published.
                drop(unsafe { Box::from_raw(r) });
            }
            SPARE_CLEARED[c].store(0, Ordering::Relaxed);
        }
    }
}

/// Swaps the live rings with the spare ones (`update_max_tr`); nothing if
/// the snapshot is not allocated or a swap or free is under way. Callable
/// from the record path (IRQs masked).
pub fn swap() {
    let Some(guard) = SWAP_LOCK.try_lock() else {
        return;
    };
    for (c, pc) in percpu::all().enumerate() {
        let spare = SPARE[c].load(Ordering::Acquire);
        if spare.is_null() {
            continue;
        }
        let live = pc.trace_ring.load(Ordering::Acquire);
        // A resize may replace the live ring meanwhile: then skip this CPU.
        if pc
            .trace_ring
            .compare_exchange(live, spare, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            SPARE[c].store(live, Ordering::Release);
            let (a, b) = (&CLEARED[c], &SPARE_CLEARED[c]);
            let old = a.swap(b.load(Ordering::Relaxed), Ordering::Relaxed);
            b.store(old, Ordering::Relaxed);
            super::CONSUMED[c].store(a.load(Ordering::Relaxed), Ordering::Relaxed);
        }
    }
    drop(guard);
}

/// Empties the spare rings (`echo 2 > snapshot`).
pub fn clear() {
    with_rings(|ring| {
        for (c, cl) in SPARE_CLEARED.iter().enumerate() {
            if let Some(r) = ring(c) {
                cl.store(r.written(), Ordering::Relaxed);
            }
        }
    });
}

/// Frees the spare rings (`echo 0 > snapshot`).
pub fn free() {
    let mut old = [ptr::null_mut(); NR_CPUS];
    let guard = SWAP_LOCK.lock();
    for (c, o) in old.iter_mut().enumerate() {
        *o = SPARE[c].swap(ptr::null_mut(), Ordering::AcqRel);
    }
    drop(guard);
    for c in 0..NR_CPUS {
        crate::smp::call_on_cpu(c, || {}, c != percpu::smp_processor_id());
    }
    for p in old.into_iter().filter(|p| !p.is_null()) {
        // SAFETY: unpublished under SWAP_LOCK (so no swap can make it live
        // again), and every CPU has since passed an IRQs-on point, so no
        // writer still holds it.
        drop(unsafe { Box::from_raw(p) });
    }
}

/// A write to `snapshot`: 0 frees, 1 allocates and swaps, any other
/// number clears.
pub fn write(s: &str) -> Result<(), Errno> {
    let v: u64 = s.trim().parse().map_err(|_| EINVAL)?;
    match v {
        0 => free(),
        1 => {
            alloc();
            swap();
        }
        _ => clear(),
    }
    Ok(())
}

/// The help `snapshot` shows when it holds nothing (`print_snapshot_help`).
pub fn help() -> &'static str {
    if allocated() {
        "#\n# * Snapshot is allocated *\n#\n# Snapshot commands:\n\
# echo 0 > snapshot : Clears and frees snapshot buffer\n\
# echo 1 > snapshot : Allocates snapshot buffer, if not already allocated.\n\
#                      Takes a snapshot of the main buffer.\n\
# echo 2 > snapshot : Clears snapshot buffer (but does not allocate or free)\n\
#                      (Doesn't have to be '2' works with any number that\n\
#                       is not a '0' or '1')\n"
    } else {
        "#\n# * Snapshot is freed *\n#\n# Snapshot commands:\n\
# echo 0 > snapshot : Clears and frees snapshot buffer\n\
# echo 1 > snapshot : Allocates snapshot buffer, if not already allocated.\n\
#                      Takes a snapshot of the main buffer.\n\
# echo 2 > snapshot : Clears snapshot buffer (but does not allocate or free)\n\
#                      (Doesn't have to be '2' works with any number that\n\
#                       is not a '0' or '1')\n"
    }
}
