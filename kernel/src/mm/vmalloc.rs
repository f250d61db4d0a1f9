//! Virtually contiguous kernel memory (Linux's `mm/vmalloc.c`): buffers
//! bigger than the page allocator's largest block (4 MiB), made of single
//! pages mapped side by side in their own kernel area. The heap hands every
//! allocation over that size here (as `kvmalloc` does), so a decompressed
//! initramfs or a large file is one slice, whatever the buddy allocator's
//! fragmentation.
//!
//! Each area is followed by an unmapped guard page, so running off its
//! end faults instead of reaching the next one.

use crate::arch::mmu::{self, table_at};
use crate::arch::pgtable::{kernel_pte_sync, mk_kernel_pte, mk_table, pte_phys, pte_present};
use crate::errno::{Errno, ENOMEM};
use crate::mm::{page_alloc, PAGE_SIZE};
use crate::sync::IrqSpinLock;
use core::sync::atomic::{AtomicU64, Ordering};

/// Start of the area: 128 GiB into the kernel half, between the linear
/// map and the kernel stacks.
pub const VMALLOC_START: u64 = 0xFFFF_FFA0_0000_0000;
/// Its size: 256 MiB, a quarter of the smallest board's RAM, for any one
/// buffer (its page tables, 516 KiB, are made once at boot).
pub const VMALLOC_SIZE: u64 = 256 << 20;
const PAGES: usize = (VMALLOC_SIZE / PAGE_SIZE as u64) as usize;

/// One bit per page of the area: set when taken (mapped or guard).
static USED: IrqSpinLock<[u64; PAGES / 64]> = IrqSpinLock::new([0; PAGES / 64]);

/// Creates every page table of the area up front, so allocating and
/// freeing never changes how many pages the tables take (free memory
/// after a big buffer is freed is what it was before).
pub fn init() -> Result<(), Errno> {
    let mut va = VMALLOC_START;
    while va < VMALLOC_START + VMALLOC_SIZE {
        kernel_pte(va)?;
        va += 2 << 20;
    }
    Ok(())
}

/// The level-3 entry for kernel address `va`, creating tables on the way
/// (kept afterwards: the areas come and go, their tables stay).
pub(crate) fn kernel_pte(va: u64) -> Result<&'static AtomicU64, Errno> {
    let mut table = mmu::kernel_l1();
    for shift in [30u32, 21] {
        let e = &table_at(table)[((va >> shift) & 511) as usize];
        let d = e.load(Ordering::Acquire);
        table = if pte_present(d) {
            pte_phys(d)
        } else {
            let t = mmu::alloc_table()?;
            // Concurrent mappers may race to create the same table: keep
            // the first and give ours back.
            match e.compare_exchange(0, mk_table(t), Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => t,
                Err(other) => {
                    let _ = page_alloc::free_pages(t, 0);
                    pte_phys(other)
                }
            }
        };
    }
    Ok(&table_at(table)[((va >> 12) & 511) as usize])
}

fn bit(used: &[u64; PAGES / 64], i: usize) -> bool {
    used[i / 64] & (1 << (i % 64)) != 0
}

fn set_bits(used: &mut [u64; PAGES / 64], from: usize, n: usize, on: bool) {
    for i in from..from + n {
        if on {
            used[i / 64] |= 1 << (i % 64);
        } else {
            used[i / 64] &= !(1 << (i % 64));
        }
    }
}

/// Reserves `n` consecutive pages of the area (first fit); returns the
/// first page's index.
fn reserve(n: usize) -> Option<usize> {
    let mut used = USED.lock();
    let mut start = 0;
    while start + n <= PAGES {
        match (start..start + n).find(|&i| bit(&used, i)) {
            None => {
                set_bits(&mut used, start, n, true);
                return Some(start);
            }
            Some(taken) => start = taken + 1,
        }
    }
    None
}

fn page_va(i: usize) -> u64 {
    VMALLOC_START + (i * PAGE_SIZE) as u64
}

/// Maps `size` bytes of fresh pages (not zeroed) and returns their start.
pub fn vmalloc(size: usize) -> Result<*mut u8, Errno> {
    let pages = size.div_ceil(PAGE_SIZE);
    // One more, left unmapped: the guard.
    let first = reserve(pages + 1).ok_or(ENOMEM)?;
    for i in 0..pages {
        let va = page_va(first + i);
        let mapped = kernel_pte(va).and_then(|e| {
            let pa = page_alloc::alloc_pages(0)?;
            e.store(mk_kernel_pte(pa), Ordering::Release);
            Ok(())
        });
        if let Err(e) = mapped {
            unmap(first, i);
            set_bits(&mut USED.lock(), first, pages + 1, false);
            return Err(e);
        }
    }
    // Used as soon as this returns, possibly by this CPU's next load.
    kernel_pte_sync();
    Ok(page_va(first) as *mut u8)
}

/// Unmaps and frees the first `pages` pages from page `first`.
fn unmap(first: usize, pages: usize) {
    for i in first..first + pages {
        let va = page_va(i);
        if let Ok(e) = kernel_pte(va) {
            let d = e.swap(0, Ordering::AcqRel);
            mmu::flush_tlb_kernel_page(va);
            if pte_present(d) {
                let _ = page_alloc::free_pages(pte_phys(d), 0);
            }
        }
    }
}

/// Frees an area [`vmalloc`] returned for `size` bytes.
pub fn vfree(addr: *mut u8, size: usize) {
    let pages = size.div_ceil(PAGE_SIZE);
    let first = ((addr as u64 - VMALLOC_START) / PAGE_SIZE as u64) as usize;
    unmap(first, pages);
    set_bits(&mut USED.lock(), first, pages + 1, false);
}

/// True if `addr` lies in the area.
pub fn is_vmalloc_addr(addr: usize) -> bool {
    (VMALLOC_START..VMALLOC_START + VMALLOC_SIZE).contains(&(addr as u64))
}
