//! The global allocator: a bump allocator on the program break (`brk`).
//!
//! Memory is carved from the top of the heap and the break is raised in
//! 64 KiB steps (fewer system calls) or, when that fails, by exactly what is
//! needed. Freeing the most recent allocation gives its space back, and the
//! most recent allocation can grow in place, so the common push-to-a-`Vec`
//! and temporary-buffer patterns do not leak; other frees are not reused.
//! That is enough for short-lived test and demo programs, and it keeps
//! the behaviour easy to reason about when testing `brk` itself.
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

/// The brk-backed bump allocator.
pub struct BrkAlloc {
    /// First free byte (0: not initialised yet).
    next: AtomicUsize,
    /// The program break as last set: the end of usable memory.
    end: AtomicUsize,
    /// Bytes handed out and not freed (for tests and diagnostics).
    live: AtomicUsize,
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
// and the current break, which only this allocator moves; dealloc only ever
// lowers `next` back to the start of the block that ends at `next`.
unsafe impl GlobalAlloc for BrkAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let next = self.init();
        if next == 0 {
            return core::ptr::null_mut();
        }
        let Some(start) = align_up(next, layout.align()) else {
            return core::ptr::null_mut();
        };
        // Zero-sized requests still get a distinct address.
        let Some(new_next) = start.checked_add(layout.size().max(1)) else {
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
        if start + layout.size().max(1) == self.next.load(Relaxed) {
            self.next.store(start, Relaxed);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let start = ptr as usize;
        // The newest block grows or shrinks in place.
        if start + layout.size().max(1) == self.next.load(Relaxed) {
            let Some(new_next) = start.checked_add(new_size.max(1)) else {
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
        // SAFETY: the caller upholds realloc's contract for alloc's:
        // new_size is non-zero and, rounded to the alignment, fits isize.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: as above.
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks are valid for the smaller size and do not
            // overlap (the new one lies above the old one's end).
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
