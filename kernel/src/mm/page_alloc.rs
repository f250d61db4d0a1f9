//! The physical page-frame allocator (Linux's `alloc_pages`/`__free_pages`),
//! a buddy allocator over every RAM frame. Exhaustion is an error value,
//! never a panic.

use super::{phys_to_virt, PAGE_SIZE};
use crate::errno::{Errno, EINVAL, ENOMEM};
use crate::sync::IrqSpinLock;
use pikern_core::buddy::{Buddy, PageMeta};

static ZONE: IrqSpinLock<Option<Buddy<'static>>> = IrqSpinLock::new(None);

/// Takes the metadata array and lets `add_ranges` hand over free frames
/// (first frame number, count).
pub fn init(
    mem_map: &'static mut [PageMeta],
    add_ranges: impl FnOnce(&mut dyn FnMut(usize, usize)),
) {
    let mut buddy = Buddy::new(mem_map);
    add_ranges(&mut |first, count| buddy.add_free_range(first, count));
    *ZONE.lock() = Some(buddy);
}

/// Allocates 2^order contiguous pages; returns the physical address.
pub fn alloc_pages(order: usize) -> Result<u64, Errno> {
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
    // SAFETY: the page was just allocated to us and is mapped.
    unsafe { core::ptr::write_bytes(va as *mut u8, 0, PAGE_SIZE) };
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
