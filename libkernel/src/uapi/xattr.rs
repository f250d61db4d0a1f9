//! Extended attributes (`include/uapi/linux/xattr.h`, `limits.h`).

/// `setxattr` flag: fail with `EEXIST` if the attribute exists.
pub const XATTR_CREATE: u32 = 0x1;
/// `setxattr` flag: fail with `ENODATA` if the attribute does not exist.
pub const XATTR_REPLACE: u32 = 0x2;
/// Longest attribute name, in bytes (`XATTR_NAME_MAX`).
pub const XATTR_NAME_MAX: usize = 255;
