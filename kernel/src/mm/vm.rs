//! Process address spaces (Linux's `mm_struct`, `vm_area_struct` and
//! `mm/memory.c`): a level-1 table in TTBR0 tagged with an ASID, the list
//! of areas (VMAs) a process may touch, pages allocated on first touch,
//! copy-on-write sharing after fork, and a teardown that returns every page.
//!
//! Page tables are 3 levels of 4 KiB pages for a 39-bit user space. Every
//! entry is an atomic; changes happen under the `mm`'s lock.

use crate::arch::mmu::{self, table_at};
use crate::arch::pgtable::{
    mk_pte, mk_table, pte_cow, pte_mkcow, pte_mkshared, pte_modify, pte_phys, pte_present,
    pte_sync, pte_write,
};
use crate::errno::{Errno, EFAULT, EINVAL, ENOMEM};
use crate::mm::{page_alloc, phys_to_virt, PAGE_SIZE};
use crate::sync::IrqSpinLock;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

pub use libkernel::arch::aarch64::memory::{MMAP_BASE, STACK_TOP, USER_VA_END};
/// Largest stack.
pub const STACK_MAX: u64 = 8 << 20;
/// Most bytes one process may map (a bound on what user input can make the
/// kernel allocate).
pub const MAX_MAPPED: u64 = 512 << 20;

pub use libkernel::uapi::{PROT_EXEC, PROT_READ, PROT_WRITE};

const PG: u64 = PAGE_SIZE as u64;

/// Page-table pages in use by all address spaces.
pub static PT_PAGES: AtomicUsize = AtomicUsize::new(0);

/// What kind of access faulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// A load.
    Read,
    /// A store.
    Write,
    /// An instruction fetch.
    Exec,
}

/// One area of the address space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vma {
    /// First address (page aligned).
    pub start: u64,
    /// One past the end (page aligned).
    pub end: u64,
    /// `PROT_*`.
    pub prot: u32,
}

impl Vma {
    /// Does the area's protection allow `access` (reading is allowed by
    /// any of read, write and execute, as the MMU cannot tell them apart)?
    pub fn allows(&self, access: Access) -> bool {
        match access {
            Access::Read => self.prot & (PROT_READ | PROT_WRITE | PROT_EXEC) != 0,
            Access::Write => self.prot & PROT_WRITE != 0,
            Access::Exec => self.prot & PROT_EXEC != 0,
        }
    }
}

/// The mutable part of an address space.
pub struct MmInner {
    /// Areas by start address; they never overlap.
    pub vmas: BTreeMap<u64, Vma>,
    /// Start of the heap (`brk` area).
    pub start_brk: u64,
    /// Current break.
    pub brk: u64,
    /// Bytes mapped in all areas.
    pub mapped: u64,
    /// The arguments `execve` was given, each ending in a NUL, at most a
    /// page (`/proc/PID/cmdline`; Linux reads them from the stack between
    /// `arg_start` and `arg_end`, this is a copy made at exec).
    pub cmdline: alloc::vec::Vec<u8>,
    /// The executable's absolute path (`mm->exe_file`, what
    /// `/proc/PID/exe` links to): for a script, its interpreter.
    pub exe_path: alloc::string::String,
}

/// An address space.
pub struct MmStruct {
    pgd: u64,
    asid: u16,
    /// Areas and heap, under the lock that also guards the page tables.
    pub inner: IrqSpinLock<MmInner>,
    /// The lowest page ever faulted in the stack region (`STACK_TOP -
    /// STACK_MAX` up to `STACK_TOP`): the stack area spans 8 MiB, but a
    /// process touches its top few pages, and fork and exit walk only from
    /// here up (Linux gets the same from a stack VMA that grows down).
    stack_low: AtomicU64,
    /// Every level-2 and level-3 table of this space, so teardown frees
    /// them without scanning the tables above (Linux frees them during
    /// its per-VMA walk; here areas may have been unmapped since).
    tables: IrqSpinLock<alloc::vec::Vec<u64>>,
}

/// 16-bit ASIDs, one bit each; ASID 0 is the kernel threads' empty table.
static ASIDS: IrqSpinLock<[u64; 1024]> = IrqSpinLock::new([0; 1024]);

