//! The pure half of the block layer (Linux's `block/` and `fs/buffer.c`):
//! the MBR partition table parser (`msdos`) and the buffer cache
//! (`buffer`), both over plain sector reads so the host tests can feed
//! them images.

pub mod buffer;
pub mod msdos;

/// Bytes per sector: the unit of block device addresses (`SECTOR_SIZE`).
pub const SECTOR_SIZE: usize = 512;

/// A device the block layer reads and writes in whole sectors (what a
/// driver's request queue does, synchronously). Errors are errno values.
pub trait BlockIo {
    /// Size in sectors.
    fn nr_sectors(&self) -> u64;
    /// Reads `buf.len() / SECTOR_SIZE` sectors from `sector` on.
    fn read_sectors(&mut self, sector: u64, buf: &mut [u8]) -> Result<(), i32>;
    /// Writes `buf.len() / SECTOR_SIZE` sectors from `sector` on.
    fn write_sectors(&mut self, sector: u64, buf: &[u8]) -> Result<(), i32>;
}
