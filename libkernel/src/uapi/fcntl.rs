//! `asm-generic/fcntl.h`, `linux/fcntl.h`: `open` flags, `*at` flags, `fcntl` commands, `lseek` whence and `access` modes.

/// Access mode: read only.
pub const O_RDONLY: u32 = 0;
/// Access mode: write only.
pub const O_WRONLY: u32 = 1;
/// Access mode: read and write.
pub const O_RDWR: u32 = 2;
/// Mask of the access-mode bits.
pub const O_ACCMODE: u32 = 3;
/// Create the file if it does not exist.
pub const O_CREAT: u32 = 0o100;
/// With `O_CREAT`: fail with `EEXIST` if it exists.
pub const O_EXCL: u32 = 0o200;
/// Do not make a terminal the controlling terminal.
pub const O_NOCTTY: u32 = 0o400;
/// Truncate a regular file to length 0.
pub const O_TRUNC: u32 = 0o1000;
/// Every write goes to the end of the file.
pub const O_APPEND: u32 = 0o2000;
/// Non-blocking I/O.
pub const O_NONBLOCK: u32 = 0o4000;
/// Synchronous data writes.
pub const O_DSYNC: u32 = 0o10000;
/// Fail with `ENOTDIR` unless the path names a directory. arm64 uses the
/// asm-generic value (`0o40000`); 32-bit Arm's differs.
pub const O_DIRECTORY: u32 = 0o40000;
/// Fail with `ELOOP` if the last component is a symlink (arm64 value).
pub const O_NOFOLLOW: u32 = 0o100000;
/// Direct I/O (arm64 value).
pub const O_DIRECT: u32 = 0o200000;
/// Large-file flag (arm64 value). 64-bit C libraries define their
/// `O_LARGEFILE` as 0 and Linux forces it on 64-bit kernels, so a user
/// program rarely passes it, but `F_GETFL` reports it.
pub const O_LARGEFILE: u32 = 0o400000;
/// Do not update the access time.
pub const O_NOATIME: u32 = 0o1000000;
/// Close the descriptor on `execve`.
pub const O_CLOEXEC: u32 = 0o2000000;
/// Synchronous writes (includes `O_DSYNC`).
pub const O_SYNC: u32 = 0o4010000;
/// A descriptor that only names a location (arm64 value).
pub const O_PATH: u32 = 0o10000000;
/// Unnamed temporary file in a directory (includes `O_DIRECTORY`).
pub const O_TMPFILE: u32 = 0o20000000 | O_DIRECTORY;

/// `dirfd` meaning "the current working directory".
pub const AT_FDCWD: i32 = -100;
/// Do not follow a final symlink (`fstatat`, `fchownat`...).
pub const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
/// `unlinkat`: remove a directory.
pub const AT_REMOVEDIR: u32 = 0x200;
/// `linkat`: follow a final symlink.
pub const AT_SYMLINK_FOLLOW: u32 = 0x400;
/// Do not automount the final component.
pub const AT_NO_AUTOMOUNT: u32 = 0x800;
/// An empty path means `dirfd` itself (glibc's `fstat` is
/// `newfstatat(fd, "", AT_EMPTY_PATH)`).
pub const AT_EMPTY_PATH: u32 = 0x1000;
/// `faccessat`: check with the effective ids.
pub const AT_EACCESS: u32 = 0x200;

/// `fcntl` command: duplicate to the lowest descriptor `>= arg`.
pub const F_DUPFD: u32 = 0;
/// `fcntl` command: get the descriptor flags (`FD_CLOEXEC`).
pub const F_GETFD: u32 = 1;
/// `fcntl` command: set the descriptor flags.
pub const F_SETFD: u32 = 2;
/// `fcntl` command: get the file status flags (`O_*`).
pub const F_GETFL: u32 = 3;
/// `fcntl` command: set `O_APPEND`/`O_NONBLOCK`/...
pub const F_SETFL: u32 = 4;
/// `fcntl` command: `F_DUPFD` that also sets `FD_CLOEXEC`.
pub const F_DUPFD_CLOEXEC: u32 = 1030;
/// Descriptor flag: close on `execve`.
pub const FD_CLOEXEC: u32 = 1;

/// `lseek` whence: from the start.
pub const SEEK_SET: u32 = 0;
/// `lseek` whence: from the current offset.
pub const SEEK_CUR: u32 = 1;
/// `lseek` whence: from the end.
pub const SEEK_END: u32 = 2;

/// `faccessat` mode: the file exists.
pub const F_OK: u32 = 0;
/// `faccessat` mode: executable.
pub const X_OK: u32 = 1;
/// `faccessat` mode: writable.
pub const W_OK: u32 = 2;
/// `faccessat` mode: readable.
pub const R_OK: u32 = 4;
