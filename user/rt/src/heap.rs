//! The global allocator: a bump allocator on the program break (`brk`),
//! with free lists for small blocks.
//!
//! Memory is carved from the top of the heap and the break is raised in
//! 64 KiB steps (fewer system calls) or, when that fails, by exactly what is
//! needed. Freeing the most recent allocation gives its space back, and the
//! most recent allocation can grow in place, so the common push-to-a-`Vec`
//! and temporary-buffer patterns do not leak.
//!
//! Blocks of up to 2 KiB (alignment up to 16) are rounded up to a size
//! class (16, 32, ..., 2048 bytes); such a block freed while not the most
//! recent goes on its class's free list and is handed out again by the
//! next allocation of that class. Larger blocks freed out of order are not
//! reused. So a long-running program whose working set is small blocks
//! (the shell: a few hundred per command line) stays bounded, while the
//! heap remains easy to reason about when testing `brk` itself. Every
//! block starts 16-byte aligned and spans a multiple of 16 bytes.
//!
//! When the kernel refuses to move the break, allocation returns null (the
//! `GlobalAlloc` contract) and `alloc` reports the failure.
//!
//! State is kept in atomics so no `static mut` is needed; the runtime is
//! single-threaded (see the crate documentation), so plain loads and stores
//! are enough: no two allocator calls ever run at the same time.

use crate::sys;
use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// How far the break is raised at least, when it must move.
const GROW_STEP: usize = 64 * 1024;

/// The size classes with free lists.
const CLASSES: [usize; 8] = [16, 32, 64, 128, 256, 512, 1024, 2048];

/// Every block's minimum alignment and size granule.
const GRANULE: usize = 16;

/// The free-list class of a block with `layout`, if it is small enough.
fn class_of(layout: &Layout) -> Option<usize> {
    if layout.align() > GRANULE {
        return None;
    }
    CLASSES.iter().position(|&c| layout.size() <= c)
}

/// Bytes a block with `layout` occupies: its class's size, or its own
/// size rounded up to the granule (zero-sized requests still get a
/// distinct address). `None` on overflow.
fn footprint(layout: &Layout) -> Option<usize> {
    match class_of(layout) {
        Some(i) => Some(CLASSES[i]),
        None => align_up(layout.size().max(1), GRANULE),
    }
}

/// The brk-backed bump allocator.
pub struct BrkAlloc {
    /// First free byte (0: not initialised yet).
    next: AtomicUsize,
    /// The program break as last set: the end of usable memory.
    end: AtomicUsize,
    /// Bytes handed out and not freed (for tests and diagnostics).
    live: AtomicUsize,
    /// Per class, the first free block (0: none); each free block's first
    /// word holds the address of the next.
    free: [AtomicUsize; CLASSES.len()],
}

#[global_allocator]
static HEAP: BrkAlloc = BrkAlloc::new();

fn align_up(v: usize, align: usize) -> Option<usize> {
    Some(v.checked_add(align - 1)? & !(align - 1))
}

impl BrkAlloc {
    /// An allocator that finds the break on first use.
    pub const fn new() -> Self {
        BrkAlloc {
            next: AtomicUsize::new(0),
            end: AtomicUsize::new(0),
            live: AtomicUsize::new(0),
            free: [const { AtomicUsize::new(0) }; CLASSES.len()],
        }
    }

    /// Makes `[.., new_end)` usable by raising the break. False if the
    /// kernel refused.
    fn ensure(&self, new_end: usize) -> bool {
        let end = self.end.load(Relaxed);
        if new_end <= end {
            return true;
        }
        let page_end = match align_up(new_end, 4096) {
            Some(e) => e,
            None => return false,
        };
        let generous = align_up(new_end, GROW_STEP).unwrap_or(page_end);
        for want in [generous, page_end] {
            // SAFETY: raising the break above `end` releases nothing; the
            // heap owns everything from its start to the break.
            let got = unsafe { sys::brk(want) };
            if got >= want && crate::errno::Errno::result(got as isize).is_ok() {
                self.end.store(got, Relaxed);
                return true;
            }
        }
        false
    }

    fn init(&self) -> usize {
        let next = self.next.load(Relaxed);
        if next != 0 {
            return next;
        }
        let brk = sys::brk_current();
        // A kernel without brk returns -ENOSYS: treat that as "no heap".
        if brk == 0 || crate::errno::Errno::result(brk as isize).is_err() {
            return 0;
        }
        self.next.store(brk, Relaxed);
        self.end.store(brk, Relaxed);
        brk
    }

