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
use crate::errno::{Errno, EACCES, EEXIST, EFAULT, EINVAL, ENOMEM, EOVERFLOW, EPERM};
use crate::fs::{File, Inode, InodeKind};
use crate::mm::filemap::AddressSpace;
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

use libkernel::uapi;
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

/// The area's pages are shared with the file and every other mapping of
/// it (`MAP_SHARED`; Linux's `VM_SHARED`), not copied on write.
pub const VM_SHARED: u32 = 0x08;
/// `mprotect` may add `PROT_WRITE` (Linux's `VM_MAYWRITE`): a shared
/// mapping of a file not open for writing has it clear.
pub const VM_MAYWRITE: u32 = 0x20;

/// One area of the address space (`vm_area_struct`).
#[derive(Clone)]
pub struct Vma {
    /// First address (page aligned).
    pub start: u64,
    /// One past the end (page aligned).
    pub end: u64,
    /// `PROT_*`.
    pub prot: u32,
    /// `VM_SHARED`, `VM_MAYWRITE`.
    pub flags: u32,
    /// The file mapped (`vm_file`; its inode's page cache backs the
    /// pages), `None` for anonymous memory.
    pub file: Option<Arc<File>>,
    /// The file page at `start` (`vm_pgoff`).
    pub pgoff: u64,
    /// A special mapping's name in `/proc/PID/maps` (`[vdso]`, `[vvar]`;
    /// Linux's `vm_special_mapping.name`).
    pub name: Option<&'static str>,
}

impl Vma {
    /// An anonymous private area.
    pub const fn anon(start: u64, end: u64, prot: u32) -> Vma {
        Vma {
            start,
            end,
            prot,
            flags: VM_MAYWRITE,
            file: None,
            pgoff: 0,
            name: None,
        }
    }

    /// Does the area's protection allow `access` (reading is allowed by
    /// any of read, write and execute, as the MMU cannot tell them apart)?
    pub fn allows(&self, access: Access) -> bool {
        match access {
            Access::Read => self.prot & (PROT_READ | PROT_WRITE | PROT_EXEC) != 0,
            Access::Write => self.prot & PROT_WRITE != 0,
            Access::Exec => self.prot & PROT_EXEC != 0,
        }
    }

    /// Whether writes go to the shared (page-cache) pages.
    pub fn is_shared(&self) -> bool {
        self.flags & VM_SHARED != 0
    }

    /// The part `[start, end)` of this area, its file offset moved along.
    fn slice(&self, start: u64, end: u64) -> Vma {
        Vma {
            start,
            end,
            pgoff: self.pgoff + (start - self.start) / PG,
            ..self.clone()
        }
    }

    /// The page cache behind a file area.
    fn mapping(&self) -> Option<&IrqSpinLock<AddressSpace>> {
        match &self.file.as_ref()?.inode.kind {
            InodeKind::File(m) => Some(m),
            _ => None,
        }
    }
}

