//! `linux/sched.h`: `clone` flags.

/// Low byte of the flags: the signal sent to the parent at exit.
pub const CSIGNAL: u64 = 0xff;
/// Share the address space.
pub const CLONE_VM: u64 = 0x100;
/// Share cwd, root and umask.
pub const CLONE_FS: u64 = 0x200;
/// Share the descriptor table.
pub const CLONE_FILES: u64 = 0x400;
/// Share signal handlers.
pub const CLONE_SIGHAND: u64 = 0x800;
/// Return a pidfd in `parent_tid`.
pub const CLONE_PIDFD: u64 = 0x1000;
/// Continue tracing in the child.
pub const CLONE_PTRACE: u64 = 0x2000;
/// Suspend the parent until the child execs or exits.
pub const CLONE_VFORK: u64 = 0x4000;
/// The child's parent is the caller's parent.
pub const CLONE_PARENT: u64 = 0x8000;
/// Same thread group (a thread, not a process).
pub const CLONE_THREAD: u64 = 0x10000;
/// New mount namespace.
pub const CLONE_NEWNS: u64 = 0x20000;
/// Share System V semaphore undo lists.
pub const CLONE_SYSVSEM: u64 = 0x40000;
/// Set the child's thread pointer (`TPIDR_EL0`) to `tls`.
pub const CLONE_SETTLS: u64 = 0x80000;
/// Store the child's tid at `parent_tid` in the parent.
pub const CLONE_PARENT_SETTID: u64 = 0x10_0000;
/// Clear (and futex-wake) `child_tid` when the child exits.
pub const CLONE_CHILD_CLEARTID: u64 = 0x20_0000;
/// Ignored by the kernel (historical).
pub const CLONE_DETACHED: u64 = 0x40_0000;
/// A tracer cannot force `CLONE_PTRACE`.
pub const CLONE_UNTRACED: u64 = 0x80_0000;
/// Store the child's tid at `child_tid` in the child.
pub const CLONE_CHILD_SETTID: u64 = 0x100_0000;
/// New PID namespace (pikern has none: user space sees it refused or
/// ignored, and the fuzzer sets it at random).
pub const CLONE_NEWPID: u64 = 0x2000_0000;
/// New network namespace (as `CLONE_NEWPID`).
pub const CLONE_NEWNET: u64 = 0x4000_0000;

/// `struct clone_args` as `clone3` first took it (`CLONE_ARGS_SIZE_VER0`):
/// flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size,
/// tls.
pub const CLONE_ARGS_SIZE_VER0: usize = 64;
/// With `set_tid` and `set_tid_size` (`CLONE_ARGS_SIZE_VER1`).
pub const CLONE_ARGS_SIZE_VER1: usize = 80;
/// With `cgroup` (`CLONE_ARGS_SIZE_VER2`), the largest this kernel reads.
pub const CLONE_ARGS_SIZE_VER2: usize = 88;
/// `clone3`'s `CLONE_CLEAR_SIGHAND`: every handler back to `SIG_DFL`.
pub const CLONE_CLEAR_SIGHAND: u64 = 0x1_0000_0000;
/// `clone3`'s `CLONE_INTO_CGROUP`.
pub const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// `struct clone_args` (`clone3`), read from its first
/// [`CLONE_ARGS_SIZE_VER2`] bytes (shorter sizes leave the rest zero).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CloneArgs3 {
    /// `CLONE_*` flags (no exit signal in them).
    pub flags: u64,
    /// `CLONE_PIDFD`: where to store the pidfd.
    pub pidfd: u64,
    /// `CLONE_CHILD_SETTID` / `CLONE_CHILD_CLEARTID` address.
    pub child_tid: u64,
    /// `CLONE_PARENT_SETTID` address.
    pub parent_tid: u64,
    /// The signal the parent gets at exit.
    pub exit_signal: u64,
    /// Lowest address of the child's stack (0: the caller's sp).
    pub stack: u64,
    /// Its size: the child starts at `stack + stack_size`.
    pub stack_size: u64,
    /// `CLONE_SETTLS`: the thread pointer.
    pub tls: u64,
    /// Pids to give the child per namespace.
    pub set_tid: u64,
    /// How many `set_tid` holds.
    pub set_tid_size: u64,
    /// `CLONE_INTO_CGROUP`'s cgroup fd.
    pub cgroup: u64,
}

impl CloneArgs3 {
    /// Decodes the little-endian words of `b` (at most
    /// [`CLONE_ARGS_SIZE_VER2`] bytes; missing words are zero).
    pub fn from_bytes(b: &[u8]) -> Self {
        let w = |i: usize| {
            b.get(i * 8..i * 8 + 8)
                .and_then(|s| s.try_into().ok())
                .map_or(0, u64::from_le_bytes)
        };
        CloneArgs3 {
            flags: w(0),
            pidfd: w(1),
            child_tid: w(2),
            parent_tid: w(3),
            exit_signal: w(4),
            stack: w(5),
            stack_size: w(6),
            tls: w(7),
            set_tid: w(8),
            set_tid_size: w(9),
            cgroup: w(10),
        }
    }
}
