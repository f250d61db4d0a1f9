//! A task's saved CPU context and the switch between two tasks
//! (Linux's `struct cpu_context` and `cpu_switch_to`).

core::arch::global_asm!(include_str!("switch.S"), options(raw));
core::arch::global_asm!(include_str!("fpsimd.S"), options(raw));

use crate::task::{FpState, Task};
use aarch64_cpu::registers::{Readable, Writeable, TPIDRRO_EL0, TPIDR_EL0};
use core::sync::atomic::Ordering;

extern "C" {
    fn fpsimd_save_state(st: *mut FpState);
    fn fpsimd_load_state(st: *const FpState);
}

/// Hands the user-visible CPU state from `prev` to `next` (`__switch_to`):
/// the thread pointer, the FP/SIMD registers and the user page tables.
/// Kernel threads have none of these, so they are skipped.
pub fn switch_user_state(prev: &Task, next: &Task) {
    if prev.is_user() {
        prev.tp_value.store(TPIDR_EL0.get(), Ordering::Relaxed);
        // SAFETY: prev is switching out on this CPU; nothing else touches its
        // FP state until it runs again.
        unsafe { fpsimd_save_state(&mut **prev.fpsimd.get()) };
    }
    let ttbr0 = next.ttbr0.load(Ordering::Acquire);
    if ttbr0 != 0 {
        TPIDR_EL0.set(next.tp_value.load(Ordering::Relaxed));
        TPIDRRO_EL0.set(0);
        // SAFETY: next is switching in on this CPU (see above).
        unsafe { fpsimd_load_state(&**next.fpsimd.get()) };
        crate::arch::mmu::set_ttbr0(ttbr0);
    } else if prev.is_user() {
        crate::arch::mmu::set_ttbr0(crate::arch::mmu::empty_user_table());
    }
}

/// Clears the live user thread pointer and FP/SIMD registers (exec).
pub fn reset_user_cpu_state() {
    TPIDR_EL0.set(0);
    let zero = FpState::default();
    // SAFETY: loads zeros into this CPU's FP registers, which belong to the
    // current (exec'ing) task.
    unsafe { fpsimd_load_state(&zero) };
}

/// Loads `fp` into the current task's live FP registers (rt_sigreturn).
pub fn fpsimd_restore_current(t: &Task, fp: &FpState) {
    // SAFETY: `t` is the running task on this CPU; its saved copy and the
    // live registers both get the new values.
    unsafe {
        **t.fpsimd.get() = *fp;
        fpsimd_load_state(fp);
    }
}

/// Saves the current task's FP state into its descriptor (before fork
/// copies it).
pub fn fpsimd_preserve_current(t: &Task) {
    // SAFETY: `t` is the running task on this CPU.
    unsafe { fpsimd_save_state(&mut **t.fpsimd.get()) };
    t.tp_value.store(TPIDR_EL0.get(), Ordering::Relaxed);
}

/// Callee-saved registers of a task that is not running.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuContext {
    /// x19-x28.
    pub x19_28: [u64; 10],
    /// x29, the frame pointer.
    pub fp: u64,
    /// The kernel stack pointer.
    pub sp: u64,
    /// Where the task resumes (x30 of its `cpu_switch_to` call).
    pub pc: u64,
}

extern "C" {
    /// Switches stacks and registers from `prev` to `next`, passing `last`.
    pub fn cpu_switch_to(prev: *mut CpuContext, next: *const CpuContext, last: usize) -> usize;
    fn ret_from_fork();
    fn ret_from_fork_user();
}

impl CpuContext {
    /// The context of a new task that starts in `ret_from_fork` on the
    /// stack whose top is `stack_top`.
    pub fn new_thread(stack_top: u64) -> Self {
        CpuContext {
            sp: stack_top,
            pc: ret_from_fork as *const () as u64,
            ..CpuContext::default()
        }
    }

    /// The context of a forked user task: it starts in `ret_from_fork_user`
    /// with its stack pointer at its saved user registers.
    pub fn new_user_child(regs: u64) -> Self {
        CpuContext {
            sp: regs,
            pc: ret_from_fork_user as *const () as u64,
            ..CpuContext::default()
        }
    }
}