/// What a fault on a file area beyond the file's end gives (Linux's
/// `VM_FAULT_SIGBUS`): the fault handler sends `SIGBUS`, a kernel access
/// sees `EFAULT`.
pub const VM_FAULT_SIGBUS: Errno = crate::errno::EIO;

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
    /// Where the initial stack pointer was (`mm->start_stack`): the area
    /// holding it is `[stack]` in `/proc/PID/maps` (0: the one ending at
    /// `STACK_TOP`).
    pub start_stack: u64,
    /// The arguments `execve` was given, each ending in a NUL, at most a
    /// page (`/proc/PID/cmdline`; Linux reads them from the stack between
    /// `arg_start` and `arg_end`, this is a copy made at exec).
    pub cmdline: alloc::vec::Vec<u8>,
    /// The executable's absolute path (`mm->exe_file`, what
    /// `/proc/PID/exe` links to): for a script, its interpreter.
    pub exe_path: alloc::string::String,
    /// Where the search for room for a mapping starts (`mm->mmap_base`):
    /// `MMAP_BASE`, moved up by a random amount at exec (ASLR).
    pub mmap_base: u64,
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
    /// Where exec mapped the vDSO, 0 if nowhere (`mm->context.vdso`):
    /// signal handlers return through it (`crate::vdso`).
    pub vdso: AtomicU64,
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
                start_stack: 0,
                cmdline: alloc::vec::Vec::new(),
                exe_path: alloc::string::String::new(),
                mmap_base: MMAP_BASE,
            }),
            stack_low: AtomicU64::new(STACK_TOP),
            // A small process has two or three of each.
            tables: IrqSpinLock::new(alloc::vec::Vec::with_capacity(8)),
            vdso: AtomicU64::new(0),
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

    /// Adds an anonymous private area (no overlap allowed); pages come on
    /// first touch.
    pub fn add_vma(inner: &mut MmInner, start: u64, end: u64, prot: u32) -> Result<(), Errno> {
        Self::insert_vma(inner, Vma::anon(start, end, prot))
    }

    /// Adds a special area named `name` in `/proc/PID/maps` (`[vdso]`,
    /// `[vvar]`; Linux's `_install_special_mapping`); its pages are put
    /// in with [`Self::map_shared_page`].
    pub fn add_special_vma(
        inner: &mut MmInner,
        start: u64,
        end: u64,
        prot: u32,
        name: &'static str,
    ) -> Result<(), Errno> {
        Self::insert_vma(
            inner,
            Vma {
                name: Some(name),
                flags: 0,
                ..Vma::anon(start, end, prot)
            },
        )
    }

    /// Adds `vma` (no overlap allowed).
    fn insert_vma(inner: &mut MmInner, vma: Vma) -> Result<(), Errno> {
        let (start, end) = (vma.start, vma.end);
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
        inner.vmas.insert(start, vma);
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
    pub fn find_vma(inner: &MmInner, va: u64) -> Option<&Vma> {
        inner
            .vmas
            .range(..=va)
            .next_back()
            .map(|(_, v)| v)
            .filter(|v| va < v.end)
    }

    /// Resolves a fault at `va` (`handle_mm_fault`): a new zeroed page on
    /// first touch of anonymous memory, the page cache's page for a file,
    /// a private copy on a write to a copy-on-write page. `EFAULT` means
    /// the access is not allowed (SIGSEGV for user space),
    /// [`VM_FAULT_SIGBUS`] that the page lies past the end of its file.
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
            let (pa, entry) = if vma.file.is_some() {
                Self::file_fault(vma, page, access)?
            } else if let Some(name) = vma.name {
                // A special mapping's page, one for every process
                // (`special_mapping_fault`): the vDSO's.
                let index = vma.pgoff + (page - vma.start) / PG;
                let pa = crate::vdso::special_mapping_page(name, index).ok_or(EFAULT)?;
                page_alloc::get_page(pa);
                (pa, pte_mkshared(mk_pte(pa, vma.prot)))
            } else {
                let pa = page_alloc::alloc_user_page()?;
                (pa, mk_pte(pa, vma.prot))
            };
            pte.store(entry, Ordering::Release);
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
            // get their own copy of this one page (a page-cache page always
            // has another: the cache's own reference).
            let new_pa = if page_alloc::page_count(pa) == 1 {
                pa
            } else {
                let copy = copy_user_page(pa)?;
                page_alloc::put_page(pa);
                copy
            };
            pte.store(mk_pte(new_pa, vma.prot), Ordering::Release);
            mmu::flush_tlb_page(self.asid, page);
            return Ok(new_pa);
        }
        Ok(pa)
    }

    /// The page and entry for a first touch of `page` in file area `vma`
    /// (`filemap_fault`, then `do_cow_fault` for a private write): a
    /// shared area maps the cache's page itself; a private one maps it
    /// read-only and copy-on-write, or gets its copy at once on a write.
    fn file_fault(vma: &Vma, page: u64, access: Access) -> Result<(u64, u64), Errno> {
        let mapping = vma.mapping().ok_or(VM_FAULT_SIGBUS)?;
        let index = vma.pgoff + (page - vma.start) / PG;
        let mut m = mapping.lock();
        if index >= (m.len() as u64).div_ceil(PG) {
            return Err(VM_FAULT_SIGBUS);
        }
        if vma.is_shared() {
            let pa = m.find_or_create_page(index)?;
            return Ok((pa, mk_pte(pa, vma.prot)));
        }
        if access == Access::Write {
            let copy = page_alloc::alloc_user_page()?;
            // SAFETY: a page just allocated, ours, in the linear map.
            let dst = unsafe {
                core::slice::from_raw_parts_mut(phys_to_virt(copy) as *mut u8, PAGE_SIZE)
            };
            // Past the end of the file the page stays zero.
            m.read_at(index * PG, dst);
            return Ok((copy, mk_pte(copy, vma.prot)));
        }
        let pa = m.find_or_create_page(index)?;
        Ok((pa, pte_mkshared(mk_pte(pa, vma.prot))))
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
        // A kernel access past the end of a mapped file is a bad address
        // (Linux's fixup turns the SIGBUS into EFAULT).
        self.fault_locked(&inner, va, access)
            .map_err(|e| if e == VM_FAULT_SIGBUS { EFAULT } else { e })
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
        let copy = copy_user_page(pa)?;
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

    /// Removes the mappings of `[start, end)` and returns their pages
    /// (`zap_page_range`).
    fn unmap_pages(&self, start: u64, end: u64) {
        self.walk_range(start, end, &mut |va, pte| {
            let d = pte.swap(0, Ordering::AcqRel);
            mmu::flush_tlb_page(self.asid, va);
            page_alloc::put_page(pte_phys(d));
        });
    }

    /// Cuts areas at `start` and `end` so that `[start, end)` is made of
    /// whole areas; returns copies of them.
    fn split(inner: &mut MmInner, start: u64, end: u64) -> alloc::vec::Vec<Vma> {
        if start >= end {
            // An empty middle piece would replace the upper part of an
            // area cut at `start`, leaving its pages outside every area.
            return alloc::vec::Vec::new();
        }
        let hit: alloc::vec::Vec<u64> = inner
            .vmas
            .range(..end)
            .filter(|(_, v)| v.end > start)
            .map(|(k, _)| *k)
            .collect();
        let mut inside = alloc::vec::Vec::new();
        for k in hit {
            let Some(v) = inner.vmas.remove(&k) else {
                continue;
            };
            if v.start < start {
                inner.vmas.insert(v.start, v.slice(v.start, start));
            }
            if v.end > end {
                inner.vmas.insert(end, v.slice(end, v.end));
            }
            let mid = v.slice(v.start.max(start), v.end.min(end));
            inside.push(mid.clone());
            inner.vmas.insert(mid.start, mid);
        }
        inside
    }

    /// Removes `[start, end)` (pages included) under the lock
    /// (`do_vmi_munmap`).
    fn munmap_locked(&self, inner: &mut MmInner, start: u64, end: u64) {
        for v in Self::split(inner, start, end) {
            inner.vmas.remove(&v.start);
            inner.mapped -= v.end - v.start;
            self.unmap_pages(v.start, v.end);
        }
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
        self.munmap_locked(&mut inner, addr, end);
        Ok(())
    }

    /// Checks `[start, end)` is mapped throughout (`ENOMEM` otherwise, as
    /// `mprotect`, `madvise`, `msync` and `mincore` say).
    fn check_mapped(inner: &MmInner, start: u64, end: u64) -> Result<(), Errno> {
        let mut cur = start;
        while cur < end {
            cur = Self::find_vma(inner, cur).ok_or(ENOMEM)?.end;
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
        Self::check_mapped(&inner, addr, end)?;
        // A shared mapping of a file not open for writing never becomes
        // writable (no VM_MAYWRITE).
        if prot & PROT_WRITE != 0
            && inner
                .vmas
                .range(..end)
                .any(|(_, v)| v.end > addr && v.flags & VM_MAYWRITE == 0)
        {
            return Err(EACCES);
        }
        for v in Self::split(&mut inner, addr, end) {
            let (start, end) = (v.start, v.end);
            inner.vmas.insert(start, Vma { prot, ..v });
            self.walk_range(start, end, &mut |va, pte| {
                // A page still shared stays read-only: the first write
                // copies it.
                let d = pte.load(Ordering::Acquire);
                pte.store(pte_modify(d, prot), Ordering::Release);
                mmu::flush_tlb_page(self.asid, va);
            });
        }
        Ok(())
    }

    /// Finds `len` free bytes at or above the `mmap_base`
    /// (`get_unmapped_area`; exec places the program interpreter with it).
    pub fn find_free(inner: &MmInner, len: u64) -> Option<u64> {
        let mut cand = inner.mmap_base;
        if let Some((_, v)) = inner.vmas.range(..cand).next_back() {
            cand = cand.max(v.end);
        }
        for (_, v) in inner.vmas.range(cand..) {
            if v.start >= cand + len {
                break;
            }
            cand = cand.max(v.end);
        }
        (cand + len <= STACK_TOP - STACK_MAX).then_some(cand)
    }

    /// Maps `len` bytes (rounded up to pages) and returns the address
    /// (Linux's `do_mmap` and `mmap_region`); the kernel's own way to map
    /// memory into an address space that is not necessarily the current
    /// one.
    ///
    /// - `flags`: `MAP_SHARED` or `MAP_PRIVATE`; with `MAP_FIXED` the area
    ///   goes exactly at `addr`, replacing what was there; with
    ///   `MAP_FIXED_NOREPLACE` likewise but `EEXIST` if anything was;
    ///   otherwise `addr` is a hint, taken if that range is free.
    ///   `MAP_POPULATE` faults every page in now.
    /// - `file`: the file mapped, from its page `pgoff` on; `None` for
    ///   anonymous memory (`MAP_SHARED` anonymous memory gets an unlinked
    ///   file of its own, as Linux's shmem does, so fork shares it).
    ///
    /// Checks of the file's open mode are the caller's (`sys_mmap`).
    ///
    /// For exec (`elf_map` in `fs/binfmt_elf.c`): open the ELF file with
    /// `fs::open(cwd, path, O_RDONLY, 0)` and map each `PT_LOAD` with
    /// `mmap_region(page_floor(vaddr), page_offset(vaddr) + p_filesz,
    /// prot, MAP_PRIVATE | MAP_FIXED, Some(file.clone()), p_offset /
    /// PAGE_SIZE)`. Its pages are then the page cache's own pages, one set
    /// for every process that maps the file; the first write to one copies
    /// it. The part of the last file page past `p_filesz` holds the file's
    /// next bytes: zero it through a user write (`padzero`), which copies
    /// that page; the rest of `p_memsz` is an anonymous `MAP_FIXED` area
    /// (`file: None`).
    #[allow(clippy::too_many_arguments)]
    pub fn mmap_region(
        &self,
        addr: u64,
        len: u64,
        prot: u32,
        flags: u32,
        file: Option<Arc<File>>,
        pgoff: u64,
    ) -> Result<u64, Errno> {
        if len == 0 {
            return Err(EINVAL);
        }
        let len = page_ceil(len).ok_or(ENOMEM)?;
        if len > MAX_MAPPED {
            return Err(ENOMEM);
        }
        // The file's last page must lie below its largest size
        // (`file_mmap_ok`: MAX_LFS_FILESIZE).
        let max_pages = (i64::MAX as u64 - len) / PG;
        if file.is_some() && pgoff > max_pages {
            return Err(EOVERFLOW);
        }
        let shared = match flags & uapi::MAP_TYPE {
            uapi::MAP_SHARED | uapi::MAP_SHARED_VALIDATE => true,
            uapi::MAP_PRIVATE => false,
            _ => return Err(EINVAL),
        };
        let (file, pgoff) = match file {
            Some(f) => (Some(f), pgoff),
            None if shared => (Some(shmem_zero_file(len)?), 0),
            None => (None, 0),
        };
        let vm_flags = match &file {
            Some(f) if shared => VM_SHARED | if f.writable() { VM_MAYWRITE } else { 0 },
            _ => VM_MAYWRITE,
        };
        let fixed = flags & (uapi::MAP_FIXED | uapi::MAP_FIXED_NOREPLACE) != 0;
        let mut inner = self.inner.lock();
        let start = if fixed {
            if !addr.is_multiple_of(PG) {
                return Err(EINVAL);
            }
            if addr.checked_add(len).is_none_or(|e| e > USER_VA_END) {
                return Err(ENOMEM);
            }
            if addr < PG {
                // Below mmap_min_addr.
                return Err(EPERM);
            }
            if Self::overlaps(&inner, addr, addr + len) {
                if flags & uapi::MAP_FIXED_NOREPLACE != 0 && flags & uapi::MAP_FIXED == 0 {
                    return Err(EEXIST);
                }
                self.munmap_locked(&mut inner, addr, addr + len);
            }
            addr
        } else {
            let hint = page_floor(addr);
            let hint_free = hint >= PG
                && hint
                    .checked_add(len)
                    .is_some_and(|e| e <= STACK_TOP - STACK_MAX)
                && !Self::overlaps(&inner, hint, hint + len);
            if hint_free {
                hint
            } else {
                Self::find_free(&inner, len).ok_or(ENOMEM)?
            }
        };
        Self::insert_vma(
            &mut inner,
            Vma {
                start,
                end: start + len,
                prot,
                flags: vm_flags,
                file,
                pgoff,
                name: None,
            },
        )?;
        if flags & uapi::MAP_POPULATE != 0 {
            // As Linux's mm_populate: what cannot be faulted in now (past
            // the end of the file, no memory) is left for later.
            let access = if prot & PROT_WRITE != 0 && !shared {
                Access::Write
            } else {
                Access::Read
            };
            let mut va = start;
            while va < start + len {
                if self.fault_locked(&inner, va, access).is_err() {
                    break;
                }
                va += PG;
            }
        }
        Ok(start)
    }

    /// `mmap` of anonymous private memory (at exactly `hint` if `fixed`);
    /// returns the address.
    pub fn mmap_anon(&self, hint: u64, len: u64, prot: u32, fixed: bool) -> Result<u64, Errno> {
        let flags = uapi::MAP_PRIVATE | if fixed { uapi::MAP_FIXED } else { 0 };
        self.mmap_region(hint, len, prot, flags, None, 0)
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
            let heap = inner
                .vmas
                .range(..old_end)
                .next_back()
                .map(|(_, v)| (v.start, v.end, v.file.is_none() && v.name.is_none()));
            match heap {
                Some((start, end, true)) if end == old_end && old_end > inner.start_brk => {
                    if let Some(v) = inner.vmas.get_mut(&start) {
                        v.end = new_end;
                    }
                }
                _ => {
                    inner
                        .vmas
                        .insert(old_end, Vma::anon(old_end, new_end, PROT_READ | PROT_WRITE));
                }
            }
            inner.mapped += new_end - old_end;
        } else if new_end < old_end {
            self.munmap_locked(&mut inner, new_end, old_end);
        }
        inner.brk = new;
        new
    }

    /// `mremap` (`mm/mremap.c`): shrinks, grows in place when the pages
    /// after the area are free, or moves the area (`MREMAP_MAYMOVE`, to
    /// `new_addr` with `MREMAP_FIXED`) with its pages, which keep their
    /// contents; returns the new address.
    pub fn mremap(
        &self,
        addr: u64,
        old_len: u64,
        new_len: u64,
        flags: u32,
        new_addr: u64,
    ) -> Result<u64, Errno> {
        use uapi::{MREMAP_FIXED, MREMAP_MAYMOVE};
        if flags & !(MREMAP_MAYMOVE | MREMAP_FIXED) != 0
            || (flags & MREMAP_FIXED != 0 && flags & MREMAP_MAYMOVE == 0)
            || !addr.is_multiple_of(PG)
        {
            return Err(EINVAL);
        }
        let old_len = page_ceil(old_len).ok_or(EINVAL)?;
        let new_len = page_ceil(new_len).ok_or(EINVAL)?;
        // Linux takes an old length of 0 only for shared memory, to map
        // it twice; not done here.
        if new_len == 0 || old_len == 0 {
            return Err(EINVAL);
        }
        if new_len > MAX_MAPPED {
            return Err(ENOMEM);
        }
        let old_end = addr.checked_add(old_len).ok_or(EINVAL)?;
        let mut inner = self.inner.lock();
        // The old range must lie inside one area.
        let vma = Self::find_vma(&inner, addr)
            .filter(|v| old_end <= v.end)
            .ok_or(EFAULT)?
            .clone();
        if flags & MREMAP_FIXED != 0 {
            let new_end = new_addr.checked_add(new_len).ok_or(EINVAL)?;
            if !new_addr.is_multiple_of(PG)
                || new_end > USER_VA_END
                || new_addr < PG
                || (new_addr < old_end && addr < new_end)
            {
                return Err(EINVAL);
            }
            self.munmap_locked(&mut inner, new_addr, new_end);
            let moved = old_len.min(new_len);
            self.munmap_locked(&mut inner, addr + moved, old_end);
            self.move_vma(&mut inner, &vma, addr, moved, new_addr, new_len)?;
            return Ok(new_addr);
        }
        if new_len <= old_len {
            self.munmap_locked(&mut inner, addr + new_len, old_end);
            return Ok(addr);
        }
        let grow_end = addr.checked_add(new_len).ok_or(ENOMEM)?;
        let fits = old_end == vma.end
            && grow_end <= STACK_TOP - STACK_MAX
            && !Self::overlaps(&inner, old_end, grow_end)
            && inner.mapped + (grow_end - old_end) <= MAX_MAPPED;
        if fits {
            if let Some(v) = inner.vmas.get_mut(&vma.start) {
                v.end = grow_end;
            }
            inner.mapped += grow_end - old_end;
            return Ok(addr);
        }
        if flags & MREMAP_MAYMOVE == 0 {
            return Err(ENOMEM);
        }
        let to = Self::find_free(&inner, new_len).ok_or(ENOMEM)?;
        self.move_vma(&mut inner, &vma, addr, old_len, to, new_len)?;
        Ok(to)
    }

    /// Moves `[old, old + old_len)` of `vma` to a new area of `new_len`
    /// bytes at `new` (free), entries and all (`move_vma`, `move_ptes`).
    fn move_vma(
        &self,
        inner: &mut MmInner,
        vma: &Vma,
        old: u64,
        old_len: u64,
        new: u64,
        new_len: u64,
    ) -> Result<(), Errno> {
        if inner.mapped - old_len + new_len > MAX_MAPPED {
            return Err(ENOMEM);
        }
        // Every table the moved entries need, first: the move itself then
        // cannot fail halfway.
        let mut va = new;
        while va < new + old_len {
            self.pte(va, true)?;
            va = (va | ((1 << 21) - 1)) + 1;
        }
        let moved = Vma {
            start: new,
            end: new + new_len,
            pgoff: vma.pgoff + (old - vma.start) / PG,
            ..vma.clone()
        };
        inner.mapped -= old_len;
        if let Err(e) = Self::insert_vma(inner, moved) {
            inner.mapped += old_len;
            return Err(e);
        }
        self.walk_range(old, old + old_len, &mut |va, pte| {
            let d = pte.swap(0, Ordering::AcqRel);
            mmu::flush_tlb_page(self.asid, va);
            if let Ok(Some(to)) = self.pte(va - old + new, false) {
                to.store(d, Ordering::Release);
            }
        });
        for v in Self::split(inner, old, old + old_len) {
            inner.vmas.remove(&v.start);
        }
        // A moved special mapping tells its owner (`vm_special_mapping`'s
        // `mremap`): the vDSO's new place is where handlers return.
        if let Some(name) = vma.name {
            crate::vdso::special_mapping_mremap(self, name, vma.start, old, new);
        }
        Ok(())
    }

    /// `madvise` (`mm/madvise.c`): `MADV_DONTNEED` (and `MADV_FREE`) drop
    /// the range's pages, so private anonymous memory reads zeros again,
    /// a private file mapping the file, a shared one what the file holds;
    /// `MADV_POPULATE_*` fault pages in; other advice is accepted and
    /// changes nothing. `ENOMEM` if part of the range is unmapped (after
    /// doing the rest, as Linux).
    pub fn madvise(&self, addr: u64, len: u64, advice: u32) -> Result<(), Errno> {
        use uapi::{
            MADV_DONTNEED, MADV_FREE, MADV_NORMAL, MADV_POPULATE_READ, MADV_POPULATE_WRITE,
        };
        if !addr.is_multiple_of(PG) {
            return Err(EINVAL);
        }
        let known = matches!(
            advice,
            MADV_NORMAL..=MADV_DONTNEED | MADV_FREE..=MADV_POPULATE_WRITE
        );
        if !known {
            return Err(EINVAL);
        }
        let end = page_ceil(addr.checked_add(len).ok_or(EINVAL)?).ok_or(EINVAL)?;
        if end == addr {
            return Ok(());
        }
        if end > USER_VA_END {
            return Err(ENOMEM);
        }
        let inner = self.inner.lock();
        let hit: alloc::vec::Vec<(u64, u64, bool)> = inner
            .vmas
            .range(..end)
            .filter(|(_, v)| v.end > addr)
            .map(|(_, v)| (v.start.max(addr), v.end.min(end), v.file.is_some()))
            .collect();
        for &(s, e, file) in &hit {
            match advice {
                MADV_FREE if file => return Err(EINVAL),
                MADV_DONTNEED | MADV_FREE => self.unmap_pages(s, e),
                MADV_POPULATE_READ | MADV_POPULATE_WRITE => {
                    let access = if advice == MADV_POPULATE_WRITE {
                        Access::Write
                    } else {
                        Access::Read
                    };
                    let mut va = s;
                    while va < e {
                        self.fault_locked(&inner, va, access).map_err(|e| {
                            if e == ENOMEM {
                                ENOMEM
                            } else {
                                EFAULT
                            }
                        })?;
                        va += PG;
                    }
                }
                _ => {}
            }
        }
        Self::check_mapped(&inner, addr, end)
    }

    /// `msync` (`mm/msync.c`): RAM files have nothing to write back, so
    /// only the arguments and the range are checked.
    pub fn msync(&self, addr: u64, len: u64, flags: u32) -> Result<(), Errno> {
        use uapi::{MS_ASYNC, MS_INVALIDATE, MS_SYNC};
        if flags & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0
            || (flags & MS_ASYNC != 0 && flags & MS_SYNC != 0)
            || !addr.is_multiple_of(PG)
        {
            return Err(EINVAL);
        }
        let end = page_ceil(addr.checked_add(len).ok_or(ENOMEM)?).ok_or(ENOMEM)?;
        if end == addr {
            return Ok(());
        }
        let inner = self.inner.lock();
        Self::check_mapped(&inner, addr, end)
    }

    /// `mincore` (`mm/mincore.c`): one byte per page of the range, 1 if
    /// the page is resident (mapped here, or in its file's page cache).
    pub fn mincore(&self, addr: u64, len: u64) -> Result<alloc::vec::Vec<u8>, Errno> {
        if !addr.is_multiple_of(PG) {
            return Err(EINVAL);
        }
        let end = page_ceil(addr.checked_add(len).ok_or(ENOMEM)?).ok_or(ENOMEM)?;
        if end > USER_VA_END {
            return Err(ENOMEM);
        }
        let inner = self.inner.lock();
        Self::check_mapped(&inner, addr, end)?;
        let mut vec = alloc::vec::Vec::new();
        vec.try_reserve_exact(((end - addr) / PG) as usize)
            .map_err(|_| ENOMEM)?;
        let mut va = addr;
        while va < end {
            let mapped = matches!(self.pte(va, false), Ok(Some(p)) if pte_present(p.load(Ordering::Acquire)));
            let cached = !mapped
                && Self::find_vma(&inner, va).is_some_and(|v| {
                    v.mapping().is_some_and(|m| {
                        let index = v.pgoff + (va - v.start) / PG;
                        let m = m.lock();
                        let pa = m.find_get_page(index);
                        drop(m);
                        pa.inspect(|&pa| page_alloc::put_page(pa)).is_some()
                    })
                });
            vec.push(u8::from(mapped || cached));
            va += PG;
        }
        Ok(vec)
    }

    /// The areas as `/proc/PID/maps` lists them (`show_map_vma`): a file's
    /// path, `[heap]` for the area around the break, `[stack]` for the
    /// one holding the initial stack, a special mapping's name.
    pub fn maps(&self) -> alloc::vec::Vec<libkernel::mm::maps::MapEntry> {
        let inner = self.inner.lock();
        let stack = if inner.start_stack != 0 {
            inner.start_stack
        } else {
            STACK_TOP - 1
        };
        inner
            .vmas
            .values()
            .map(|v| {
                let (dev, ino, name) = match (&v.file, v.name) {
                    (Some(f), _) => (
                        f.mnt.as_ref().map_or(0, |m| m.sb.dev),
                        f.inode.ino,
                        f.path.lock().clone(),
                    ),
                    (None, Some(n)) => (0, 0, alloc::string::String::from(n)),
                    (None, None) if v.start <= inner.brk && v.end > inner.start_brk => {
                        (0, 0, alloc::string::String::from("[heap]"))
                    }
                    (None, None) if v.start <= stack && stack < v.end => {
                        (0, 0, alloc::string::String::from("[stack]"))
                    }
                    _ => (0, 0, alloc::string::String::new()),
                };
                libkernel::mm::maps::MapEntry {
                    start: v.start,
                    end: v.end,
                    read: v.prot & PROT_READ != 0,
                    write: v.prot & PROT_WRITE != 0,
                    exec: v.prot & PROT_EXEC != 0,
                    shared: v.is_shared(),
                    offset: if v.file.is_some() { v.pgoff * PG } else { 0 },
                    dev,
                    ino,
                    name,
                }
            })
            .collect()
    }

    /// The sums of `/proc/PID/smaps_rollup` (`smap_gather_stats` over
    /// every area) and the span of the areas; `None` with no areas.
    pub fn smaps_rollup(&self) -> Option<(u64, u64, libkernel::mm::maps::MemSizeStats)> {
        let inner = self.inner.lock();
        let first = inner.vmas.values().next()?.start;
        let last = inner.vmas.values().next_back()?.end;
        let mut m = libkernel::mm::maps::MemSizeStats::default();
        for v in inner.vmas.values() {
            self.gather_stats(v, &mut m);
        }
        drop(inner);
        Some((first, last, m))
    }

    /// Each area of `/proc/PID/smaps` (`show_smap`): its `maps` line and
    /// its page counts. An area unmapped between the two looks (another
    /// thread's munmap) counts no pages.
    pub fn smaps(
        &self,
    ) -> alloc::vec::Vec<(
        libkernel::mm::maps::MapEntry,
        libkernel::mm::maps::MemSizeStats,
    )> {
        let entries = self.maps();
        let inner = self.inner.lock();
        let out = entries
            .into_iter()
            .map(|e| {
                let mut m = libkernel::mm::maps::MemSizeStats::default();
                if let Some(v) = inner.vmas.get(&e.start).filter(|v| v.end == e.end) {
                    self.gather_stats(v, &mut m);
                }
                (e, m)
            })
            .collect();
        drop(inner);
        out
    }

    /// Adds the pages of area `v` to `m` (`smap_gather_stats`; the caller
    /// holds `inner`). A page is the page cache's (shmem: RAM files) when
    /// its file still holds it at that index, and then the cache's own
    /// reference is not a mapper; every page counts as dirty, as RAM file
    /// pages are.
    fn gather_stats(&self, v: &Vma, m: &mut libkernel::mm::maps::MemSizeStats) {
        use libkernel::mm::maps::PageKind;
        let (start, end) = self.mapped_part(v);
        let mapping = v.mapping().map(|m| m.lock());
        self.walk_range(start, end, &mut |va, pte| {
            let pa = pte_phys(pte.load(Ordering::Acquire));
            let count = u64::from(page_alloc::page_count(pa));
            let cached = mapping.as_ref().and_then(|mp| {
                let got = mp.find_get_page(v.pgoff + (va - v.start) / PG)?;
                page_alloc::put_page(got);
                Some(got)
            });
            if cached == Some(pa) {
                m.account(PG, PageKind::Shmem, count.saturating_sub(1), true);
            } else {
                m.account(PG, PageKind::Anon, count, true);
            }
        });
        drop(mapping);
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
            ci.start_stack = inner.start_stack;
            ci.cmdline = inner.cmdline.clone();
            ci.exe_path = inner.exe_path.clone();
            ci.mmap_base = inner.mmap_base;
        }
        let mut result = Ok(());
        // The child's level-3 table of the 2 MiB region last copied: pages
        // come in address order, so most need no walk from the root.
        let mut cached: Option<(u64, u64)> = None;
        child
            .stack_low
            .store(self.stack_low.load(Ordering::Relaxed), Ordering::Relaxed);
        child
            .vdso
            .store(self.vdso.load(Ordering::Relaxed), Ordering::Relaxed);
        for vma in inner.vmas.values() {
            if vma.name.is_some() {
                // A special mapping's pages fault in again in the child
                // (Linux's copy_page_range skips areas a fault refills):
                // a child that never reads the vDSO costs no tables.
                continue;
            }
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
                // A shared area's pages stay shared and writable in both
                // (Linux copies its entries as they are); a private one's
                // become copy-on-write.
                let shared = if vma.is_shared() { d } else { pte_mkcow(d) };
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

/// The file behind `MAP_SHARED | MAP_ANONYMOUS` memory
/// (`shmem_zero_setup`): an unlinked RAM file of `len` bytes of its own,
/// named in `/proc/PID/maps` as Linux names it.
fn shmem_zero_file(len: u64) -> Result<Arc<File>, Errno> {
    if crate::fault_inject::should_fail_alloc(core::mem::size_of::<Inode>()) {
        return Err(ENOMEM);
    }
    let mut mapping = AddressSpace::new();
    mapping.truncate(len);
    let inode = Inode::new(
        uapi::S_IFREG | 0o600,
        InodeKind::File(IrqSpinLock::new(mapping)),
    );
    let f = File::new(inode, uapi::O_RDWR);
    *f.path.lock() = alloc::string::String::from("/dev/zero (deleted)");
    Ok(f)
}

/// A new user page holding a copy of the shared page `pa` (a write to a
/// copy-on-write page: Linux's `wp_page_copy` with `copy_user_highpage`).
fn copy_user_page(pa: u64) -> Result<u64, Errno> {
    let copy = page_alloc::alloc_user_page()?;
    // SAFETY: both pages are mapped in the linear map; `copy` is ours, `pa`
    // is shared and only read.
    unsafe {
        core::ptr::copy_nonoverlapping(
            phys_to_virt(pa) as *const u8,
            phys_to_virt(copy) as *mut u8,
            PAGE_SIZE,
        )
    };
    Ok(copy)
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
