//! The physical page-frame allocator (Linux's `alloc_pages`/`__free_pages`),
//! a buddy allocator over every RAM frame. Exhaustion is an error value,
//! never a panic.
//!
//! Single pages come from per-CPU lists (Linux's `per_cpu_pages`, the pcp
//! lists), touched only by their CPU with IRQs masked: the usual
//! allocation and free take no lock. A list is refilled from the buddy
//! allocator, and gives a batch back when full, under the zone's lock.
//! Each single page handed out is marked in its `PAGE_REFS` word
//! ([`PG_ALLOCATED`]), so a double free is refused without the lock too.

use super::{phys_to_virt, PAGE_SIZE};
use crate::errno::{Errno, EINVAL, ENOMEM};
use crate::percpu::{IrqsMasked, NR_CPUS};
use crate::sync::IrqSpinLock;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use libkernel::mm::buddy::{Buddy, FreeError, PageMeta};

static ZONE: IrqSpinLock<Option<Buddy<'static>>> = IrqSpinLock::new(None);

/// The buddy allocator's free pages, as of its last change (read without
/// the zone's lock: the reserve check, `nr_free_pages`).
static ZONE_FREE: AtomicUsize = AtomicUsize::new(0);

/// Pages a CPU's list holds at most (Linux's `pcp->high`).
const PCP_HIGH: usize = 32;
/// Pages moved between a CPU's list and the buddy allocator at a time
/// (`pcp->batch`).
const PCP_BATCH: usize = 16;

/// One CPU's list of free single pages (`struct per_cpu_pages`), a stack
/// of frame numbers.
struct Pcp {
    frames: UnsafeCell<[u32; PCP_HIGH]>,
    /// Pages on the list; written only by its CPU, read by anyone.
    count: AtomicUsize,
}

struct PcpLists([Pcp; NR_CPUS]);

// SAFETY: a CPU touches `frames` of its own list only, with IRQs masked
// (`IrqsMasked`), so no two contexts use one at a time; `count` is atomic.
unsafe impl Sync for PcpLists {}

static PCP: PcpLists = PcpLists(
    [const {
        Pcp {
            frames: UnsafeCell::new([0; PCP_HIGH]),
            count: AtomicUsize::new(0),
        }
    }; NR_CPUS],
);

/// This CPU's list; IRQs stay masked while it is used (see `PcpLists`).
#[inline(always)]
#[allow(clippy::mut_from_ref)]
fn this_pcp(irqs: &IrqsMasked) -> (&'static mut [u32; PCP_HIGH], &'static AtomicUsize) {
    let p = &PCP.0[irqs.cpu()];
    // SAFETY: see PcpLists; `irqs` proves IRQs are masked on this CPU.
    (unsafe { &mut *p.frames.get() }, &p.count)
}

/// The `PAGE_REFS` bit of a single page handed out by this allocator
/// (the rest of the word counts user mappings).
const PG_ALLOCATED: u32 = 1 << 31;

/// Reference counts of pages mapped into user address spaces (Linux's
/// `page->_refcount`): copy-on-write shares a page between processes, and
/// the last `put_page` frees it.
static PAGE_REFS: spin::Once<&'static [AtomicU32]> = spin::Once::new();

/// Takes the metadata arrays and lets `add_ranges` hand over free frames
/// (first frame number, count).
pub fn init(
    mem_map: &'static mut [PageMeta],
    refs: &'static [AtomicU32],
    add_ranges: impl FnOnce(&mut dyn FnMut(usize, usize)),
) {
    let mut buddy = Buddy::new(mem_map);
    add_ranges(&mut |first, count| buddy.add_free_range(first, count));
    // 1/16 of memory, at least 8 MiB: enough for the heap to keep growing
    // for tasks, files and page tables while user memory is exhausted.
    RESERVE.store((buddy.free_pages() / 16).max(2048), Ordering::Relaxed);
    ZONE_FREE.store(buddy.free_pages(), Ordering::Relaxed);
    *ZONE.lock() = Some(buddy);
    PAGE_REFS.call_once(|| refs);
}

fn page_ref(pa: u64) -> &'static AtomicU32 {
    &PAGE_REFS.get().expect("page_alloc::init ran")[pa as usize / PAGE_SIZE]
}

/// Takes up to a batch of single pages from the buddy allocator onto
/// this CPU's empty list; false when it has none.
#[cold]
#[inline(never)]
fn rmqueue_bulk(frames: &mut [u32; PCP_HIGH], count: &AtomicUsize) -> bool {
    let mut zone = ZONE.lock();
    let Some(buddy) = zone.as_mut() else {
        return false;
    };
    let mut n = 0;
    while n < PCP_BATCH {
        match buddy.alloc(0) {
            Some(pfn) => frames[n] = pfn as u32,
            None => break,
        }
        n += 1;
    }
    ZONE_FREE.store(buddy.free_pages(), Ordering::Relaxed);
    count.store(n, Ordering::Relaxed);
    n > 0
}

