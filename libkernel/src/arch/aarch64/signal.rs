//! The arm64 signal frame, `struct rt_sigframe`, as Linux lays it out on the
//! user stack (`arch/arm64/kernel/signal.c`, with `struct sigcontext` and
//! the `fpsimd_context` record from `arch/arm64/include/uapi/asm/sigcontext.h`
//! and `struct ucontext` from `arch/arm64/include/uapi/asm/ucontext.h`).
//!
//! A handler installed with `SA_SIGINFO` gets pointers into this frame, and
//! C libraries read and write it (`ucontext_t`, `mcontext_t`), so every
//! offset must be Linux's. The `#[repr(C)]` structures below declare the
//! layout once; the offsets the kernel writes at are taken from them with
//! `offset_of!`, and the tests pin sizes and offsets to the numbers Linux's
//! headers give. [`SigFrame`] is the part of a frame pikern fills in and
//! reads back at `rt_sigreturn`, turned into and out of the frame's bytes.

use super::fpsimd::UserFpsimdState;
use crate::uapi::{KernelSiginfo, SigAltStack};
use core::mem::{offset_of, size_of};

/// `siginfo_t`: 128 bytes; the union of per-signal fields starts at 16.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Siginfo {
    /// The signal number.
    pub si_signo: i32,
    /// An errno value (unused by Linux's own signals).
    pub si_errno: i32,
    /// Why the signal was sent (`SI_USER` = 0 for `kill`).
    pub si_code: i32,
    /// The per-signal fields (`_sifields`); 8-byte aligned as in C.
    pub _sifields: [u64; 14],
}

/// `stack_t`: an alternate signal stack.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct StackT {
    /// Base of the stack.
    pub ss_sp: u64,
    /// `SS_ONSTACK`, `SS_DISABLE`.
    pub ss_flags: i32,
    /// Size of the stack.
    pub ss_size: u64,
}

/// `sigcontext.__reserved`: 4 KiB of records (`_aarch64_ctx` headers),
/// 16-byte aligned, ended by an empty record.
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug)]
pub struct SigcontextReserved(pub [u8; 4096]);

/// `struct sigcontext` (the `uc_mcontext` of a `ucontext`): the registers
/// the handler interrupted.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Sigcontext {
    /// The faulting address of a memory fault.
    pub fault_address: u64,
    /// x0-x30.
    pub regs: [u64; 31],
    /// The user stack pointer.
    pub sp: u64,
    /// Where the interrupted code resumes.
    pub pc: u64,
    /// The interrupted PSTATE (`SPSR_EL1`).
    pub pstate: u64,
    /// The FP/SIMD record and those of later extensions.
    pub __reserved: SigcontextReserved,
}

/// arm64's `struct ucontext`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Ucontext {
    /// Flags (always 0).
    pub uc_flags: u64,
    /// The context to resume after this one (unused, 0).
    pub uc_link: u64,
    /// The alternate signal stack in effect.
    pub uc_stack: StackT,
    /// The signal mask restored by `rt_sigreturn`.
    pub uc_sigmask: u64,
    /// Room for glibc's 1024-bit `sigset_t`.
    pub __unused: [u8; 1024 / 8 - 8],
    /// The saved registers.
    pub uc_mcontext: Sigcontext,
}

/// `struct rt_sigframe`: what the kernel pushes on the user stack before
/// running a handler (`siginfo` for `x1`, the `ucontext` for `x2`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct RtSigframe {
    /// The signal's `siginfo_t`.
    pub info: Siginfo,
    /// The interrupted context.
    pub uc: Ucontext,
}

/// The header of each record in `sigcontext.__reserved`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Aarch64Ctx {
    /// What the record is (`FPSIMD_MAGIC`, ...); 0 ends the list.
    pub magic: u32,
    /// Its size in bytes, header included; 0 ends the list.
    pub size: u32,
}

/// `fpsimd_context.head.magic`.
pub const FPSIMD_MAGIC: u32 = 0x4650_8001;

/// The FP/SIMD record: FPSR, FPCR and q0-q31.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct FpsimdContext {
    /// `{FPSIMD_MAGIC, sizeof(struct fpsimd_context)}`.
    pub head: Aarch64Ctx,
    /// The floating-point status register.
    pub fpsr: u32,
    /// The floating-point control register.
    pub fpcr: u32,
    /// The vector registers.
    pub vregs: [u128; 32],
}

