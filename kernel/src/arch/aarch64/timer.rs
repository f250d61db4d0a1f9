//! The ARM generic timer: each core's EL1 physical timer (CNTP) raises the
//! tick interrupt; the board's interrupt controller routes it.

use aarch64_cpu::registers::*;

/// Arms this core's timer to fire when the counter reaches `deadline`.
pub fn set_deadline(deadline: u64) {
    CNTP_CVAL_EL0.set(deadline);
    CNTP_CTL_EL0.write(CNTP_CTL_EL0::ENABLE::SET + CNTP_CTL_EL0::IMASK::CLEAR);
}

/// The deadline last programmed.
pub fn deadline() -> u64 {
    CNTP_CVAL_EL0.get()
}
