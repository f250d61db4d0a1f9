//! The pure half of the file systems: the initramfs cpio parser and path
//! resolution.

#[cfg(feature = "alloc")]
pub mod cpio;
#[cfg(feature = "alloc")]
pub mod path;
