//! The page cache (Linux's `struct address_space` and `mm/filemap.c`): a
//! regular file's data held in whole pages, indexed by page number. ramfs
//! lives entirely in it, as Linux's does: there is no backing store, so a
//! page is made (zeroed) when first written or mapped and stays until the
//! file is truncated or freed. A hole (a page never written inside the
//! file's size) reads as zeros.
//!
//! Each cached page holds one reference of its own (`page_alloc::get_page`
//! and `put_page`); a mapping that maps it takes another, so a page a
//! process still maps outlives a truncate. These pages are what
//! `/proc/meminfo` shows as `Cached` and `Shmem` ([`NR_FILE_PAGES`]).

use crate::errno::{Errno, ENOMEM};
use crate::mm::{page_alloc, phys_to_virt, PAGE_SIZE};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};

const PG: u64 = PAGE_SIZE as u64;

/// Pages all page caches hold (Linux's `NR_FILE_PAGES`; every one is a
/// RAM-filesystem page, so also `NR_SHMEM`).
pub static NR_FILE_PAGES: AtomicUsize = AtomicUsize::new(0);

/// A file's data: its size and its pages.
#[derive(Default)]
pub struct AddressSpace {
    /// Bytes in the file (`i_size`).
    size: u64,
    /// Physical page of each page index, 0 for a hole (`i_pages`, an
    /// xarray in Linux). Never longer than the last page present.
    pages: Vec<u64>,
}

impl AddressSpace {
    /// An empty file.
    pub const fn new() -> Self {
        AddressSpace {
            size: 0,
            pages: Vec::new(),
        }
    }

    /// A file holding `data` (the initramfs unpack); `ENOMEM` if the
    /// pages cannot be had.
    pub fn from_bytes(data: &[u8]) -> Result<Self, Errno> {
        let mut a = Self::new();
        a.write_at(0, data)?;
        Ok(a)
    }

