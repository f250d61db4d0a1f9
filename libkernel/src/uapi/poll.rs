//! `asm-generic/poll.h`: `poll`/`ppoll` event bits and `struct pollfd`.

/// There is data to read.
pub const POLLIN: u16 = 0x0001;
/// There is urgent data to read.
pub const POLLPRI: u16 = 0x0002;
/// Writing now will not block.
pub const POLLOUT: u16 = 0x0004;
/// An error condition (the read end of a pipe is closed).
pub const POLLERR: u16 = 0x0008;
/// Hung up (the write end of a pipe is closed).
pub const POLLHUP: u16 = 0x0010;
/// `fd` is not open.
pub const POLLNVAL: u16 = 0x0020;
/// Normal data to read (as `POLLIN`).
pub const POLLRDNORM: u16 = 0x0040;
/// Priority data to read.
pub const POLLRDBAND: u16 = 0x0080;
/// Normal data may be written (as `POLLOUT`).
pub const POLLWRNORM: u16 = 0x0100;
/// Priority data may be written.
pub const POLLWRBAND: u16 = 0x0200;
/// Bytes of `struct pollfd` (`int fd; short events; short revents;`).
pub const POLLFD_SIZE: usize = 8;
