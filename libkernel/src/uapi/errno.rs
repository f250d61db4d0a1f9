//! `asm-generic/errno-base.h`, `errno.h`: error numbers and their messages.

/// Declares the errno constants and their name/description tables.
macro_rules! errnos {
    ($($name:ident = $val:literal, $desc:literal;)*) => {
        $(
            #[doc = $desc]
            pub const $name: i32 = $val;
        )*

        /// The symbolic name of an errno value (`"ENOENT"`).
        pub fn errno_name(errno: i32) -> Option<&'static str> {
            match errno {
                $($val => Some(stringify!($name)),)*
                _ => None,
            }
        }

        /// The C library's message for an errno value
        /// (`"No such file or directory"`).
        pub fn errno_desc(errno: i32) -> Option<&'static str> {
            match errno {
                $($val => Some($desc),)*
                _ => None,
            }
        }
    };
}

/// The errno table: `NAME = value, "glibc message";` rows, in number
/// order. It expands to `$m! { rows }`, so every consumer is generated from
/// the one list (as [`syscall_table!`](crate::syscall_table) does for
/// system calls): the constants and [`errno_name`]/[`errno_desc`] here, the
/// user runtime's `Errno::ENOENT`-style constants. Values from
/// asm-generic/errno-base.h and errno.h; the messages are glibc's, so kernel
/// logs and user tools read like `strerror`.
#[macro_export]
macro_rules! errno_table {
    ($m:ident) => {
        $m! {
            EPERM = 1, "Operation not permitted";
            ENOENT = 2, "No such file or directory";
            ESRCH = 3, "No such process";
            EINTR = 4, "Interrupted system call";
            EIO = 5, "Input/output error";
            ENXIO = 6, "No such device or address";
            E2BIG = 7, "Argument list too long";
            ENOEXEC = 8, "Exec format error";
            EBADF = 9, "Bad file descriptor";
            ECHILD = 10, "No child processes";
            EAGAIN = 11, "Resource temporarily unavailable";
            ENOMEM = 12, "Cannot allocate memory";
            EACCES = 13, "Permission denied";
            EFAULT = 14, "Bad address";
            ENOTBLK = 15, "Block device required";
            EBUSY = 16, "Device or resource busy";
            EEXIST = 17, "File exists";
            EXDEV = 18, "Invalid cross-device link";
            ENODEV = 19, "No such device";
            ENOTDIR = 20, "Not a directory";
            EISDIR = 21, "Is a directory";
            EINVAL = 22, "Invalid argument";
            ENFILE = 23, "Too many open files in system";
            EMFILE = 24, "Too many open files";
            ENOTTY = 25, "Inappropriate ioctl for device";
            ETXTBSY = 26, "Text file busy";
            EFBIG = 27, "File too large";
            ENOSPC = 28, "No space left on device";
            ESPIPE = 29, "Illegal seek";
            EROFS = 30, "Read-only file system";
            EMLINK = 31, "Too many links";
            EPIPE = 32, "Broken pipe";
            EDOM = 33, "Numerical argument out of domain";
            ERANGE = 34, "Numerical result out of range";
            EDEADLK = 35, "Resource deadlock avoided";
            ENAMETOOLONG = 36, "File name too long";
            ENOLCK = 37, "No locks available";
            ENOSYS = 38, "Function not implemented";
            ENOTEMPTY = 39, "Directory not empty";
            ELOOP = 40, "Too many levels of symbolic links";
            EOVERFLOW = 75, "Value too large for defined data type";
            ENOTSOCK = 88, "Socket operation on non-socket";
            ELIBBAD = 80, "Accessing a corrupted shared library";
            EOPNOTSUPP = 95, "Operation not supported";
            EAFNOSUPPORT = 97, "Address family not supported by protocol";
            ETIMEDOUT = 110, "Connection timed out";
            ESTALE = 116, "Stale file handle";
            EUCLEAN = 117, "Structure needs cleaning";
        }
    };
}

crate::errno_table!(errnos);

/// `EWOULDBLOCK` is the same error as `EAGAIN` on Linux.
pub const EWOULDBLOCK: i32 = EAGAIN;
/// `ENOTSUP` is the same error as `EOPNOTSUPP` on Linux.
pub const ENOTSUP: i32 = EOPNOTSUPP;
/// Largest errno a system call can return: results in `-4095..=-1` are
/// errors, so a valid pointer never looks like one.
pub const MAX_ERRNO: i32 = 4095;
