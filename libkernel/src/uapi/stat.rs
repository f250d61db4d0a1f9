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