/// Bytes of a signal frame on the user stack.
pub const RT_SIGFRAME_SIZE: usize = size_of::<RtSigframe>();
/// The frame record (`x29`, `x30`) pushed below a signal frame.
pub const FRAME_RECORD_SIZE: usize = 16;
/// The least stack a signal handler needs, what arm64 Linux reports in
/// `AT_MINSIGSTKSZ` (`signal_minsigstksz`): the frame, its frame record,
/// and 16 bytes for aligning `sp`.
pub const SIGNAL_MINSIGSTKSZ: usize = RT_SIGFRAME_SIZE + FRAME_RECORD_SIZE + 16;
/// Where the `siginfo_t` starts in the frame (the handler's `x1`).
pub const RT_SIGFRAME_INFO: usize = offset_of!(RtSigframe, info);
/// Where the `ucontext` starts in the frame (the handler's `x2`).
pub const RT_SIGFRAME_UC: usize = offset_of!(RtSigframe, uc);

// Offsets in the frame of what pikern writes, derived from the structures.
const SI_SIGNO: usize = offset_of!(RtSigframe, info.si_signo);
const UC_STACK: usize = offset_of!(RtSigframe, uc.uc_stack);
const UC_SIGMASK: usize = offset_of!(RtSigframe, uc.uc_sigmask);
const MC_REGS: usize = offset_of!(RtSigframe, uc.uc_mcontext.regs);
const MC_SP: usize = offset_of!(RtSigframe, uc.uc_mcontext.sp);
const MC_PC: usize = offset_of!(RtSigframe, uc.uc_mcontext.pc);
const MC_PSTATE: usize = offset_of!(RtSigframe, uc.uc_mcontext.pstate);
/// The first record: pikern always puts the FP/SIMD record there.
const MC_RESERVED: usize = offset_of!(RtSigframe, uc.uc_mcontext.__reserved);
const FP_MAGIC: usize = MC_RESERVED + offset_of!(FpsimdContext, head.magic);
const FP_SIZE: usize = MC_RESERVED + offset_of!(FpsimdContext, head.size);
const FP_FPSR: usize = MC_RESERVED + offset_of!(FpsimdContext, fpsr);
const FP_FPCR: usize = MC_RESERVED + offset_of!(FpsimdContext, fpcr);
const FP_VREGS: usize = MC_RESERVED + offset_of!(FpsimdContext, vregs);
const FPSIMD_CONTEXT_SIZE: u32 = size_of::<FpsimdContext>() as u32;

/// The contents of a signal frame that pikern fills in; every other byte of
/// the frame is zero (`si_code` is `SI_USER`, no alternate stack, no fault
/// address).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigFrame {
    /// `info`: the signal and why it came.
    pub info: KernelSiginfo,
    /// `uc.uc_stack`: the alternate stack in effect when the signal came.
    pub altstack: SigAltStack,
    /// `uc.uc_sigmask`: the blocked set before the handler ran.
    pub sigmask: u64,
    /// x0-x30.
    pub regs: [u64; 31],
    /// The user stack pointer.
    pub sp: u64,
    /// The interrupted PC.
    pub pc: u64,
    /// The interrupted PSTATE.
    pub pstate: u64,
    /// The FP/SIMD record; `None` when the frame has none (read back with a
    /// first record that is not `FPSIMD_MAGIC`).
    pub fpsimd: Option<UserFpsimdState>,
}

fn put(out: &mut [u8], off: usize, v: &[u8]) {
    out[off..off + v.len()].copy_from_slice(v);
}

fn get<const N: usize>(buf: &[u8], off: usize) -> [u8; N] {
    buf[off..off + N].try_into().unwrap_or([0; N])
}

fn get_u32(buf: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(get(buf, off))
}

fn get_u64(buf: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(get(buf, off))
}

