//! The block special files (`block/fops.c`, `def_blk_fops`): reading and
//! writing `/dev/mmcblk0p1` or `/dev/ram0` reaches the device through its
//! buffer cache; `fsync` writes it back; the `BLK*` ioctls give its size.

use super::{bdev_by_devt, BlockDevice};
use crate::errno::*;
use crate::fs::{File, FileOps, Inode};
use crate::mm::uaccess::{put_user_u32, put_user_u64};
use alloc::sync::Arc;
use libkernel::uapi;

/// The operations of a block special file for device number `.0`: the
/// device is looked up at each use, so a node made by `mknod` before the
/// disk appears works once it has (`ENXIO` until then).
pub struct BlkFile(pub u64);

impl BlkFile {
    fn bdev(&self) -> Result<Arc<BlockDevice>, Errno> {
        bdev_by_devt(self.0).ok_or(ENXIO)
    }
}

impl FileOps for BlkFile {
    /// `blkdev_read_iter`: short at the end of the device, 0 past it.
    fn read(&self, _: &Inode, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let b = self.bdev()?;
        let size = b.nr_sectors() * super::SECTOR_SIZE as u64;
        if off >= size {
            return Ok(0);
        }
        let n = buf.len().min((size - off) as usize);
        b.read_at(off, &mut buf[..n])?;
        Ok(n)
    }

    /// `blkdev_write_iter`: `EPERM` on a read-only disk, `ENOSPC` at or
    /// past the end, short at the end.
    fn write(&self, _: &Inode, off: u64, buf: &[u8]) -> Result<usize, Errno> {
        let b = self.bdev()?;
        if b.read_only() {
            return Err(EPERM);
        }
        let size = b.nr_sectors() * super::SECTOR_SIZE as u64;
        if off >= size {
            return Err(ENOSPC);
        }
        let n = buf.len().min((size - off) as usize);
        b.write_at(off, &buf[..n])?;
        Ok(n)
    }

    /// `blkdev_open`: `ENXIO` without the device, `EACCES` to write a
    /// read-only one.
    fn open(&self, _: &Inode, flags: u32) -> Result<Option<Arc<File>>, Errno> {
        let b = self.bdev()?;
        if flags & 3 != uapi::O_RDONLY && b.read_only() {
            return Err(EACCES);
        }
        Ok(None)
    }

    /// `blkdev_ioctl`.
    fn ioctl(&self, _: &Inode, cmd: u64, arg: u64) -> Result<i64, Errno> {
        let b = self.bdev()?;
        // `unsigned int cmd`: the upper half of the register is not looked at.
        match cmd as u32 {
            uapi::BLKGETSIZE64 => put_user_u64(arg, b.nr_sectors() * super::SECTOR_SIZE as u64)?,
            uapi::BLKGETSIZE => put_user_u64(arg, b.nr_sectors())?,
            uapi::BLKSSZGET => put_user_u32(arg, super::SECTOR_SIZE as u32)?,
            uapi::BLKBSZGET => put_user_u32(arg, libkernel::block::buffer::BLOCK_SIZE as u32)?,
            uapi::BLKROGET => put_user_u32(arg, b.read_only() as u32)?,
            uapi::BLKFLSBUF => b.invalidate()?,
            _ => return Err(ENOTTY),
        }
        Ok(0)
    }

    /// The device's size, so that `lseek(SEEK_END)` lands at its end as
    /// on Linux (`blkdev_llseek`).
    fn size(&self, _: &Inode) -> u64 {
        self.bdev()
            .map_or(0, |b| b.nr_sectors() * super::SECTOR_SIZE as u64)
    }

    fn read_never_waits(&self) -> bool {
        true
    }

    fn fsync(&self) -> bool {
        true
    }
}

/// `fsync` of a block special file (`blkdev_fsync`): writes the disk's
/// dirty buffers back; `EIO` if the device failed.
pub fn blkdev_fsync(devt: u64) -> Result<(), Errno> {
    bdev_by_devt(devt).ok_or(ENXIO)?.sync()
}
