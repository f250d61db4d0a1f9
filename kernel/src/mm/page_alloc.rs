//! The physical page-frame allocator (Linux's `alloc_pages`/`__free_pages`),
//! a buddy allocator over every RAM frame. Exhaustion is an error value,
//! never a panic.

use super::{phys_to_virt, PAGE_SIZE};
use crate::errno::{Errno, EINVAL, ENOMEM};
use crate::sync::IrqSpinLock;
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use libkernel::mm::buddy::{Buddy, PageMeta};

static ZONE: IrqSpinLock<Option<Buddy<'static>>> = IrqSpinLock::new(None);

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
    *ZONE.lock() = Some(buddy);
    PAGE_REFS.call_once(|| refs);
}

fn page_ref(pa: u64) -> &'static AtomicU32 {
    &PAGE_REFS.get().expect("page_alloc::init ran")[pa as usize / PAGE_SIZE]
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
    let pa = {
        let mut zone = ZONE.lock();
        let buddy = zone.as_mut().ok_or(ENOMEM)?;
        if buddy.free_pages() < RESERVE.load(Ordering::Relaxed) {
            return Err(ENOMEM);
        }
        (buddy.alloc(0).ok_or(ENOMEM)? * PAGE_SIZE) as u64
    };
    crate::arch::cpu::clear_page(phys_to_virt(pa));
    page_ref(pa).store(1, Ordering::Release);
    USER_PAGES.fetch_add(1, Ordering::Relaxed);
    Ok(pa)
}

/// Takes another reference to a user page (`get_page`).
pub fn get_page(pa: u64) {
    page_ref(pa).fetch_add(1, Ordering::AcqRel);
}

/// Drops a reference to a user page; the last one frees it (`put_page`).
pub fn put_page(pa: u64) {
    if page_ref(pa).fetch_sub(1, Ordering::AcqRel) == 1 {
        USER_PAGES.fetch_sub(1, Ordering::Relaxed);
        let _ = free_pages(pa, 0);
    }
}

/// References to a user page (`page_count`).
pub fn page_count(pa: u64) -> u32 {
    page_ref(pa).load(Ordering::Acquire)
}

/// User pages in use.
pub static USER_PAGES: AtomicUsize = AtomicUsize::new(0);

/// Allocates 2^order contiguous pages; returns the physical address.
/// Subject to fault injection (`fail_alloc=`).
pub fn alloc_pages(order: usize) -> Result<u64, Errno> {
    if crate::fault_inject::should_fail_alloc(PAGE_SIZE << order) {
        return Err(ENOMEM);
    }
    __alloc_pages(order)
}

/// [`alloc_pages`] without fault injection: for the kernel heap's own
/// growth, whose failure Rust's infallible allocations would turn into a
/// panic rather than an error.
pub fn __alloc_pages(order: usize) -> Result<u64, Errno> {
    let mut zone = ZONE.lock();
    let buddy = zone.as_mut().ok_or(ENOMEM)?;
    buddy
        .alloc(order)
        .map(|pfn| (pfn * PAGE_SIZE) as u64)
        .ok_or(ENOMEM)
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
    let mut zone = ZONE.lock();
    let buddy = zone.as_mut().ok_or(EINVAL)?;
    if !pa.is_multiple_of(PAGE_SIZE as u64) {
        return Err(EINVAL);
    }
    buddy.free(pa as usize / PAGE_SIZE, order).map_err(|e| {
        println!("page_alloc: refused free of {pa:#x} order {order}: {e:?}");
        EINVAL
    })
}

/// Pages currently free.
pub fn nr_free_pages() -> usize {
    ZONE.lock().as_ref().map_or(0, |b| b.free_pages())
}
