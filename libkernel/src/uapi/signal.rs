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
