//! FAT12/16/32 volumes (Linux's `fs/fat/`, mounted as `vfat`): the glue
//! between a disk (a [`Disk`]: a block device or, in the host tests, an
//! image in memory) and the `hadris-fat` driver, with every error turned
//! into a Linux errno and a message in Linux's words.
//!
//! Why `hadris-fat`: it is `no_std` + `alloc` on stable Rust, reads AND
//! writes long file names (students' programs are called
//! `raspbian_fork`), does create/unlink/mkdir/rmdir/rename/truncate on
//! FAT12, FAT16 and FAT32, has a node (inode-like) interface the VFS maps
//! onto directly, detects loops in cluster chains, and orders its writes so
//! an interrupted operation leaves at worst lost clusters. `fatfs` 0.3
//! needs `core_io` (nightly) without `std`; `embedded-sdmmc` creates only
//! 8.3 names and has no rename.
//!
//! Before the driver sees a boot sector, [`check_boot_sector`] applies
//! Linux's `fat_read_bpb` checks, so a bad one fails the mount with
//! `EINVAL` and the message Linux prints (`bogus number of reserved
//! sectors`).

use crate::uapi;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use hadris_fat::sync::FatFs;
use hadris_fs::sync::FileSystem;
pub use hadris_fs::{Clock, DateTime};
use hadris_fs::{
    DirCursor, ErrorKind, FileType, MountOptions, Name, NodeId, OpenMode, RenameMode, SetAttr,
};
use hadris_storage::sync::BlockDevice;
use hadris_storage::{BlockIndex, BlockSize};

/// A FAT sector as this glue addresses the disk.
pub const SECTOR_SIZE: usize = 512;

/// `f_type` of a FAT volume (`MSDOS_SUPER_MAGIC`).
pub use crate::uapi::MSDOS_SUPER_MAGIC;

/// What a FAT volume lives on: byte-addressed reads and writes with
/// Linux errnos (`EIO`), as the block layer's `BlockDevice` gives them.
pub trait Disk: Send {
    /// Size in 512-byte sectors.
    fn nr_sectors(&self) -> u64;
    /// Whether writes are refused.
    fn read_only(&self) -> bool;
    /// Reads `buf.len()` bytes at byte offset `off`.
    fn read_at(&mut self, off: u64, buf: &mut [u8]) -> Result<(), i32>;
    /// Writes `buf` at byte offset `off`.
    fn write_at(&mut self, off: u64, buf: &[u8]) -> Result<(), i32>;
    /// Makes earlier writes durable (`sync_blockdev`).
    fn flush(&mut self) -> Result<(), i32>;
}

/// A disk error as the driver carries it: the errno the disk gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskError(pub i32);

impl fmt::Display for DiskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "disk error {}", self.0)
    }
}

impl core::error::Error for DiskError {}

/// A [`Disk`] as the driver's block device.
pub struct DiskDev<D: Disk>(D);

impl<D: Disk> hadris_io::ErrorType for DiskDev<D> {
    type Error = DiskError;
}

/// Turns a disk errno into the driver's error.
fn dev_err(e: i32) -> hadris_fs::Error<DiskError> {
    hadris_fs::Error::device(DiskError(e), "disk I/O failed").with_kind(ErrorKind::Io)
}

impl<D: Disk> BlockDevice for DiskDev<D> {
    fn block_size(&self) -> BlockSize {
        // 512 is non-zero, so `new` cannot fail.
        BlockSize::new(SECTOR_SIZE as u32).unwrap_or_else(|| unreachable!())
    }

    fn block_count(&self) -> u64 {
        self.0.nr_sectors()
    }

    fn writable(&self) -> bool {
        !self.0.read_only()
    }

    fn read_blocks(
        &mut self,
        first: BlockIndex,
        buf: &mut [u8],
    ) -> Result<(), hadris_fs::Error<DiskError>> {
        let off = first
            .get()
            .checked_mul(SECTOR_SIZE as u64)
            .ok_or_else(|| dev_err(uapi::EINVAL))?;
        self.0.read_at(off, buf).map_err(dev_err)
    }

    fn write_blocks(
        &mut self,
        first: BlockIndex,
        buf: &[u8],
    ) -> Result<(), hadris_fs::Error<DiskError>> {
        if self.0.read_only() {
            return Err(ErrorKind::ReadOnly.into());
        }
        let off = first
            .get()
            .checked_mul(SECTOR_SIZE as u64)
            .ok_or_else(|| dev_err(uapi::EINVAL))?;
        self.0.write_at(off, buf).map_err(dev_err)
    }

    fn flush(&mut self) -> Result<(), hadris_fs::Error<DiskError>> {
        self.0.flush().map_err(dev_err)
    }
}