/// Gives the `n` oldest pages of this CPU's list back to the buddy
/// allocator (`free_pcppages_bulk`).
#[cold]
#[inline(never)]
fn free_pcppages_bulk(frames: &mut [u32; PCP_HIGH], count: &AtomicUsize, n: usize) {
    let have = count.load(Ordering::Relaxed);
    let n = n.min(have);
    let mut zone = ZONE.lock();
    if let Some(buddy) = zone.as_mut() {
        for &pfn in &frames[..n] {
            // Taken from the buddy allocator by rmqueue_bulk: its free
            // cannot be refused.
            let _ = buddy.free(pfn as usize, 0);
        }
        ZONE_FREE.store(buddy.free_pages(), Ordering::Relaxed);
    }
    frames.copy_within(n..have, 0);
    count.store(have - n, Ordering::Relaxed);
}

/// Empties this CPU's list into the buddy allocator (`drain_local_pages`;
/// also run on other CPUs by [`drain_all_pages`], in an IPI).
fn drain_local_pages() {
    let irqs = IrqsMasked::new();
    let (frames, count) = this_pcp(&irqs);
    free_pcppages_bulk(frames, count, PCP_HIGH);
}

/// Empties every CPU's list (`drain_all_pages`), before an allocation
/// gives up. Waits for the other CPUs, so only where the caller may
/// wait: preemptible, IRQs on (a CPU waiting for us with IRQs masked
/// would never take our IPI).
#[cold]
#[inline(never)]
fn drain_all_pages() -> bool {
    if !crate::preempt::preemptible() {
        return false;
    }
    drain_local_pages();
    let me = {
        let irqs = IrqsMasked::new();
        irqs.cpu()
    };
    for c in (0..NR_CPUS).filter(|&c| c != me) {
        if PCP.0[c].count.load(Ordering::Relaxed) != 0 {
            crate::smp::call_on_cpu(c, drain_local_pages, true);
        }
    }
    true
}

/// A free single page from this CPU's list (`rmqueue_pcplist`), refilled
/// from the buddy allocator when empty; with `keep_reserve`, not from
/// the kernel's reserve.
#[inline(always)]
fn rmqueue_pcplist(keep_reserve: bool) -> Option<usize> {
    let irqs = IrqsMasked::new();
    if keep_reserve && nr_free_pages() < RESERVE.load(Ordering::Relaxed) {
        return None;
    }
    let (frames, count) = this_pcp(&irqs);
    let mut n = count.load(Ordering::Relaxed);
    if n == 0 {
        if !rmqueue_bulk(frames, count) {
            return None;
        }
        n = count.load(Ordering::Relaxed);
    }
    n -= 1;
    let pfn = frames[n] as usize;
    count.store(n, Ordering::Relaxed);
    // Ours alone until freed: a plain store marks it handed out.
    PAGE_REFS.get()?[pfn].store(PG_ALLOCATED, Ordering::Relaxed);
    Some(pfn)
}

/// A free single page, after draining every CPU's list if it must.
#[inline]
fn alloc_frame(keep_reserve: bool) -> Result<u64, Errno> {
    match rmqueue_pcplist(keep_reserve) {
        Some(pfn) => Ok((pfn * PAGE_SIZE) as u64),
        None => alloc_frame_slow(keep_reserve),
    }
}

#[cold]
#[inline(never)]
fn alloc_frame_slow(keep_reserve: bool) -> Result<u64, Errno> {
    if !drain_all_pages() {
        return Err(ENOMEM);
    }
    rmqueue_pcplist(keep_reserve)
        .map(|pfn| (pfn * PAGE_SIZE) as u64)
        .ok_or(ENOMEM)
}

/// Returns a single page to this CPU's list (`free_unref_page`); a page
/// not handed out as one (never, or freed already) is refused.
#[inline]
fn free_frame(pa: u64) -> Result<(), Errno> {
    let pfn = pa as usize / PAGE_SIZE;
    let r = PAGE_REFS.get().and_then(|r| r.get(pfn)).ok_or(EINVAL)?;
    // One atomic step, so two CPUs freeing one page cannot both pass.
    if r.fetch_and(!PG_ALLOCATED, Ordering::AcqRel) & PG_ALLOCATED == 0 {
        return Err(refused(pa, 0, &FreeError::DoubleFree));
    }
    let irqs = IrqsMasked::new();
    let (frames, count) = this_pcp(&irqs);
    let mut n = count.load(Ordering::Relaxed);
    if n == PCP_HIGH {
        free_pcppages_bulk(frames, count, PCP_BATCH);
        n = count.load(Ordering::Relaxed);
    }
    frames[n] = pfn as u32;
    count.store(n + 1, Ordering::Relaxed);
    Ok(())
}

#[cold]
#[inline(never)]
fn refused(pa: u64, order: usize, why: &dyn core::fmt::Debug) -> Errno {
    println!("page_alloc: refused free of {pa:#x} order {order}: {why:?}");
    EINVAL
}