    /// Bytes currently allocated.
    pub fn live_bytes(&self) -> usize {
        self.live.load(Relaxed)
    }

    /// The heap's current top (next free byte) and end (the break).
    pub fn bounds(&self) -> (usize, usize) {
        (self.next.load(Relaxed), self.end.load(Relaxed))
    }
}

impl Default for BrkAlloc {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: alloc hands out non-overlapping blocks of at least layout.size()
// bytes at layout.align() alignment from memory between the initial break
// and the current break, which only this allocator moves: either fresh
// from the top, or a block of the same size class that was freed (and is
// on exactly one free list until then). dealloc either lowers `next` to
// the start of the block that ends at `next`, or puts a small block on its
// class's list; never both, so no block is handed out twice.
unsafe impl GlobalAlloc for BrkAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if let Some(i) = class_of(&layout) {
            let head = self.free[i].load(Relaxed);
            if head != 0 {
                // SAFETY: head is a free block of class i (at least 16
                // bytes, 16-aligned): its first word is the next free one.
                let next_free = unsafe { (head as *const usize).read() };
                self.free[i].store(next_free, Relaxed);
                self.live.fetch_add(layout.size(), Relaxed);
                return head as *mut u8;
            }
        }
        let next = self.init();
        if next == 0 {
            return core::ptr::null_mut();
        }
        let (Some(start), Some(size)) = (
            align_up(next, layout.align().max(GRANULE)),
            footprint(&layout),
        ) else {
            return core::ptr::null_mut();
        };
        let Some(new_next) = start.checked_add(size) else {
            return core::ptr::null_mut();
        };
        if !self.ensure(new_next) {
            return core::ptr::null_mut();
        }
        self.next.store(new_next, Relaxed);
        self.live.fetch_add(layout.size(), Relaxed);
        start as *mut u8
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.live.fetch_sub(layout.size(), Relaxed);
        let start = ptr as usize;
        let size = footprint(&layout).unwrap_or(usize::MAX);
        if start.checked_add(size) == Some(self.next.load(Relaxed)) {
            self.next.store(start, Relaxed);
        } else if let Some(i) = class_of(&layout) {
            // SAFETY: the block is ours, at least 16 bytes and 16-aligned,
            // and no longer used: its first word can link the list.
            unsafe { (start as *mut usize).write(self.free[i].load(Relaxed)) };
            self.free[i].store(start, Relaxed);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller upholds realloc's contract for alloc's:
        // new_size is non-zero and, rounded to the alignment, fits isize.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        let start = ptr as usize;
        // Still fits its size class: nothing to move.
        if class_of(&layout).is_some() && class_of(&layout) == class_of(&new_layout) {
            self.live.fetch_sub(layout.size(), Relaxed);
            self.live.fetch_add(new_size, Relaxed);
            return ptr;
        }
        // The newest block grows or shrinks in place, unless a freed block
        // of the new size is waiting: moving there keeps the lists in use
        // (a string growing 16 -> 32 -> 64 ... in place would never take
        // one) and gives the old space back to the top.
        let (Some(old_size), Some(new_fp)) = (footprint(&layout), footprint(&new_layout)) else {
            return core::ptr::null_mut();
        };
        let listed = class_of(&new_layout).is_some_and(|i| self.free[i].load(Relaxed) != 0);
        if !listed && start + old_size == self.next.load(Relaxed) {
            let Some(new_next) = start.checked_add(new_fp) else {
                return core::ptr::null_mut();
            };
            if self.ensure(new_next) {
                self.next.store(new_next, Relaxed);
                self.live.fetch_sub(layout.size(), Relaxed);
                self.live.fetch_add(new_size, Relaxed);
                return ptr;
            }
            return core::ptr::null_mut();
        }
        // SAFETY: as above.
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks are valid for the smaller size and do not
            // overlap (the new one is a different live block).
            unsafe { core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size)) };
            // SAFETY: ptr was allocated with layout and is no longer used.
            unsafe { self.dealloc(ptr, layout) };
        }
        new
    }
}

/// Bytes the program currently has allocated.
pub fn live_bytes() -> usize {
    HEAP.live_bytes()
}

/// The heap's top (next free byte) and end (the program break it set).
pub fn bounds() -> (usize, usize) {
    HEAP.bounds()
}
