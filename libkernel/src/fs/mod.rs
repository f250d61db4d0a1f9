//! The pure half of the file systems: the cpio parser, the initramfs
//! image (compressed and concatenated archives) and path resolution.

#[cfg(feature = "alloc")]
pub mod cpio;
#[cfg(feature = "alloc")]
pub mod initramfs;
#[cfg(feature = "alloc")]
pub mod path;