/// Free pages that user memory and file data may not take (Linux's
/// `min_free_kbytes` watermark): when user space has eaten everything
/// else, the kernel can still allocate tasks, page tables and its heap, so
/// the hog gets `ENOMEM` (or `ENOSPC`, or is killed at a fault) and the
/// kernel keeps running.
static RESERVE: AtomicUsize = AtomicUsize::new(0);

/// Whether `pages` more pages can go to user memory or file data without
/// eating into the kernel's reserve.
pub fn user_may_take(pages: usize) -> bool {
    nr_free_pages() >= RESERVE.load(Ordering::Relaxed) + pages
}

/// A zeroed page for user memory, with one reference; `ENOMEM` when only
/// the kernel's reserve is left.
pub fn alloc_user_page() -> Result<u64, Errno> {
    if crate::fault_inject::should_fail_alloc(PAGE_SIZE) {
        return Err(ENOMEM);
    }
    let pa = alloc_frame(true)?;
    crate::arch::cpu::clear_page(phys_to_virt(pa));
    page_ref(pa).store(PG_ALLOCATED | 1, Ordering::Release);
    USER_PAGES.fetch_add(1, Ordering::Relaxed);
    Ok(pa)
}

/// Takes another reference to a user page (`get_page`).
pub fn get_page(pa: u64) {
    page_ref(pa).fetch_add(1, Ordering::AcqRel);
}

/// Drops a reference to a user page; the last one frees it (`put_page`).
pub fn put_page(pa: u64) {
    if page_ref(pa).fetch_sub(1, Ordering::AcqRel) & !PG_ALLOCATED == 1 {
        USER_PAGES.fetch_sub(1, Ordering::Relaxed);
        let _ = free_pages(pa, 0);
    }
}

/// References to a user page (`page_count`).
pub fn page_count(pa: u64) -> u32 {
    page_ref(pa).load(Ordering::Acquire) & !PG_ALLOCATED
}

/// User pages in use.
pub static USER_PAGES: AtomicUsize = AtomicUsize::new(0);

/// Allocates 2^order contiguous pages; returns the physical address.
/// Subject to fault injection (`fail_alloc=`).
pub fn alloc_pages(order: usize) -> Result<u64, Errno> {
    if crate::fault_inject::should_fail_alloc(PAGE_SIZE << order) {
        return Err(ENOMEM);
    }
    if order == 0 {
        return alloc_frame(false);
    }
    __alloc_pages(order)
}

/// [`alloc_pages`] without fault injection: for the kernel heap's own
/// growth, whose failure Rust's infallible allocations would turn into a
/// panic rather than an error. Blocks come from the buddy allocator; if
/// it has none, the CPUs' lists go back to it (they may merge into one)
/// and it is asked again.
pub fn __alloc_pages(order: usize) -> Result<u64, Errno> {
    if order == 0 {
        return alloc_frame(false);
    }
    match buddy_alloc(order) {
        Some(pa) => Ok(pa),
        None if drain_all_pages() => buddy_alloc(order).ok_or(ENOMEM),
        None => Err(ENOMEM),
    }
}

fn buddy_alloc(order: usize) -> Option<u64> {
    let mut zone = ZONE.lock();
    let buddy = zone.as_mut()?;
    let pfn = buddy.alloc(order);
    ZONE_FREE.store(buddy.free_pages(), Ordering::Relaxed);
    pfn.map(|pfn| (pfn * PAGE_SIZE) as u64)
}

/// Allocates one zeroed page; returns its kernel address.
pub fn get_zeroed_page() -> Result<usize, Errno> {
    let va = phys_to_virt(alloc_pages(0)?);
    crate::arch::cpu::clear_page(va);
    Ok(va)
}

/// Returns pages from [`alloc_pages`]. A bad or double free is refused with
/// `EINVAL` (and reported), never corrupts the free lists.
pub fn free_pages(pa: u64, order: usize) -> Result<(), Errno> {
    if !pa.is_multiple_of(PAGE_SIZE as u64) {
        return Err(EINVAL);
    }
    if order == 0 {
        return free_frame(pa);
    }
    let mut zone = ZONE.lock();
    let buddy = zone.as_mut().ok_or(EINVAL)?;
    let r = buddy.free(pa as usize / PAGE_SIZE, order);
    ZONE_FREE.store(buddy.free_pages(), Ordering::Relaxed);
    drop(zone);
    r.map_err(|e| refused(pa, order, &e))
}

/// Pages currently free: the buddy allocator's and those on the CPUs'
/// lists (exact when nothing allocates meanwhile).
pub fn nr_free_pages() -> usize {
    let on_lists: usize = PCP.0.iter().map(|p| p.count.load(Ordering::Relaxed)).sum();
    ZONE_FREE.load(Ordering::Relaxed) + on_lists
}
