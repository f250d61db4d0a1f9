//! `asm-generic/signal.h`: signal numbers, masks and `sigprocmask` operations.

/// Declares the signal constants, the name table and the description table.
macro_rules! signals {
    ($($name:ident = $val:literal, $desc:literal;)*) => {
        $(
            #[doc = concat!("Signal `", stringify!($name), "`: ", $desc, ".")]
            pub const $name: u32 = $val;
        )*

        /// The name of a signal number (`"SIGCHLD"`).
        pub fn signal_name(sig: u32) -> Option<&'static str> {
            match sig {
                $($val => Some(stringify!($name)),)*
                _ => None,
            }
        }

        /// The C library's description of a signal (`strsignal`:
        /// `"Terminated"`, `"Segmentation fault"`), what a shell prints
        /// when the signal kills a job.
        pub fn signal_desc(sig: u32) -> Option<&'static str> {
            match sig {
                $($val => Some($desc),)*
                _ => None,
            }
        }
    };
}

// The descriptions are glibc's `strsignal` texts.
signals! {
    SIGHUP = 1, "Hangup";
    SIGINT = 2, "Interrupt";
    SIGQUIT = 3, "Quit";
    SIGILL = 4, "Illegal instruction";
    SIGTRAP = 5, "Trace/breakpoint trap";
    SIGABRT = 6, "Aborted";
    SIGBUS = 7, "Bus error";
    SIGFPE = 8, "Floating point exception";
    SIGKILL = 9, "Killed";
    SIGUSR1 = 10, "User defined signal 1";
    SIGSEGV = 11, "Segmentation fault";
    SIGUSR2 = 12, "User defined signal 2";
    SIGPIPE = 13, "Broken pipe";
    SIGALRM = 14, "Alarm clock";
    SIGTERM = 15, "Terminated";
    SIGSTKFLT = 16, "Stack fault";
    SIGCHLD = 17, "Child exited";
    SIGCONT = 18, "Continued";
    SIGSTOP = 19, "Stopped (signal)";
    SIGTSTP = 20, "Stopped";
    SIGTTIN = 21, "Stopped (tty input)";
    SIGTTOU = 22, "Stopped (tty output)";
    SIGURG = 23, "Urgent I/O condition";
    SIGXCPU = 24, "CPU time limit exceeded";
    SIGXFSZ = 25, "File size limit exceeded";
    SIGVTALRM = 26, "Virtual timer expired";
    SIGPROF = 27, "Profiling timer expired";
    SIGWINCH = 28, "Window changed";
    SIGIO = 29, "I/O possible";
    SIGPWR = 30, "Power failure";
    SIGSYS = 31, "Bad system call";
}

/// `SIGIOT` is `SIGABRT`.
pub const SIGIOT: u32 = SIGABRT;
/// Number of signals, counting the real-time ones (the kernel's `_NSIG`;
/// glibc's `NSIG` is 65 as it counts signal 0): signal sets
/// are 64 bits and `rt_sigprocmask` insists on `sigsetsize == 8`.
pub const NSIG: u32 = 64;
/// First real-time signal number the kernel defines (`SIGRTMIN`; glibc's
/// `SIGRTMIN` is 34 because it keeps two for its threads).
pub const SIGRTMIN: u32 = 32;

/// `rt_sigprocmask` `how`: add to the blocked set.
pub const SIG_BLOCK: u32 = 0;
/// `rt_sigprocmask` `how`: remove from the blocked set.
pub const SIG_UNBLOCK: u32 = 1;
/// `rt_sigprocmask` `how`: replace the blocked set.
pub const SIG_SETMASK: u32 = 2;
/// `sa_handler` value: default action.
pub const SIG_DFL: u64 = 0;
/// `sa_handler` value: ignore.
pub const SIG_IGN: u64 = 1;

/// `sa_flags`: no `SIGCHLD` when a child stops.
pub const SA_NOCLDSTOP: u64 = 0x1;
/// `sa_flags`: children do not become zombies.
pub const SA_NOCLDWAIT: u64 = 0x2;
/// `sa_flags`: the handler takes `(sig, siginfo, ucontext)`.
pub const SA_SIGINFO: u64 = 0x4;
/// `sa_flags`: `sa_restorer` holds the return trampoline.
pub const SA_RESTORER: u64 = 0x0400_0000;
/// `sa_flags`: run the handler on the alternate signal stack.
pub const SA_ONSTACK: u64 = 0x0800_0000;
/// `sa_flags`: restart interrupted system calls.
pub const SA_RESTART: u64 = 0x1000_0000;
/// `sa_flags`: do not block the signal while its handler runs.
pub const SA_NODEFER: u64 = 0x4000_0000;
/// `sa_flags`: reset the handler to `SIG_DFL` once delivered.
pub const SA_RESETHAND: u64 = 0x8000_0000;
/// Bytes of a kernel `sigset_t` (`rt_sigprocmask`'s `sigsetsize`).
pub const SIGSET_SIZE: usize = (NSIG / 8) as usize;

