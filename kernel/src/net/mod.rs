//! Networking (Linux's `net/`): only the `socket` call, which finds no
//! address family (pikern has none).

pub mod socket;
