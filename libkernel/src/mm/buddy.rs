//! The buddy allocator behind the physical page-frame allocator.
//!
//! Linux's `mm/page_alloc.c` keeps free memory in power-of-two blocks, one
//! free list per order; freeing a block merges it with its "buddy" (the
//! neighbour that differs in bit `order` of its frame number) while both are
//! free. This module holds that policy over page *indices*: it never touches
//! the memory it manages, only a metadata array (Linux's `mem_map`, one
//! [`PageMeta`] per frame), so it runs unchanged on the host under test.

/// Largest block order: 2^10 pages = 4 MiB, Linux's `MAX_ORDER - 1`.
pub const MAX_ORDER: usize = 10;

const NIL: u32 = u32::MAX;

/// Per-frame metadata, the part of Linux's `struct page` the buddy needs.
#[derive(Clone, Copy, Debug)]
pub struct PageMeta {
    next: u32,
    prev: u32,
    /// Order of the free block this frame heads (valid when `free`), or of
    /// the allocated block it heads (valid when `allocated`).
    order: u8,
    /// This frame heads a free block on a free list.
    free: bool,
    /// This frame heads a block `alloc` handed out and `free` has not taken
    /// back: what makes the double-free check one load instead of a look at
    /// every larger block that could contain the frame.
    allocated: bool,
}

impl PageMeta {
    /// Metadata for a frame that is not (yet) free memory.
    pub const RESERVED: PageMeta = PageMeta {
        next: NIL,
        prev: NIL,
        order: 0,
        free: false,
        allocated: false,
    };
}

/// Why a free was refused: the caller handed back something it did not own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FreeError {
    /// Index outside the managed range, or not aligned to the order.
    BadBlock,
    /// The block (or its head) is already free.
    DoubleFree,
}

/// Free lists over a metadata array; indices are frame numbers relative to
/// the first managed frame.
pub struct Buddy<'a> {
    pages: &'a mut [PageMeta],
    heads: [u32; MAX_ORDER + 1],
    free_pages: usize,
    /// Recently freed single frames, handed out again first (Linux's
    /// per-CPU `pcp` lists, here under the zone's lock): a freed frame is
    /// not merged up through every order only to be split down again by
    /// the next `alloc(0)`. They count as free; they are merged back when
    /// a larger block cannot be found otherwise.
    hot: [u32; HOT_MAX],
    hot_len: usize,
}

/// Frames the hot list holds at most.
const HOT_MAX: usize = 32;

impl<'a> Buddy<'a> {
    /// Takes the metadata array; every frame starts reserved.
    pub fn new(pages: &'a mut [PageMeta]) -> Self {
        assert!(
            pages.len() < NIL as usize,
            "too many frames for u32 indices"
        );
        pages.fill(PageMeta::RESERVED);
        Buddy {
            pages,
            heads: [NIL; MAX_ORDER + 1],
            free_pages: 0,
            hot: [NIL; HOT_MAX],
            hot_len: 0,
        }
    }

    /// Number of frames managed.
    pub fn len(&self) -> usize {
        self.pages.len()
    }

