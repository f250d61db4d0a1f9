//! `linux/prctl.h`: `prctl` options.

/// Set the signal a process gets when its parent dies.
pub const PR_SET_PDEATHSIG: u32 = 1;
/// Read that signal.
pub const PR_GET_PDEATHSIG: u32 = 2;
/// Read whether the process may dump core (1: yes).
pub const PR_GET_DUMPABLE: u32 = 3;
/// Set it (0 or 1).
pub const PR_SET_DUMPABLE: u32 = 4;
/// Set the calling thread's name (`comm`).
pub const PR_SET_NAME: u32 = 15;
/// Read the calling thread's name.
pub const PR_GET_NAME: u32 = 16;
/// Make the caller a child subreaper.
pub const PR_SET_CHILD_SUBREAPER: u32 = 36;
/// Read whether the caller is a child subreaper.
pub const PR_GET_CHILD_SUBREAPER: u32 = 37;
/// Set `no_new_privs` (1 only; pikern has no privileges to gain).
pub const PR_SET_NO_NEW_PRIVS: u32 = 38;
/// Read `no_new_privs`.
pub const PR_GET_NO_NEW_PRIVS: u32 = 39;
