//! Sockets (`include/linux/socket.h`, `include/linux/net.h`): the numbers
//! `socket(2)` checks before it looks for the address family.

use super::fcntl::{O_CLOEXEC, O_NONBLOCK};

/// `AF_UNIX`, local sockets.
pub const AF_UNIX: i32 = 1;
/// `AF_INET`, IPv4.
pub const AF_INET: i32 = 2;
/// `AF_INET6`, IPv6.
pub const AF_INET6: i32 = 10;
/// One more than the highest address family (`AF_MAX`, `NPROTO`).
pub const NPROTO: i32 = 46;
/// One more than the highest socket type (`SOCK_MAX`).
pub const SOCK_MAX: i32 = 11;
/// The bits of `socket`'s type that hold the type, not flags.
pub const SOCK_TYPE_MASK: i32 = 0xf;
/// `socket` type flag: close on exec (the same bit as `O_CLOEXEC`).
pub const SOCK_CLOEXEC: i32 = O_CLOEXEC as i32;
/// `socket` type flag: non-blocking (the same bit as `O_NONBLOCK`).
pub const SOCK_NONBLOCK: i32 = O_NONBLOCK as i32;
