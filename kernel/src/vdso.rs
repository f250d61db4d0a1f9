//! The vDSO (Linux's `arch/arm64/kernel/vdso.c` and
//! `kernel/time/vsyscall.c`): the shared object built from `vdso/` by
//! `build.rs`, copied once into pages of its own at boot, and mapped into
//! every process at exec with its data page below it:
//!
//! ```text
//!   base - 4096  [vvar]  r--   the kernel's timekeeping (VdsoData)
//!   base         [vdso]  r-x   linux-vdso.so.1, AT_SYSINFO_EHDR = base
//! ```
//!
//! in the mmap area (as random as its base, unless `norandmaps`), its
//! pages faulted in on first touch. The data page is also where the
//! kernel's own clock system calls read the time (`crate::time`), so the
//! vDSO and the system calls compute it from the same fields with the same
//! arithmetic (`libkernel::vdso`). Writers (the tick moving the coarse
//! clocks, `clock_settime`) are serialised by [`TIMEKEEPING`] and bump the
//! page's sequence count around their stores.
//!
//! Signal handlers without `SA_RESTORER` return through the vDSO's
//! `__kernel_rt_sigreturn` ([`sigreturn_address`]).

use crate::errno::{Errno, ENOMEM};
use crate::mm::vm::{MmStruct, PROT_EXEC, PROT_READ};
use crate::mm::{page_alloc, phys_to_virt, PAGE_SIZE};
use crate::sync::IrqSpinLock;
use core::sync::atomic::Ordering;
use libkernel::vdso::{self as vd, VdsoData};

/// `linux-vdso.so.1`, as `build.rs` linked it (`vdso_start`..`vdso_end`).
static VDSO_IMAGE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/vdso.so"));

/// Pages of the vDSO's text (`vdso_pages`).
const VDSO_PAGES: usize = VDSO_IMAGE.len().div_ceil(PAGE_SIZE);
/// Pages of data below it (`VVAR_NR_PAGES`).
const VVAR_PAGES: usize = 1;

const _: () = assert!(core::mem::size_of::<VdsoData>() <= VVAR_PAGES * PAGE_SIZE);

/// The pages every process maps and where in them the trampoline is.
struct Vdso {
    /// The data page.
    vvar: u64,
    /// The image's pages, in order.
    text: [u64; VDSO_PAGES],
    /// Offset of `__kernel_rt_sigreturn` in the image
    /// (`vdso_offset_sigtramp`).
    sigreturn: u64,
}

static VDSO: spin::Once<Vdso> = spin::Once::new();

/// Serialises the writers of the data page (Linux's `timekeeper_lock`):
/// the tick (in interrupt context) and the clock-setting system calls.
pub static TIMEKEEPING: IrqSpinLock<()> = IrqSpinLock::named(&"timekeeper_lock", ());

/// Copies the image into pages of its own and fills the data page
/// (`vdso_init`). Called once at boot, after the page allocator and the
/// boot clock; until then, and if it fails, exec maps no vDSO and the
/// clocks are read from the counter directly.
pub fn vdso_init() {
    match setup_pages() {
        Ok(v) => {
            VDSO.call_once(|| v);
        }
        Err(e) => crate::println!("vdso: not available ({e})"),
    }
}

