//! Page-table entries as the generic memory code sees them (Linux's
//! `arch/arm64/include/asm/pgtable.h`): it builds, tests and changes
//! entries through these functions and never composes descriptor bits
//! itself. An entry is the raw 64-bit descriptor; 0 is "none".

use super::mmu::{
    ADDR_MASK, AF, AP_RO, AP_USER, ATTR_NORMAL, NG, PAGE, PXN, SH_INNER, SW_COW, TABLE, UXN, VALID,
};
use libkernel::uapi::{PROT_EXEC, PROT_READ, PROT_WRITE};

/// The entry mapping user page `pa` with `PROT_*` bits `prot`: normal
/// memory, not global (tagged with the address space's ASID), never
/// executable by the kernel.
#[inline]
pub const fn mk_pte(pa: u64, prot: u32) -> u64 {
    let mut d = pa | VALID | PAGE | ATTR_NORMAL | SH_INNER | AF | NG | PXN;
    // PROT_NONE keeps the page and its contents (mprotect can give access
    // back) but EL0 may not touch it: any access is a permission fault,
    // and the area's protection makes that SIGSEGV.
    if prot & (PROT_READ | PROT_WRITE | PROT_EXEC) != 0 {
        d |= AP_USER;
    }
    if prot & PROT_WRITE == 0 {
        d |= AP_RO;
    }
    if prot & PROT_EXEC == 0 {
        d |= UXN;
    }
    d
}

/// The entry mapping kernel data page `pa` (`PAGE_KERNEL`): global, read
/// and write for the kernel, never executable.
#[inline]
pub const fn mk_kernel_pte(pa: u64) -> u64 {
    pa | VALID | PAGE | ATTR_NORMAL | SH_INNER | AF | PXN | UXN
}

/// The entry pointing at next-level table `pa` (`pmd_populate`).
#[inline]
pub const fn mk_table(pa: u64) -> u64 {
    pa | VALID | TABLE
}

/// Whether the entry maps something (`pte_present`).
#[inline]
pub const fn pte_present(d: u64) -> bool {
    d & VALID != 0
}

/// The physical address the entry maps or points at (`__pte_to_phys`).
#[inline]
pub const fn pte_phys(d: u64) -> u64 {
    d & ADDR_MASK
}

/// Whether user space may write through the entry (`pte_write`).
#[inline]
pub const fn pte_write(d: u64) -> bool {
    d & AP_RO == 0
}

/// Whether the entry is a copy-on-write share (pikern's software bit).
#[inline]
pub const fn pte_cow(d: u64) -> bool {
    d & SW_COW != 0
}

/// The entry made read-only (`pte_wrprotect`).
#[inline]
pub const fn pte_wrprotect(d: u64) -> u64 {
    d | AP_RO
}

/// The entry shared copy-on-write by fork: read-only and marked, so the
/// first write fault copies (a read-only page stays as it is).
#[inline]
pub const fn pte_mkcow(d: u64) -> u64 {
    if pte_write(d) {
        d | AP_RO | SW_COW
    } else {
        d
    }
}

/// The entry for a page several address spaces share read-only (the
/// signal trampoline): marked copy-on-write even when not writable, so an
/// `mprotect` that allows writing gives the writer its own copy instead of
/// letting it change everyone's page.
#[inline]
pub const fn pte_mkshared(d: u64) -> u64 {
    d | AP_RO | SW_COW
}

/// The entry with new protection `prot` (`pte_modify`): same page, and a
/// copy-on-write share stays read-only until its first write.
#[inline]
pub const fn pte_modify(d: u64, prot: u32) -> u64 {
    let nd = (d & SW_COW) | mk_pte(pte_phys(d), prot);
    if pte_cow(d) {
        pte_wrprotect(nd)
    } else {
        nd
    }
}

/// Makes entry stores visible to the table walker before what follows
/// (the `dsb(ishst)` of Linux's `set_pte`); a retried user access then
/// finds the new entry.
#[inline(always)]
pub fn pte_sync() {
    super::barrier::dsb_ishst();
}

/// As [`pte_sync`], and the kernel's own next instructions see new kernel
/// mappings too (`dsb(ishst); isb()` for kernel entries).
#[inline(always)]
pub fn kernel_pte_sync() {
    super::barrier::dsb_ishst_isb();
}
