//! Linux error numbers. Kernel functions return `Result<T, Errno>`; the
//! system-call layer turns an `Err` into the negative value user space sees.
//! The values come from `libkernel::uapi`, shared with the host tests.

use libkernel::uapi;

/// A Linux errno value (positive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(transparent)]
pub struct Errno(pub i32);

impl core::fmt::Display for Errno {
    /// The C library's message (`Exec format error`), as a shell prints it.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match uapi::errno_desc(self.0) {
            Some(d) => f.write_str(d),
            None => write!(f, "errno {}", self.0),
        }
    }
}

/// What a system call returns: a value, or the error it fails with.
pub type SysResult = Result<i64, Errno>;

impl Errno {
    /// The value a system call returns for this error.
    pub const fn as_neg(self) -> i64 {
        -(self.0 as i64)
    }
}

/// `Errno` constants for every row of libkernel's errno table.
macro_rules! errnos {
    ($($name:ident = $val:literal, $desc:literal;)*) => {
        $(
            #[doc = $desc]
            #[allow(dead_code)]
            pub const $name: Errno = Errno(uapi::$name);
        )*
    };
}

libkernel::errno_table!(errnos);

/// Kernel-internal: a system call interrupted by a signal is restarted if
/// no handler runs, or the handler has `SA_RESTART`; otherwise `EINTR`
/// (include/linux/errno.h). Never seen by user space.
pub const ERESTARTSYS: Errno = Errno(512);
/// Kernel-internal: always restarted, handler or not.
pub const ERESTARTNOINTR: Errno = Errno(513);
/// Kernel-internal: restarted if no handler runs, else `EINTR`.
pub const ERESTARTNOHAND: Errno = Errno(514);
/// Kernel-internal: like [`ERESTARTNOHAND`], but the restart calls
/// `restart_syscall`, which continues from the task's restart block (a
/// sleep goes on for the time left).
pub const ERESTART_RESTARTBLOCK: Errno = Errno(516);