fn setup_pages() -> Result<Vdso, Errno> {
    let sigreturn = vd::lookup_symbol(VDSO_IMAGE, b"__kernel_rt_sigreturn").ok_or(ENOMEM)?;
    let vvar = page_alloc::alloc_user_page()?;
    let mut text = [0u64; VDSO_PAGES];
    for (i, pa) in text.iter_mut().enumerate() {
        *pa = page_alloc::alloc_user_page()?;
        let chunk = &VDSO_IMAGE[i * PAGE_SIZE..VDSO_IMAGE.len().min((i + 1) * PAGE_SIZE)];
        let va = phys_to_virt(*pa);
        // SAFETY: a page just allocated (zeroed), reached through the
        // linear map; no one else sees it yet.
        unsafe { core::ptr::copy_nonoverlapping(chunk.as_ptr(), va as *mut u8, chunk.len()) };
        // User space fetches these as instructions: clean to the point of
        // unification, then invalidate the instruction cache (below).
        crate::arch::cpu::dcache_clean_inval(va, PAGE_SIZE);
    }
    crate::arch::cpu::icache_inval_all();
    // SAFETY: the data page was just allocated and zeroed; it stays
    // allocated for good (the kernel keeps its reference), and every field
    // of VdsoData is an atomic, for which zero bytes are valid.
    let data = unsafe { &*(phys_to_virt(vvar) as *const VdsoData) };
    let freq = crate::time::counter_frequency();
    let _tk = TIMEKEEPING.lock();
    data.write_begin();
    data.cycle_base
        .store(crate::time::boot_counter(), Ordering::Relaxed);
    data.freq.store(freq, Ordering::Relaxed);
    data.hrtimer_res
        .store(vd::hrtimer_res_ns(freq), Ordering::Relaxed);
    data.coarse_mono
        .store(crate::time::uptime_ns(), Ordering::Relaxed);
    // Every CPU lets EL0 read the virtual counter
    // (`crate::arch::timer::enable_user_counter`) before it runs user code.
    data.clock_mode
        .store(vd::VDSO_CLOCKMODE_ARCHTIMER, Ordering::Relaxed);
    data.write_end();
    Ok(Vdso {
        vvar,
        text,
        sigreturn,
    })
}

/// The data page, once [`vdso_init`] made it.
#[inline]
pub fn vdso_data() -> Option<&'static VdsoData> {
    let v = VDSO.get()?;
    // SAFETY: see `setup_pages`: allocated for good, all fields atomics.
    Some(unsafe { &*(phys_to_virt(v.vvar) as *const VdsoData) })
}

/// The vDSO image, for the in-kernel tests.
pub fn image() -> &'static [u8] {
    VDSO_IMAGE
}

/// Bytes the two mappings span: the data page and the image.
const MAPPING_LEN: u64 = ((VVAR_PAGES + VDSO_PAGES) * PAGE_SIZE) as u64;

/// The names of the two areas in `/proc/PID/maps`.
const VVAR_NAME: &str = "[vvar]";
const VDSO_NAME: &str = "[vdso]";

/// Adds `[vvar]` and `[vdso]` to `mm` (Linux's
/// `arch_setup_additional_pages`, at exec) where the mmap area has room
/// (`get_unmapped_area`: as random as the mmap base, fixed with
/// `norandmaps`); returns the vDSO's address for `AT_SYSINFO_EHDR`, or
/// `None` if the vDSO could not be set up at boot. Their pages come on
/// first touch ([`special_mapping_page`]), so a process that never reads
/// the clock or returns from a handler maps none, and fork copies only
/// the areas. `ENOMEM` when an area cannot be allocated; the caller drops
/// `mm`, taking what was added with it.
pub fn arch_setup_additional_pages(mm: &MmStruct) -> Result<Option<u64>, Errno> {
    if VDSO.get().is_none() {
        return Ok(None);
    }
    let mut inner = mm.inner.lock();
    let vvar = MmStruct::find_free(&inner, MAPPING_LEN).ok_or(ENOMEM)?;
    let base = vvar + (VVAR_PAGES * PAGE_SIZE) as u64;
    MmStruct::add_special_vma(&mut inner, vvar, base, PROT_READ, VVAR_NAME)?;
    MmStruct::add_special_vma(
        &mut inner,
        base,
        vvar + MAPPING_LEN,
        PROT_READ | PROT_EXEC,
        VDSO_NAME,
    )?;
    drop(inner);
    mm.vdso.store(base, Ordering::Relaxed);
    Ok(Some(base))
}

