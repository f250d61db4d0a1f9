//! The kernel heap (`alloc`'s global allocator): `linked_list_allocator`
//! heaps over 4 MiB blocks taken from the page allocator, one more block
//! whenever the existing ones cannot satisfy a request.
//!
//! In front of them, small requests (up to 2 KiB, alignment up to 16) are
//! rounded up to a power of two and served from a free list per size (a
//! minimal SLUB: `kmalloc-16` ... `kmalloc-2048`). A first-fit search over
//! the holes costs hundreds of instructions and grows with fragmentation;
//! popping a list costs a few, whatever the history. Freed small blocks
//! stay on their list (they are not counted as used).

use super::{page_alloc, phys_to_virt, PAGE_SIZE};
use crate::sync::IrqSpinLock;
use core::alloc::{GlobalAlloc, Layout};
use core::ptr::{null_mut, NonNull};
use core::sync::atomic::{AtomicUsize, Ordering};
use libkernel::mm::buddy::MAX_ORDER;
use linked_list_allocator::Heap;

const MAX_CHUNKS: usize = 32;

/// Live allocations by size class (bucket n holds sizes in (2^(n-1), 2^n]),
/// so a leak check can say what kind of object leaked.
static LIVE_BY_SIZE: [AtomicUsize; 24] = [const { AtomicUsize::new(0) }; 24];

fn bucket(size: usize) -> usize {
    (usize::BITS - size.max(1).saturating_sub(1).leading_zeros()).min(23) as usize
}

/// Live allocation counts per size class (see `LIVE_BY_SIZE`).
pub fn live_by_size() -> [usize; 24] {
    core::array::from_fn(|i| LIVE_BY_SIZE[i].load(Ordering::Relaxed))
}
const CHUNK_ORDER: usize = MAX_ORDER;
const CHUNK_SIZE: usize = PAGE_SIZE << CHUNK_ORDER;

/// Size classes 16, 32, ..., 2048 bytes.
const CLASSES: usize = 8;
const MIN_CLASS: usize = 16;
const MAX_CLASS: usize = MIN_CLASS << (CLASSES - 1);

struct Chunks {
    heaps: [Heap; MAX_CHUNKS],
    n: usize,
    /// Per size class: the first free block (0: none); each free block
    /// holds the address of the next.
    free: [usize; CLASSES],
    /// Bytes sitting on the free lists.
    cached: usize,
}

/// The size class serving `layout`, if it is small.
fn class(layout: Layout) -> Option<usize> {
    if layout.size() > MAX_CLASS || layout.align() > MIN_CLASS {
        return None;
    }
    let size = layout.size().max(MIN_CLASS).next_power_of_two();
    Some((size.trailing_zeros() - MIN_CLASS.trailing_zeros()) as usize)
}

/// The layout every block of class `c` is carved with.
fn class_layout(c: usize) -> Layout {
    // A power of two between 16 and 2048 with alignment 16 is always valid.
    Layout::from_size_align(MIN_CLASS << c, MIN_CLASS).unwrap_or(Layout::new::<u128>())
}

/// The global allocator.
pub struct KernelHeap(IrqSpinLock<Chunks>);

#[global_allocator]
static HEAP: KernelHeap = KernelHeap(IrqSpinLock::new(Chunks {
    heaps: [const { Heap::empty() }; MAX_CHUNKS],
    n: 0,
    free: [0; CLASSES],
    cached: 0,
}));

impl Chunks {
    fn grow(&mut self) -> bool {
        if self.n == MAX_CHUNKS {
            return false;
        }
        let Ok(pa) = page_alloc::__alloc_pages(CHUNK_ORDER) else {
            return false;
        };
        // SAFETY: the block was just allocated from the page allocator, is
        // mapped, and belongs to this heap chunk from now on.
        unsafe { self.heaps[self.n].init(phys_to_virt(pa) as *mut u8, CHUNK_SIZE) };
        self.n += 1;
        true
    }
}

/// Allocations this big come straight from the page allocator (up to its
/// largest block, 4 MiB), so big buffers never exhaust a heap chunk.
const LARGE: usize = 128 * 1024;

fn large_order(layout: Layout) -> usize {
    layout
        .size()
        .max(layout.align())
        .div_ceil(PAGE_SIZE)
        .next_power_of_two()
        .trailing_zeros() as usize
}

