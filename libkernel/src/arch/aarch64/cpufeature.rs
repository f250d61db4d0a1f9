//! What user space is told the CPU can do (Linux's
//! `arch/arm64/kernel/cpufeature.c`, its `arm64_elf_hwcaps` table): the
//! `AT_HWCAP` and `AT_HWCAP2` bits, decoded from the ID registers the
//! kernel reads at boot. The decoding is plain data in, plain data out.
//!
//! Not set: `HWCAP_CPUID` (Linux emulates EL0 reads of the ID registers;
//! this kernel does not, so they trap to `SIGILL`), `HWCAP_EVTSTRM` (the
//! timer event stream is not enabled), and the SVE, SME, MTE and pointer
//! authentication bits, which need kernel support to be usable.

use crate::uapi::hwcap::*;

/// The ID registers the hwcaps come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IdRegs {
    /// `ID_AA64PFR0_EL1`.
    pub pfr0: u64,
    /// `ID_AA64ISAR0_EL1`.
    pub isar0: u64,
    /// `ID_AA64ISAR1_EL1`.
    pub isar1: u64,
}

/// The 4-bit field at `shift`, unsigned.
fn field(reg: u64, shift: u32) -> u64 {
    (reg >> shift) & 0xf
}

/// The 4-bit field at `shift`, signed (0xf is -1: not implemented).
fn sfield(reg: u64, shift: u32) -> i64 {
    ((field(reg, shift) as i64) << 60) >> 60
}

/// `(AT_HWCAP, AT_HWCAP2)` for a CPU with these ID registers: a bit is
/// set when its field is at least the value Linux's table names.
pub fn elf_hwcaps(id: &IdRegs) -> (u64, u64) {
    let mut hwcap = 0;
    let mut hwcap2 = 0;
    let set = |on: bool, bits: &mut u64, bit: u64| {
        if on {
            *bits |= bit;
        }
    };
    let (pfr0, isar0, isar1) = (id.pfr0, id.isar0, id.isar1);
    set(sfield(pfr0, 16) >= 0, &mut hwcap, HWCAP_FP);
    set(sfield(pfr0, 16) >= 1, &mut hwcap, HWCAP_FPHP);
    set(sfield(pfr0, 20) >= 0, &mut hwcap, HWCAP_ASIMD);
    set(sfield(pfr0, 20) >= 1, &mut hwcap, HWCAP_ASIMDHP);
    set(field(pfr0, 48) >= 1, &mut hwcap, HWCAP_DIT);
    set(field(isar0, 4) >= 1, &mut hwcap, HWCAP_AES);
    set(field(isar0, 4) >= 2, &mut hwcap, HWCAP_PMULL);
    set(field(isar0, 8) >= 1, &mut hwcap, HWCAP_SHA1);
    set(field(isar0, 12) >= 1, &mut hwcap, HWCAP_SHA2);
    set(field(isar0, 12) >= 2, &mut hwcap, HWCAP_SHA512);
    set(field(isar0, 16) >= 1, &mut hwcap, HWCAP_CRC32);
    set(field(isar0, 20) >= 2, &mut hwcap, HWCAP_ATOMICS);
    set(field(isar0, 28) >= 1, &mut hwcap, HWCAP_ASIMDRDM);
    set(field(isar0, 32) >= 1, &mut hwcap, HWCAP_SHA3);
    set(field(isar0, 36) >= 1, &mut hwcap, HWCAP_SM3);
    set(field(isar0, 40) >= 1, &mut hwcap, HWCAP_SM4);
    set(field(isar0, 44) >= 1, &mut hwcap, HWCAP_ASIMDDP);
    set(field(isar0, 48) >= 1, &mut hwcap, HWCAP_ASIMDFHM);
    set(field(isar0, 52) >= 1, &mut hwcap, HWCAP_FLAGM);
    set(field(isar0, 52) >= 2, &mut hwcap2, HWCAP2_FLAGM2);
    set(field(isar0, 60) >= 1, &mut hwcap2, HWCAP2_RNG);
    set(field(isar1, 0) >= 1, &mut hwcap, HWCAP_DCPOP);
    set(field(isar1, 0) >= 2, &mut hwcap2, HWCAP2_DCPODP);
    set(field(isar1, 12) >= 1, &mut hwcap, HWCAP_JSCVT);
    set(field(isar1, 16) >= 1, &mut hwcap, HWCAP_FCMA);
    set(field(isar1, 20) >= 1, &mut hwcap, HWCAP_LRCPC);
    set(field(isar1, 20) >= 2, &mut hwcap, HWCAP_ILRCPC);
    set(field(isar1, 36) >= 1, &mut hwcap, HWCAP_SB);
    (hwcap, hwcap2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cortex_a53_and_a72_have_the_armv8_crypto_extensions() {
        // ID_AA64ISAR0_EL1 0x11120 and ID_AA64PFR0_EL1 0x2222 (AArch32
        // and AArch64 at every EL; FP and AdvSIMD fields 0): what both
        // cores report, in QEMU as on the boards.
        let id = IdRegs {
            pfr0: 0x2222,
            isar0: 0x11120,
            isar1: 0,
        };
        assert_eq!(
            elf_hwcaps(&id),
            (
                HWCAP_FP
                    | HWCAP_ASIMD
                    | HWCAP_AES
                    | HWCAP_PMULL
                    | HWCAP_SHA1
                    | HWCAP_SHA2
                    | HWCAP_CRC32,
                0
            )
        );
    }

    #[test]
    fn a_cpu_without_fp_reports_neither_fp_nor_simd() {
        let id = IdRegs {
            pfr0: 0xff_0000,
            ..IdRegs::default()
        };
        assert_eq!(elf_hwcaps(&id), (0, 0));
    }

    #[test]
    fn later_fields_map_to_their_bits() {
        // Half-precision FP and SIMD, LSE atomics, RDM, dot product,
        // SHA-512, FlagM2, RNG; DC CVADP, LRCPC2, SB.
        let id = IdRegs {
            pfr0: 0x11 << 16,
            isar0: (2 << 20) | (1 << 28) | (1 << 44) | (2 << 12) | (2 << 52) | (1 << 60),
            isar1: 2 | (2 << 20) | (1 << 36),
        };
        let (h, h2) = elf_hwcaps(&id);
        for bit in [
            HWCAP_FPHP,
            HWCAP_ASIMDHP,
            HWCAP_ATOMICS,
            HWCAP_ASIMDRDM,
            HWCAP_ASIMDDP,
            HWCAP_SHA2,
            HWCAP_SHA512,
            HWCAP_FLAGM,
            HWCAP_DCPOP,
            HWCAP_LRCPC,
            HWCAP_ILRCPC,
            HWCAP_SB,
        ] {
            assert_ne!(h & bit, 0, "bit {bit:#x} of {h:#x}");
        }
        assert_eq!(h2, HWCAP2_FLAGM2 | HWCAP2_RNG | HWCAP2_DCPODP);
    }
}