/// A failed FAT operation: the errno the caller returns and, for the
/// kernel log, what went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FatError {
    /// Linux errno (positive).
    pub errno: i32,
    /// What went wrong, in Linux's words where Linux has them.
    pub msg: &'static str,
}

impl FatError {
    const fn new(errno: i32, msg: &'static str) -> Self {
        FatError { errno, msg }
    }
}

impl From<hadris_fs::Error<DiskError>> for FatError {
    fn from(e: hadris_fs::Error<DiskError>) -> Self {
        // A disk error keeps the disk's errno; a corrupt volume is `EIO`
        // for file operations, as Linux's `fat_fs_error` makes it, and
        // `EUCLEAN` only where Linux says "Structure needs cleaning".
        let errno = match (e.device_error(), e.kind()) {
            (Some(d), _) => d.0,
            (None, ErrorKind::Corrupt) => uapi::EIO,
            (None, ErrorKind::LimitExceeded) => uapi::ENOMEM,
            (None, k) => k.errno().linux(),
        };
        FatError::new(errno, e.message())
    }
}

/// A FAT result.
pub type FatResult<T> = Result<T, FatError>;

/// The fields of a boot sector the mount checks (`struct fat_bios_param_block`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bpb {
    pub sector_size: u16,
    pub sec_per_clus: u8,
    pub reserved: u16,
    pub fats: u8,
    pub dir_entries: u16,
    pub total_sectors: u32,
    pub media: u8,
    pub fat_length: u32,
}

/// Linux's `fat_read_bpb`: the boot sector's sanity checks, each failing
/// with `EINVAL` and Linux's message.
pub fn check_boot_sector(sec: &[u8], nr_sectors: u64) -> FatResult<Bpb> {
    let bad = |msg| Err(FatError::new(uapi::EINVAL, msg));
    if sec.len() < SECTOR_SIZE {
        return bad("unable to read boot sector");
    }
    let u16_at = |o: usize| u16::from_le_bytes([sec[o], sec[o + 1]]);
    let u32_at = |o: usize| u32::from_le_bytes([sec[o], sec[o + 1], sec[o + 2], sec[o + 3]]);
    let fat16_len = u16_at(22);
    let b = Bpb {
        sector_size: u16_at(11),
        sec_per_clus: sec[13],
        reserved: u16_at(14),
        fats: sec[16],
        dir_entries: u16_at(17),
        total_sectors: match u16_at(19) {
            0 => u32_at(32),
            n => n as u32,
        },
        media: sec[21],
        fat_length: if fat16_len == 0 {
            u32_at(36)
        } else {
            fat16_len as u32
        },
    };
    if sec[510] != 0x55 || sec[511] != 0xaa {
        // Linux accepts a missing signature; a sector that fails the
        // checks below as well is "not a FAT file system".
        if b.reserved == 0 || b.fats == 0 {
            return bad("Can't find a valid FAT filesystem");
        }
    }
    if b.reserved == 0 {
        return bad("bogus number of reserved sectors");
    }
    if b.fats == 0 {
        return bad("bogus number of FAT structure");
    }
    if !(b.media >= 0xf8 || b.media == 0xf0) {
        return bad("invalid media value");
    }
    if !b.sector_size.is_power_of_two() || !(512..=4096).contains(&b.sector_size) {
        return bad("bogus logical sector size");
    }
    if !b.sec_per_clus.is_power_of_two() {
        return bad("bogus sectors per cluster");
    }
    if b.fat_length == 0 {
        return bad("bogus number of FAT sectors");
    }
    if b.total_sectors == 0 {
        return bad("bogus number of total sector count");
    }
    let bytes = b.total_sectors as u64 * b.sector_size as u64;
    if bytes > nr_sectors * SECTOR_SIZE as u64 {
        return bad("bogus number of total sector count (larger than the device)");
    }
    Ok(b)
}

/// What `stat` shows of a FAT file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FatAttr {
    /// A directory.
    pub is_dir: bool,
    /// Size in bytes (0 for directories).
    pub size: u64,
    /// Bytes the cluster chain holds.
    pub allocated: u64,
    /// Modification, access and creation times in seconds since 1970.
    pub mtime: i64,
    pub atime: i64,
    pub ctime: i64,
    /// `ATTR_RO`: Linux's vfat shows it as no write permission.
    pub read_only: bool,
}

/// One directory entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FatDirent {
    /// Its (long) name.
    pub name: String,
    /// Whether it is a directory.
    pub is_dir: bool,
}

/// `statfs` of a volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FatStatfs {
    /// Cluster size in bytes.
    pub cluster_size: u32,
    /// Clusters.
    pub clusters: u64,
    /// Free clusters.
    pub free: u64,
}

/// A node of the volume (pinned by `lookup`/`create`/`mkdir`, released by
/// [`FatVolume::forget`]).
pub type Node = u64;

