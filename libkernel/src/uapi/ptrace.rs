//! `linux/ptrace.h` (and arm64's `asm/ptrace.h`, `linux/elf.h`'s note
//! types): the `ptrace` requests, options and events, the wait status of a
//! ptrace stop, the `PT_*` bits the kernel keeps per tracee, and the
//! layouts a tracer reads (`struct user_pt_regs`, `struct
//! ptrace_syscall_info`).

/// The tracee asks to be traced by its parent.
pub const PTRACE_TRACEME: u64 = 0;
/// Reads a word of the tracee's text.
pub const PTRACE_PEEKTEXT: u64 = 1;
/// Reads a word of the tracee's data.
pub const PTRACE_PEEKDATA: u64 = 2;
/// Reads a word of the tracee's `struct user` (not on arm64: `EIO`).
pub const PTRACE_PEEKUSR: u64 = 3;
/// Writes a word of the tracee's text.
pub const PTRACE_POKETEXT: u64 = 4;
/// Writes a word of the tracee's data.
pub const PTRACE_POKEDATA: u64 = 5;
/// Writes a word of the tracee's `struct user` (not on arm64: `EIO`).
pub const PTRACE_POKEUSR: u64 = 6;
/// Resumes the tracee.
pub const PTRACE_CONT: u64 = 7;
/// Kills the tracee.
pub const PTRACE_KILL: u64 = 8;
/// Resumes for one instruction.
pub const PTRACE_SINGLESTEP: u64 = 9;
/// Attaches, stopping the tracee with `SIGSTOP`.
pub const PTRACE_ATTACH: u64 = 16;
/// Detaches, resuming the tracee.
pub const PTRACE_DETACH: u64 = 17;
/// Resumes until the next system call entry or exit.
pub const PTRACE_SYSCALL: u64 = 24;
/// Sets the `PTRACE_O_*` options.
pub const PTRACE_SETOPTIONS: u64 = 0x4200;
/// Reads the message of the last event stop.
pub const PTRACE_GETEVENTMSG: u64 = 0x4201;
/// Reads the `siginfo` of the stop.
pub const PTRACE_GETSIGINFO: u64 = 0x4202;
/// Replaces the `siginfo` of the stop.
pub const PTRACE_SETSIGINFO: u64 = 0x4203;
/// Reads a register set (`NT_*` in `addr`, a `struct iovec` in `data`).
pub const PTRACE_GETREGSET: u64 = 0x4204;
/// Writes a register set.
pub const PTRACE_SETREGSET: u64 = 0x4205;
/// Attaches without stopping, with options in `data`.
pub const PTRACE_SEIZE: u64 = 0x4206;
/// Stops a seized tracee (`PTRACE_EVENT_STOP`).
pub const PTRACE_INTERRUPT: u64 = 0x4207;
/// Lets a seized tracee in group stop wait for its end.
pub const PTRACE_LISTEN: u64 = 0x4208;
/// Reads queued `siginfo`s.
pub const PTRACE_PEEKSIGINFO: u64 = 0x4209;
/// Reads the tracee's blocked set.
pub const PTRACE_GETSIGMASK: u64 = 0x420a;
/// Replaces the tracee's blocked set.
pub const PTRACE_SETSIGMASK: u64 = 0x420b;
/// Reads the system call the tracee stopped in (`struct
/// ptrace_syscall_info`).
pub const PTRACE_GET_SYSCALL_INFO: u64 = 0x420e;

/// Option: syscall stops report `SIGTRAP | 0x80`.
pub const PTRACE_O_TRACESYSGOOD: u64 = 1;
/// Option: stop at `fork` and attach the child.
pub const PTRACE_O_TRACEFORK: u64 = 1 << PTRACE_EVENT_FORK;
/// Option: stop at `vfork` and attach the child.
pub const PTRACE_O_TRACEVFORK: u64 = 1 << PTRACE_EVENT_VFORK;
/// Option: stop at `clone` and attach the child.
pub const PTRACE_O_TRACECLONE: u64 = 1 << PTRACE_EVENT_CLONE;
/// Option: stop at `execve` (instead of the legacy `SIGTRAP`).
pub const PTRACE_O_TRACEEXEC: u64 = 1 << PTRACE_EVENT_EXEC;
/// Option: stop when a `vfork` child released its parent.
pub const PTRACE_O_TRACEVFORKDONE: u64 = 1 << PTRACE_EVENT_VFORK_DONE;
/// Option: stop at exit, before the exit is reported.
pub const PTRACE_O_TRACEEXIT: u64 = 1 << PTRACE_EVENT_EXIT;
/// Option: stop at a seccomp `SECCOMP_RET_TRACE`.
pub const PTRACE_O_TRACESECCOMP: u64 = 1 << PTRACE_EVENT_SECCOMP;
/// Option: the tracee is killed when its tracer exits.
pub const PTRACE_O_EXITKILL: u64 = 1 << 20;
/// Option: seccomp filters are suspended.
pub const PTRACE_O_SUSPEND_SECCOMP: u64 = 1 << 21;
/// Every option `PTRACE_SETOPTIONS` accepts.
pub const PTRACE_O_MASK: u64 = 0xff | PTRACE_O_EXITKILL | PTRACE_O_SUSPEND_SECCOMP;

