//! CPU primitives: which core am I, interrupt masking, waiting, counters.

use aarch64_cpu::asm;
use aarch64_cpu::registers::*;
use core::arch::asm;

/// The number of this core (MPIDR_EL1 Aff0; 0..=3 on the Pi).
#[inline]
pub fn smp_processor_id_raw() -> usize {
    (MPIDR_EL1.get() & 0xff) as usize
}

/// Points this core's per-CPU base (`TPIDR_EL1`) at `base` (Linux's
/// `set_my_cpu_offset`). Set first thing on each core.
#[inline]
pub fn set_my_cpu_offset(base: u64) {
    TPIDR_EL1.set(base);
}

/// This core's per-CPU base (`__my_cpu_offset`): one register read.
#[inline(always)]
pub fn my_cpu_offset() -> u64 {
    TPIDR_EL1.get()
}

/// The running task's descriptor, kept in `SP_EL0` while the CPU is in
/// the kernel (Linux arm64's `get_current`). One instruction, and the
/// register moves with the task: a task preempted and migrated between
/// reading it and using it still sees itself, where a per-CPU pointer
/// read through `TPIDR_EL1` would name the old CPU's task. 0 before the
/// scheduler starts.
#[inline(always)]
pub fn get_current() -> usize {
    let t: usize;
    // SAFETY: reads SP_EL0; the kernel runs on SP_EL1 (SPSel=1), so SP_EL0
    // is free for this use, as in Linux.
    // `pure`: the compiler may reuse an earlier read in the same function,
    // as Linux's non-volatile `get_current()` lets it: whenever a function
    // runs, it runs as the same task (a switch returns to it as itself).
    unsafe { asm!("mrs {}, sp_el0", out(reg) t, options(pure, nomem, nostack, preserves_flags)) };
    t
}

/// Records the task about to run on this CPU (context switch, idle setup,
/// boot: 0). The user stack pointer, which shares the register in user
/// mode, is saved and restored by the exception entry and exit.
#[inline(always)]
pub fn set_current(t: usize) {
    // SAFETY: writes SP_EL0, unused as a stack pointer at EL1 (see above).
    unsafe { asm!("msr sp_el0, {}", in(reg) t, options(nomem, nostack, preserves_flags)) };
}

/// Unmasks IRQs on this core, first telling the lock validator, which
/// marks the locks still held as held with IRQs on (Linux's
/// `local_irq_enable`: `trace_hardirqs_on`, then the raw unmask).
#[inline]
pub fn local_irq_enable() {
    crate::lockdep::hardirqs_on();
    raw_local_irq_enable();
}

/// Unmasks IRQs on this core, unseen by the lock validator (its own
/// paths).
#[inline]
pub fn raw_local_irq_enable() {
    // SAFETY: clearing DAIF.I only lets pending IRQs in; the vectors are set.
    unsafe { asm!("msr daifclr, #2", options(nomem, nostack)) };
}

/// Masks IRQs on this core.
#[inline]
pub fn local_irq_disable() {
    // SAFETY: masking IRQs has no memory effect.
    unsafe { asm!("msr daifset, #2", options(nomem, nostack)) };
}

/// True if IRQs are masked on this core.
#[inline]
pub fn irqs_disabled() -> bool {
    DAIF.is_set(DAIF::I)
}

/// Masks IRQs and returns the previous DAIF for [`local_irq_restore`].
#[inline]
pub fn local_irq_save() -> u64 {
    let flags = DAIF.get();
    local_irq_disable();
    flags
}

/// Restores the DAIF saved by [`local_irq_save`]; as
/// [`local_irq_enable`] when that unmasks IRQs.
#[inline]
pub fn local_irq_restore(flags: u64) {
    if !irqs_disabled_flags(flags) {
        crate::lockdep::hardirqs_on();
    }
    raw_local_irq_restore(flags);
}

/// Restores a saved DAIF, unseen by the lock validator (its own paths).
#[inline]
pub fn raw_local_irq_restore(flags: u64) {
    DAIF.set(flags);
}

/// True if `flags` (a saved DAIF) has IRQs masked.
#[inline]
pub fn irqs_disabled_flags(flags: u64) -> bool {
    flags & (1 << 7) != 0
}

/// Sleeps until an interrupt (or event) arrives.
#[inline]
pub fn wait_for_interrupt() {
    asm::wfi();
}

/// Sleeps until an event (SEV) or interrupt.
#[inline]
pub fn wait_for_event() {
    asm::wfe();
}

/// Wakes cores waiting in WFE.
#[inline]
pub fn send_event() {
    asm::sev();
}

/// The physical counter (CNTPCT_EL0), ordered after earlier instructions.
#[inline]
pub fn read_counter() -> u64 {
    asm::barrier::isb(asm::barrier::SY);
    CNTPCT_EL0.get()
}

/// The counter frequency in Hz, as the firmware programmed it.
#[inline]
pub fn counter_frequency() -> u64 {
    CNTFRQ_EL0.get()
}

/// MIDR_EL1: implementer, part number, revision of this core.
pub fn midr() -> u64 {
    MIDR_EL1.get()
}

