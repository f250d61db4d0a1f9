//! The arm64 half of signal delivery (Linux's `arch/arm64/kernel/signal.c`):
//! building the `rt_sigframe` on the user stack and pointing the registers
//! at the handler (`setup_rt_frame`), and undoing it at `rt_sigreturn`
//! (`restore_sigframe`). Which signal to deliver, the handler table, masks
//! and `SA_*` flags are generic (`kernel/src/signal.rs`); the frame's
//! layout is in libkernel (`arch/aarch64/signal.rs`), pinned to Linux's by
//! host tests.

use super::exception::PtRegs;
use super::fpsimd;
use crate::errno::{Errno, EFAULT};
use crate::mm::uaccess::{copy_from_user, copy_to_user};
use crate::signal::{force_sig, set_current_blocked, SigAction, SIGSEGV};
use crate::task::{self, Task};
use libkernel::arch::aarch64::signal::{
    SigFrame, RT_SIGFRAME_INFO, RT_SIGFRAME_SIZE, RT_SIGFRAME_UC,
};
use libkernel::uapi::{self, KernelSiginfo};

/// The frame record (`{fp, lr}` of the interrupted code) above the frame,
/// where the handler's x29 points: unwinders follow it out of the handler
/// and the vDSO's trampoline (its CFI says the caller's frame is there).
const FRAME_RECORD_SIZE: u64 = 16;

/// Size of the `svc #0` instruction: a restarted system call resumes this
/// far back.
pub const SVC_INSN_SIZE: u64 = 4;

/// The PSTATE bits a frame may set at `rt_sigreturn`: the condition flags
/// N, Z, C and V. Never an exception level or masked interrupts.
const PSR_NZCV_MASK: u64 = 0xf000_0000;

/// Builds the signal frame for `sig` on the user stack, saving the
/// interrupted registers, the FP/SIMD state and the blocked set `set`, and
/// points the registers at `act`'s handler (`setup_rt_frame` and
/// `setup_return`): x0 = the signal, x1 = the `siginfo`, x2 = the
/// `ucontext`, x29 = the frame record, x30 = `sa_restorer` or the vDSO's
/// `__kernel_rt_sigreturn`, which calls `rt_sigreturn`.
pub fn setup_rt_frame(
    me: &Task,
    info: &KernelSiginfo,
    act: &SigAction,
    set: u64,
    regs: &mut PtRegs,
) -> Result<(), Errno> {
    let sig = info.signo;
    let altstack = crate::signal::save_altstack(me, regs.sp);
    // `SA_ONSTACK` moves the frame to the alternate stack, unless the task
    // is already on it (`sigsp`).
    let sp = if act.flags & uapi::SA_ONSTACK != 0 && altstack.flags == 0 {
        altstack.sp + altstack.size
    } else {
        regs.sp
    };
    let frame = (sp
        .checked_sub(RT_SIGFRAME_SIZE as u64 + FRAME_RECORD_SIZE)
        .ok_or(EFAULT)?)
        & !15;
    let sf = SigFrame {
        info: *info,
        altstack,
        sigmask: set,
        regs: regs.regs,
        sp: regs.sp,
        pc: regs.pc,
        pstate: regs.pstate,
        fpsimd: Some(fpsimd::fpsimd_current_state(me)),
    };
    // On the heap: the frame is more than a quarter of the kernel stack.
    // The frame record follows it (`next_frame`).
    let mut buf = alloc::vec![0u8; RT_SIGFRAME_SIZE + FRAME_RECORD_SIZE as usize];
    sf.write(&mut buf[..RT_SIGFRAME_SIZE]);
    buf[RT_SIGFRAME_SIZE..RT_SIGFRAME_SIZE + 8].copy_from_slice(&regs.regs[29].to_le_bytes());
    buf[RT_SIGFRAME_SIZE + 8..].copy_from_slice(&regs.regs[30].to_le_bytes());
    copy_to_user(frame, &buf)?;

    if altstack.flags & uapi::SS_AUTODISARM != 0 {
        // The handler may switch stacks itself (`sas_ss_reset`); the frame
        // keeps the stack to put back at `rt_sigreturn`.
        crate::signal::sas_ss_reset(me);
    }
    regs.regs[0] = sig as u64;
    regs.regs[1] = frame + RT_SIGFRAME_INFO as u64;
    regs.regs[2] = frame + RT_SIGFRAME_UC as u64;
    regs.regs[29] = frame + RT_SIGFRAME_SIZE as u64;
    // The handler returns to `sa_restorer` if the C library gave one
    // (musl does), else to the vDSO's trampoline (glibc on arm64 relies
    // on it, as Linux's `setup_return` does).
    regs.regs[30] = if act.flags & uapi::SA_RESTORER != 0 {
        act.restorer
    } else {
        let mm = me.mm.lock();
        let tramp = mm
            .as_ref()
            .map_or(0, |mm| crate::vdso::sigreturn_address(mm));
        drop(mm);
        tramp
    };
    regs.sp = frame;
    regs.pc = act.handler;
    Ok(())
}

/// Puts back what the frame saved: registers (PSTATE only its condition
/// flags), the blocked set and, when the frame has its record, the FP/SIMD
/// registers.
fn restore_sigframe(me: &Task, regs: &mut PtRegs, sf: &SigFrame) {
    regs.regs = sf.regs;
    regs.sp = sf.sp;
    regs.pc = sf.pc;
    regs.pstate = sf.pstate & PSR_NZCV_MASK;
    set_current_blocked(me, sf.sigmask);
    crate::signal::restore_altstack(me, &sf.altstack, regs.sp);
    if let Some(fp) = &sf.fpsimd {
        fpsimd::fpsimd_update_current_state(me, fp);
    }
}

/// `rt_sigreturn`: the handler's `sa_restorer` calls it with the stack
/// pointer back at the frame; returns the interrupted x0, so the return
/// path leaves every register as it was. An unreadable frame is a
/// `SIGSEGV`.
pub fn sys_rt_sigreturn(regs: &mut PtRegs) -> Result<i64, Errno> {
    let me = task::current();
    let mut buf = alloc::vec![0u8; RT_SIGFRAME_SIZE];
    if let Err(e) = copy_from_user(&mut buf, regs.sp) {
        force_sig(SIGSEGV);
        return Err(e);
    }
    restore_sigframe(&me, regs, &SigFrame::read(&buf));
    Ok(regs.regs[0] as i64)
}