fn alloc_asid() -> Result<u16, Errno> {
    let mut a = ASIDS.lock();
    a[0] |= 1;
    let (w, word) = a
        .iter_mut()
        .enumerate()
        .find(|(_, w)| **w != u64::MAX)
        .ok_or(ENOMEM)?;
    let bit = word.trailing_ones() as usize;
    *word |= 1 << bit;
    Ok((w * 64 + bit) as u16)
}

fn free_asid(asid: u16) {
    // Stale translations must go before the number is reused.
    mmu::flush_tlb_asid(asid);
    ASIDS.lock()[asid as usize / 64] &= !(1 << (asid % 64));
}

fn new_table() -> Result<u64, Errno> {
    let t = mmu::alloc_table()?;
    PT_PAGES.fetch_add(1, Ordering::Relaxed);
    Ok(t)
}

fn free_table(pa: u64) {
    PT_PAGES.fetch_sub(1, Ordering::Relaxed);
    let _ = page_alloc::free_pages(pa, 0);
}

fn page_floor(a: u64) -> u64 {
    a & !(PG - 1)
}

fn page_ceil(a: u64) -> Option<u64> {
    a.checked_add(PG - 1).map(page_floor)
}

impl MmStruct {
    /// An empty address space.
    pub fn new() -> Result<Arc<MmStruct>, Errno> {
        // Linux's mm_alloc takes an mm_struct from its slab cache.
        if crate::fault_inject::should_fail_alloc(core::mem::size_of::<MmStruct>()) {
            return Err(ENOMEM);
        }
        let asid = alloc_asid()?;
        let pgd = match new_table() {
            Ok(p) => p,
            Err(e) => {
                free_asid(asid);
                return Err(e);
            }
        };
        Ok(Arc::new(MmStruct {
            pgd,
            asid,
            inner: IrqSpinLock::new(MmInner {
                vmas: BTreeMap::new(),
                start_brk: 0,
                brk: 0,
                mapped: 0,
                cmdline: alloc::vec::Vec::new(),
                exe_path: alloc::string::String::new(),
            }),
            stack_low: AtomicU64::new(STACK_TOP),
            // A small process has two or three of each.
            tables: IrqSpinLock::new(alloc::vec::Vec::with_capacity(8)),
        }))
    }

    /// The value for TTBR0: table address and ASID.
    pub fn ttbr0(&self) -> u64 {
        self.pgd | ((self.asid as u64) << 48)
    }

    /// The level-3 table for `va` (physical address), creating tables if
    /// `alloc`.
    fn l3_table(&self, va: u64, alloc: bool) -> Result<Option<u64>, Errno> {
        let mut table = self.pgd;
        for shift in [30u32, 21] {
            let e = &table_at(table)[index(va, shift)];
            let d = e.load(Ordering::Acquire);
            table = if pte_present(d) {
                pte_phys(d)
            } else if alloc {
                let t = new_table()?;
                self.tables.lock().push(t);
                e.store(mk_table(t), Ordering::Release);
                t
            } else {
                return Ok(None);
            };
        }
        Ok(Some(table))
    }

