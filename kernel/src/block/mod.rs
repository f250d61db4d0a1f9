//! The block layer (Linux's `block/`): disks (`gendisk`), the block
//! devices a disk and each of its partitions are (`block_device`), reads
//! and writes in bytes through each disk's buffer cache
//! (`libkernel::block::buffer`, Linux's `fs/buffer.c`), the MBR partition
//! scan (`libkernel::block::msdos`), the block special files in `/dev`
//! (`fops`), `/proc/partitions`, and `sync`.
//!
//! A driver (`brd`, the SD card's `mmc_block`) hands [`add_disk`] an
//! object that reads and writes whole sectors
//! ([`libkernel::block::BlockIo`]); everything above sees
//! [`BlockDevice`]s. Each disk's requests are serialised by a sleeping
//! lock, so a driver may sleep while it waits for its hardware.

pub mod fops;

use crate::errno::*;
use crate::sync::{Mutex, SpinLock};
use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt::Write;
use libkernel::block::buffer::BufferCache;
use libkernel::block::msdos::{self, Table};
pub use libkernel::block::BlockIo;
use libkernel::uapi;

/// Bytes per sector.
pub const SECTOR_SIZE: usize = libkernel::block::SECTOR_SIZE;

/// Most buffers a disk caches: 2 MiB of 4 KiB blocks.
const MAX_BUFFERS_PER_DISK: usize = 512;

/// A driver's disk as the block layer keeps it (`struct gendisk` with its
/// request queue): the driver, the buffer cache, both under one sleeping
/// lock.
pub struct Gendisk {
    /// `disk_name`: "mmcblk0", "ram0".
    name: String,
    major: u32,
    first_minor: u32,
    /// Minors the disk may use: the whole disk and `minors - 1`
    /// partitions (MMC: 8, `CONFIG_MMC_BLOCK_MINORS`).
    minors: u32,
    nr_sectors: u64,
    read_only: bool,
    queue: Mutex<Queue>,
}

struct Queue {
    io: Box<dyn BlockIo + Send>,
    cache: BufferCache,
}

/// A whole disk or one partition of it (`struct block_device`).
pub struct BlockDevice {
    name: String,
    devt: u64,
    partno: u32,
    /// First sector on the disk (0 for the whole disk).
    start_sect: u64,
    nr_sects: u64,
    disk: Arc<Gendisk>,
}

impl BlockDevice {
    /// "mmcblk0", "mmcblk0p1", "ram0".
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The device number: `makedev(179, n)` for the SD card, `(1, n)` for
    /// a RAM disk.
    pub fn devt(&self) -> u64 {
        self.devt
    }

    /// Size in 512-byte sectors.
    pub fn nr_sectors(&self) -> u64 {
        self.nr_sects
    }

    /// The partition number (0: the whole disk).
    pub fn partno(&self) -> u32 {
        self.partno
    }

    /// Whether writes are refused (a card's write-protect switch).
    pub fn read_only(&self) -> bool {
        self.disk.read_only
    }

    fn check(&self, off: u64, len: usize) -> Result<u64, Errno> {
        let size = self.nr_sects * SECTOR_SIZE as u64;
        match off.checked_add(len as u64) {
            Some(end) if end <= size => Ok(self.start_sect * SECTOR_SIZE as u64 + off),
            _ => Err(EINVAL),
        }
    }

    /// Reads `buf.len()` bytes at byte offset `off` through the buffer
    /// cache: `EIO` when the device fails, `EINVAL` past the end.
    pub fn read_at(&self, off: u64, buf: &mut [u8]) -> Result<(), Errno> {
        let at = self.check(off, buf.len())?;
        let mut q = self.disk.queue.lock();
        let q = &mut *q;
        let r = q.cache.read_at(&mut *q.io, at, buf);
        r.map_err(Errno)
    }

    /// Writes `buf` at byte offset `off` into the buffer cache, marking
    /// the buffers dirty (written back on [`BlockDevice::sync`], eviction
    /// or [`sync_all`]). `EROFS` on a read-only disk.
    pub fn write_at(&self, off: u64, buf: &[u8]) -> Result<(), Errno> {
        if self.read_only() {
            return Err(EROFS);
        }
        let at = self.check(off, buf.len())?;
        let mut q = self.disk.queue.lock();
        let q = &mut *q;
        let r = q.cache.write_at(&mut *q.io, at, buf);
        r.map_err(Errno)
    }

    /// Writes every dirty buffer of the disk and waits (`sync_blockdev`).
    pub fn sync(&self) -> Result<(), Errno> {
        self.disk.sync()
    }

    /// Writes back and drops the disk's buffers (`BLKFLSBUF`): the next
    /// reads go to the device.
    pub fn invalidate(&self) -> Result<(), Errno> {
        let mut q = self.disk.queue.lock();
        let q = &mut *q;
        let r = q.cache.invalidate(&mut *q.io);
        r.map_err(Errno)
    }
}

impl Gendisk {
    fn sync(&self) -> Result<(), Errno> {
        let mut q = self.queue.lock();
        let q = &mut *q;
        let r = q.cache.sync(&mut *q.io);
        r.map_err(Errno)
    }
}

/// Every registered block device, disks before their partitions, in
/// registration order (what `/proc/partitions` lists).
static BDEVS: SpinLock<Vec<Arc<BlockDevice>>> = SpinLock::new(Vec::new());

/// The block device numbered `devt`.
pub fn bdev_by_devt(devt: u64) -> Option<Arc<BlockDevice>> {
    let l = BDEVS.lock();
    let b = l.iter().find(|b| b.devt == devt).cloned();
    drop(l);
    b
}