    /// Size in bytes (`i_size_read`).
    pub fn len(&self) -> usize {
        self.size as usize
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// Pages held (`mapping->nrpages`).
    pub fn nrpages(&self) -> usize {
        self.pages.iter().filter(|&&p| p != 0).count()
    }

    /// The page at `index` with a reference for the caller, if cached
    /// (`find_get_page`); a hole inside the file gives `None` too.
    pub fn find_get_page(&self, index: u64) -> Option<u64> {
        let pa = *self.pages.get(usize::try_from(index).ok()?)?;
        if pa == 0 {
            return None;
        }
        page_alloc::get_page(pa);
        Some(pa)
    }

    /// The page at `index`, made (zeroed) if absent, without a reference
    /// for the caller (`find_or_create_page` less its `get_page`).
    fn page_or_create(&mut self, index: u64) -> Result<u64, Errno> {
        let i = usize::try_from(index).map_err(|_| ENOMEM)?;
        if let Some(&pa) = self.pages.get(i) {
            if pa != 0 {
                return Ok(pa);
            }
        }
        if self.pages.len() <= i {
            self.pages
                .try_reserve(i + 1 - self.pages.len())
                .map_err(|_| ENOMEM)?;
        }
        let pa = page_alloc::alloc_user_page()?;
        if self.pages.len() <= i {
            self.pages.resize(i + 1, 0);
        }
        self.pages[i] = pa;
        NR_FILE_PAGES.fetch_add(1, Ordering::Relaxed);
        Ok(pa)
    }

    /// The page at `index` with a reference for the caller, made if
    /// absent (`find_or_create_page`, `shmem_fault`): the page a fault
    /// maps. The caller checks `index` is inside the file.
    pub fn find_or_create_page(&mut self, index: u64) -> Result<u64, Errno> {
        let pa = self.page_or_create(index)?;
        page_alloc::get_page(pa);
        Ok(pa)
    }

    /// Copies from `off` into `buf`; returns the bytes read, 0 at or past
    /// the end (`filemap_read`).
    pub fn read_at(&self, off: u64, buf: &mut [u8]) -> usize {
        if off >= self.size {
            return 0;
        }
        let n = buf.len().min((self.size - off) as usize);
        let mut done = 0;
        while done < n {
            let pos = off + done as u64;
            let in_page = (pos % PG) as usize;
            let chunk = (PAGE_SIZE - in_page).min(n - done);
            let dst = &mut buf[done..done + chunk];
            match self.pages.get((pos / PG) as usize) {
                Some(&pa) if pa != 0 => {
                    // SAFETY: a page this cache holds a reference to, in
                    // the linear map; `in_page + chunk <= PAGE_SIZE`.
                    let src = unsafe {
                        core::slice::from_raw_parts(
                            (phys_to_virt(pa) + in_page) as *const u8,
                            chunk,
                        )
                    };
                    dst.copy_from_slice(src);
                }
                _ => dst.fill(0),
            }
            done += chunk;
        }
        n
    }

    /// Copies `buf` in at `off`, growing the file; returns the bytes
    /// written. `ENOMEM` when no page could be had for the first byte
    /// (the caller says `ENOSPC`, as tmpfs does); a short count when one
    /// failed later.
    pub fn write_at(&mut self, off: u64, buf: &[u8]) -> Result<usize, Errno> {
        let mut done = 0;
        while done < buf.len() {
            let pos = off + done as u64;
            let in_page = (pos % PG) as usize;
            let chunk = (PAGE_SIZE - in_page).min(buf.len() - done);
            let pa = match self.page_or_create(pos / PG) {
                Ok(pa) => pa,
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            };
            // SAFETY: as in `read_at`; the cache's own page, written under
            // the inode's lock (mappings of it see the bytes, as on Linux).
            let dst = unsafe {
                core::slice::from_raw_parts_mut((phys_to_virt(pa) + in_page) as *mut u8, chunk)
            };
            dst.copy_from_slice(&buf[done..done + chunk]);
            done += chunk;
        }
        self.size = self.size.max(off + done as u64);
        Ok(done)
    }

    /// Makes the pages of bytes `start..end` that are holes (`fallocate`,
    /// `shmem_fallocate`), and unless `keep_size` grows the size to `end`.
    /// `ENOMEM` when a page cannot be had: the ones made stay (the size
    /// does not change), freed with the file or by a truncation.
    pub fn fallocate(&mut self, start: u64, end: u64, keep_size: bool) -> Result<(), Errno> {
        for index in start / PG..end.div_ceil(PG) {
            self.page_or_create(index)?;
        }
        if !keep_size {
            self.size = self.size.max(end);
        }
        Ok(())
    }

    /// Frees the data of bytes `start..end`, the size unchanged
    /// (`FALLOC_FL_PUNCH_HOLE`, `shmem_undo_range`): whole pages go back,
    /// the partial ones at either edge are zeroed there. Unlike Linux,
    /// which unmaps them first (`unmap_mapping_range`), a shared mapping
    /// that already maps a freed page keeps it (and its data) until
    /// unmapped; the file reads zeros there.
    pub fn punch_hole(&mut self, start: u64, end: u64) {
        let first_whole = start.div_ceil(PG);
        let last_whole = end / PG;
        for (from, to) in [
            (start, end.min(first_whole * PG)),
            (start.max(last_whole * PG), end),
        ] {
            if from >= to {
                continue;
            }
            if let Some(&pa) = self.pages.get((from / PG) as usize) {
                if pa != 0 {
                    let at = (from % PG) as usize;
                    // SAFETY: the cache's own page; `at + (to - from)` stays
                    // inside it (both edges lie in page `from / PG`).
                    unsafe {
                        core::ptr::write_bytes(
                            (phys_to_virt(pa) + at) as *mut u8,
                            0,
                            (to - from) as usize,
                        )
                    };
                }
            }
        }
        for index in first_whole..last_whole {
            if let Some(slot) = self.pages.get_mut(index as usize) {
                let pa = core::mem::replace(slot, 0);
                if pa != 0 {
                    release(pa);
                }
            }
        }
        while self.pages.last() == Some(&0) {
            self.pages.pop();
        }
    }

    /// Sets the size (`truncate_setsize`): growing leaves a hole; shrinking
    /// drops the pages past the end and zeroes the tail of the last one,
    /// so growing again reads zeros (`truncate_inode_pages`).
    pub fn truncate(&mut self, len: u64) {
        if len < self.size {
            let keep = len.div_ceil(PG) as usize;
            if keep < self.pages.len() {
                for &pa in &self.pages[keep..] {
                    release(pa);
                }
                self.pages.truncate(keep);
                while self.pages.last() == Some(&0) {
                    self.pages.pop();
                }
                self.pages.shrink_to_fit();
            }
            if !len.is_multiple_of(PG) {
                if let Some(&pa) = self.pages.get((len / PG) as usize) {
                    if pa != 0 {
                        let at = (len % PG) as usize;
                        // SAFETY: the cache's own page; `at < PAGE_SIZE`.
                        unsafe {
                            core::ptr::write_bytes(
                                (phys_to_virt(pa) + at) as *mut u8,
                                0,
                                PAGE_SIZE - at,
                            )
                        };
                    }
                }
            }
        }
        self.size = len;
    }
}

/// Drops the cache's reference to `pa` (0: a hole).
fn release(pa: u64) {
    if pa != 0 {
        NR_FILE_PAGES.fetch_sub(1, Ordering::Relaxed);
        page_alloc::put_page(pa);
    }
}

impl Drop for AddressSpace {
    /// The inode is freed: its pages go back (`truncate_inode_pages_final`);
    /// a page still mapped lives on until its last mapping goes.
    fn drop(&mut self) {
        for &pa in &self.pages {
            release(pa);
        }
    }
}
