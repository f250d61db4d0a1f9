//! Extended attributes (Linux's `fs/xattr.c`): the system calls, on file
//! systems that keep none.
//!
//! ramfs, devfs, procfs and tracefs here have no xattr handlers, as a
//! Linux file system built without them: after the file is found and the
//! name checked, getting, setting or removing an attribute fails
//! `EOPNOTSUPP`, and the list is empty (what `vfs_listxattr` returns with
//! no handler and no security module). Programs that look for ACLs and
//! SELinux labels (coreutils' `ls -l`, `cp -a`) take `EOPNOTSUPP` as
//! "none here", as on such a Linux file system.

use super::syscalls::{cwd, fget, user_path};
use super::{lookup_path, lookup_path_nofollow, Inode};
use crate::errno::SysResult;
use crate::errno::*;
use crate::mm::uaccess::strncpy_from_user;
use alloc::sync::Arc;
use libkernel::uapi;

/// The file a path names, following a final symbolic link or not.
fn user_inode(pathname: u64, follow: bool) -> Result<Arc<Inode>, Errno> {
    let p = user_path(pathname)?;
    let base = cwd();
    if follow {
        lookup_path(&base, &p)
    } else {
        lookup_path_nofollow(&base, &p)
    }
}

/// Reads an attribute name: 1 to `XATTR_NAME_MAX` bytes, else `ERANGE`
/// (`import_xattr_name`).
fn check_name(name: u64) -> Result<(), Errno> {
    match strncpy_from_user(name, uapi::XATTR_NAME_MAX + 1) {
        Ok(n) if n.is_empty() || n.len() > uapi::XATTR_NAME_MAX => Err(ERANGE),
        Ok(_) => Ok(()),
        Err(e) if e == ENAMETOOLONG => Err(ERANGE),
        Err(e) => Err(e),
    }
}

/// `setxattr`'s checks, in Linux's order: flags, then the name.
fn set_checks(name: u64, flags: u32) -> Result<(), Errno> {
    if flags & !(uapi::XATTR_CREATE | uapi::XATTR_REPLACE) != 0 {
        return Err(EINVAL);
    }
    check_name(name)
}

fn setxattr(inode: Result<Arc<Inode>, Errno>, name: u64, flags: u32) -> SysResult {
    inode?;
    set_checks(name, flags)?;
    Err(EOPNOTSUPP)
}

fn getxattr(inode: Result<Arc<Inode>, Errno>, name: u64) -> SysResult {
    inode?;
    check_name(name)?;
    Err(EOPNOTSUPP)
}

fn listxattr(inode: Result<Arc<Inode>, Errno>) -> SysResult {
    inode?;
    Ok(0)
}

/// `setxattr(path, name, value, size, flags)`.
pub fn sys_setxattr(pathname: u64, name: u64, _value: u64, _size: u64, flags: u32) -> SysResult {
    setxattr(user_inode(pathname, true), name, flags)
}

/// `lsetxattr(path, name, value, size, flags)`: a symbolic link itself.
pub fn sys_lsetxattr(pathname: u64, name: u64, _value: u64, _size: u64, flags: u32) -> SysResult {
    setxattr(user_inode(pathname, false), name, flags)
}

/// `fsetxattr(fd, name, value, size, flags)`.
pub fn sys_fsetxattr(fd: i64, name: u64, _value: u64, _size: u64, flags: u32) -> SysResult {
    setxattr(fget(fd).map(|f| f.inode.clone()), name, flags)
}

/// `getxattr(path, name, value, size)`.
pub fn sys_getxattr(pathname: u64, name: u64, _value: u64, _size: u64) -> SysResult {
    getxattr(user_inode(pathname, true), name)
}

/// `lgetxattr(path, name, value, size)`: a symbolic link itself.
pub fn sys_lgetxattr(pathname: u64, name: u64, _value: u64, _size: u64) -> SysResult {
    getxattr(user_inode(pathname, false), name)
}

/// `fgetxattr(fd, name, value, size)`.
pub fn sys_fgetxattr(fd: i64, name: u64, _value: u64, _size: u64) -> SysResult {
    getxattr(fget(fd).map(|f| f.inode.clone()), name)
}

/// `listxattr(path, list, size)`: no names, so 0 bytes.
pub fn sys_listxattr(pathname: u64, _list: u64, _size: u64) -> SysResult {
    listxattr(user_inode(pathname, true))
}

/// `llistxattr(path, list, size)`: a symbolic link itself.
pub fn sys_llistxattr(pathname: u64, _list: u64, _size: u64) -> SysResult {
    listxattr(user_inode(pathname, false))
}

/// `flistxattr(fd, list, size)`.
pub fn sys_flistxattr(fd: i64, _list: u64, _size: u64) -> SysResult {
    listxattr(fget(fd).map(|f| f.inode.clone()))
}

/// `removexattr(path, name)`.
pub fn sys_removexattr(pathname: u64, name: u64) -> SysResult {
    getxattr(user_inode(pathname, true), name)
}

/// `lremovexattr(path, name)`: a symbolic link itself.
pub fn sys_lremovexattr(pathname: u64, name: u64) -> SysResult {
    getxattr(user_inode(pathname, false), name)
}

/// `fremovexattr(fd, name)`.
pub fn sys_fremovexattr(fd: i64, name: u64) -> SysResult {
    getxattr(fget(fd).map(|f| f.inode.clone()), name)
}
