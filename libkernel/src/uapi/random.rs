//! `linux/random.h`: `getrandom` flags.

/// `getrandom`: fail with `EAGAIN` instead of blocking.
pub const GRND_NONBLOCK: u32 = 1;
/// `getrandom`: use the (historical) blocking pool.
pub const GRND_RANDOM: u32 = 2;
/// `getrandom`: never block, even before the pool is ready.
pub const GRND_INSECURE: u32 = 4;