    /// True if no frame is managed.
    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }

    /// Frames currently free.
    pub fn free_pages(&self) -> usize {
        self.free_pages
    }

    /// Gives frames `[start, start + count)` to the allocator (boot time),
    /// in the largest aligned blocks that fit.
    pub fn add_free_range(&mut self, start: usize, count: usize) {
        let end = (start + count).min(self.pages.len());
        let mut idx = start;
        while idx < end {
            let mut order = MAX_ORDER;
            while order > 0 && (!idx.is_multiple_of(1 << order) || idx + (1 << order) > end) {
                order -= 1;
            }
            // Merged like any freed block, so neighbours given separately
            // still merge; a frame given twice is skipped (boot only: the
            // slow check is fine here).
            if !self.pages[idx].free && !self.inside_free_block(idx) {
                self.free_pages += 1 << order;
                self.free_block(idx, order);
            }
            idx += 1 << order;
        }
    }

    /// Allocates a block of 2^order frames; returns its first index.
    pub fn alloc(&mut self, order: usize) -> Option<usize> {
        if order > MAX_ORDER {
            return None;
        }
        if order == 0 && self.hot_len > 0 {
            self.hot_len -= 1;
            let idx = self.hot[self.hot_len] as usize;
            self.free_pages -= 1;
            self.pages[idx].allocated = true;
            self.pages[idx].order = 0;
            return Some(idx);
        }
        let found = match (order..=MAX_ORDER).find(|&o| self.heads[o] != NIL) {
            Some(o) => o,
            None if self.hot_len > 0 => {
                // The hot frames may merge into what is asked for.
                self.drain_hot();
                (order..=MAX_ORDER).find(|&o| self.heads[o] != NIL)?
            }
            None => return None,
        };
        let idx = self.heads[found] as usize;
        self.unlink(idx, found);
        // Split down, returning upper halves to the lower free lists.
        let mut o = found;
        while o > order {
            o -= 1;
            self.push(idx + (1 << o), o);
        }
        self.free_pages -= 1 << order;
        self.pages[idx].allocated = true;
        self.pages[idx].order = order as u8;
        Some(idx)
    }

    /// Returns a block allocated with `alloc(order)`, merging with free buddies.
    pub fn free(&mut self, idx: usize, order: usize) -> Result<(), FreeError> {
        if order > MAX_ORDER
            || !idx.is_multiple_of(1 << order)
            || idx + (1 << order) > self.pages.len()
        {
            return Err(FreeError::BadBlock);
        }
        // Only a block alloc handed out, at the order it was asked for, may
        // come back: anything else is free already (or inside a free
        // block), part of another block, or never was the allocator's.
        let m = self.pages[idx];
        if !m.allocated {
            return Err(FreeError::DoubleFree);
        }
        if m.order as usize != order {
            return Err(FreeError::BadBlock);
        }
        self.pages[idx] = PageMeta::RESERVED;
        self.free_pages += 1 << order;
        if order == 0 && self.hot_len < HOT_MAX {
            // Not marked allocated any more, so a second free is refused
            // while it waits here too.
            self.hot[self.hot_len] = idx as u32;
            self.hot_len += 1;
            return Ok(());
        }
        self.free_block(idx, order);
        Ok(())
    }

    /// Merges the hot frames back into the free lists.
    fn drain_hot(&mut self) {
        while self.hot_len > 0 {
            self.hot_len -= 1;
            let idx = self.hot[self.hot_len] as usize;
            self.free_block(idx, 0);
        }
    }

    /// Puts a block back, merging it with free buddies.
    fn free_block(&mut self, idx: usize, order: usize) {
        let mut idx = idx;
        let mut order = order;
        while order < MAX_ORDER {
            let buddy = idx ^ (1 << order);
            if buddy + (1 << order) > self.pages.len() {
                break;
            }
            let b = self.pages[buddy];
            if !b.free || b.order as usize != order {
                break;
            }
            self.unlink(buddy, order);
            idx = idx.min(buddy);
            order += 1;
        }
        self.push(idx, order);
    }

    /// True if `idx` lies inside (not at the head of) a larger free block.
    fn inside_free_block(&self, idx: usize) -> bool {
        (1..=MAX_ORDER).any(|o| {
            let head = idx & !((1 << o) - 1);
            head != idx && self.pages[head].free && self.pages[head].order as usize >= o
        })
    }

    fn push(&mut self, idx: usize, order: usize) {
        let old = self.heads[order];
        self.pages[idx] = PageMeta {
            next: old,
            prev: NIL,
            order: order as u8,
            free: true,
            allocated: false,
        };
        if old != NIL {
            self.pages[old as usize].prev = idx as u32;
        }
        self.heads[order] = idx as u32;
    }

    fn unlink(&mut self, idx: usize, order: usize) {
        let PageMeta { next, prev, .. } = self.pages[idx];
        if prev == NIL {
            self.heads[order] = next;
        } else {
            self.pages[prev as usize].next = next;
        }
        if next != NIL {
            self.pages[next as usize].prev = prev;
        }
        self.pages[idx] = PageMeta::RESERVED;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_buddy(n: usize, f: impl FnOnce(&mut Buddy)) {
        let mut meta = vec![PageMeta::RESERVED; n];
        let mut b = Buddy::new(&mut meta);
        f(&mut b);
    }

    #[test]
    fn alloc_until_exhausted_then_none() {
        with_buddy(64, |b| {
            b.add_free_range(0, 64);
            assert_eq!(b.free_pages(), 64);
            let mut got = Vec::new();
            while let Some(i) = b.alloc(0) {
                got.push(i);
            }
            assert_eq!(got.len(), 64);
            got.sort();
            got.dedup();
            assert_eq!(got.len(), 64, "no frame handed out twice");
            assert_eq!(b.alloc(0), None);
            for i in got {
                b.free(i, 0).unwrap();
            }
            assert_eq!(b.free_pages(), 64);
            // Everything merged back: a 64-frame block is available again.
            assert!(b.alloc(6).is_some());
        });
    }

    #[test]
    fn blocks_are_aligned_and_split() {
        with_buddy(1 << 11, |b| {
            b.add_free_range(0, 1 << 11);
            let a = b.alloc(3).unwrap();
            assert_eq!(a % 8, 0);
            let c = b.alloc(0).unwrap();
            assert!(c < a || c >= a + 8);
            b.free(a, 3).unwrap();
            b.free(c, 0).unwrap();
            assert_eq!(b.free_pages(), 1 << 11);
            assert!(b.alloc(MAX_ORDER).is_some());
            assert!(b.alloc(MAX_ORDER).is_some());
            assert!(b.alloc(MAX_ORDER).is_none());
            assert!(b.alloc(MAX_ORDER + 1).is_none());
        });
    }

    #[test]
    fn unaligned_ranges_and_holes() {
        with_buddy(100, |b| {
            b.add_free_range(3, 40);
            b.add_free_range(60, 30);
            assert_eq!(b.free_pages(), 70);
            let mut n = 0;
            while let Some(i) = b.alloc(0) {
                assert!((3..43).contains(&i) || (60..90).contains(&i), "{i}");
                n += 1;
            }
            assert_eq!(n, 70);
        });
    }

    #[test]
    fn freed_frames_come_back_first_and_merge_when_needed() {
        with_buddy(64, |b| {
            b.add_free_range(0, 64);
            let got: Vec<usize> = (0..20).map(|_| b.alloc(0).unwrap()).collect();
            for &i in &got {
                b.free(i, 0).unwrap();
            }
            assert_eq!(b.free_pages(), 64);
            // The last frame freed is the first handed out again.
            assert_eq!(b.alloc(0), Some(got[19]));
            b.free(got[19], 0).unwrap();
            // A block larger than any on the lists drains the hot frames.
            assert_eq!(b.alloc(6), Some(0));
            assert_eq!(b.free_pages(), 0);
            assert_eq!(b.alloc(0), None);
            b.free(0, 6).unwrap();
            assert_eq!(b.free_pages(), 64);
        });
    }

    #[test]
    fn double_and_bad_frees_are_refused() {
        with_buddy(32, |b| {
            b.add_free_range(0, 32);
            let a = b.alloc(2).unwrap();
            assert_eq!(b.free(a + 1, 2), Err(FreeError::BadBlock));
            assert_eq!(b.free(64, 0), Err(FreeError::BadBlock));
            b.free(a, 2).unwrap();
            assert_eq!(b.free(a, 2), Err(FreeError::DoubleFree));
            assert_eq!(b.free(a + 1, 0), Err(FreeError::DoubleFree));
            assert_eq!(b.free_pages(), 32);
            // A part of an allocated block, or the block at another order,
            // is refused too; the block itself still comes back.
            let c = b.alloc(2).unwrap();
            assert_eq!(b.free(c + 1, 0), Err(FreeError::DoubleFree));
            assert_eq!(b.free(c, 1), Err(FreeError::BadBlock));
            b.free(c, 2).unwrap();
            assert_eq!(b.free(c, 2), Err(FreeError::DoubleFree));
            // Freed into a lower buddy (its head metadata not rewritten by
            // the merge): a second free is still caught.
            let x = b.alloc(0).unwrap();
            let y = b.alloc(0).unwrap();
            b.free(x.min(y), 0).unwrap();
            b.free(x.max(y), 0).unwrap();
            assert_eq!(b.free(x.max(y), 0), Err(FreeError::DoubleFree));
            assert_eq!(b.free_pages(), 32);
            // Everything merges back: the whole range is one block again.
            assert_eq!(b.alloc(5), Some(0));
            assert_eq!(b.alloc(0), None);
            b.free(0, 5).unwrap();
        });
    }
}