/// `si_code`: sent by `kill` (`SI_USER`).
pub const SI_USER: i32 = 0;
/// `si_code`: sent by the kernel (`SI_KERNEL`).
pub const SI_KERNEL: i32 = 0x80;
/// `si_code`: sent by `sigqueue` (`SI_QUEUE`).
pub const SI_QUEUE: i32 = -1;
/// `si_code`: sent by `tkill`/`tgkill` (`SI_TKILL`).
pub const SI_TKILL: i32 = -6;
/// `si_code` of `SIGCHLD`: the child exited.
pub const CLD_EXITED: i32 = 1;
/// `si_code` of `SIGCHLD`: the child was killed by a signal.
pub const CLD_KILLED: i32 = 2;
/// `si_code` of `SIGCHLD`: the child was killed and dumped core.
pub const CLD_DUMPED: i32 = 3;
/// `si_code` of `SIGCHLD`: a traced child stopped for its tracer.
pub const CLD_TRAPPED: i32 = 4;
/// `si_code` of `SIGCHLD`: the child stopped.
pub const CLD_STOPPED: i32 = 5;
/// `si_code` of `SIGCHLD`: the stopped child was continued.
pub const CLD_CONTINUED: i32 = 6;
/// `si_code` of `SIGSEGV`: no mapping at the address.
pub const SEGV_MAPERR: i32 = 1;
/// `si_code` of `SIGSEGV`: the mapping forbids the access.
pub const SEGV_ACCERR: i32 = 2;
/// `si_code` of `SIGBUS`: misaligned address.
pub const BUS_ADRALN: i32 = 1;
/// `si_code` of `SIGBUS`: nonexistent physical address (a mapped file's
/// page past its end).
pub const BUS_ADRERR: i32 = 2;
/// `si_code` of `SIGILL`: illegal opcode.
pub const ILL_ILLOPC: i32 = 1;

/// `sigaltstack`'s `ss_flags`: the task runs on the alternate stack.
pub const SS_ONSTACK: i32 = 1;
/// `sigaltstack`'s `ss_flags`: no alternate stack.
pub const SS_DISABLE: i32 = 2;
/// `sigaltstack`'s `ss_flags`: the stack is disarmed while a handler runs
/// on it (`SS_AUTODISARM`).
pub const SS_AUTODISARM: i32 = 1 << 31;
/// The smallest alternate stack arm64 accepts (`MINSIGSTKSZ`).
pub const MINSIGSTKSZ: u64 = 5120;

/// Size of a `siginfo_t`.
pub const SIGINFO_SIZE: usize = 128;

/// A `siginfo_t` (`kernel_siginfo_t`), as the kernel fills it for the fields it uses. The union
/// after `si_code` starts at byte 16 and its layout depends on the kind of
/// signal, which [`KernelSiginfo::to_bytes`] follows (`copy_siginfo_to_user`):
/// `kill`/`sigqueue` put `si_pid`, `si_uid` and `si_value`; `SIGCHLD`
/// `si_pid`, `si_uid`, `si_status`, `si_utime` and `si_stime`; a fault
/// `si_addr`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelSiginfo {
    /// `si_signo`.
    pub signo: u32,
    /// `si_errno`.
    pub errno: i32,
    /// `si_code`: `SI_USER`, `CLD_*`, `SEGV_*`, ...
    pub code: i32,
    /// `si_pid`: the sender, or the child for `SIGCHLD`.
    pub pid: i32,
    /// `si_uid`.
    pub uid: u32,
    /// `si_status` for `SIGCHLD`: the exit status or the signal.
    pub status: i32,
    /// `si_utime`, `si_stime` for `SIGCHLD`, in clock ticks.
    pub utime: i64,
    /// See `utime`.
    pub stime: i64,
    /// `si_addr` of a fault.
    pub addr: u64,
    /// `si_value` of `sigqueue` (and what `rt_sigqueueinfo` passed).
    pub value: u64,
}

impl KernelSiginfo {
    /// A signal from a process (`kill`): `SI_USER` with the sender's pid.
    pub fn from_pid(signo: u32, code: i32, pid: i32) -> KernelSiginfo {
        KernelSiginfo {
            signo,
            code,
            pid,
            ..KernelSiginfo::default()
        }
    }

