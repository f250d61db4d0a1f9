//! A user task's FP/SIMD registers (Linux's `arch/arm64/kernel/fpsimd.c`):
//! q0-q31, FPSR and FPCR. The kernel is built soft-float and never touches
//! them, so they change hands only when one user task is switched out and
//! another in (`context.rs`), and when a signal frame saves or restores
//! them. The layout, [`UserFpsimdState`], is in libkernel, where a host test
//! ties it to the offsets `fpsimd.S` uses.

core::arch::global_asm!(include_str!("fpsimd.S"), options(raw));

use crate::task::Task;
pub use libkernel::arch::aarch64::fpsimd::UserFpsimdState;

extern "C" {
    /// Stores this CPU's FP/SIMD registers into `*st` (`fpsimd.S`).
    pub(super) fn fpsimd_save_state(st: *mut UserFpsimdState);
    /// Loads this CPU's FP/SIMD registers from `*st` (`fpsimd.S`).
    pub(super) fn fpsimd_load_state(st: *const UserFpsimdState);
}

/// Saves the running task's live FP/SIMD registers into its descriptor
/// (`fpsimd_preserve_current_state`), so the saved copy can be read.
pub fn fpsimd_preserve_current_state(t: &Task) {
    // SAFETY: `t` is the running task on this CPU; only this CPU touches its
    // FP state while it runs.
    unsafe { fpsimd_save_state(&mut **t.fpsimd.get()) };
}

/// The running task's FP/SIMD registers, as a copy (for a signal frame).
pub fn fpsimd_current_state(t: &Task) -> UserFpsimdState {
    fpsimd_preserve_current_state(t);
    // SAFETY: as above; the saved copy was just written by this CPU.
    unsafe { **t.fpsimd.get() }
}

/// Replaces the running task's FP/SIMD registers, the saved copy and the
/// live ones (`fpsimd_update_current_state`, for `rt_sigreturn`).
pub fn fpsimd_update_current_state(t: &Task, st: &UserFpsimdState) {
    // SAFETY: `t` is the running task on this CPU; its saved copy and the
    // live registers both get the new values.
    unsafe {
        **t.fpsimd.get() = *st;
        fpsimd_load_state(st);
    }
}
