//! `linux/stat.h`, `asm-generic/stat.h`: file modes and types, and `struct stat`.

use super::bytes::Writer;

/// Mask of the file-type bits of a mode.
pub const S_IFMT: u32 = 0o170000;
/// Socket.
pub const S_IFSOCK: u32 = 0o140000;
/// Symbolic link.
pub const S_IFLNK: u32 = 0o120000;
/// Regular file.
pub const S_IFREG: u32 = 0o100000;
/// Block device.
pub const S_IFBLK: u32 = 0o060000;
/// Directory.
pub const S_IFDIR: u32 = 0o040000;
/// Character device.
pub const S_IFCHR: u32 = 0o020000;
/// FIFO (named pipe).
pub const S_IFIFO: u32 = 0o010000;
/// Set-user-id bit.
pub const S_ISUID: u32 = 0o4000;
/// Set-group-id bit.
pub const S_ISGID: u32 = 0o2000;
/// Sticky bit.
pub const S_ISVTX: u32 = 0o1000;
/// Mask of the permission bits `chmod` can change.
pub const S_IALLUGO: u32 = 0o7777;

/// `S_ISDIR(mode)`.
pub const fn s_isdir(mode: u32) -> bool {
    mode & S_IFMT == S_IFDIR
}
/// `S_ISREG(mode)`.
pub const fn s_isreg(mode: u32) -> bool {
    mode & S_IFMT == S_IFREG
}
/// `S_ISLNK(mode)`.
pub const fn s_islnk(mode: u32) -> bool {
    mode & S_IFMT == S_IFLNK
}
/// `S_ISCHR(mode)`.
pub const fn s_ischr(mode: u32) -> bool {
    mode & S_IFMT == S_IFCHR
}

/// `dirent64.d_type`: unknown.
pub const DT_UNKNOWN: u8 = 0;
/// `dirent64.d_type`: FIFO.
pub const DT_FIFO: u8 = 1;
/// `dirent64.d_type`: character device.
pub const DT_CHR: u8 = 2;
/// `dirent64.d_type`: directory.
pub const DT_DIR: u8 = 4;
/// `dirent64.d_type`: block device.
pub const DT_BLK: u8 = 6;
/// `dirent64.d_type`: regular file.
pub const DT_REG: u8 = 8;
/// `dirent64.d_type`: symbolic link.
pub const DT_LNK: u8 = 10;
/// `dirent64.d_type`: socket.
pub const DT_SOCK: u8 = 12;

/// The `d_type` for a mode: Linux's `fs_umode_to_dtype`, which is the type
/// bits shifted down.
pub const fn mode_to_dtype(mode: u32) -> u8 {
    ((mode & S_IFMT) >> 12) as u8
}

/// The longest file-name component (`NAME_MAX`).
pub const NAME_MAX: usize = 255;
/// The size of a path buffer including its NUL (`PATH_MAX`).
pub const PATH_MAX: usize = 4096;

/// `struct stat` as arm64 (asm-generic `stat.h`) lays it out for `fstat`
/// and `newfstatat`: 128 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    pub st_dev: u64,
    pub st_ino: u64,
    pub st_mode: u32,
    pub st_nlink: u32,
    pub st_uid: u32,
    pub st_gid: u32,
    pub st_rdev: u64,
    pub __pad1: u64,
    pub st_size: i64,
    pub st_blksize: i32,
    pub __pad2: i32,
    pub st_blocks: i64,
    pub st_atime: i64,
    pub st_atime_nsec: u64,
    pub st_mtime: i64,
    pub st_mtime_nsec: u64,
    pub st_ctime: i64,
    pub st_ctime_nsec: u64,
    pub __unused: [u32; 2],
}

/// Size of [`Stat`] in user memory.
pub const STAT_SIZE: usize = 128;

impl Stat {
    /// The file type bits of `st_mode` (`S_IFREG`, `S_IFDIR`, ...).
    pub fn file_type(&self) -> u32 {
        self.st_mode & S_IFMT
    }

    /// The bytes user space sees, little-endian, padding zeroed.
    pub fn to_bytes(&self) -> [u8; STAT_SIZE] {
        let mut w = Writer::<STAT_SIZE>::new();
        w.u64(self.st_dev);
        w.u64(self.st_ino);
        w.u32(self.st_mode);
        w.u32(self.st_nlink);
        w.u32(self.st_uid);
        w.u32(self.st_gid);
        w.u64(self.st_rdev);
        w.u64(0); // __pad1
        w.u64(self.st_size as u64);
        w.u32(self.st_blksize as u32);
        w.u32(0); // __pad2
        w.u64(self.st_blocks as u64);
        w.u64(self.st_atime as u64);
        w.u64(self.st_atime_nsec);
        w.u64(self.st_mtime as u64);
        w.u64(self.st_mtime_nsec);
        w.u64(self.st_ctime as u64);
        w.u64(self.st_ctime_nsec);
        w.u32(0); // __unused
        w.u32(0);
        w.finish()
    }
}

/// Linux's `new_encode_dev` for `st_dev`/`st_rdev`: 12-bit major, 20-bit
/// minor, split the way glibc's `major()`/`minor()` undo it.
pub const fn makedev(major: u32, minor: u32) -> u64 {
    let (major, minor) = (major as u64, minor as u64);
    (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & !0xff) << 12) | ((major & !0xfff) << 32)
}

