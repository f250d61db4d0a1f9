//! `linux/prctl.h`: `prctl` options.

/// Set the calling thread's name (`comm`).
pub const PR_SET_NAME: u32 = 15;
/// Read the calling thread's name.
pub const PR_GET_NAME: u32 = 16;
/// Make the caller a child subreaper.
pub const PR_SET_CHILD_SUBREAPER: u32 = 36;
