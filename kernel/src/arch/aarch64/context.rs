//! A task's saved CPU context and the switch between two tasks
//! (Linux's `struct cpu_context` and `cpu_switch_to`).

core::arch::global_asm!(include_str!("switch.S"), options(raw));

use super::fpsimd::{
    fpsimd_load_state, fpsimd_preserve_current_state, fpsimd_save_state, UserFpsimdState,
};
use crate::task::Task;
use aarch64_cpu::registers::{Readable, Writeable, TPIDRRO_EL0, TPIDR_EL0};
use core::sync::atomic::Ordering;

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
        // Two threads of one process share the tables, which TTBR0
        // already holds: no address-space switch (Linux's `switch_mm`
        // returns early when `prev == next`).
        if prev.ttbr0.load(Ordering::Acquire) != ttbr0 {
            crate::arch::mmu::set_ttbr0(ttbr0);
        }
    } else if prev.is_user() {
        crate::arch::mmu::set_ttbr0(crate::arch::mmu::empty_user_table());
    }
}

/// Clears the live user thread pointer and FP/SIMD registers (exec).
pub fn reset_user_cpu_state() {
    TPIDR_EL0.set(0);
    let zero = UserFpsimdState::default();
    // SAFETY: loads zeros into this CPU's FP registers, which belong to the
    // current (exec'ing) task.
    unsafe { fpsimd_load_state(&zero) };
}

/// Saves the current task's FP state and thread pointer into its
/// descriptor (before fork copies them).
pub fn fpsimd_preserve_current(t: &Task) {
    fpsimd_preserve_current_state(t);
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
    fn ret_from_fork_user_trap();
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

    /// A forked user task that first stops for its tracer starts in
    /// `ret_from_fork_user_trap` instead (`schedule_tail_user`): only such
    /// a child pays for the check.
    pub fn start_with_ptrace_trap(&mut self) {
        self.pc = ret_from_fork_user_trap as *const () as u64;
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
