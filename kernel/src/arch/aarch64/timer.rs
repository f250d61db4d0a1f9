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

/// Lets user space read the virtual counter (and CNTFRQ_EL0), which the
/// vDSO's clocks use (`arch_counter_set_user_access`); the physical
/// counter, the timers and the event stream stay the kernel's. Every CPU,
/// before it runs user code.
pub fn enable_user_counter() {
    CNTKCTL_EL1.modify(
        CNTKCTL_EL1::EL0VCTEN::SET
            + CNTKCTL_EL1::EL0PCTEN::CLEAR
            + CNTKCTL_EL1::EL0VTEN::CLEAR
            + CNTKCTL_EL1::EL0PTEN::CLEAR,
    );
}