impl SigFrame {
    /// Writes the frame's image into `out` (at least [`RT_SIGFRAME_SIZE`]
    /// bytes, zeroed first): the FP/SIMD record, if any, is the first in
    /// `__reserved` and the empty end record follows it.
    pub fn write(&self, out: &mut [u8]) {
        let out = &mut out[..RT_SIGFRAME_SIZE];
        out.fill(0);
        put(out, SI_SIGNO, &self.info.to_bytes());
        put(out, UC_STACK, &self.altstack.to_bytes());
        put(out, UC_SIGMASK, &self.sigmask.to_le_bytes());
        for (i, r) in self.regs.iter().enumerate() {
            put(out, MC_REGS + 8 * i, &r.to_le_bytes());
        }
        put(out, MC_SP, &self.sp.to_le_bytes());
        put(out, MC_PC, &self.pc.to_le_bytes());
        put(out, MC_PSTATE, &self.pstate.to_le_bytes());
        if let Some(fp) = &self.fpsimd {
            put(out, FP_MAGIC, &FPSIMD_MAGIC.to_le_bytes());
            put(out, FP_SIZE, &FPSIMD_CONTEXT_SIZE.to_le_bytes());
            put(out, FP_FPSR, &fp.fpsr.to_le_bytes());
            put(out, FP_FPCR, &fp.fpcr.to_le_bytes());
            for (i, v) in fp.vregs.iter().enumerate() {
                put(out, FP_VREGS + 16 * i, &v.to_le_bytes());
            }
        }
        // The end record ({0, 0}) is already there: the image was zeroed.
    }

