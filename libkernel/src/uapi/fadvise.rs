//! `posix_fadvise` advice (`include/uapi/linux/fadvise.h`).

/// No advice.
pub const POSIX_FADV_NORMAL: i32 = 0;
/// Random access.
pub const POSIX_FADV_RANDOM: i32 = 1;
/// Sequential access.
pub const POSIX_FADV_SEQUENTIAL: i32 = 2;
/// The data will be needed soon.
pub const POSIX_FADV_WILLNEED: i32 = 3;
/// The data will not be needed (arm64's value, as the generic one).
pub const POSIX_FADV_DONTNEED: i32 = 4;
/// The data will be accessed once.
pub const POSIX_FADV_NOREUSE: i32 = 5;