/// Event: `fork`.
pub const PTRACE_EVENT_FORK: u32 = 1;
/// Event: `vfork`.
pub const PTRACE_EVENT_VFORK: u32 = 2;
/// Event: `clone`.
pub const PTRACE_EVENT_CLONE: u32 = 3;
/// Event: `execve` succeeded.
pub const PTRACE_EVENT_EXEC: u32 = 4;
/// Event: the `vfork` child exec'd or exited.
pub const PTRACE_EVENT_VFORK_DONE: u32 = 5;
/// Event: the tracee is exiting.
pub const PTRACE_EVENT_EXIT: u32 = 6;
/// Event: seccomp.
pub const PTRACE_EVENT_SECCOMP: u32 = 7;
/// Event: a seized tracee's group stop or `PTRACE_INTERRUPT`.
pub const PTRACE_EVENT_STOP: u32 = 128;

/// `PTRACE_GETEVENTMSG` at a syscall-entry stop.
pub const PTRACE_EVENTMSG_SYSCALL_ENTRY: u64 = 1;
/// `PTRACE_GETEVENTMSG` at a syscall-exit stop.
pub const PTRACE_EVENTMSG_SYSCALL_EXIT: u64 = 2;

/// `ptrace_syscall_info.op`: not in a system call stop.
pub const PTRACE_SYSCALL_INFO_NONE: u8 = 0;
/// `ptrace_syscall_info.op`: syscall-entry stop.
pub const PTRACE_SYSCALL_INFO_ENTRY: u8 = 1;
/// `ptrace_syscall_info.op`: syscall-exit stop.
pub const PTRACE_SYSCALL_INFO_EXIT: u8 = 2;
/// `AUDIT_ARCH_AARCH64`: `EM_AARCH64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE`.
pub const AUDIT_ARCH_AARCH64: u32 = 0xc000_00b7;

/// Register set: the general registers (`struct user_pt_regs`).
pub const NT_PRSTATUS: u64 = 1;
/// Register set: the FP/SIMD registers (`struct user_fpsimd_state`).
pub const NT_PRFPREG: u64 = 2;
/// Register set: the system call number (an `int`; -1 skips the call).
pub const NT_ARM_SYSTEM_CALL: u64 = 0x404;

/// `struct user_pt_regs`: x0-x30, sp, pc, pstate.
pub const USER_PT_REGS_SIZE: usize = 34 * 8;
/// `struct user_fpsimd_state`: q0-q31, fpsr, fpcr, two reserved words.
pub const USER_FPSIMD_STATE_SIZE: usize = 32 * 16 + 16;
/// `sizeof(struct ptrace_syscall_info)`.
pub const PTRACE_SYSCALL_INFO_SIZE: usize = 88;

/// arm64 tells a tracer which syscall stop it is in through `x7`
/// (`PTRACE_SYSCALL_ENTER`), restored when the tracee resumes.
pub const PTRACE_SYSCALL_ENTER: u64 = 0;
/// See [`PTRACE_SYSCALL_ENTER`].
pub const PTRACE_SYSCALL_EXIT: u64 = 1;

/// `task->ptrace`: traced.
pub const PT_PTRACED: u32 = 0x1;
/// `task->ptrace`: attached with `PTRACE_SEIZE`.
pub const PT_SEIZED: u32 = 0x1_0000;
/// `task->ptrace`: where the options start (`PT_OPT_FLAG_SHIFT`).
pub const PT_OPT_FLAG_SHIFT: u32 = 3;

/// The `task->ptrace` bit of option `PTRACE_O_*` `opt`.
pub const fn pt_opt(opt: u64) -> u32 {
    (opt as u32) << PT_OPT_FLAG_SHIFT
}

/// The `task->ptrace` bit that enables event `event` (`PT_EVENT_FLAG`).
pub const fn pt_event_flag(event: u32) -> u32 {
    1 << (event + PT_OPT_FLAG_SHIFT)
}

/// `task->ptrace` with `opts` as the options, the other bits kept
/// (`ptrace_setoptions`).
pub const fn pt_set_options(ptrace: u32, opts: u64) -> u32 {
    (ptrace & !pt_opt(PTRACE_O_MASK)) | pt_opt(opts)
}