    /// The level-3 entry for `va`, creating tables if `alloc`.
    fn pte(&self, va: u64, alloc: bool) -> Result<Option<&'static AtomicU64>, Errno> {
        Ok(self
            .l3_table(va, alloc)?
            .map(|t| &table_at(t)[index(va, 12)]))
    }

    /// The part of `vma` that can hold pages: all of it, except that
    /// nothing in the stack region lies below `stack_low`.
    fn mapped_part(&self, vma: &Vma) -> (u64, u64) {
        let low = self.stack_low.load(Ordering::Relaxed);
        if vma.end > STACK_TOP - STACK_MAX {
            (vma.start.max(low.min(vma.end)), vma.end)
        } else {
            (vma.start, vma.end)
        }
    }

    /// Calls `f` with every present level-3 entry in `[start, end)`:
    /// only the tables that exist in that range are visited, and runs of
    /// empty entries are skipped eight at a time (Linux's
    /// `pmd_none_or_clear_bad` walks do the same job per VMA).
    fn walk_range(&self, start: u64, end: u64, f: &mut impl FnMut(u64, &AtomicU64)) {
        if start >= end {
            return;
        }
        let last = end - 1;
        // The index range of a table at `base` covering `1 << shift` bytes
        // per entry, clipped to [start, last].
        let span = |base: u64, size: u64, shift: u32| {
            let lo = if base <= start {
                index(start, shift)
            } else {
                0
            };
            let hi = if base + size > last {
                index(last, shift)
            } else {
                511
            };
            (lo, hi)
        };
        let (lo1, hi1) = (index(start, 30), index(last, 30));
        for_each_valid(self.pgd, lo1, hi1, |i1, d1, _| {
            let base1 = (i1 as u64) << 30;
            let (lo2, hi2) = span(base1, 1 << 30, 21);
            for_each_valid(pte_phys(d1), lo2, hi2, |i2, d2, _| {
                let base2 = base1 | (i2 as u64) << 21;
                let (lo3, hi3) = span(base2, 1 << 21, 12);
                for_each_valid(pte_phys(d2), lo3, hi3, |i3, _, e3| {
                    f(base2 | (i3 as u64) << 12, e3)
                });
            });
        });
    }

    /// Adds an area (no overlap allowed); pages come on first touch.
    pub fn add_vma(inner: &mut MmInner, start: u64, end: u64, prot: u32) -> Result<(), Errno> {
        if start >= end
            || !start.is_multiple_of(PG)
            || !end.is_multiple_of(PG)
            || end > USER_VA_END
            || start < PG
        {
            return Err(EINVAL);
        }
        if inner.mapped + (end - start) > MAX_MAPPED {
            return Err(ENOMEM);
        }
        if Self::overlaps(inner, start, end) {
            return Err(EINVAL);
        }
        // Linux's vm_area_alloc.
        if crate::fault_inject::should_fail_alloc(core::mem::size_of::<Vma>()) {
            return Err(ENOMEM);
        }
        inner.vmas.insert(start, Vma { start, end, prot });
        inner.mapped += end - start;
        Ok(())
    }

    fn overlaps(inner: &MmInner, start: u64, end: u64) -> bool {
        inner
            .vmas
            .range(..end)
            .next_back()
            .is_some_and(|(_, v)| v.end > start)
    }

    /// The area containing `va`.
    pub fn find_vma(inner: &MmInner, va: u64) -> Option<Vma> {
        inner
            .vmas
            .range(..=va)
            .next_back()
            .map(|(_, v)| *v)
            .filter(|v| va < v.end)
    }

    /// Resolves a fault at `va` (`handle_mm_fault`): a new zeroed page on
    /// first touch, a private copy on a write to a copy-on-write page.
    /// `EFAULT` means the access is not allowed (SIGSEGV for user space).
    pub fn handle_fault(&self, va: u64, access: Access) -> Result<u64, Errno> {
        let inner = self.inner.lock();
        self.fault_locked(&inner, va, access)
    }

    fn fault_locked(&self, inner: &MmInner, va: u64, access: Access) -> Result<u64, Errno> {
        if va >= USER_VA_END {
            return Err(EFAULT);
        }
        let vma = Self::find_vma(inner, va).ok_or(EFAULT)?;
        if !vma.allows(access) {
            return Err(EFAULT);
        }
        let page = page_floor(va);
        if (STACK_TOP - STACK_MAX..STACK_TOP).contains(&page) {
            self.stack_low.fetch_min(page, Ordering::Relaxed);
        }
        let pte = self.pte(page, true)?.ok_or(ENOMEM)?;
        let d = pte.load(Ordering::Acquire);
        if !pte_present(d) {
            let pa = page_alloc::alloc_user_page()?;
            pte.store(mk_pte(pa, vma.prot), Ordering::Release);
            // The walker must see the entry before the access is retried.
            pte_sync();
            return Ok(pa);
        }
        let pa = pte_phys(d);
        if access == Access::Write && !pte_write(d) {
            if !pte_cow(d) {
                return Err(EFAULT);
            }
            // Copy-on-write: the last sharer takes the page back; others
            // get their own copy of this one page.
            let new_pa = if page_alloc::page_count(pa) == 1 {
                pa
            } else {
                let copy = page_alloc::alloc_user_page()?;
                // SAFETY: both pages are mapped in the linear map; `copy` is
                // ours, `pa` is shared and only read.
                unsafe {
                    core::ptr::copy_nonoverlapping(
                        phys_to_virt(pa) as *const u8,
                        phys_to_virt(copy) as *mut u8,
                        PAGE_SIZE,
                    )
                };
                page_alloc::put_page(pa);
                copy
            };
            pte.store(mk_pte(new_pa, vma.prot), Ordering::Release);
            mmu::flush_tlb_page(self.asid, page);
            return Ok(new_pa);
        }
        Ok(pa)
    }

    /// The physical page behind user address `va` for a kernel access,
    /// faulting it in as user space would (one place checks every user
    /// pointer: [`crate::mm::uaccess`]).
    pub fn translate(&self, va: u64, access: Access) -> Result<u64, Errno> {
        let inner = self.inner.lock();
        if let Some(pte) = self.pte(page_floor(va), false)? {
            let d = pte.load(Ordering::Acquire);
            if pte_present(d) && (access != Access::Write || pte_write(d)) {
                // Present and allowed: check the area still permits it
                // (a PROT_NONE page is present but not for the user).
                if Self::find_vma(&inner, va).is_some_and(|v| v.allows(access)) {
                    return Ok(pte_phys(d));
                }
            }
        }
        self.fault_locked(&inner, va, access)
    }

    /// The page behind `va` for a debugger's access
    /// (`get_user_pages_remote` with `FOLL_FORCE`, as `access_process_vm`
    /// uses it): a write to a private mapping the program may not write
    /// (its text, where a breakpoint goes) gets this address space its own
    /// copy of the page, still read-only for the program; a read needs a
    /// readable mapping.
    pub fn get_user_page_force(&self, va: u64, write: bool) -> Result<u64, Errno> {
        if va >= USER_VA_END {
            return Err(EFAULT);
        }
        let inner = self.inner.lock();
        let vma = Self::find_vma(&inner, va).ok_or(EFAULT)?;
        if !write || vma.allows(Access::Write) {
            let access = if write { Access::Write } else { Access::Read };
            drop(inner);
            return self.translate(va, access);
        }
        if !vma.allows(Access::Read) && !vma.allows(Access::Exec) {
            return Err(EFAULT);
        }
        let pa = self.fault_locked(&inner, va, Access::Read)?;
        if page_alloc::page_count(pa) == 1 {
            // Only this address space has it: written in place.
            return Ok(pa);
        }
        let page = page_floor(va);
        let pte = self.pte(page, false)?.ok_or(EFAULT)?;
        let copy = page_alloc::alloc_user_page()?;
        // SAFETY: both pages are mapped in the linear map; `copy` is ours,
        // `pa` is shared and only read.
        unsafe {
            core::ptr::copy_nonoverlapping(
                phys_to_virt(pa) as *const u8,
                phys_to_virt(copy) as *mut u8,
                PAGE_SIZE,
            )
        };
        pte.store(mk_pte(copy, vma.prot), Ordering::Release);
        mmu::flush_tlb_page(self.asid, page);
        page_alloc::put_page(pa);
        drop(inner);
        Ok(copy)
    }

    /// Runs `f` on the linear-map address of user address `va` if its page
    /// is present and allows `access`, faulting nothing in: `EFAULT`
    /// otherwise. The lock is held across `f`, so the page cannot be
    /// unmapped or freed under it. This is the kernel's user access with
    /// page faults disabled (`pagefault_disable()` and an exception-table
    /// fixup in Linux), for callers that hold spin locks (the futex hash
    /// buckets): on `EFAULT` they drop them, fault the page in with
    /// [`Self::translate`] and retry.
    pub fn with_page_nofault<R>(
        &self,
        va: u64,
        access: Access,
        f: impl FnOnce(usize) -> R,
    ) -> Result<R, Errno> {
        if va >= USER_VA_END {
            return Err(EFAULT);
        }
        let inner = self.inner.lock();
        let pte = self.pte(page_floor(va), false)?.ok_or(EFAULT)?;
        let d = pte.load(Ordering::Acquire);
        let allowed = pte_present(d)
            && (access != Access::Write || pte_write(d))
            && Self::find_vma(&inner, va).is_some_and(|v| v.allows(access));
        if !allowed {
            return Err(EFAULT);
        }
        Ok(f(phys_to_virt(pte_phys(d)) + (va as usize % PAGE_SIZE)))
    }

    /// Removes the mappings of `[start, end)` and returns their pages.
    fn unmap_pages(&self, start: u64, end: u64) {
        let mut va = start;
        while va < end {
            if let Ok(Some(pte)) = self.pte(va, false) {
                let d = pte.swap(0, Ordering::AcqRel);
                if pte_present(d) {
                    mmu::flush_tlb_page(self.asid, va);
                    page_alloc::put_page(pte_phys(d));
                }
            }
            va += PG;
        }
    }

    /// Cuts areas at `start` and `end` so that `[start, end)` is made of
    /// whole areas; returns them.
    fn split(inner: &mut MmInner, start: u64, end: u64) -> alloc::vec::Vec<Vma> {
        if start >= end {
            // An empty middle piece would replace the upper part of an
            // area cut at `start`, leaving its pages outside every area.
            return alloc::vec::Vec::new();
        }
        let hit: alloc::vec::Vec<Vma> = inner
            .vmas
            .range(..end)
            .map(|(_, v)| *v)
            .filter(|v| v.end > start)
            .collect();
        let mut inside = alloc::vec::Vec::new();
        for v in hit {
            inner.vmas.remove(&v.start);
            if v.start < start {
                inner.vmas.insert(v.start, Vma { end: start, ..v });
            }
            if v.end > end {
                inner.vmas.insert(end, Vma { start: end, ..v });
            }
            let s = v.start.max(start);
            let e = v.end.min(end);
            inner.vmas.insert(
                s,
                Vma {
                    start: s,
                    end: e,
                    ..v
                },
            );
            inside.push(Vma {
                start: s,
                end: e,
                ..v
            });
        }
        inside
    }

    /// `munmap`: removes `[addr, addr+len)` (pages included).
    pub fn munmap(&self, addr: u64, len: u64) -> Result<(), Errno> {
        if !addr.is_multiple_of(PG) || len == 0 {
            return Err(EINVAL);
        }
        let end = page_ceil(addr.checked_add(len).ok_or(EINVAL)?).ok_or(EINVAL)?;
        if end > USER_VA_END {
            return Err(EINVAL);
        }
        let mut inner = self.inner.lock();
        for v in Self::split(&mut inner, addr, end) {
            inner.vmas.remove(&v.start);
            inner.mapped -= v.end - v.start;
            self.unmap_pages(v.start, v.end);
        }
        Ok(())
    }

    /// `mprotect`: changes the permissions of `[addr, addr+len)`, which
    /// must be fully mapped.
    pub fn mprotect(&self, addr: u64, len: u64, prot: u32) -> Result<(), Errno> {
        if !addr.is_multiple_of(PG) || prot & !(PROT_READ | PROT_WRITE | PROT_EXEC) != 0 {
            return Err(EINVAL);
        }
        if len == 0 {
            // Linux: nothing to change, success (before looking at areas).
            return Ok(());
        }
        let end = page_ceil(addr.checked_add(len).ok_or(ENOMEM)?).ok_or(ENOMEM)?;
        if end > USER_VA_END {
            return Err(ENOMEM);
        }
        let mut inner = self.inner.lock();
        // Linux: ENOMEM if part of the range is not mapped.
        let mut cur = addr;
        while cur < end {
            let v = Self::find_vma(&inner, cur).ok_or(ENOMEM)?;
            cur = v.end;
        }
        for v in Self::split(&mut inner, addr, end) {
            inner.vmas.insert(v.start, Vma { prot, ..v });
            let mut va = v.start;
            while va < v.end {
                if let Ok(Some(pte)) = self.pte(va, false) {
                    let d = pte.load(Ordering::Acquire);
                    if pte_present(d) {
                        // A page still shared stays read-only: the first
                        // write copies it.
                        pte.store(pte_modify(d, prot), Ordering::Release);
                        mmu::flush_tlb_page(self.asid, va);
                    }
                }
                va += PG;
            }
        }
        Ok(())
    }

    /// Finds `len` free bytes at or above `MMAP_BASE`.
    fn find_free(inner: &MmInner, len: u64) -> Option<u64> {
        let mut cand = MMAP_BASE;
        for (_, v) in inner.vmas.range(MMAP_BASE..) {
            if v.start >= cand + len {
                break;
            }
            cand = cand.max(v.end);
        }
        (cand + len <= STACK_TOP - STACK_MAX).then_some(cand)
    }

    /// `mmap` of anonymous private memory; returns the address.
    pub fn mmap_anon(&self, hint: u64, len: u64, prot: u32, fixed: bool) -> Result<u64, Errno> {
        let len = page_ceil(len).ok_or(ENOMEM)?;
        if len == 0 || len > MAX_MAPPED {
            return Err(if len == 0 { EINVAL } else { ENOMEM });
        }
        if fixed {
            if !hint.is_multiple_of(PG) || hint.checked_add(len).is_none_or(|e| e > USER_VA_END) {
                return Err(EINVAL);
            }
            let _ = self.munmap(hint, len);
            let mut inner = self.inner.lock();
            Self::add_vma(&mut inner, hint, hint + len, prot)?;
            return Ok(hint);
        }
        let mut inner = self.inner.lock();
        let at = Self::find_free(&inner, len).ok_or(ENOMEM)?;
        Self::add_vma(&mut inner, at, at + len, prot)?;
        Ok(at)
    }

    /// `brk`: moves the break; returns the new (or unchanged) break.
    pub fn brk(&self, new: u64) -> u64 {
        let mut inner = self.inner.lock();
        let old = inner.brk;
        if new < inner.start_brk || new >= MMAP_BASE {
            return old;
        }
        let old_end = page_ceil(old).unwrap_or(old);
        let new_end = match page_ceil(new) {
            Some(e) => e,
            None => return old,
        };
        if new_end > old_end {
            if Self::overlaps(&inner, old_end, new_end)
                || inner.mapped + (new_end - old_end) > MAX_MAPPED
            {
                return old;
            }
            // Grow the heap area (or start it).
            let heap = inner.vmas.range(..old_end).next_back().map(|(_, v)| *v);
            match heap {
                Some(v) if v.end == old_end && old_end > inner.start_brk => {
                    inner.vmas.insert(v.start, Vma { end: new_end, ..v });
                }
                _ => {
                    inner.vmas.insert(
                        old_end,
                        Vma {
                            start: old_end,
                            end: new_end,
                            prot: PROT_READ | PROT_WRITE,
                        },
                    );
                }
            }
            inner.mapped += new_end - old_end;
        } else if new_end < old_end {
            for v in Self::split(&mut inner, new_end, old_end) {
                inner.vmas.remove(&v.start);
                inner.mapped -= v.end - v.start;
                self.unmap_pages(v.start, v.end);
            }
        }
        inner.brk = new;
        new
    }

    /// Maps a fresh page at `va` holding `data` (exec's image loading).
    pub fn populate(&self, va: u64, data: &[u8], prot: u32) -> Result<(), Errno> {
        let _inner = self.inner.lock();
        if (STACK_TOP - STACK_MAX..STACK_TOP).contains(&va) {
            self.stack_low.fetch_min(page_floor(va), Ordering::Relaxed);
        }
        let pte = self.pte(va, true)?.ok_or(ENOMEM)?;
        if pte_present(pte.load(Ordering::Acquire)) {
            return Err(EINVAL);
        }
        let pa = page_alloc::alloc_user_page()?;
        // SAFETY: a page we just allocated, mapped in the linear map.
        unsafe {
            core::ptr::copy_nonoverlapping(
                data.as_ptr(),
                phys_to_virt(pa) as *mut u8,
                data.len().min(PAGE_SIZE),
            )
        };
        pte.store(mk_pte(pa, prot), Ordering::Release);
        Ok(())
    }

    /// Maps the existing user page `pa` at `va` with `prot`, taking a
    /// reference to it (pages several processes share, as the signal
    /// trampoline).
    pub fn map_shared_page(&self, va: u64, pa: u64, prot: u32) -> Result<(), Errno> {
        let _inner = self.inner.lock();
        let pte = self.pte(va, true)?.ok_or(ENOMEM)?;
        if pte_present(pte.load(Ordering::Acquire)) {
            return Err(EINVAL);
        }
        page_alloc::get_page(pa);
        pte.store(pte_mkshared(mk_pte(pa, prot)), Ordering::Release);
        Ok(())
    }

    /// Duplicates this address space for fork (`dup_mmap`): the same areas,
    /// and every present page shared read-only and marked copy-on-write in
    /// both. Costs page-table work, not copying, and only where something
    /// is mapped: each area's range, each existing table once.
    pub fn copy_mm(&self) -> Result<Arc<MmStruct>, Errno> {
        let child = MmStruct::new()?;
        let inner = self.inner.lock();
        {
            // The new mm, nested under the parent's (Linux: SINGLE_DEPTH_NESTING).
            let mut ci = child.inner.lock_nested(1);
            ci.vmas = inner.vmas.clone();
            ci.start_brk = inner.start_brk;
            ci.brk = inner.brk;
            ci.mapped = inner.mapped;
            ci.cmdline = inner.cmdline.clone();
            ci.exe_path = inner.exe_path.clone();
        }
        let mut result = Ok(());
        // The child's level-3 table of the 2 MiB region last copied: pages
        // come in address order, so most need no walk from the root.
        let mut cached: Option<(u64, u64)> = None;
        child
            .stack_low
            .store(self.stack_low.load(Ordering::Relaxed), Ordering::Relaxed);
        for vma in inner.vmas.values() {
            let (start, end) = self.mapped_part(vma);
            self.walk_range(start, end, &mut |va, pte| {
                if result.is_err() {
                    return;
                }
                let table = match cached {
                    Some((region, t)) if region == va >> 21 => t,
                    _ => match child.l3_table(va, true) {
                        Ok(Some(t)) => {
                            cached = Some((va >> 21, t));
                            t
                        }
                        Ok(None) | Err(_) => {
                            result = Err(ENOMEM);
                            return;
                        }
                    },
                };
                let d = pte.load(Ordering::Acquire);
                let shared = pte_mkcow(d);
                page_alloc::get_page(pte_phys(d));
                pte.store(shared, Ordering::Release);
                table_at(table)[index(va, 12)].store(shared, Ordering::Release);
            });
        }
        // The parent's writable entries just became read-only.
        mmu::flush_tlb_asid(self.asid);
        drop(inner);
        result.map(|_| child)
    }

    /// Calls `f` with every present level-3 entry.
    fn for_each_pte(&self, mut f: impl FnMut(u64, &AtomicU64)) {
        self.walk_range(0, USER_VA_END, &mut f);
    }

    /// Writes a `u32` into this address space (not necessarily the current
    /// one), faulting the page in or copying it if shared.
    pub fn write_u32(&self, va: u64, v: u32) -> Result<(), Errno> {
        if !va.is_multiple_of(4) {
            return Err(EFAULT);
        }
        let pa = self.translate(va, Access::Write)?;
        // SAFETY: a page of this address space reached through the linear
        // map; 4-byte aligned, so the store stays inside it.
        unsafe { ((phys_to_virt(pa) + (va as usize % PAGE_SIZE)) as *mut u32).write_volatile(v) };
        Ok(())
    }

    /// Pages mapped (resident) in this address space.
    pub fn rss(&self) -> usize {
        let _inner = self.inner.lock();
        let mut n = 0;
        self.for_each_pte(|_, _| n += 1);
        n
    }
}