/// `utimensat`: set this time to now.
pub const UTIME_NOW: i64 = (1 << 30) - 1;
/// `utimensat`: leave this time as it is.
pub const UTIME_OMIT: i64 = (1 << 30) - 2;

/// `statx` mask: `stx_mode`'s type bits.
pub const STATX_TYPE: u32 = 0x0001;
/// `statx` mask: `stx_mode`'s permission bits.
pub const STATX_MODE: u32 = 0x0002;
/// `statx` mask: `stx_nlink`.
pub const STATX_NLINK: u32 = 0x0004;
/// `statx` mask: `stx_uid`.
pub const STATX_UID: u32 = 0x0008;
/// `statx` mask: `stx_gid`.
pub const STATX_GID: u32 = 0x0010;
/// `statx` mask: `stx_atime`.
pub const STATX_ATIME: u32 = 0x0020;
/// `statx` mask: `stx_mtime`.
pub const STATX_MTIME: u32 = 0x0040;
/// `statx` mask: `stx_ctime`.
pub const STATX_CTIME: u32 = 0x0080;
/// `statx` mask: `stx_ino`.
pub const STATX_INO: u32 = 0x0100;
/// `statx` mask: `stx_size`.
pub const STATX_SIZE: u32 = 0x0200;
/// `statx` mask: `stx_blocks`.
pub const STATX_BLOCKS: u32 = 0x0400;
/// `statx` mask: `stx_mnt_id`.
pub const STATX_MNT_ID: u32 = 0x1000;
/// `statx` mask: what `stat` returns.
pub const STATX_BASIC_STATS: u32 = 0x07ff;
/// `statx` mask: reserved, `EINVAL`.
pub const STATX__RESERVED: u32 = 0x8000_0000;
/// `statx` flags: how to synchronise with a remote server (the mask).
pub const AT_STATX_SYNC_TYPE: u32 = 0x6000;
/// `statx` flags: force a sync.
pub const AT_STATX_FORCE_SYNC: u32 = 0x2000;
/// `statx` flags: do not sync.
pub const AT_STATX_DONT_SYNC: u32 = 0x4000;
/// `statx`: `stx_attributes_mask` bit for `STATX_ATTR_MOUNT_ROOT`.
pub const STATX_ATTR_MOUNT_ROOT: u64 = 0x0000_2000;

/// `struct statx` (256 bytes): `stat`'s fields with a mask saying which
/// are filled, and device numbers split into major and minor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Statx {
    pub stx_mask: u32,
    pub stx_blksize: u32,
    pub stx_attributes: u64,
    pub stx_nlink: u32,
    pub stx_uid: u32,
    pub stx_gid: u32,
    pub stx_mode: u16,
    pub stx_ino: u64,
    pub stx_size: u64,
    pub stx_blocks: u64,
    pub stx_attributes_mask: u64,
    /// atime, btime, ctime, mtime: (seconds, nanoseconds).
    pub stx_atime: (i64, u32),
    pub stx_btime: (i64, u32),
    pub stx_ctime: (i64, u32),
    pub stx_mtime: (i64, u32),
    pub stx_rdev_major: u32,
    pub stx_rdev_minor: u32,
    pub stx_dev_major: u32,
    pub stx_dev_minor: u32,
    pub stx_mnt_id: u64,
}

/// Size of [`Statx`] in user memory.
pub const STATX_SIZE_BYTES: usize = 256;

impl Statx {
    /// The bytes user space sees (`__spare*` zero).
    pub fn to_bytes(&self) -> [u8; STATX_SIZE_BYTES] {
        let mut w = Writer::<STATX_SIZE_BYTES>::new();
        w.u32(self.stx_mask);
        w.u32(self.stx_blksize);
        w.u64(self.stx_attributes);
        w.u32(self.stx_nlink);
        w.u32(self.stx_uid);
        w.u32(self.stx_gid);
        w.bytes(&self.stx_mode.to_le_bytes());
        w.bytes(&[0; 2]); // __spare0
        w.u64(self.stx_ino);
        w.u64(self.stx_size);
        w.u64(self.stx_blocks);
        w.u64(self.stx_attributes_mask);
        for (s, ns) in [
            self.stx_atime,
            self.stx_btime,
            self.stx_ctime,
            self.stx_mtime,
        ] {
            w.u64(s as u64);
            w.u32(ns);
            w.u32(0); // __reserved
        }
        w.u32(self.stx_rdev_major);
        w.u32(self.stx_rdev_minor);
        w.u32(self.stx_dev_major);
        w.u32(self.stx_dev_minor);
        w.u64(self.stx_mnt_id);
        // stx_dio_mem_align .. __spare3: not filled.
        w.bytes(&[0; STATX_SIZE_BYTES - 0x98]);
        w.finish()
    }
}

/// Linux's `MAJOR` of a `new_encode_dev` number ([`makedev`]'s inverse).
pub const fn dev_major(dev: u64) -> u32 {
    (((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff)) as u32
}

/// Linux's `MINOR` of a `new_encode_dev` number.
pub const fn dev_minor(dev: u64) -> u32 {
    ((dev & 0xff) | ((dev >> 12) & !0xff)) as u32
}