/// A mounted FAT volume. The driver's state (4.6 KiB) lives on the
/// heap: a kernel stack is 16 KiB.
pub struct FatVolume<D: Disk> {
    fs: Box<FatFs<DiskDev<D>>>,
}

fn node(n: Node) -> FatResult<NodeId> {
    NodeId::new(n).ok_or(FatError::new(uapi::ESTALE, "node 0"))
}

/// A name as the driver wants it: no `/`, no NUL, not `.`/`..`.
fn fat_name(name: &str) -> FatResult<&Name> {
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\0']) {
        return Err(FatError::new(uapi::EINVAL, "bad name"));
    }
    if name.len() > 255 {
        return Err(FatError::new(uapi::ENAMETOOLONG, "name too long"));
    }
    Ok(Name::new(name))
}

fn secs(t: Option<hadris_fs::DateTime>) -> i64 {
    t.map(|t| t.unix_seconds()).unwrap_or(0)
}

impl<D: Disk> FatVolume<D> {
    /// `fat_fill_super`: checks the boot sector and mounts; `read_only`
    /// for `-o ro`; `clock` stamps new and changed entries.
    #[inline(never)]
    pub fn mount(
        mut disk: D,
        read_only: bool,
        clock: &'static dyn Clock,
    ) -> Result<Self, (FatError, D)> {
        let mut sec = [0u8; SECTOR_SIZE];
        if disk.nr_sectors() == 0 {
            return Err((
                FatError::new(uapi::EINVAL, "unable to read boot sector"),
                disk,
            ));
        }
        if let Err(e) = disk.read_at(0, &mut sec) {
            return Err((FatError::new(e, "unable to read boot sector"), disk));
        }
        if let Err(e) = check_boot_sector(&sec, disk.nr_sectors()) {
            return Err((e, disk));
        }
        let mut opts = MountOptions::new().with_clock(clock);
        if read_only {
            opts = opts.read_only();
        }
        match FatFs::mount(DiskDev(disk), opts) {
            Ok(fs) => Ok(FatVolume { fs: Box::new(fs) }),
            Err(e) => {
                let (e, dev) = e.into_parts();
                let mut err = FatError::from(e);
                // A boot sector the driver refuses is a bad super block
                // (`EINVAL`), as Linux's mount reports it.
                if matches!(err.errno, uapi::EIO | uapi::EUCLEAN | uapi::EOPNOTSUPP) {
                    err.errno = uapi::EINVAL;
                }
                Err((err, dev.0))
            }
        }
    }

    /// Writes everything back and gives the disk back (`kill_block_super`).
    pub fn unmount(self) -> Result<D, (FatError, D)> {
        match (*self.fs).unmount() {
            Ok(d) => Ok(d.0),
            Err(e) => {
                let (e, dev) = e.into_parts();
                Err((FatError::from(e), dev.0))
            }
        }
    }

    /// Whether the volume is mounted read-only (asked, or the disk is).
    pub fn is_read_only(&self) -> bool {
        self.fs.is_read_only()
    }

    /// Whether the volume's clean bit was off at mount: the last writer
    /// stopped without unmounting (Linux then says "Volume was not
    /// properly unmounted").
    pub fn was_dirty(&self) -> bool {
        self.fs.was_dirty()
    }

    /// The root directory's node.
    pub fn root(&self) -> Node {
        FileSystem::root(&*self.fs).get()
    }

    /// The entry `name` of directory `dir`, pinned.
    pub fn lookup(&mut self, dir: Node, name: &str) -> FatResult<Node> {
        let name = fat_name(name).map_err(|e| {
            if e.errno == uapi::EINVAL {
                FatError::new(uapi::ENOENT, "no such entry")
            } else {
                e
            }
        })?;
        Ok(self.fs.lookup(node(dir)?, name)?.get())
    }

    /// Releases one pin of `n`.
    pub fn forget(&mut self, n: Node) {
        if let Ok(id) = node(n) {
            self.fs.forget(id, 1);
        }
    }

    /// The attributes of `n`.
    pub fn stat(&mut self, n: Node) -> FatResult<FatAttr> {
        let m = self.fs.stat(node(n)?)?;
        Ok(FatAttr {
            is_dir: m.file_type() == FileType::Dir,
            size: m.len(),
            allocated: m.allocated(),
            mtime: secs(m.modified()),
            atime: secs(m.accessed().or(m.modified())),
            ctime: secs(m.created().or(m.modified())),
            read_only: m.permissions().bits() & 0o222 == 0,
        })
    }