impl Drop for MmStruct {
    /// Returns every page and page-table page (`exit_mmap`). Pages are only
    /// ever mapped inside areas, so walking the areas finds them all.
    fn drop(&mut self) {
        let inner = self.inner.lock();
        for vma in inner.vmas.values() {
            let (start, end) = self.mapped_part(vma);
            self.walk_range(start, end, &mut |_, pte| {
                let d = pte.swap(0, Ordering::AcqRel);
                page_alloc::put_page(pte_phys(d));
            });
        }
        drop(inner);
        for &t in self.tables.lock().iter() {
            free_table(t);
        }
        free_table(self.pgd);
        free_asid(self.asid);
    }
}

/// The index of `va` in the table level whose entries cover `1 << shift`
/// bytes.
fn index(va: u64, shift: u32) -> usize {
    ((va >> shift) & 511) as usize
}

/// Calls `f(index, entry value, entry)` for each valid entry of the table
/// at `table` with index in `lo..=hi`. Eight aligned entries that are all
/// empty cost one test: user address spaces are sparse.
fn for_each_valid(table: u64, lo: usize, hi: usize, mut f: impl FnMut(usize, u64, &AtomicU64)) {
    let t = table_at(table);
    let mut i = lo;
    while i <= hi {
        if i.is_multiple_of(8) && i + 7 <= hi {
            let any = t[i..i + 8]
                .iter()
                .fold(0, |a, e| a | e.load(Ordering::Relaxed));
            if !pte_present(any) {
                i += 8;
                continue;
            }
        }
        let d = t[i].load(Ordering::Acquire);
        if pte_present(d) {
            f(i, d, &t[i]);
        }
        i += 1;
    }
}
