//! Linux error numbers. Kernel functions return `Result<T, Errno>`; the
//! system-call layer turns an `Err` into the negative value user space sees.

/// A Linux errno value (positive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(transparent)]
pub struct Errno(pub i32);

impl Errno {
    /// The value a system call returns for this error.
    pub const fn as_neg(self) -> i64 {
        -(self.0 as i64)
    }
}

/// No such file or directory.
pub const ENOENT: Errno = Errno(2);
/// No child processes.
pub const ECHILD: Errno = Errno(10);
/// Try again (resource temporarily exhausted).
pub const EAGAIN: Errno = Errno(11);
/// Out of memory.
pub const ENOMEM: Errno = Errno(12);
/// Bad address.
pub const EFAULT: Errno = Errno(14);
/// Invalid argument.
pub const EINVAL: Errno = Errno(22);
/// Function not implemented.
pub const ENOSYS: Errno = Errno(38);
