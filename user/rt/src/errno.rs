//! Linux error numbers and the `-errno` return convention.
//!
//! A system call returns a value in -4095..=-1 to report an error; anything
//! else (including other negative values, which some calls never produce)
//! is a result.

use core::fmt;
use libkernel::uapi;

/// A Linux error number (positive, as in `errno`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Errno(pub i32);

/// Generates `Errno::ENOENT`-style constants from libkernel's errno table.
macro_rules! errno_consts {
    ($($name:ident = $val:literal, $desc:literal;)*) => {
        impl Errno {
            $(
                #[doc = $desc]
                pub const $name: Errno = Errno(uapi::$name);
            )*
        }
    };
}

// The one errno table (libkernel/src/uapi/errno.rs), shared with the kernel.
libkernel::errno_table!(errno_consts);

impl Errno {
    /// The symbolic name (`"ENOENT"`), or `None` for numbers the table
    /// does not know.
    pub fn name(self) -> Option<&'static str> {
        uapi::errno_name(self.0)
    }

    /// The C library's description (`strerror`), as tools print it
    /// (`cat: x: No such file or directory`); `"Unknown error"` for numbers
    /// not in the table.
    pub fn message(self) -> &'static str {
        uapi::errno_desc(self.0).unwrap_or("Unknown error")
    }

    /// Largest errno the kernel encodes in a return value (`MAX_ERRNO`).
    pub const MAX: usize = uapi::MAX_ERRNO as usize;

    /// Decodes a raw system-call return value.
    #[inline]
    pub fn result(ret: isize) -> Result<usize, Errno> {
        if (ret as usize) > (-(Errno::MAX as isize) - 1) as usize {
            Err(Errno(-ret as i32))
        } else {
            Ok(ret as usize)
        }
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name}"),
            None => write!(f, "Errno({})", self.0),
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} ({})", self.0),
            None => write!(f, "errno {}", self.0),
        }
    }
}