/// Cleans and invalidates the data-cache lines of `[addr, addr+len)` to the
/// point of coherency, so cores with caches off (spin table) see the data.
pub fn dcache_clean_inval(addr: usize, len: usize) {
    let mut line = addr & !63;
    while line < addr + len {
        // SAFETY: cache maintenance by VA on memory the kernel maps.
        unsafe { asm!("dc civac, {}", in(reg) line, options(nostack)) };
        line += 64;
    }
    // SAFETY: barrier only.
    unsafe { asm!("dsb sy", options(nostack)) };
}

/// Invalidates every instruction cache of the inner-shareable domain to
/// the point of unification (`ic ialluis`), after new code was written.
pub fn icache_inval_all() {
    // SAFETY: cache maintenance and barriers only.
    unsafe { asm!("ic ialluis", "dsb ish", "isb", options(nostack)) };
}

/// Zeroes the 4 KiB page at kernel address `va` (Linux's arm64
/// `clear_page`): `dc zva` zeroes a whole cache block (64 bytes on the
/// Cortex-A53/A72) per instruction, where stores clear 16 bytes at most.
pub fn clear_page(va: usize) {
    let dczid: u64;
    // SAFETY: reads an ID register.
    unsafe { asm!("mrs {}, dczid_el0", out(reg) dczid, options(nomem, nostack)) };
    if dczid & (1 << 4) != 0 {
        // DZP: dc zva prohibited; plain stores.
        // SAFETY: the caller owns the mapped page at `va`.
        unsafe { core::ptr::write_bytes(va as *mut u8, 0, 4096) };
        return;
    }
    let block = 4usize << (dczid & 0xf);
    let mut p = va & !4095;
    let end = p + 4096;
    if block == 64 {
        // The Cortex-A53/A72 case, eight blocks per loop.
        while p < end {
            // SAFETY: as below; the eight blocks end at or before `end`.
            unsafe {
                asm!(
                    "dc zva, {p}",
                    "add {q}, {p}, #64",
                    "dc zva, {q}",
                    "add {q}, {p}, #128",
                    "dc zva, {q}",
                    "add {q}, {p}, #192",
                    "dc zva, {q}",
                    "add {q}, {p}, #256",
                    "dc zva, {q}",
                    "add {q}, {p}, #320",
                    "dc zva, {q}",
                    "add {q}, {p}, #384",
                    "dc zva, {q}",
                    "add {q}, {p}, #448",
                    "dc zva, {q}",
                    p = in(reg) p,
                    q = out(reg) _,
                    options(nostack)
                )
            };
            p += 512;
        }
        return;
    }
    while p < end {
        // SAFETY: `p` lies in the page the caller owns, mapped as normal
        // memory in the linear map (dc zva would fault on device memory).
        unsafe { asm!("dc zva, {}", in(reg) p, options(nostack)) };
        p += block;
    }
}

/// Stops this core for good (after a panic, or a stop IPI).
pub fn halt() -> ! {
    local_irq_disable();
    loop {
        asm::wfe();
    }
}

/// Calls `f(arg)`, an `extern "C" fn(i32) -> !`, with an instruction after
/// the call: a `brk` (Linux's `BUG()`) that nothing reaches.
///
/// The compiler ends a caller with its call to a function that never
/// returns and puts nothing after it, so the return address the call
/// leaves (the function tracer's `<-parent`, every stack trace) lies past
/// the caller's end, in the next function: `do_exit <-do_group_exit+0x38/0x38`.
/// Linux's compilers leave an instruction there; the call is made here in
/// assembly so that one stays.
#[macro_export]
macro_rules! noreturn_call {
    ($f:path, $arg:expr) => {{
        let arg: i32 = $arg;
        // SAFETY: a plain call of an `extern "C"` function taking one i32
        // that never returns (so no register it clobbers matters), with
        // the stack as the compiler keeps it (16-byte aligned, frame
        // record in place).
        unsafe {
            core::arch::asm!(
                "bl {f}",
                "brk #0x800",
                f = sym $f,
                in("x0") arg,
                options(noreturn)
            )
        }
    }};
}

/// `AT_HWCAP` and `AT_HWCAP2` for this CPU, from its ID registers (Linux
/// reads them once into `cpu_hwcaps`; reading three registers per exec
/// costs less than keeping a copy in sync). The cores of a Pi are alike.
pub fn elf_hwcaps() -> (u64, u64) {
    let (pfr0, isar0, isar1): (u64, u64, u64);
    // SAFETY: reads of read-only ID registers, allowed at EL1, with no
    // side effects.
    unsafe {
        asm!("mrs {}, id_aa64pfr0_el1", out(reg) pfr0, options(nomem, nostack, preserves_flags));
        asm!("mrs {}, id_aa64isar0_el1", out(reg) isar0, options(nomem, nostack, preserves_flags));
        asm!("mrs {}, id_aa64isar1_el1", out(reg) isar1, options(nomem, nostack, preserves_flags));
    }
    libkernel::arch::aarch64::cpufeature::elf_hwcaps(
        &libkernel::arch::aarch64::cpufeature::IdRegs { pfr0, isar0, isar1 },
    )
}