#[cold]
#[inline(never)]
fn alloc_large(layout: Layout) -> *mut u8 {
    let order = large_order(layout);
    if order > MAX_ORDER {
        // Over the largest block: single pages, virtually contiguous.
        if layout.align() > PAGE_SIZE {
            return null_mut();
        }
        return match super::vmalloc::vmalloc(layout.size()) {
            Ok(p) => {
                LARGE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
                LIVE_BY_SIZE[bucket(layout.size())].fetch_add(1, Ordering::Relaxed);
                p
            }
            Err(_) => null_mut(),
        };
    }
    match page_alloc::__alloc_pages(order) {
        Ok(pa) => {
            LARGE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
            LIVE_BY_SIZE[bucket(layout.size())].fetch_add(1, Ordering::Relaxed);
            phys_to_virt(pa) as *mut u8
        }
        Err(_) => null_mut(),
    }
}

#[cold]
#[inline(never)]
fn free_large(ptr: *mut u8, layout: Layout) {
    if super::vmalloc::is_vmalloc_addr(ptr as usize) {
        super::vmalloc::vfree(ptr, layout.size());
    } else {
        let _ = page_alloc::free_pages(crate::mm::virt_to_phys(ptr as usize), large_order(layout));
    }
    LARGE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
    LIVE_BY_SIZE[bucket(layout.size())].fetch_sub(1, Ordering::Relaxed);
}

/// Bytes in large (page-allocator) allocations.
static LARGE_BYTES: AtomicUsize = AtomicUsize::new(0);

/// Takes the first chunk.
pub fn init() {
    HEAP.0.lock().grow();
}

// SAFETY: every chunk is only touched under the lock; frees go back to the
// chunk whose range holds the pointer.
unsafe impl GlobalAlloc for KernelHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= LARGE {
            return alloc_large(layout);
        }
        let class = class(layout);
        let mut c = self.0.lock();
        if let Some(k) = class {
            let head = c.free[k];
            if head != 0 {
                // SAFETY: a block on a free list holds the next block's
                // address in its first word (written by dealloc).
                c.free[k] = unsafe { *(head as *const usize) };
                c.cached -= MIN_CLASS << k;
                LIVE_BY_SIZE[bucket(layout.size())].fetch_add(1, Ordering::Relaxed);
                return head as *mut u8;
            }
        }
        // Counted by the size asked for, as dealloc counts it.
        let asked = layout.size();
        let layout = class.map_or(layout, class_layout);
        loop {
            let n = c.n;
            for h in &mut c.heaps[..n] {
                if let Ok(p) = h.allocate_first_fit(layout) {
                    LIVE_BY_SIZE[bucket(asked)].fetch_add(1, Ordering::Relaxed);
                    return p.as_ptr();
                }
            }
            if layout.size() + layout.align() > CHUNK_SIZE / 2 || !c.grow() {
                return null_mut();
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if layout.size() >= LARGE {
            free_large(ptr, layout);
            return;
        }
        let mut c = self.0.lock();
        if let Some(k) = class(layout) {
            // SAFETY: the block is at least 16 bytes, 16-aligned (its
            // class layout) and no longer in use: its first word links it.
            unsafe { *(ptr as *mut usize) = c.free[k] };
            c.free[k] = ptr as usize;
            c.cached += MIN_CLASS << k;
            LIVE_BY_SIZE[bucket(layout.size())].fetch_sub(1, Ordering::Relaxed);
            return;
        }
        let n = c.n;
        let addr = ptr as usize;
        if let Some(h) = c.heaps[..n]
            .iter_mut()
            .find(|h| (h.bottom() as usize..h.top() as usize).contains(&addr))
        {
            // SAFETY: the pointer came from this chunk's allocate_first_fit
            // with the same layout (GlobalAlloc contract).
            unsafe { h.deallocate(NonNull::new_unchecked(ptr), layout) };
            LIVE_BY_SIZE[bucket(layout.size())].fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// Bytes of heap currently allocated.
pub fn heap_used() -> usize {
    let c = HEAP.0.lock();
    c.heaps[..c.n].iter().map(|h| h.used()).sum::<usize>() - c.cached
        + LARGE_BYTES.load(Ordering::Relaxed)
}

/// Bytes of heap in all chunks.
pub fn heap_size() -> usize {
    let c = HEAP.0.lock();
    c.heaps[..c.n].iter().map(|h| h.size()).sum()
}
