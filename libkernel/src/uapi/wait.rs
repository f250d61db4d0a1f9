//! `linux/wait.h`: `wait4`/`waitid` options and the wait status word.

/// `wait4`/`waitid` option: return at once if no child has changed state.
pub const WNOHANG: u32 = 1;
/// Also report stopped children (`WSTOPPED` for `waitid`).
pub const WUNTRACED: u32 = 2;
/// `waitid`: report stopped children.
pub const WSTOPPED: u32 = 2;
/// `waitid`: report exited children.
pub const WEXITED: u32 = 4;
/// Report children continued by `SIGCONT`.
pub const WCONTINUED: u32 = 8;
/// `waitid`: leave the child waitable.
pub const WNOWAIT: u32 = 0x0100_0000;
/// Wait for any child, whatever its exit signal.
pub const __WALL: u32 = 0x4000_0000;
/// Wait only for children whose exit signal is not `SIGCHLD`.
pub const __WCLONE: u32 = 0x8000_0000;
/// Do not wait for children of other threads in the group.
pub const __WNOTHREAD: u32 = 0x2000_0000;

/// `waitid` id type: any child.
pub const P_ALL: u32 = 0;
/// `waitid` id type: the child with this pid.
pub const P_PID: u32 = 1;
/// `waitid` id type: any child in this process group.
pub const P_PGID: u32 = 2;
/// `waitid` id type: the child a pidfd refers to.
pub const P_PIDFD: u32 = 3;

/// Bit set in a wait status when the killed child dumped core.
pub const WCOREFLAG: u32 = 0x80;

/// The wait status of a child that exited with `code` (`sig` = 0) or was
/// killed by signal `sig` (`code` = 0): glibc's `W_EXITCODE`. Only the low
/// 8 bits of the exit code survive, as on Linux.
pub const fn w_exitcode(code: u32, sig: u32) -> u32 {
    ((code & 0xff) << 8) | (sig & 0x7f)
}

/// The wait status of a child stopped by `sig` (`W_STOPCODE`).
pub const fn w_stopcode(sig: u32) -> u32 {
    ((sig & 0xff) << 8) | 0x7f
}

/// Wait status of a child continued by `SIGCONT`.
pub const W_CONTINUED: u32 = 0xffff;

/// `WIFEXITED(status)`.
pub const fn wifexited(status: u32) -> bool {
    status & 0x7f == 0
}

/// `WEXITSTATUS(status)`.
pub const fn wexitstatus(status: u32) -> u32 {
    (status >> 8) & 0xff
}

/// `WIFSIGNALED(status)`.
pub const fn wifsignaled(status: u32) -> bool {
    let sig = status & 0x7f;
    sig != 0 && sig != 0x7f
}

/// `WTERMSIG(status)`.
pub const fn wtermsig(status: u32) -> u32 {
    status & 0x7f
}
