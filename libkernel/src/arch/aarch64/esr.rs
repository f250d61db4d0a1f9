//! Decoding of `ESR_EL1`, the Exception Syndrome Register.
//!
//! The exception report names the exception class (bits 31:26) the way the
//! Arm ARM does, and for aborts says why the access faulted (DFSC/IFSC), so a
//! student reading a crash sees "Data Abort (current EL): translation fault,
//! level 1, write" instead of a hex number.

/// Exception class values used by the kernel.
pub mod ec {
    /// Unknown reason (e.g. an undefined instruction).
    pub const UNKNOWN: u32 = 0x00;
    /// `SVC` from AArch64 state.
    pub const SVC64: u32 = 0x15;
    /// Instruction abort from a lower EL.
    pub const IABT_LOW: u32 = 0x20;
    /// Instruction abort from the current EL.
    pub const IABT_CUR: u32 = 0x21;
    /// PC alignment fault.
    pub const PC_ALIGN: u32 = 0x22;
    /// Data abort from a lower EL.
    pub const DABT_LOW: u32 = 0x24;
    /// Data abort from the current EL.
    pub const DABT_CUR: u32 = 0x25;
    /// SP alignment fault.
    pub const SP_ALIGN: u32 = 0x26;
    /// `BRK` instruction.
    pub const BRK64: u32 = 0x3C;
}

/// The exception class field of an ESR value.
pub fn class(esr: u64) -> u32 {
    ((esr >> 26) & 0x3f) as u32
}

/// The human name of an exception class.
pub fn class_name(ec: u32) -> &'static str {
    match ec {
        0x00 => "Unknown/undefined instruction",
        0x01 => "WFI/WFE trapped",
        0x07 => "FP/SIMD access trapped",
        0x0E => "Illegal execution state",
        0x15 => "SVC (AArch64)",
        0x18 => "MSR/MRS/system instruction trapped",
        0x20 => "Instruction Abort (lower EL)",
        0x21 => "Instruction Abort (current EL)",
        0x22 => "PC alignment fault",
        0x24 => "Data Abort (lower EL)",
        0x25 => "Data Abort (current EL)",
        0x26 => "SP alignment fault",
        0x2C => "Floating-point exception",
        0x2F => "SError interrupt",
        0x30 | 0x31 => "Breakpoint",
        0x32 | 0x33 => "Software step",
        0x34 | 0x35 => "Watchpoint",
        0x3C => "BRK instruction",
        _ => "Reserved/unhandled class",
    }
}

/// True for instruction and data aborts, where FAR_EL1 holds the address.
pub fn is_abort(ec: u32) -> bool {
    matches!(ec, 0x20 | 0x21 | 0x24 | 0x25)
}

/// Describes the fault status code (DFSC/IFSC, ISS bits 5:0) of an abort.
pub fn fault_status(esr: u64) -> (&'static str, Option<u8>) {
    let fsc = (esr & 0x3f) as u8;
    let level = Some(fsc & 3);
    match fsc & 0x3c {
        0x00 => ("address size fault", level),
        0x04 => ("translation fault", level),
        0x08 => ("access flag fault", level),
        0x0C => ("permission fault", level),
        _ => match fsc {
            0x10 => ("synchronous external abort", None),
            0x21 => ("alignment fault", None),
            0x30 => ("TLB conflict abort", None),
            _ => ("other fault", None),
        },
    }
}

/// For an abort: true for a permission fault (the page is mapped, the
/// access not allowed), which Linux reports as `SEGV_ACCERR`.
pub fn is_permission_fault(esr: u64) -> bool {
    esr & 0x3c == 0x0c
}

/// For a data abort: true if the faulting access was a write (ISS.WnR).
pub fn is_write(esr: u64) -> bool {
    esr & (1 << 6) != 0
}

/// Writes a one-line description: class, and for aborts the fault kind,
/// level and direction.
pub fn describe(esr: u64, out: &mut (impl core::fmt::Write + ?Sized)) -> core::fmt::Result {
    let ec = class(esr);
    write!(out, "{} (EC=0x{:02x})", class_name(ec), ec)?;
    if is_abort(ec) {
        let (kind, level) = fault_status(esr);
        write!(out, ": {kind}")?;
        if let Some(l) = level {
            write!(out, ", level {l}")?;
        }
        if ec == ec::DABT_CUR || ec == ec::DABT_LOW {
            write!(out, ", {}", if is_write(esr) { "write" } else { "read" })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_abort_translation_fault_read() {
        // EC=0x25, IL=1, DFSC=0b000101 (translation fault, level 1), WnR=0.
        let esr = (0x25u64 << 26) | (1 << 25) | 0x05;
        let mut s = String::new();
        describe(esr, &mut s).unwrap();
        assert_eq!(
            s,
            "Data Abort (current EL) (EC=0x25): translation fault, level 1, read"
        );
    }

    #[test]
    fn write_permission_fault_and_svc() {
        let esr = (0x24u64 << 26) | (1 << 6) | 0x0f;
        let mut s = String::new();
        describe(esr, &mut s).unwrap();
        assert!(s.ends_with("permission fault, level 3, write"), "{s}");
        let mut s = String::new();
        describe(0x15 << 26, &mut s).unwrap();
        assert_eq!(s, "SVC (AArch64) (EC=0x15)");
    }
}