/// All registered block devices.
pub fn all_bdevs() -> Vec<Arc<BlockDevice>> {
    let l = BDEVS.lock();
    let v = l.clone();
    drop(l);
    v
}

/// The block device a path names (`lookup_bdev`): `ENOENT` if there is
/// no such file, `ENOTBLK` if it is not a block special file, `ENXIO` if
/// no disk has its number.
pub fn lookup_bdev(path: &str) -> Result<Arc<BlockDevice>, Errno> {
    let inode = crate::fs::lookup_path("/", path.as_bytes())?;
    if inode.mode() & uapi::S_IFMT != uapi::S_IFBLK {
        return Err(ENOTBLK);
    }
    bdev_by_devt(inode.rdev).ok_or(ENXIO)
}

/// Writes every disk's dirty buffers back (`sync(2)`, `reboot`); the
/// first error after trying them all.
pub fn sync_all() -> Result<(), Errno> {
    let mut result = Ok(());
    for b in all_bdevs().iter().filter(|b| b.partno == 0) {
        if let Err(e) = b.disk.sync() {
            println!("{}: write-back failed: {}", b.name, e);
            if result.is_ok() {
                result = Err(e);
            }
        }
    }
    result
}

/// What a driver tells [`add_disk`] about its disk.
pub struct DiskInfo {
    /// "mmcblk0", "ram0".
    pub name: String,
    /// Major and first minor.
    pub major: u32,
    /// First minor.
    pub first_minor: u32,
    /// Minors reserved: 1 means no partitions are scanned.
    pub minors: u32,
    /// Write-protected.
    pub read_only: bool,
}

/// The name of partition `partno` of `disk` (`disk_name`): a `p` between
/// when the disk's name ends in a digit ("mmcblk0p1"; "sda1").
fn part_name(disk: &str, partno: u32) -> String {
    if disk.ends_with(|c: char| c.is_ascii_digit()) {
        alloc::format!("{disk}p{partno}")
    } else {
        alloc::format!("{disk}{partno}")
    }
}

fn register(b: Arc<BlockDevice>) {
    crate::fs::devfs::devtmpfs_create_node(
        &b.name,
        uapi::S_IFBLK | 0o660,
        b.devt,
        Arc::new(fops::BlkFile(b.devt)),
    );
    BDEVS.lock().push(b);
}

/// Registers a disk and its partitions (`device_add_disk`): the block
/// devices, their nodes in `/dev`, the partition scan with Linux's
/// message (" mmcblk0: p1 p2", " mmcblk0: unknown partition table").
pub fn add_disk(info: DiskInfo, io: Box<dyn BlockIo + Send>) -> Arc<BlockDevice> {
    let nr_sectors = io.nr_sectors();
    let disk = Arc::new(Gendisk {
        name: info.name.clone(),
        major: info.major,
        first_minor: info.first_minor,
        minors: info.minors.max(1),
        nr_sectors,
        read_only: info.read_only,
        queue: Mutex::new(Queue {
            io,
            cache: BufferCache::new(MAX_BUFFERS_PER_DISK),
        }),
    });
    let whole = Arc::new(BlockDevice {
        name: info.name,
        devt: uapi::makedev(disk.major, disk.first_minor),
        partno: 0,
        start_sect: 0,
        nr_sects: nr_sectors,
        disk: disk.clone(),
    });
    register(whole.clone());
    if disk.minors > 1 {
        scan_partitions(&whole);
    }
    whole
}

/// Reads the disk's MBR and registers the partitions it lists
/// (`bdev_disk_changed`, `msdos_partition`).
fn scan_partitions(whole: &Arc<BlockDevice>) {
    let disk = &whole.disk;
    let table = msdos::msdos_partition(disk.nr_sectors, |s, buf| {
        whole.read_at(s * SECTOR_SIZE as u64, buf)
    });
    let mut line = alloc::format!(" {}:", disk.name);
    match table {
        Err(e) => {
            let _ = write!(line, " unable to read partition table: {e}");
        }
        Ok(Table::None) => line.push_str(" unknown partition table"),
        Ok(Table::Gpt) => line.push_str(" GPT (not supported; the whole disk only)"),
        Ok(Table::Msdos(parts)) => {
            for p in parts {
                if p.partno >= disk.minors {
                    let _ = write!(line, " p{} (too many partitions)", p.partno);
                    continue;
                }
                let b = Arc::new(BlockDevice {
                    name: part_name(&disk.name, p.partno),
                    devt: uapi::makedev(disk.major, disk.first_minor + p.partno),
                    partno: p.partno,
                    start_sect: p.start,
                    nr_sects: p.nr_sects,
                    disk: disk.clone(),
                });
                let _ = write!(line, " {}", &b.name[disk.name.len()..]);
                register(b);
            }
        }
    }
    println!("{line}");
}

/// `/proc/partitions` in Linux's format (`block/genhd.c`,
/// `show_partition`): sizes in 1 KiB blocks.
pub fn proc_partitions() -> String {
    let mut s = String::from("major minor  #blocks  name\n\n");
    for b in all_bdevs() {
        let _ = writeln!(
            s,
            "{:4}  {:7} {:10} {}",
            uapi::dev_major(b.devt),
            uapi::dev_minor(b.devt),
            b.nr_sects >> 1,
            b.name
        );
    }
    s
}

/// Starts the block drivers: RAM disks from the command line (`brd`),
/// then the SD card.
pub fn init() {
    crate::drivers::block::brd::brd_init();
    crate::drivers::mmc::mmc_init();
}