    /// Reads a frame's image (at least [`RT_SIGFRAME_SIZE`] bytes) back, as
    /// `rt_sigreturn` does. Only the first record is looked at, and only
    /// its magic: pikern writes no other.
    pub fn read(buf: &[u8]) -> SigFrame {
        let buf = &buf[..RT_SIGFRAME_SIZE];
        let mut regs = [0u64; 31];
        for (i, r) in regs.iter_mut().enumerate() {
            *r = get_u64(buf, MC_REGS + 8 * i);
        }
        let fpsimd = (get_u32(buf, FP_MAGIC) == FPSIMD_MAGIC).then(|| {
            let mut fp = UserFpsimdState {
                fpsr: get_u32(buf, FP_FPSR),
                fpcr: get_u32(buf, FP_FPCR),
                ..UserFpsimdState::default()
            };
            for (i, v) in fp.vregs.iter_mut().enumerate() {
                *v = u128::from_le_bytes(get(buf, FP_VREGS + 16 * i));
            }
            fp
        });
        SigFrame {
            info: KernelSiginfo::from_bytes(&get(buf, SI_SIGNO)),
            altstack: SigAltStack::from_bytes(&get(buf, UC_STACK)),
            sigmask: get_u64(buf, UC_SIGMASK),
            regs,
            sp: get_u64(buf, MC_SP),
            pc: get_u64(buf, MC_PC),
            pstate: get_u64(buf, MC_PSTATE),
            fpsimd,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::align_of;

    #[test]
    fn rt_sigframe_has_linux_arm64_layout() {
        // sizeof as Linux/arm64 has them (sigcontext.h: __reserved is 4096
        // bytes at 16-byte alignment; the fpsimd_context record is 0x210).
        assert_eq!(size_of::<Siginfo>(), 128);
        assert_eq!(size_of::<StackT>(), 24);
        assert_eq!(size_of::<Sigcontext>(), 4384);
        assert_eq!(size_of::<Ucontext>(), 4560);
        assert_eq!(size_of::<RtSigframe>(), 4688);
        assert_eq!(align_of::<RtSigframe>(), 16);
        assert_eq!(size_of::<FpsimdContext>(), 0x210);
        assert_eq!(size_of::<Aarch64Ctx>(), 8);

        assert_eq!(offset_of!(Siginfo, si_code), 8);
        assert_eq!(offset_of!(Siginfo, _sifields), 16);
        assert_eq!(offset_of!(StackT, ss_size), 16);
        assert_eq!(offset_of!(Ucontext, uc_stack), 16);
        assert_eq!(offset_of!(Ucontext, uc_sigmask), 40);
        assert_eq!(offset_of!(Ucontext, uc_mcontext), 176);
        assert_eq!(offset_of!(Sigcontext, regs), 8);
        assert_eq!(offset_of!(Sigcontext, sp), 256);
        assert_eq!(offset_of!(Sigcontext, pc), 264);
        assert_eq!(offset_of!(Sigcontext, pstate), 272);
        assert_eq!(offset_of!(Sigcontext, __reserved), 288);
        assert_eq!(offset_of!(FpsimdContext, fpsr), 8);
        assert_eq!(offset_of!(FpsimdContext, fpcr), 12);
        assert_eq!(offset_of!(FpsimdContext, vregs), 16);
        assert_eq!(RT_SIGFRAME_INFO, 0);
        assert_eq!(RT_SIGFRAME_UC, 128);
    }

    fn sample() -> SigFrame {
        let mut f = SigFrame {
            info: KernelSiginfo::from_pid(10, 0, 3),
            altstack: SigAltStack {
                sp: 0x1000,
                flags: 1,
                size: 8192,
            },
            sigmask: 0x8000_0000_0000_0002,
            sp: 0x7fff_f000,
            pc: 0x40_1234,
            pstate: 0x6000_0000,
            ..SigFrame::default()
        };
        for (i, r) in f.regs.iter_mut().enumerate() {
            *r = 0x1000 + i as u64;
        }
        let mut fp = UserFpsimdState {
            fpsr: 0x1f,
            fpcr: 0x0300_0000,
            ..UserFpsimdState::default()
        };
        for (i, v) in fp.vregs.iter_mut().enumerate() {
            *v = ((i as u128) << 100) | 0xabcd;
        }
        f.fpsimd = Some(fp);
        f
    }

    fn u64_at(b: &[u8], off: usize) -> u64 {
        u64::from_le_bytes(b[off..off + 8].try_into().unwrap())
    }

    fn u32_at(b: &[u8], off: usize) -> u32 {
        u32::from_le_bytes(b[off..off + 4].try_into().unwrap())
    }

    #[test]
    fn frame_bytes_are_where_a_c_handler_reads_them() {
        let f = sample();
        let mut b = vec![0xffu8; RT_SIGFRAME_SIZE];
        f.write(&mut b);
        // Absolute offsets from Linux's headers, not from the structures:
        // info at 0, uc at 128, uc_sigmask at +40, uc_mcontext at +176,
        // regs at +8, sp/pc/pstate at +256/+264/+272, __reserved at +288.
        let mc = 128 + 176;
        assert_eq!(u32_at(&b, 0), 10);
        assert_eq!(u32_at(&b, 8), 0, "si_code is SI_USER");
        assert_eq!(u64_at(&b, 128 + 40), 0x8000_0000_0000_0002);
        assert_eq!(u64_at(&b, mc), 0, "fault_address");
        assert_eq!(u64_at(&b, mc + 8), 0x1000);
        assert_eq!(u64_at(&b, mc + 8 + 30 * 8), 0x1000 + 30);
        assert_eq!(u64_at(&b, mc + 256), 0x7fff_f000);
        assert_eq!(u64_at(&b, mc + 264), 0x40_1234);
        assert_eq!(u64_at(&b, mc + 272), 0x6000_0000);
        let r = mc + 288;
        assert_eq!(u32_at(&b, r), 0x4650_8001);
        assert_eq!(u32_at(&b, r + 4), 528);
        assert_eq!(u32_at(&b, r + 8), 0x1f);
        assert_eq!(u32_at(&b, r + 12), 0x0300_0000);
        assert_eq!(u64_at(&b, r + 16 + 16 * 31), 0xabcd);
        // The end record after the FP/SIMD one, and nothing else written.
        assert_eq!(u64_at(&b, r + 528), 0);
        assert!(b[r + 528..].iter().all(|&x| x == 0));
        // si_pid, then zeros to uc_stack (uc at 128: flags, link, stack).
        assert_eq!(u32_at(&b, 16), 3, "si_pid");
        assert!(b[20..128 + 16].iter().all(|&x| x == 0));
        assert_eq!(u64_at(&b, 128 + 16), 0x1000, "ss_sp");
        assert_eq!(u32_at(&b, 128 + 24), 1, "ss_flags");
        assert_eq!(u64_at(&b, 128 + 32), 8192, "ss_size");
    }

    #[test]
    fn frame_reads_back_what_was_written() {
        let f = sample();
        let mut b = vec![0u8; RT_SIGFRAME_SIZE];
        f.write(&mut b);
        assert_eq!(SigFrame::read(&b), f);
    }

    #[test]
    fn frame_without_fpsimd_magic_restores_no_fp_state() {
        let f = sample();
        let mut b = vec![0u8; RT_SIGFRAME_SIZE];
        f.write(&mut b);
        b[128 + 176 + 288] ^= 1;
        let back = SigFrame::read(&b);
        assert_eq!(back.fpsimd, None);
        assert_eq!(back.regs, f.regs);
    }
}