/// The stop code of event `event` (`SIGTRAP | event << 8`): what
/// `ptrace_event` stops with, and `si_code` of its `siginfo`.
pub const fn ptrace_event_code(event: u32) -> u32 {
    crate::uapi::SIGTRAP | (event << 8)
}

/// The wait status of a ptrace stop with code `code`: `WIFSTOPPED`,
/// `WSTOPSIG` the low byte, the event above it (`status >> 16`).
pub const fn ptrace_stop_status(code: u32) -> u32 {
    (code << 8) | 0x7f
}

/// The event a `clone` with `clone_flags` and exit signal `exit_signal`
/// reports (Linux's `kernel_clone`): none with `CLONE_UNTRACED`,
/// `VFORK` with `CLONE_VFORK`, `CLONE` for an exit signal other than
/// `SIGCHLD` (threads), else `FORK`.
pub const fn clone_event(clone_flags: u64, exit_signal: u32) -> Option<u32> {
    if clone_flags & crate::uapi::CLONE_UNTRACED != 0 {
        None
    } else if clone_flags & crate::uapi::CLONE_VFORK != 0 {
        Some(PTRACE_EVENT_VFORK)
    } else if exit_signal != crate::uapi::SIGCHLD {
        Some(PTRACE_EVENT_CLONE)
    } else {
        Some(PTRACE_EVENT_FORK)
    }
}

/// What a syscall stop holds for `PTRACE_GET_SYSCALL_INFO`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyscallInfo {
    /// Not a syscall stop.
    None,
    /// Entry: the number and the six argument registers.
    Entry {
        /// The system call number.
        nr: u64,
        /// x0-x5.
        args: [u64; 6],
    },
    /// Exit: what `x0` holds.
    Exit {
        /// The return value (`-errno` on failure).
        rval: i64,
    },
}

/// `struct ptrace_syscall_info` for a stop at `ip` with stack `sp`, and how
/// many of its bytes are meaningful (`ptrace_get_syscall_info`'s
/// `actual_size`: the header, then `entry` up to its arguments or `exit`
/// up to `is_error`).
pub fn syscall_info_bytes(
    info: SyscallInfo,
    ip: u64,
    sp: u64,
) -> ([u8; PTRACE_SYSCALL_INFO_SIZE], usize) {
    let mut b = [0u8; PTRACE_SYSCALL_INFO_SIZE];
    let op = match info {
        SyscallInfo::None => PTRACE_SYSCALL_INFO_NONE,
        SyscallInfo::Entry { .. } => PTRACE_SYSCALL_INFO_ENTRY,
        SyscallInfo::Exit { .. } => PTRACE_SYSCALL_INFO_EXIT,
    };
    b[0] = op;
    b[4..8].copy_from_slice(&AUDIT_ARCH_AARCH64.to_le_bytes());
    b[8..16].copy_from_slice(&ip.to_le_bytes());
    b[16..24].copy_from_slice(&sp.to_le_bytes());
    let size = match info {
        SyscallInfo::None => 24,
        SyscallInfo::Entry { nr, args } => {
            b[24..32].copy_from_slice(&nr.to_le_bytes());
            for (i, a) in args.iter().enumerate() {
                b[32 + 8 * i..40 + 8 * i].copy_from_slice(&a.to_le_bytes());
            }
            80
        }
        SyscallInfo::Exit { rval } => {
            // `syscall_get_error`: an error is -4095..-1, anything else a
            // value.
            let is_error = (-4095..0).contains(&rval);
            b[24..32].copy_from_slice(&rval.to_le_bytes());
            b[32] = is_error as u8;
            33
        }
    };
    (b, size)
}

/// `struct user_pt_regs` from x0-x30, sp, pc, pstate.
pub fn user_pt_regs_bytes(
    regs: &[u64; 31],
    sp: u64,
    pc: u64,
    pstate: u64,
) -> [u8; USER_PT_REGS_SIZE] {
    let mut b = [0u8; USER_PT_REGS_SIZE];
    for (i, v) in regs.iter().chain([sp, pc, pstate].iter()).enumerate() {
        b[8 * i..8 * i + 8].copy_from_slice(&v.to_le_bytes());
    }
    b
}

/// The 34 words of a `struct user_pt_regs`.
pub fn user_pt_regs_words(b: &[u8; USER_PT_REGS_SIZE]) -> [u64; 34] {
    core::array::from_fn(|i| u64::from_le_bytes(b[8 * i..8 * i + 8].try_into().unwrap_or([0; 8])))
}

