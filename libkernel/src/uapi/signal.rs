//! `asm-generic/signal.h`: signal numbers, masks and `sigprocmask` operations.

/// Declares the signal constants and the name table.
macro_rules! signals {
    ($($name:ident = $val:literal,)*) => {
        $(
            #[doc = concat!("Signal `", stringify!($name), "`.")]
            pub const $name: u32 = $val;
        )*

        /// The name of a signal number (`"SIGCHLD"`).
        pub fn signal_name(sig: u32) -> Option<&'static str> {
            match sig {
                $($val => Some(stringify!($name)),)*
                _ => None,
            }
        }
    };
}

signals! {
    SIGHUP = 1,
    SIGINT = 2,
    SIGQUIT = 3,
    SIGILL = 4,
    SIGTRAP = 5,
    SIGABRT = 6,
    SIGBUS = 7,
    SIGFPE = 8,
    SIGKILL = 9,
    SIGUSR1 = 10,
    SIGSEGV = 11,
    SIGUSR2 = 12,
    SIGPIPE = 13,
    SIGALRM = 14,
    SIGTERM = 15,
    SIGSTKFLT = 16,
    SIGCHLD = 17,
    SIGCONT = 18,
    SIGSTOP = 19,
    SIGTSTP = 20,
    SIGTTIN = 21,
    SIGTTOU = 22,
    SIGURG = 23,
    SIGXCPU = 24,
    SIGXFSZ = 25,
    SIGVTALRM = 26,
    SIGPROF = 27,
    SIGWINCH = 28,
    SIGIO = 29,
    SIGPWR = 30,
    SIGSYS = 31,
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
