//! Linux error numbers. Kernel functions return `Result<T, Errno>`; the
//! system-call layer turns an `Err` into the negative value user space sees.
//! The values come from `libkernel::uapi`, shared with the host tests.

use libkernel::uapi;

/// A Linux errno value (positive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(transparent)]
pub struct Errno(pub i32);

/// What a system call returns: a value, or the error it fails with.
pub type SysResult = Result<i64, Errno>;

impl Errno {
    /// The value a system call returns for this error.
    pub const fn as_neg(self) -> i64 {
        -(self.0 as i64)
    }
}

macro_rules! errnos {
    ($($name:ident: $doc:literal),* $(,)?) => {
        $(
            #[doc = $doc]
            pub const $name: Errno = Errno(uapi::$name);
        )*
    };
}

errnos! {
    EPERM: "Operation not permitted.",
    ENOENT: "No such file or directory.",
    ESRCH: "No such process.",
    EINTR: "Interrupted system call.",
    EIO: "I/O error.",
    E2BIG: "Argument list too long.",
    ENOEXEC: "Exec format error.",
    EBADF: "Bad file descriptor.",
    ECHILD: "No child processes.",
    EAGAIN: "Try again (resource temporarily exhausted).",
    ENOMEM: "Out of memory.",
    EACCES: "Permission denied.",
    EFAULT: "Bad address.",
    EBUSY: "Device or resource busy.",
    EEXIST: "File exists.",
    ENOTDIR: "Not a directory.",
    EISDIR: "Is a directory.",
    EINVAL: "Invalid argument.",
    EMFILE: "Too many open files.",
    ENOTTY: "Not a typewriter (inappropriate ioctl).",
    ESPIPE: "Illegal seek.",
    EPIPE: "Broken pipe.",
    ERANGE: "Result out of range.",
    ENAMETOOLONG: "File name too long.",
    ENOSYS: "Function not implemented.",
    ENOTEMPTY: "Directory not empty.",
}
