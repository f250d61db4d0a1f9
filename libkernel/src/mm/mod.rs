//! The pure half of memory management: the buddy allocator, address
//! ranges, and the text of `/proc/PID/maps`.

pub mod buddy;
#[cfg(feature = "alloc")]
pub mod maps;
pub mod range;
