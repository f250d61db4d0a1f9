//! `linux/fs.h`: the block device ioctls.

/// `BLKROGET`: is the device read-only (`int`).
pub const BLKROGET: u32 = 0x125e;
/// `BLKRRPART`: re-read the partition table.
pub const BLKRRPART: u32 = 0x125f;
/// `BLKGETSIZE`: size in 512-byte sectors (`unsigned long`).
pub const BLKGETSIZE: u32 = 0x1260;
/// `BLKFLSBUF`: write back and drop the device's buffers.
pub const BLKFLSBUF: u32 = 0x1261;
/// `BLKSSZGET`: logical sector size (`int`).
pub const BLKSSZGET: u32 = 0x1268;
/// `BLKBSZGET`: the block size the kernel uses (`_IOR(0x12, 112, size_t)`).
pub const BLKBSZGET: u32 = 0x8008_1270;
/// `BLKGETSIZE64`: size in bytes (`_IOR(0x12, 114, size_t)`, a `u64`).
pub const BLKGETSIZE64: u32 = 0x8008_1272;
