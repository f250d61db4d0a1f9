//! Kernel stacks in their own virtual area, with a guard below each
//! (Linux's `CONFIG_VMAP_STACK`).
//!
//! Slot `i` is 32 KiB at `VMAP_STACK_BASE + i * 32 KiB`: the stack is its
//! lower 16 KiB, the upper 16 KiB stays unmapped and guards the next slot.
//! An overflow therefore faults instead of silently corrupting a neighbour,
//! and because a valid stack address always has bit 14 clear, the exception
//! entry recognises an overflowed stack pointer in two instructions and
//! switches to a per-CPU emergency stack to report it.

use super::vmalloc::kernel_pte as pte;
use crate::arch::mmu;
use crate::arch::pgtable::{kernel_pte_sync, mk_kernel_pte};
use crate::errno::{Errno, ENOMEM};
use crate::mm::{page_alloc, PAGE_SIZE};
use crate::sync::IrqSpinLock;
use core::sync::atomic::Ordering;

/// Start of the stack area (the upper half of the TTBR1 space).
pub const VMAP_STACK_BASE: u64 = 0xFFFF_FFC0_0000_0000;
/// Bytes per slot: the stack plus its guard.
pub const SLOT_SIZE: u64 = 0x8000;
/// Bytes of stack in a slot.
pub const STACK_SIZE: u64 = 0x4000;
/// Most kernel stacks at once (256 MiB of address space).
pub const MAX_SLOTS: usize = 8192;

/// One bit per slot. The lowest free slot is always taken, so the page
/// tables behind the area stay the same few pages however many stacks come
/// and go (and the leak checks see no drift).
static SLOTS: IrqSpinLock<[u64; MAX_SLOTS / 64]> = IrqSpinLock::new([0; MAX_SLOTS / 64]);

/// Creates every page table of the stack area up front (512 KiB for 8192
/// slots), so mapping a stack never allocates a table and the number of
/// page-table pages stays constant however many tasks come and go.
pub fn init() -> Result<(), Errno> {
    let end = VMAP_STACK_BASE + MAX_SLOTS as u64 * SLOT_SIZE;
    let mut va = VMAP_STACK_BASE;
    while va < end {
        pte(va)?;
        va += 2 << 20;
    }
    Ok(())
}

/// True if `[addr, addr+len)` lies in the stack area.
pub fn contains(addr: usize, len: usize) -> bool {
    let a = addr as u64;
    a >= VMAP_STACK_BASE
        && a.saturating_add(len as u64) <= VMAP_STACK_BASE + (MAX_SLOTS as u64) * SLOT_SIZE
}

/// The initial stack pointer of the stack holding `addr` (which must be
/// in the area, see [`contains`]).
pub fn stack_top_of(addr: usize) -> usize {
    let slot = (addr as u64 - VMAP_STACK_BASE) / SLOT_SIZE;
    (VMAP_STACK_BASE + slot * SLOT_SIZE + STACK_SIZE) as usize
}

/// True if `addr` is in the unmapped guard part of a slot.
pub fn is_guard(addr: u64) -> bool {
    contains(addr as usize, 1) && (addr - VMAP_STACK_BASE) % SLOT_SIZE >= STACK_SIZE
}

fn alloc_slot() -> Option<usize> {
    let mut s = SLOTS.lock();
    let (w, word) = s.iter_mut().enumerate().find(|(_, w)| **w != u64::MAX)?;
    let bit = word.trailing_ones() as usize;
    *word |= 1 << bit;
    Some(w * 64 + bit)
}

fn free_slot(i: usize) {
    SLOTS.lock()[i / 64] &= !(1 << (i % 64));
}

/// A mapped stack: its slot and the physical block behind it.
#[derive(Debug)]
pub struct VmapStack {
    slot: usize,
    pa: u64,
}

impl VmapStack {
    /// Allocates 16 KiB of stack and maps it in a free slot.
    pub fn alloc() -> Result<VmapStack, Errno> {
        let slot = alloc_slot().ok_or(ENOMEM)?;
        let pa = match page_alloc::alloc_pages(2) {
            Ok(pa) => pa,
            Err(e) => {
                free_slot(slot);
                return Err(e);
            }
        };
        let s = VmapStack { slot, pa };
        for i in 0..(STACK_SIZE / PAGE_SIZE as u64) {
            let va = s.base() + i * PAGE_SIZE as u64;
            let e = pte(va)?;
            e.store(mk_kernel_pte(pa + i * PAGE_SIZE as u64), Ordering::Release);
        }
        // The stack is used as soon as this returns, possibly by this CPU's
        // next instructions.
        kernel_pte_sync();
        Ok(s)
    }

    /// Lowest address of the stack.
    pub fn base(&self) -> u64 {
        VMAP_STACK_BASE + self.slot as u64 * SLOT_SIZE
    }

    /// Initial stack pointer.
    pub fn top(&self) -> u64 {
        self.base() + STACK_SIZE
    }
}

impl Drop for VmapStack {
    fn drop(&mut self) {
        for i in 0..(STACK_SIZE / PAGE_SIZE as u64) {
            let va = self.base() + i * PAGE_SIZE as u64;
            if let Ok(e) = pte(va) {
                e.store(0, Ordering::Release);
            }
            mmu::flush_tlb_kernel_page(va);
        }
        let _ = page_alloc::free_pages(self.pa, 2);
        free_slot(self.slot);
    }
}
