//! The kernel's page tables (TTBR1, the upper half).
//!
//! `boot/start.S` runs the kernel on early tables (2 MiB blocks, the low
//! 4 GiB mapped both at its physical address and at `PAGE_OFFSET`). Once
//! the page allocator works, [`init_kernel_tables`] builds the final ones:
//! the linear map of RAM at `PAGE_OFFSET` (read-write, never executable),
//! the kernel image in 4 KiB pages with W^X (text read-only+executable,
//! rodata read-only, data/bss/stacks read-write), and the peripherals as
//! device memory. TTBR0 then belongs to user space: an empty table for
//! kernel threads, a process's own tables otherwise.
//!
//! Spin locks are built on exclusive loads/stores, which real Cortex-A53/A72
//! cores only guarantee on normal cacheable memory, so every core runs with
//! the MMU on before it touches a shared lock.

use crate::mm::{page_alloc, phys_to_virt, PAGE_OFFSET, PAGE_SIZE};
use aarch64_cpu::asm::barrier;
use aarch64_cpu::registers::*;
use core::sync::atomic::{AtomicU64, Ordering};

/// Entries in one table.
pub const ENTRIES: usize = 512;
const BLOCK_2M: u64 = 2 << 20;

// Descriptor bits (stage 1, 4 KiB granule).
/// Valid entry.
pub const VALID: u64 = 1;
/// Table (levels 1-2) or page (level 3) descriptor.
pub const TABLE: u64 = 1 << 1;
/// Page descriptor at level 3 (same bit as TABLE).
pub const PAGE: u64 = 1 << 1;
/// MAIR index 0: device nGnRE.
pub const ATTR_DEVICE: u64 = 0 << 2;
/// MAIR index 1: normal write-back.
pub const ATTR_NORMAL: u64 = 1 << 2;
/// MAIR index 2: normal non-cacheable (write-combining).
pub const ATTR_NORMAL_NC: u64 = 2 << 2;
/// AP[1]: accessible from EL0.
pub const AP_USER: u64 = 1 << 6;
/// AP[2]: read-only.
pub const AP_RO: u64 = 1 << 7;
/// Inner shareable.
pub const SH_INNER: u64 = 3 << 8;
/// Access flag (set: no access-flag faults).
pub const AF: u64 = 1 << 10;
/// Not global: tagged with the ASID.
pub const NG: u64 = 1 << 11;
/// Never executable at EL1.
pub const PXN: u64 = 1 << 53;
/// Never executable at EL0.
pub const UXN: u64 = 1 << 54;
/// Software bit: copy-on-write page (a write copies it).
pub const SW_COW: u64 = 1 << 55;
/// Output address bits of a descriptor.
pub const ADDR_MASK: u64 = 0x0000_ffff_ffff_f000;

/// Physical address of the kernel's level-1 table (TTBR1).
static KERNEL_L1: AtomicU64 = AtomicU64::new(0);
/// Physical address of the empty user table kernel threads run with.
static EMPTY_L1: AtomicU64 = AtomicU64::new(0);

extern "C" {
    static __kernel_start: u8;
    static __text_end: u8;
    static __rodata_end: u8;
    static __kernel_end: u8;
}

fn sym(s: &u8) -> u64 {
    s as *const u8 as u64
}

/// A page-table page seen through the linear map.
pub fn table_at(pa: u64) -> &'static [AtomicU64; ENTRIES] {
    // SAFETY: `pa` is a page-table page owned by the page-table code, mapped
    // in the linear map; entries are only accessed atomically.
    unsafe { &*(phys_to_virt(pa) as *const [AtomicU64; ENTRIES]) }
}

/// A new zeroed page-table page (physical address).
pub fn alloc_table() -> Result<u64, crate::errno::Errno> {
    let va = page_alloc::get_zeroed_page()?;
    Ok(crate::mm::virt_to_phys(va))
}

/// How the kernel maps a physical range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemType {
    /// RAM: normal write-back cacheable.
    Normal,
    /// Peripheral registers: device nGnRE, never executable.
    Device,
    /// A framebuffer: normal non-cacheable (MAIR index 2), so writes
    /// combine and reach the display without cache maintenance.
    WriteCombine,
}