/// The PSTATE bits a tracer may set (`valid_user_regs`): the condition
/// flags; the rest (EL0t, interrupts unmasked) is forced, so a tracee can
/// never be made to return to the kernel's mode.
pub const PSR_USER_SETTABLE: u64 = 0xf000_0000;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uapi::{wait, CLONE_UNTRACED, CLONE_VFORK, CLONE_VM, SIGCHLD, SIGSTOP, SIGTRAP};

    #[test]
    fn event_stop_status_decodes_as_wifstopped_sigtrap_with_event() {
        let st = ptrace_stop_status(ptrace_event_code(PTRACE_EVENT_FORK));
        assert_eq!(st & 0xff, 0x7f, "WIFSTOPPED");
        assert_eq!((st >> 8) & 0xff, SIGTRAP, "WSTOPSIG");
        assert_eq!(st >> 16, PTRACE_EVENT_FORK, "status >> 16 is the event");
        assert_eq!(st, 0x1057f, "as glibc's <sys/ptrace.h> users compare it");
    }

    #[test]
    fn signal_stop_status_is_w_stopcode() {
        assert_eq!(ptrace_stop_status(SIGSTOP), wait::w_stopcode(SIGSTOP));
        assert_eq!(ptrace_stop_status(SIGTRAP | 0x80) >> 8, 0x85);
        assert_eq!(
            ptrace_stop_status(ptrace_event_code(PTRACE_EVENT_STOP)),
            0x80057f
        );
    }

    #[test]
    fn options_land_in_linux_pt_bits() {
        assert_eq!(pt_opt(PTRACE_O_TRACESYSGOOD), 0x8);
        assert_eq!(pt_event_flag(PTRACE_EVENT_FORK), pt_opt(PTRACE_O_TRACEFORK));
        assert_eq!(pt_event_flag(PTRACE_EVENT_EXIT), pt_opt(PTRACE_O_TRACEEXIT));
        assert_eq!(PTRACE_O_TRACEEXIT, 0x40);
        assert_eq!(PTRACE_O_MASK, 0x3000ff);
        let p = pt_set_options(
            PT_PTRACED | PT_SEIZED | pt_opt(PTRACE_O_TRACEFORK),
            PTRACE_O_TRACEEXEC,
        );
        assert_eq!(p, PT_PTRACED | PT_SEIZED | pt_opt(PTRACE_O_TRACEEXEC));
    }

    #[test]
    fn clone_event_follows_kernel_clone() {
        assert_eq!(clone_event(0, SIGCHLD), Some(PTRACE_EVENT_FORK));
        assert_eq!(
            clone_event(CLONE_VM | CLONE_VFORK, SIGCHLD),
            Some(PTRACE_EVENT_VFORK)
        );
        assert_eq!(clone_event(CLONE_VM, 0), Some(PTRACE_EVENT_CLONE));
        assert_eq!(clone_event(CLONE_UNTRACED, SIGCHLD), None);
    }

    #[test]
    fn syscall_info_layout_matches_linux() {
        let (b, n) = syscall_info_bytes(
            SyscallInfo::Entry {
                nr: 172,
                args: [1, 2, 3, 4, 5, 6],
            },
            0x400000,
            0x7fff0000,
        );
        assert_eq!(n, 80);
        assert_eq!(b[0], PTRACE_SYSCALL_INFO_ENTRY);
        assert_eq!(
            u32::from_le_bytes(b[4..8].try_into().unwrap()),
            AUDIT_ARCH_AARCH64
        );
        assert_eq!(u64::from_le_bytes(b[8..16].try_into().unwrap()), 0x400000);
        assert_eq!(u64::from_le_bytes(b[24..32].try_into().unwrap()), 172);
        assert_eq!(u64::from_le_bytes(b[72..80].try_into().unwrap()), 6);
        let (b, n) = syscall_info_bytes(SyscallInfo::Exit { rval: -2 }, 0, 0);
        assert_eq!((n, b[0], b[32]), (33, PTRACE_SYSCALL_INFO_EXIT, 1));
        let (b, _) = syscall_info_bytes(SyscallInfo::Exit { rval: 42 }, 0, 0);
        assert_eq!(b[32], 0, "a value is not an error");
        assert_eq!(syscall_info_bytes(SyscallInfo::None, 0, 0).1, 24);
    }

    #[test]
    fn user_pt_regs_round_trip() {
        let regs: [u64; 31] = core::array::from_fn(|i| i as u64 * 3);
        let b = user_pt_regs_bytes(&regs, 0x1000, 0x2000, 0x6000_0000);
        let w = user_pt_regs_words(&b);
        assert_eq!(w[30], 90);
        assert_eq!((w[31], w[32], w[33]), (0x1000, 0x2000, 0x6000_0000));
        assert_eq!(
            USER_FPSIMD_STATE_SIZE,
            core::mem::size_of::<crate::arch::aarch64::fpsimd::UserFpsimdState>()
        );
    }
}
