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
