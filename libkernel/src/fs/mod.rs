//! The pure half of the file systems: the cpio parser, the initramfs
//! image (compressed and concatenated archives), path resolution, mount
//! options and the FAT glue.

#[cfg(feature = "alloc")]
pub mod cpio;
#[cfg(feature = "alloc")]
pub mod fat;
#[cfg(feature = "alloc")]
pub mod initramfs;
#[cfg(feature = "alloc")]
pub mod mount;
#[cfg(feature = "alloc")]
pub mod path;
