//! `linux/auxvec.h`: auxiliary-vector keys and the values user space is told about.

/// Auxiliary-vector keys (`AT_*` in `linux/auxvec.h`), the `(key, value)`
/// pairs above `envp` on the initial stack.
pub mod auxv {
    /// End of the vector.
    pub const AT_NULL: u64 = 0;
    /// Entry to ignore.
    pub const AT_IGNORE: u64 = 1;
    /// Descriptor of the program (binfmt_misc).
    pub const AT_EXECFD: u64 = 2;
    /// Address of the program headers in memory.
    pub const AT_PHDR: u64 = 3;
    /// Size of one program header.
    pub const AT_PHENT: u64 = 4;
    /// Number of program headers.
    pub const AT_PHNUM: u64 = 5;
    /// Page size.
    pub const AT_PAGESZ: u64 = 6;
    /// Load address of the interpreter (0 for static programs).
    pub const AT_BASE: u64 = 7;
    /// Flags (0).
    pub const AT_FLAGS: u64 = 8;
    /// Program entry point.
    pub const AT_ENTRY: u64 = 9;
    /// Program is not ELF.
    pub const AT_NOTELF: u64 = 10;
    /// Real uid.
    pub const AT_UID: u64 = 11;
    /// Effective uid.
    pub const AT_EUID: u64 = 12;
    /// Real gid.
    pub const AT_GID: u64 = 13;
    /// Effective gid.
    pub const AT_EGID: u64 = 14;
    /// Address of the platform string (`"aarch64"`).
    pub const AT_PLATFORM: u64 = 15;
    /// CPU capability bits (`HWCAP_*`).
    pub const AT_HWCAP: u64 = 16;
    /// Clock ticks per second for `times()` (`USER_HZ`).
    pub const AT_CLKTCK: u64 = 17;
    /// Secure mode (set-uid): 0 here.
    pub const AT_SECURE: u64 = 23;
    /// Address of the base platform string.
    pub const AT_BASE_PLATFORM: u64 = 24;
    /// Address of 16 random bytes (stack guard, pointer mangling).
    pub const AT_RANDOM: u64 = 25;
    /// More CPU capability bits.
    pub const AT_HWCAP2: u64 = 26;
    /// Address of the file name passed to `execve`.
    pub const AT_EXECFN: u64 = 31;
    /// Address of the vDSO.
    pub const AT_SYSINFO_EHDR: u64 = 33;
    /// Minimal signal stack size.
    pub const AT_MINSIGSTKSZ: u64 = 51;
}

/// Page size user space is told about (`AT_PAGESZ`): the arm64 layout's.
pub use crate::arch::aarch64::memory::PAGE_SIZE;
/// Clock ticks per second user space is told about (`AT_CLKTCK`).
pub const USER_HZ: u64 = 100;
