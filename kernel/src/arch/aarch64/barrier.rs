//! Memory barriers (Linux's `arch/arm64/include/asm/barrier.h`), named for
//! what they order so generic code never writes a `dsb` itself.

/// `dsb(ishst)`: every store before it is complete, for all cores of the
/// inner-shareable domain and for the table walker and interrupt
/// controller, before any instruction after it.
#[inline(always)]
pub fn dsb_ishst() {
    // SAFETY: a barrier only.
    unsafe { core::arch::asm!("dsb ishst", options(nostack, preserves_flags)) };
}

/// `dsb(ishst); isb()`: as [`dsb_ishst`], and this core refetches what
/// follows, so it sees new translations too.
#[inline(always)]
pub fn dsb_ishst_isb() {
    // SAFETY: barriers only.
    unsafe { core::arch::asm!("dsb ishst", "isb", options(nostack, preserves_flags)) };
}

/// `_THIS_IP_`: the address of this instruction. Inlined into a lock's
/// caller, it names the caller's function in reports.
#[macro_export]
macro_rules! this_ip {
    () => {{
        let ip: usize;
        // SAFETY: computes the address of this instruction; no side effect.
        unsafe { core::arch::asm!("adr {}, .", out(reg) ip, options(nomem, nostack, preserves_flags)) };
        ip
    }};
}
