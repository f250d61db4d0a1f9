//! The pure half of memory management: the buddy allocator and address
//! ranges.

pub mod buddy;
pub mod range;