    /// The 128-byte `siginfo_t` user space reads.
    pub fn to_bytes(&self) -> [u8; SIGINFO_SIZE] {
        let mut b = [0u8; SIGINFO_SIZE];
        b[0..4].copy_from_slice(&self.signo.to_le_bytes());
        b[4..8].copy_from_slice(&self.errno.to_le_bytes());
        b[8..12].copy_from_slice(&self.code.to_le_bytes());
        let fault =
            matches!(self.signo, SIGSEGV | SIGBUS | SIGILL | SIGFPE | SIGTRAP) && self.code > 0;
        if fault {
            b[16..24].copy_from_slice(&self.addr.to_le_bytes());
            return b;
        }
        b[16..20].copy_from_slice(&self.pid.to_le_bytes());
        b[20..24].copy_from_slice(&self.uid.to_le_bytes());
        if self.signo == SIGCHLD && self.code > 0 {
            b[24..28].copy_from_slice(&self.status.to_le_bytes());
            b[32..40].copy_from_slice(&self.utime.to_le_bytes());
            b[40..48].copy_from_slice(&self.stime.to_le_bytes());
        } else {
            b[24..32].copy_from_slice(&self.value.to_le_bytes());
        }
        b
    }

    /// Reads what user space passed to `rt_sigqueueinfo`: the header and
    /// the `kill` fields (pid, uid, value).
    pub fn from_bytes(b: &[u8; SIGINFO_SIZE]) -> KernelSiginfo {
        let w32 = |i: usize| i32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let mut v = [0u8; 8];
        v.copy_from_slice(&b[24..32]);
        KernelSiginfo {
            signo: w32(0) as u32,
            errno: w32(4),
            code: w32(8),
            pid: w32(16),
            uid: w32(20) as u32,
            value: u64::from_le_bytes(v),
            ..KernelSiginfo::default()
        }
    }
}

#[cfg(test)]
mod siginfo_tests {
    use super::*;

    #[test]
    fn sigchld_fields_sit_where_glibc_reads_them() {
        let i = KernelSiginfo {
            signo: SIGCHLD,
            code: CLD_EXITED,
            pid: 42,
            status: 5,
            utime: 7,
            stime: 9,
            ..KernelSiginfo::default()
        };
        let b = i.to_bytes();
        assert_eq!(&b[0..4], &17u32.to_le_bytes());
        assert_eq!(&b[8..12], &1i32.to_le_bytes());
        assert_eq!(&b[16..20], &42i32.to_le_bytes());
        assert_eq!(&b[24..28], &5i32.to_le_bytes());
        assert_eq!(&b[32..40], &7i64.to_le_bytes());
        assert_eq!(&b[40..48], &9i64.to_le_bytes());
    }

    #[test]
    fn a_fault_has_its_address_first_and_a_kill_its_sender() {
        let f = KernelSiginfo {
            signo: SIGSEGV,
            code: SEGV_MAPERR,
            addr: 0xdead_0000,
            ..KernelSiginfo::default()
        };
        assert_eq!(&f.to_bytes()[16..24], &0xdead_0000u64.to_le_bytes());
        let k = KernelSiginfo::from_pid(SIGUSR1, SI_USER, 7);
        let b = k.to_bytes();
        assert_eq!(&b[16..20], &7i32.to_le_bytes());
        assert_eq!(KernelSiginfo::from_bytes(&b), k);
    }
}

/// An alternate signal stack (`stack_t` as `sigaltstack` takes it and the
/// frame's `uc_stack` shows it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigAltStack {
    /// Its lowest address.
    pub sp: u64,
    /// `SS_ONSTACK`, `SS_DISABLE`, `SS_AUTODISARM`.
    pub flags: i32,
    /// Its size in bytes.
    pub size: u64,
}

impl SigAltStack {
    /// The 24-byte `stack_t`.
    pub fn to_bytes(&self) -> [u8; 24] {
        let mut b = [0u8; 24];
        b[0..8].copy_from_slice(&self.sp.to_le_bytes());
        b[8..12].copy_from_slice(&self.flags.to_le_bytes());
        b[16..24].copy_from_slice(&self.size.to_le_bytes());
        b
    }

    /// Reads a `stack_t`.
    pub fn from_bytes(b: &[u8; 24]) -> SigAltStack {
        let mut sp = [0u8; 8];
        let mut size = [0u8; 8];
        sp.copy_from_slice(&b[0..8]);
        size.copy_from_slice(&b[16..24]);
        SigAltStack {
            sp: u64::from_le_bytes(sp),
            flags: i32::from_le_bytes([b[8], b[9], b[10], b[11]]),
            size: u64::from_le_bytes(size),
        }
    }
}
