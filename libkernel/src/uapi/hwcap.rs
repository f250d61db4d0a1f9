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
/// `AT_HWCAP` bit: atomic instructions (LSE).
pub const HWCAP_ATOMICS: u64 = 1 << 8;
/// `AT_HWCAP` bit: half-precision floating point.
pub const HWCAP_FPHP: u64 = 1 << 9;
/// `AT_HWCAP` bit: half-precision Advanced SIMD.
pub const HWCAP_ASIMDHP: u64 = 1 << 10;
/// `AT_HWCAP` bit: rounding double multiply accumulate.
pub const HWCAP_ASIMDRDM: u64 = 1 << 12;
/// `AT_HWCAP` bit: JavaScript conversion.
pub const HWCAP_JSCVT: u64 = 1 << 13;
/// `AT_HWCAP` bit: complex number multiply-add.
pub const HWCAP_FCMA: u64 = 1 << 14;
/// `AT_HWCAP` bit: load-acquire RCpc.
pub const HWCAP_LRCPC: u64 = 1 << 15;
/// `AT_HWCAP` bit: `DC CVAP`.
pub const HWCAP_DCPOP: u64 = 1 << 16;
/// `AT_HWCAP` bit: SHA-3 instructions.
pub const HWCAP_SHA3: u64 = 1 << 17;
/// `AT_HWCAP` bit: SM3 instructions.
pub const HWCAP_SM3: u64 = 1 << 18;
/// `AT_HWCAP` bit: SM4 instructions.
pub const HWCAP_SM4: u64 = 1 << 19;
/// `AT_HWCAP` bit: dot product.
pub const HWCAP_ASIMDDP: u64 = 1 << 20;
/// `AT_HWCAP` bit: SHA-512 instructions.
pub const HWCAP_SHA512: u64 = 1 << 21;
/// `AT_HWCAP` bit: FP16 multiply-accumulate long.
pub const HWCAP_ASIMDFHM: u64 = 1 << 23;
/// `AT_HWCAP` bit: data-independent timing.
pub const HWCAP_DIT: u64 = 1 << 24;
/// `AT_HWCAP` bit: load-acquire RCpc with immediate offsets.
pub const HWCAP_ILRCPC: u64 = 1 << 26;
/// `AT_HWCAP` bit: flag manipulation.
pub const HWCAP_FLAGM: u64 = 1 << 27;
/// `AT_HWCAP` bit: speculation barrier.
pub const HWCAP_SB: u64 = 1 << 29;
/// `AT_HWCAP2` bit: `DC CVADP`.
pub const HWCAP2_DCPODP: u64 = 1 << 0;
/// `AT_HWCAP2` bit: flag manipulation, version 2.
pub const HWCAP2_FLAGM2: u64 = 1 << 7;
/// `AT_HWCAP2` bit: `RNDR`/`RNDRRS`.
pub const HWCAP2_RNG: u64 = 1 << 16;