/// Builds the final kernel tables. `classify(pa)` says what each 2 MiB
/// block of the low 4 GiB is (`None` leaves it unmapped).
pub fn init_kernel_tables(
    classify: impl Fn(u64) -> Option<MemType>,
) -> Result<(), crate::errno::Errno> {
    let l1 = alloc_table()?;
    // SAFETY: only addresses of linker symbols are taken.
    let (kstart, text_end, ro_end, kend) = unsafe {
        (
            sym(&__kernel_start) - PAGE_OFFSET,
            sym(&__text_end) - PAGE_OFFSET,
            sym(&__rodata_end) - PAGE_OFFSET,
            sym(&__kernel_end) - PAGE_OFFSET,
        )
    };
    let image_block_end = kend.div_ceil(BLOCK_2M) * BLOCK_2M;
    for gib in 0..4u64 {
        let l2 = alloc_table()?;
        for i in 0..ENTRIES as u64 {
            let pa = (gib << 30) | (i * BLOCK_2M);
            let desc = if pa < image_block_end {
                // The blocks holding the image get 4 KiB pages for W^X.
                let l3 = alloc_table()?;
                for j in 0..ENTRIES as u64 {
                    let p = pa + j * PAGE_SIZE as u64;
                    let attrs = if p >= kstart && p < text_end {
                        AP_RO // kernel text: read-only, executable
                    } else if p >= text_end && p < ro_end {
                        AP_RO | PXN // rodata
                    } else {
                        PXN // data, bss, stacks, the rest of RAM
                    };
                    table_at(l3)[j as usize].store(
                        p | VALID | PAGE | ATTR_NORMAL | SH_INNER | AF | UXN | attrs,
                        Ordering::Relaxed,
                    );
                }
                l3 | VALID | TABLE
            } else {
                match classify(pa) {
                    Some(MemType::Normal) => pa | VALID | ATTR_NORMAL | SH_INNER | AF | UXN | PXN,
                    Some(MemType::Device) => pa | VALID | ATTR_DEVICE | AF | UXN | PXN,
                    Some(MemType::WriteCombine) => {
                        pa | VALID | ATTR_NORMAL_NC | SH_INNER | AF | UXN | PXN
                    }
                    None => 0,
                }
            };
            table_at(l2)[i as usize].store(desc, Ordering::Relaxed);
        }
        table_at(l1)[gib as usize].store(l2 | VALID | TABLE, Ordering::Relaxed);
    }
    KERNEL_L1.store(l1, Ordering::Release);
    EMPTY_L1.store(alloc_table()?, Ordering::Release);
    Ok(())
}

/// Switches this CPU from the early tables to the final ones: TTBR1 = the
/// kernel's, TTBR0 = empty (the identity map is gone).
pub fn install_kernel_tables() {
    barrier::dsb(barrier::ISHST);
    TTBR1_EL1.set(KERNEL_L1.load(Ordering::Acquire));
    TTBR0_EL1.set(EMPTY_L1.load(Ordering::Acquire));
    barrier::isb(barrier::SY);
    // SAFETY: drops stale translations of the early tables on this CPU.
    unsafe { core::arch::asm!("tlbi vmalle1", "dsb nsh", "isb", options(nostack)) };
}

/// Physical address of the empty user table (for kernel threads).
pub fn empty_user_table() -> u64 {
    EMPTY_L1.load(Ordering::Relaxed)
}

/// Points TTBR0 at a user address space (`asid` tags its TLB entries).
pub fn switch_user_table(l1_pa: u64, asid: u16) {
    TTBR0_EL1.set(l1_pa | ((asid as u64) << 48));
    barrier::isb(barrier::SY);
}

/// Loads a TTBR0 value (table | ASID << 48).
pub fn set_ttbr0(v: u64) {
    TTBR0_EL1.set(v);
    barrier::isb(barrier::SY);
}

/// Invalidates one user page's translation on every CPU.
pub fn flush_tlb_page(asid: u16, va: u64) {
    let arg = ((asid as u64) << 48) | ((va >> 12) & 0xfff_ffff_ffff);
    // SAFETY: TLB maintenance only.
    unsafe {
        core::arch::asm!("dsb ishst", "tlbi vae1is, {}", "dsb ish", "isb", in(reg) arg, options(nostack))
    };
}

/// Invalidates every translation tagged with `asid` on every CPU.
pub fn flush_tlb_asid(asid: u16) {
    let arg = (asid as u64) << 48;
    // SAFETY: TLB maintenance only.
    unsafe {
        core::arch::asm!("dsb ishst", "tlbi aside1is, {}", "dsb ish", "isb", in(reg) arg, options(nostack))
    };
}

/// Invalidates a kernel (global) page's translation on every CPU.
pub fn flush_tlb_kernel_page(va: u64) {
    let arg = (va >> 12) & 0xfff_ffff_ffff;
    // SAFETY: TLB maintenance only.
    unsafe {
        core::arch::asm!("dsb ishst", "tlbi vaae1is, {}", "dsb ish", "isb", in(reg) arg, options(nostack))
    };
}

/// The kernel's level-1 table (for mapping kernel stacks).
pub fn kernel_l1() -> u64 {
    KERNEL_L1.load(Ordering::Relaxed)
}