    /// All entries of `dir` but `.` and `..`.
    pub fn readdir(&mut self, dir: Node) -> FatResult<Vec<FatDirent>> {
        let dir = node(dir)?;
        let mut out = Vec::new();
        let mut cur = DirCursor::START;
        while let Some(e) = self.fs.readdir(dir, cur)? {
            let next = e.next_cursor();
            // A corrupt directory must not make the walk go round forever.
            if next.into_raw() <= cur.into_raw() {
                return Err(FatError::new(uapi::EIO, "directory cursor went backwards"));
            }
            cur = next;
            let name = String::from_utf8_lossy(e.name().as_bytes()).into_owned();
            if name == "." || name == ".." {
                continue;
            }
            out.try_reserve(1)
                .map_err(|_| FatError::new(uapi::ENOMEM, "out of memory"))?;
            out.push(FatDirent {
                name,
                is_dir: e.file_type() == FileType::Dir,
            });
        }
        Ok(out)
    }

    /// Marks `n` open (for writing if `write`): an open file cannot be
    /// removed underneath.
    pub fn open(&mut self, n: Node, write: bool) -> FatResult<()> {
        let mode = if write {
            OpenMode::Write
        } else {
            OpenMode::Read
        };
        Ok(self.fs.open(node(n)?, mode)?)
    }

    /// Ends one [`FatVolume::open`] of `n`, writing its size and time.
    pub fn close(&mut self, n: Node) -> FatResult<()> {
        Ok(self.fs.close(node(n)?)?)
    }

    /// Reads at `off`; fewer bytes at the end of the file.
    pub fn read(&mut self, n: Node, off: u64, buf: &mut [u8]) -> FatResult<usize> {
        let id = node(n)?;
        let mut done = 0;
        while done < buf.len() {
            let got = self.fs.read(id, off + done as u64, &mut buf[done..])?;
            if got == 0 {
                break;
            }
            done += got;
        }
        Ok(done)
    }

    /// Writes all of `buf` at `off` (the node must be open for writing).
    pub fn write(&mut self, n: Node, off: u64, buf: &[u8]) -> FatResult<()> {
        let id = node(n)?;
        let mut done = 0;
        while done < buf.len() {
            let put = self.fs.write(id, off + done as u64, &buf[done..])?;
            if put == 0 {
                return Err(FatError::new(uapi::ENOSPC, "no space left on volume"));
            }
            done += put;
        }
        Ok(())
    }

    /// Sets the length of `n` (the node must be open for writing).
    pub fn truncate(&mut self, n: Node, len: u64) -> FatResult<()> {
        Ok(self.fs.truncate(node(n)?, len)?)
    }

    /// Writes `n`'s directory entry and flushes the disk.
    pub fn fsync(&mut self, n: Node) -> FatResult<()> {
        Ok(self.fs.fsync(node(n)?)?)
    }

    /// Creates an empty file `name` in `dir` and returns it pinned.
    pub fn create(&mut self, dir: Node, name: &str) -> FatResult<Node> {
        let name = fat_name(name)?;
        Ok(self.fs.create(node(dir)?, name, &SetAttr::new())?.get())
    }

    /// Creates a directory `name` in `dir` and returns it pinned.
    pub fn mkdir(&mut self, dir: Node, name: &str) -> FatResult<Node> {
        let name = fat_name(name)?;
        Ok(self.fs.mkdir(node(dir)?, name, &SetAttr::new())?.get())
    }

    /// Removes the file `name` from `dir`.
    pub fn unlink(&mut self, dir: Node, name: &str) -> FatResult<()> {
        let name = fat_name(name)?;
        Ok(self.fs.unlink(node(dir)?, name)?)
    }

    /// Removes the empty directory `name` from `dir`.
    pub fn rmdir(&mut self, dir: Node, name: &str) -> FatResult<()> {
        let name = fat_name(name)?;
        Ok(self.fs.rmdir(node(dir)?, name)?)
    }

    /// Moves `from` in `fdir` to `to` in `tdir`, replacing a file (or an
    /// empty directory) there unless `noreplace`.
    pub fn rename(
        &mut self,
        fdir: Node,
        from: &str,
        tdir: Node,
        to: &str,
        noreplace: bool,
    ) -> FatResult<()> {
        let (from, to) = (fat_name(from)?, fat_name(to)?);
        let mode = if noreplace {
            RenameMode::NoReplace
        } else {
            RenameMode::Replace
        };
        Ok(self.fs.rename(node(fdir)?, from, node(tdir)?, to, mode)?)
    }

    /// Writes all metadata (FSInfo, the clean bit) and flushes the disk.
    pub fn sync(&mut self) -> FatResult<()> {
        Ok(FileSystem::sync(&mut *self.fs)?)
    }

    /// Cluster size, clusters and free clusters.
    pub fn statfs(&mut self) -> FatResult<FatStatfs> {
        let s = FileSystem::statfs(&mut *self.fs)?;
        Ok(FatStatfs {
            cluster_size: s.block_size(),
            clusters: s.total_blocks(),
            free: s.free_blocks(),
        })
    }
}

#[cfg(test)]
mod tests;
