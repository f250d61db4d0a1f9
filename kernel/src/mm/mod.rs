//! Memory management at boot: RAM discovery, the kernel page tables, the
//! page-frame allocator and the kernel heap.
//!
//! The kernel sees all physical memory through the linear map at
//! [`PAGE_OFFSET`]; [`phys_to_virt`] and [`virt_to_phys`] are the one place
//! that knows it.

pub mod fadvise;
pub mod fault;
pub mod filemap;
pub mod heap;
pub mod memfd;
pub mod page_alloc;
pub mod syscalls;
pub mod uaccess;
pub mod vm;
pub mod vmalloc;
pub mod vmap_stack;

use crate::arch::mmu;
use crate::bsp::Board;
use crate::dtb::{DeviceTree, MAX_REGIONS};
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use libkernel::mm::buddy::PageMeta;
use libkernel::mm::range::{self, Range};

/// Bytes in a page (the layout's, as a `usize` for indexing).
pub const PAGE_SIZE: usize = libkernel::arch::aarch64::memory::PAGE_SIZE as usize;

pub use libkernel::arch::aarch64::memory::PAGE_OFFSET;

static RAM_END: AtomicU64 = AtomicU64::new(0);
static RAM_TOTAL: AtomicU64 = AtomicU64::new(0);

/// What `init` found about RAM.
pub fn ram_info() -> RamInfo {
    RamInfo {
        total_bytes: RAM_TOTAL.load(Ordering::Relaxed),
        end: RAM_END.load(Ordering::Relaxed),
    }
}

/// What `init` found.
#[derive(Clone, Copy, Debug)]
pub struct RamInfo {
    /// Usable RAM in bytes (below the peripherals).
    pub total_bytes: u64,
    /// One past the highest RAM address.
    pub end: u64,
}

extern "C" {
    static __kernel_end: u8;
}

/// Physical end of the kernel image (BSS and boot stacks included).
pub fn kernel_end() -> u64 {
    // SAFETY: only the address of a linker symbol is taken.
    virt_to_phys(unsafe { &__kernel_end as *const u8 as usize })
}

/// The kernel virtual address of physical address `pa`.
#[inline]
pub const fn phys_to_virt(pa: u64) -> usize {
    (pa + PAGE_OFFSET) as usize
}

/// The physical address behind a linear-map (or kernel image) address.
#[inline]
pub const fn virt_to_phys(va: usize) -> u64 {
    va as u64 - PAGE_OFFSET
}

/// True if `[addr, addr+len)` is RAM the kernel maps linearly, or a
/// kernel stack.
pub fn is_kernel_ram(addr: usize, len: usize) -> bool {
    let end = phys_to_virt(RAM_END.load(Ordering::Relaxed));
    let linear = addr >= phys_to_virt(0x1000) && addr.checked_add(len).is_some_and(|e| e <= end);
    linear || vmap_stack::contains(addr, len)
}

/// Discovers RAM, turns the MMU on, and sets up the page allocator and heap.
pub fn init(board: &Board, dt: Option<&DeviceTree>) -> RamInfo {
    let mut regions = [Range::default(); MAX_REGIONS];
    let mut n = 0;
    if let Some(d) = dt {
        for (start, size) in d.memory() {
            let r = Range::new(start, (start + size).min(board.ram_limit()));
            if !r.is_empty() && n < MAX_REGIONS {
                regions[n] = r;
                n += 1;
            }
        }
    }
    if n == 0 {
        regions[0] = Range::new(0, board.default_ram.min(board.ram_limit()));
        n = 1;
    }
    let regions = &regions[..n];
    let total: u64 = regions.iter().map(|r| r.end - r.start).sum();
    let end = regions.iter().map(|r| r.end).max().unwrap_or(0);
    RAM_END.store(end, Ordering::Relaxed);
    RAM_TOTAL.store(total, Ordering::Relaxed);

    // Reserved: low memory (spin table, boot stub) and the image, the DTB,
    // the initramfs; then the page metadata array itself.
    let mut reserved = [Range::default(); 5];
    reserved[0] = Range::new(0, kernel_end());
    if let Some(d) = dt {
        let (s, e) = d.blob_range();
        reserved[1] = Range::new(s, e);
        if let Some((s, e)) = d.initrd() {
            reserved[2] = Range::new(s, e);
        }
    }
    let npages = (end as usize).div_ceil(PAGE_SIZE);
    // mem_map and the page reference counts, together.
    let meta_bytes = npages * core::mem::size_of::<PageMeta>();
    let refs_offset = meta_bytes.next_multiple_of(8);
    let map_bytes = (refs_offset + npages * core::mem::size_of::<AtomicU32>()) as u64;
    // The framebuffer, when the firmware carved it out of what the DTB
    // calls RAM (QEMU does), is the display's, not the allocator's.
    let fb = crate::drivers::video::fb_reserved_range();
    if let Some((s, e)) = fb {
        reserved[4] = Range::new(s, e);
    }
    let map_at = range::find_free(regions[0], &reserved, map_bytes, PAGE_SIZE as u64)
        .expect("no room for the page metadata array");
    reserved[3] = Range::new(map_at, map_at + map_bytes);

    // SAFETY: [map_at, map_at + map_bytes) is RAM that no other reservation
    // covers and that is never handed out; it becomes mem_map for good.
    let mem_map =
        unsafe { core::slice::from_raw_parts_mut(phys_to_virt(map_at) as *mut PageMeta, npages) };
    let refs_va = phys_to_virt(map_at) + refs_offset;
    // SAFETY: the second part of the same reserved range, 8-aligned; zeroed
    // first, and all-zero bits are valid AtomicU32s.
    let refs = unsafe {
        core::ptr::write_bytes(refs_va as *mut u8, 0, npages * 4);
        core::slice::from_raw_parts(refs_va as *const AtomicU32, npages)
    };
    page_alloc::init(mem_map, refs, |add| {
        for &region in regions {
            range::subtract(region, &reserved, |free| {
                let first = (free.start as usize).div_ceil(PAGE_SIZE);
                let last = free.end as usize / PAGE_SIZE;
                if last > first {
                    add(first, last - first);
                }
            });
        }
    });
    let in_ram = |pa: u64| regions.iter().any(|r| r.start <= pa && pa < r.end);
    let in_fb = |pa: u64| fb.is_some_and(|(s, e)| s <= pa && pa < e);
    mmu::init_kernel_tables(|pa| match board.classify(pa, end) {
        _ if in_fb(pa) => Some(mmu::MemType::WriteCombine),
        Some(mmu::MemType::Normal) if !in_ram(pa) => None,
        other => other,
    })
    .expect("no memory for the kernel page tables");
    mmu::install_kernel_tables();
    vmap_stack::init().expect("no memory for the kernel stack area");
    vmalloc::init().expect("no memory for the vmalloc area");
    heap::init();
    RamInfo {
        total_bytes: total,
        end,
    }
}
