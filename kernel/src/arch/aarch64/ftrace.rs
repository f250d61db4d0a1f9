//! arm64's half of dynamic ftrace (Linux's `arch/arm64/kernel/ftrace.c`,
//! `entry-ftrace.S` and `patching.c`).
//!
//! Every kernel function is built with two NOPs in front of its prologue
//! (`-Z patchable-function-entry=2`, as Linux's `-fpatchable-function-entry=2`).
//! At boot the first becomes `mov x9, x30`, which costs what a NOP costs and
//! keeps the caller's return address once the second becomes
//! `bl ftrace_caller`. Turning tracing of a function on or off then rewrites
//! one instruction between `NOP` and `BL`, two of the instructions the
//! architecture lets one CPU rewrite while others execute them (ARM ARM
//! B2.2.5, "concurrent modification and execution of instructions").
//!
//! Text is read-only and executable; it is written through a temporary
//! writable alias of its page (Linux's `FIX_TEXT_POKE0`), so W^X holds.

use crate::arch::mmu::flush_tlb_kernel_page;
use crate::arch::pgtable::{kernel_pte_sync, mk_kernel_pte};
use crate::mm::{virt_to_phys, PAGE_SIZE};
use core::sync::atomic::Ordering;

/// `nop`.
pub const INSN_NOP: u32 = 0xd503_201f;
/// `mov x9, x30` (`orr x9, xzr, x30`): the caller's return address, kept
/// for `ftrace_caller` while `bl` overwrites the link register.
pub const INSN_MOV_X9_LR: u32 = 0xaa1e_03e9;

/// The writable alias page used to patch text, between the vmalloc area and
/// the kernel stacks.
const TEXT_POKE_VA: u64 = 0xFFFF_FFB0_0000_0000;

// The trampolines. `ftrace_caller` is entered from a patched function's
// second instruction with x30 = that instruction + 4 (the function's body)
// and x9 = the function's own return address. It lays down a frame record
// for the traced function (so backtraces taken inside read "function called
// from parent"), saves the argument registers, and calls
// `ftrace_handler(ip, &parent, fp)`: `parent` may be rewritten (the graph
// tracer's return hook). It then enters the body with x30 = parent.
//
// `return_to_handler` is where a hooked function returns: it keeps the
// return-value registers and asks `ftrace_return_to_handler(fp)` for the
// real return address.
core::arch::global_asm!(
    r#"
    .section .text.ftrace, "ax"
    .p2align 2
    .globl ftrace_caller
    .type ftrace_caller, %function
ftrace_caller:
    stp     x29, x9, [sp, #-16]!
    mov     x29, sp
    stp     x29, x30, [sp, #-96]!
    mov     x29, sp
    stp     x0, x1, [sp, #16]
    stp     x2, x3, [sp, #32]
    stp     x4, x5, [sp, #48]
    stp     x6, x7, [sp, #64]
    str     x8, [sp, #80]
    sub     x0, x30, #4
    add     x1, sp, #104
    ldr     x2, [sp, #96]
    bl      ftrace_handler
    ldp     x0, x1, [sp, #16]
    ldp     x2, x3, [sp, #32]
    ldp     x4, x5, [sp, #48]
    ldp     x6, x7, [sp, #64]
    ldr     x8, [sp, #80]
    ldp     x29, x30, [sp], #96
    ldp     x29, x9, [sp], #16
    mov     x10, x30
    mov     x30, x9
    ret     x10
    .size ftrace_caller, . - ftrace_caller

    .p2align 2
    .globl return_to_handler
    .type return_to_handler, %function
return_to_handler:
    sub     sp, sp, #96
    stp     x29, xzr, [sp]
    stp     x0, x1, [sp, #16]
    stp     x2, x3, [sp, #32]
    stp     x4, x5, [sp, #48]
    stp     x6, x7, [sp, #64]
    str     x8, [sp, #80]
    mov     x0, x29
    mov     x29, sp
    bl      ftrace_return_to_handler
    mov     x30, x0
    ldp     x0, x1, [sp, #16]
    ldp     x2, x3, [sp, #32]
    ldp     x4, x5, [sp, #48]
    ldp     x6, x7, [sp, #64]
    ldr     x8, [sp, #80]
    ldr     x29, [sp]
    add     sp, sp, #96
    ret
    .size return_to_handler, . - return_to_handler
    .text
"#
);

extern "C" {
    fn ftrace_caller();
    fn return_to_handler();
}

/// The address a hooked function returns to instead of its caller.
pub fn return_to_handler_addr() -> usize {
    return_to_handler as *const () as usize
}

/// `bl target` placed at `pc`, if `target` is within reach (+-128 MiB).
pub fn insn_bl(pc: usize, target: usize) -> Option<u32> {
    let off = (target as i64).wrapping_sub(pc as i64);
    if off % 4 != 0 || !(-(1 << 27)..(1 << 27)).contains(&off) {
        return None;
    }
    Some(0x9400_0000 | ((off >> 2) as u32 & 0x03ff_ffff))
}

/// The call to `ftrace_caller` a function's second patch-site slot holds
/// while it is traced (`pc` is that slot's address).
pub fn insn_call_ftrace(pc: usize) -> Option<u32> {
    insn_bl(pc, ftrace_caller as *const () as usize)
}

/// Reads the instruction at `pc` (kernel text).
pub fn read_insn(pc: usize) -> u32 {
    // SAFETY: callers pass addresses of patch sites, inside kernel text,
    // which is mapped readable.
    unsafe { core::ptr::read_volatile(pc as *const u32) }
}

/// Writes instructions into kernel text through the writable alias of their
/// page (`writes` sorted by address), then makes them visible to
/// instruction fetch on every CPU. The caller serialises patching
/// (`ftrace_lock`).
pub fn patch_text(writes: &[(usize, u32)]) -> Result<(), crate::errno::Errno> {
    let pte = crate::mm::vmalloc::kernel_pte(TEXT_POKE_VA)?;
    let mut i = 0;
    while i < writes.len() {
        let page = writes[i].0 & !(PAGE_SIZE - 1);
        pte.store(mk_kernel_pte(virt_to_phys(page)), Ordering::Release);
        kernel_pte_sync();
        while i < writes.len() && writes[i].0 & !(PAGE_SIZE - 1) == page {
            let (pc, insn) = writes[i];
            let alias = TEXT_POKE_VA as usize + (pc - page);
            // SAFETY: the alias maps the text page holding `pc` read-write;
            // a single aligned 32-bit store is what other CPUs may observe
            // half-way through (see the module comment).
            unsafe { core::ptr::write_volatile(alias as *mut u32, insn) };
            // SAFETY: cache maintenance by address: clean the new word to
            // the point of unification, then drop stale instruction-cache
            // lines for the executable address on every CPU.
            unsafe {
                core::arch::asm!(
                    "dc cvau, {alias}",
                    "dsb ish",
                    "ic ivau, {pc}",
                    alias = in(reg) alias,
                    pc = in(reg) pc,
                    options(nostack, preserves_flags)
                )
            };
            i += 1;
        }
        pte.store(0, Ordering::Release);
        flush_tlb_kernel_page(TEXT_POKE_VA);
    }
    // SAFETY: barriers only: the invalidations complete, and this CPU
    // refetches.
    unsafe { core::arch::asm!("dsb ish", "isb", options(nostack, preserves_flags)) };
    Ok(())
}
