//! `socket(2)` (Linux's `net/socket.c`) on a kernel with no address
//! families: the checks `__sys_socket` and `__sock_create` make before they
//! look one up, then `EAFNOSUPPORT`, what Linux answers for a family that
//! is not built in. With no sockets, every descriptor is `ENOTSOCK` to the
//! calls that take one (`getpeername`: bash asks it of its standard input
//! to learn whether sshd started it).
//!
//! glibc's name service asks for an `AF_UNIX` socket to reach nscd, and
//! libsystemd to reach the journal, before reading `/etc/passwd`;
//! `EAFNOSUPPORT` tells them there is none, as on a Linux without
//! `CONFIG_UNIX`.

use crate::errno::SysResult;
use crate::errno::*;
use crate::fs::syscalls::files;
use libkernel::uapi;

/// `socket(family, type, protocol)`.
pub fn sys_socket(family: i32, type_: i32, _protocol: i32) -> SysResult {
    let flags = type_ & !uapi::SOCK_TYPE_MASK;
    if flags & !(uapi::SOCK_CLOEXEC | uapi::SOCK_NONBLOCK) != 0 {
        return Err(EINVAL);
    }
    if !(0..uapi::NPROTO).contains(&family) {
        return Err(EAFNOSUPPORT);
    }
    if !(0..uapi::SOCK_MAX).contains(&(type_ & uapi::SOCK_TYPE_MASK)) {
        return Err(EINVAL);
    }
    Err(EAFNOSUPPORT)
}

/// The socket behind `fd` (`sockfd_lookup`): `EBADF` for no file,
/// `ENOTSOCK` for any other, as none is a socket.
fn sockfd_lookup(fd: i64) -> SysResult {
    let file = files()?.lock().get(fd);
    file?;
    Err(ENOTSOCK)
}

/// `getsockname(fd, addr, addrlen)`.
pub fn sys_getsockname(fd: i64, _usockaddr: u64, _usockaddr_len: u64) -> SysResult {
    sockfd_lookup(fd)
}

/// `getpeername(fd, addr, addrlen)`.
pub fn sys_getpeername(fd: i64, _usockaddr: u64, _usockaddr_len: u64) -> SysResult {
    sockfd_lookup(fd)
}