/// The page at `index` of the special mapping `name` (the `pages` of
/// Linux's `vm_special_mapping`), for the fault that maps it; `None` past
/// its end or for an unknown name (the fault is a `SIGSEGV`).
pub fn special_mapping_page(name: &str, index: u64) -> Option<u64> {
    let v = VDSO.get()?;
    let index = usize::try_from(index).ok()?;
    match name {
        VVAR_NAME => (index < VVAR_PAGES).then_some(v.vvar),
        VDSO_NAME => v.text.get(index).copied(),
        _ => None,
    }
}

/// `[vdso]` was moved by `mremap` (`vdso_mremap`): the part that started
/// at `old` (of the area that started at `vma_start`) is now at `new`.
/// Handlers return to the trampoline at its new place; moving any other
/// part of it, or `[vvar]`, changes nothing the kernel keeps.
pub fn special_mapping_mremap(mm: &MmStruct, name: &str, vma_start: u64, old: u64, new: u64) {
    if name == VDSO_NAME && old == vma_start && mm.vdso.load(Ordering::Relaxed) == old {
        mm.vdso.store(new, Ordering::Relaxed);
    }
}

/// Where a handler without `SA_RESTORER` returns in `mm`: the vDSO's
/// `__kernel_rt_sigreturn` (`setup_return`'s `sigtramp`); 0, a faulting
/// address, for an address space without a vDSO.
pub fn sigreturn_address(mm: &MmStruct) -> u64 {
    match (mm.vdso.load(Ordering::Relaxed), VDSO.get()) {
        (0, _) | (_, None) => 0,
        (base, Some(v)) => base + v.sigreturn,
    }
}

/// The tick's timekeeping (`update_vsyscall` from `timekeeping_advance`):
/// the coarse clocks move to `now_ns` (`CLOCK_MONOTONIC` now). Called by
/// one CPU's tick (`tick_do_timer_cpu`), so they never go back.
pub fn update_coarse(now_ns: u64) {
    let Some(data) = vdso_data() else { return };
    let _tk = TIMEKEEPING.lock();
    data.write_begin();
    data.coarse_mono.store(now_ns, Ordering::Relaxed);
    data.write_end();
}

/// Sets `CLOCK_REALTIME` to `real_ns` (`do_settimeofday64` with
/// `update_vsyscall`): the data page's offset from `CLOCK_MONOTONIC`
/// changes under its sequence count, so the vDSO's readers and the
/// system calls move together. `EINVAL` for a time before boot (Linux
/// refuses to put the wall clock below the monotonic one).
pub fn do_settimeofday(real_ns: u64) -> Result<(), Errno> {
    let Some(data) = vdso_data() else {
        return Err(crate::errno::EINVAL);
    };
    let tk = TIMEKEEPING.lock();
    let mono = crate::time::uptime_ns();
    let r = if real_ns < mono {
        Err(crate::errno::EINVAL)
    } else {
        data.write_begin();
        data.realtime_offset
            .store(real_ns - mono, Ordering::Relaxed);
        data.write_end();
        Ok(())
    };
    drop(tk);
    r
}

/// Sets the time zone `gettimeofday` reports (`sys_tz`,
/// `update_vsyscall_tz`).
pub fn set_timezone(minuteswest: i32, dsttime: i32) {
    let Some(data) = vdso_data() else { return };
    let tk = TIMEKEEPING.lock();
    data.write_begin();
    data.tz_minuteswest.store(minuteswest, Ordering::Relaxed);
    data.tz_dsttime.store(dsttime, Ordering::Relaxed);
    data.write_end();
    drop(tk);
}

/// The time zone last set (`sys_tz`): minutes west, DST type.
pub fn timezone() -> (i32, i32) {
    vdso_data().map_or((0, 0), |d| {
        (
            d.tz_minuteswest.load(Ordering::Relaxed),
            d.tz_dsttime.load(Ordering::Relaxed),
        )
    })
}
