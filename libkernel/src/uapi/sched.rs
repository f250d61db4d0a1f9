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
