//! `asm/hwcap.h`: the arm64 `AT_HWCAP` bits.

/// `AT_HWCAP` bit: floating point.
pub const HWCAP_FP: u64 = 1 << 0;
/// `AT_HWCAP` bit: Advanced SIMD.
pub const HWCAP_ASIMD: u64 = 1 << 1;
/// `AT_HWCAP` bit: generic timer readable from EL0.
pub const HWCAP_EVTSTRM: u64 = 1 << 2;
/// `AT_HWCAP` bit: AES instructions.
pub const HWCAP_AES: u64 = 1 << 3;
/// `AT_HWCAP` bit: PMULL instructions.
pub const HWCAP_PMULL: u64 = 1 << 4;
/// `AT_HWCAP` bit: SHA-1 instructions.
pub const HWCAP_SHA1: u64 = 1 << 5;
/// `AT_HWCAP` bit: SHA-256 instructions.
pub const HWCAP_SHA2: u64 = 1 << 6;
/// `AT_HWCAP` bit: CRC32 instructions.
pub const HWCAP_CRC32: u64 = 1 << 7;
/// `AT_HWCAP` bit: `MRS` of ID registers is emulated.
pub const HWCAP_CPUID: u64 = 1 << 11;
