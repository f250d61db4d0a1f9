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
//!
//! Each CPU keeps its own free list per size (SLUB's per-CPU
//! `kmem_cache_cpu` freelist), touched only by that CPU with IRQs masked:
//! the usual allocation and free take no lock. A CPU's list is refilled
//! from the shared one, and gives a batch back when it grows long, under
//! the heap lock.

use super::{page_alloc, phys_to_virt, PAGE_SIZE};
use crate::percpu::{IrqsMasked, NR_CPUS};
use crate::sync::IrqSpinLock;
use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr::{null_mut, NonNull};
use core::sync::atomic::{AtomicIsize, AtomicU16, AtomicUsize, Ordering};
use libkernel::mm::buddy::MAX_ORDER;
use linked_list_allocator::Heap;

const MAX_CHUNKS: usize = 32;

/// Live allocations by size class (bucket n holds sizes in (2^(n-1), 2^n]),
/// so a leak check can say what kind of object leaked.
static LIVE_BY_SIZE: [AtomicUsize; 24] = [const { AtomicUsize::new(0) }; 24];

fn bucket(size: usize) -> usize {
    (usize::BITS - size.max(1).saturating_sub(1).leading_zeros()).min(23) as usize
}

/// Live allocation counts per size class (see `LIVE_BY_SIZE`), the
/// per-CPU caches' shares included.
pub fn live_by_size() -> [usize; 24] {
    core::array::from_fn(|i| {
        let cpus: isize = CPU_CACHES
            .0
            .iter()
            .map(|c| c.stats.live[i].load(Ordering::Relaxed))
            .sum();
        (LIVE_BY_SIZE[i].load(Ordering::Relaxed) as isize + cpus) as usize
    })
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

/// Objects a CPU keeps on one size's list before it gives some back.
const CPU_HIGH: u16 = 64;
/// Objects moved between a CPU's list and the shared one at a time.
const CPU_BATCH: u16 = 16;

/// One CPU's free lists (SLUB's `kmem_cache_cpu`).
struct CpuFree {
    /// Per size class: the first free block (0: none), linked as the
    /// shared lists are.
    free: [usize; CLASSES],
}

/// What other CPUs read of a CPU's cache (the statistics). Only the owning
/// CPU writes, with plain stores: no read-modify-write.
struct CpuStats {
    /// Blocks on each size's list.
    count: [AtomicU16; CLASSES],
    /// This CPU's share of `LIVE_BY_SIZE` (negative when it frees more
    /// than it allocated).
    live: [AtomicIsize; 24],
}

struct CpuCache {
    free: UnsafeCell<CpuFree>,
    stats: CpuStats,
}

struct CpuCaches([CpuCache; NR_CPUS]);

// SAFETY: a CPU touches `free` of its own cache only, with IRQs masked
// (see `this_cpu_cache`), so no two contexts ever use one at a time; the
// statistics are atomics.
unsafe impl Sync for CpuCaches {}

static CPU_CACHES: CpuCaches = CpuCaches(
    [const {
        CpuCache {
            free: UnsafeCell::new(CpuFree { free: [0; CLASSES] }),
            stats: CpuStats {
                count: [const { AtomicU16::new(0) }; CLASSES],
                live: [const { AtomicIsize::new(0) }; 24],
            },
        }
    }; NR_CPUS],
);

/// This CPU's cache. IRQs must be masked from before this call until the
/// last use of what it returns: that keeps the CPU and makes the caller
/// the cache's only user.
#[inline(always)]
#[allow(clippy::mut_from_ref)]
fn this_cpu_cache(irqs: &IrqsMasked) -> (&'static mut CpuFree, &'static CpuStats) {
    let c = &CPU_CACHES.0[irqs.cpu()];
    // SAFETY: see CpuCaches; `IrqsMasked` proves IRQs are off, and it is
    // not Send, so its holder stays on this CPU.
    (unsafe { &mut *c.free.get() }, &c.stats)
}

/// Adds `d` to a counter only this CPU writes.
#[inline(always)]
fn add_own(c: &AtomicIsize, d: isize) {
    c.store(c.load(Ordering::Relaxed) + d, Ordering::Relaxed);
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

impl KernelHeap {
    /// Refills this CPU's list of size class `k` from the shared list, or
    /// carves new blocks when that is empty; returns the list's new head
    /// (0: out of memory).
    #[cold]
    #[inline(never)]
    fn refill(&self, k: usize, cf: &mut CpuFree, st: &CpuStats) -> usize {
        let mut c = self.0.lock();
        let size = MIN_CLASS << k;
        // As many as make up a page, at most a batch.
        let want = (PAGE_SIZE / size).clamp(1, CPU_BATCH as usize);
        let mut got = 0;
        while got < want {
            let head = c.free[k];
            let block = if head != 0 {
                // SAFETY: a block on a free list holds the next block's
                // address in its first word.
                c.free[k] = unsafe { *(head as *const usize) };
                c.cached -= size;
                head
            } else {
                match c.carve(class_layout(k)) {
                    Some(p) => p as usize,
                    None => break,
                }
            };
            // SAFETY: the block is free, at least 16 bytes and 16-aligned.
            unsafe { *(block as *mut usize) = cf.free[k] };
            cf.free[k] = block;
            got += 1;
        }
        let n = st.count[k].load(Ordering::Relaxed) + got as u16;
        st.count[k].store(n, Ordering::Relaxed);
        cf.free[k]
    }

    /// Gives a batch of this CPU's list of size class `k` back to the
    /// shared one.
    #[cold]
    #[inline(never)]
    fn drain(&self, k: usize, cf: &mut CpuFree, st: &CpuStats) {
        let mut c = self.0.lock();
        for _ in 0..CPU_BATCH {
            let block = cf.free[k];
            // SAFETY: as in refill, for both lists.
            unsafe {
                cf.free[k] = *(block as *const usize);
                *(block as *mut usize) = c.free[k];
            }
            c.free[k] = block;
            c.cached += MIN_CLASS << k;
        }
        let n = st.count[k].load(Ordering::Relaxed) - CPU_BATCH;
        st.count[k].store(n, Ordering::Relaxed);
    }

    /// Requests that are not small, nor large: first fit, under the lock.
    #[cold]
    #[inline(never)]
    fn alloc_medium(&self, layout: Layout) -> *mut u8 {
        let mut c = self.0.lock();
        match c.carve(layout) {
            Some(p) => {
                LIVE_BY_SIZE[bucket(layout.size())].fetch_add(1, Ordering::Relaxed);
                p
            }
            None => null_mut(),
        }
    }

    #[cold]
    #[inline(never)]
    fn dealloc_medium(&self, ptr: *mut u8, layout: Layout) {
        let mut c = self.0.lock();
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

impl Chunks {
    /// A block of `layout` from the first chunk with room, growing the
    /// heap when none has.
    fn carve(&mut self, layout: Layout) -> Option<*mut u8> {
        loop {
            let n = self.n;
            for h in &mut self.heaps[..n] {
                if let Ok(p) = h.allocate_first_fit(layout) {
                    return Some(p.as_ptr());
                }
            }
            if layout.size() + layout.align() > CHUNK_SIZE / 2 || !self.grow() {
                return None;
            }
        }
    }
}

// SAFETY: every chunk and the shared lists are only touched under the
// lock, a CPU's lists only by that CPU with IRQs masked; frees go back to
// the chunk whose range holds the pointer, or to a list of their class.
unsafe impl GlobalAlloc for KernelHeap {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= LARGE {
            return alloc_large(layout);
        }
        let Some(k) = class(layout) else {
            return self.alloc_medium(layout);
        };
        let irqs = IrqsMasked::new();
        let (cf, st) = this_cpu_cache(&irqs);
        let mut head = cf.free[k];
        if head == 0 {
            head = self.refill(k, cf, st);
            if head == 0 {
                return null_mut();
            }
        }
        // SAFETY: a block on a free list holds the next block's address in
        // its first word (written by dealloc, refill or drain).
        cf.free[k] = unsafe { *(head as *const usize) };
        st.count[k].store(st.count[k].load(Ordering::Relaxed) - 1, Ordering::Relaxed);
        // Counted by the size asked for, as dealloc counts it.
        add_own(&st.live[bucket(layout.size())], 1);
        head as *mut u8
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if layout.size() >= LARGE {
            free_large(ptr, layout);
            return;
        }
        let Some(k) = class(layout) else {
            self.dealloc_medium(ptr, layout);
            return;
        };
        let irqs = IrqsMasked::new();
        let (cf, st) = this_cpu_cache(&irqs);
        // SAFETY: the block is at least 16 bytes, 16-aligned (its class
        // layout) and no longer in use: its first word links it.
        unsafe { *(ptr as *mut usize) = cf.free[k] };
        cf.free[k] = ptr as usize;
        let n = st.count[k].load(Ordering::Relaxed) + 1;
        st.count[k].store(n, Ordering::Relaxed);
        add_own(&st.live[bucket(layout.size())], -1);
        if n > CPU_HIGH {
            self.drain(k, cf, st);
        }
    }
}

/// Bytes sitting on the CPUs' free lists (read without their owners'
/// help: exact when nothing allocates meanwhile).
fn cpu_cached() -> usize {
    CPU_CACHES
        .0
        .iter()
        .flat_map(|c| c.stats.count.iter().enumerate())
        .map(|(k, n)| n.load(Ordering::Relaxed) as usize * (MIN_CLASS << k))
        .sum()
}

/// Bytes of heap currently allocated.
pub fn heap_used() -> usize {
    let c = HEAP.0.lock();
    c.heaps[..c.n].iter().map(|h| h.used()).sum::<usize>() - c.cached - cpu_cached()
        + LARGE_BYTES.load(Ordering::Relaxed)
}

/// Bytes of heap in all chunks.
pub fn heap_size() -> usize {
    let c = HEAP.0.lock();
    c.heaps[..c.n].iter().map(|h| h.size()).sum()
}
