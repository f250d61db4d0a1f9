//! `linux/mount.h`, `linux/magic.h`, `linux/statfs.h`: `mount` and
//! `umount2` flags, file-system magic numbers and `struct statfs`.

use super::bytes::Writer;

/// Mount read-only.
pub const MS_RDONLY: u32 = 1;
/// Ignore set-user-id and set-group-id bits.
pub const MS_NOSUID: u32 = 2;
/// No access to device special files.
pub const MS_NODEV: u32 = 4;
/// No program execution.
pub const MS_NOEXEC: u32 = 8;
/// Writes are synced at once.
pub const MS_SYNCHRONOUS: u32 = 16;
/// Change the flags of a mounted file system.
pub const MS_REMOUNT: u32 = 32;
/// Directory changes are synchronous.
pub const MS_DIRSYNC: u32 = 128;
/// Do not follow symbolic links.
pub const MS_NOSYMFOLLOW: u32 = 256;
/// Do not update access times.
pub const MS_NOATIME: u32 = 1024;
/// Do not update directory access times.
pub const MS_NODIRATIME: u32 = 2048;
/// A bind mount.
pub const MS_BIND: u32 = 4096;
/// Move a mount.
pub const MS_MOVE: u32 = 8192;
/// Recursive (with `MS_BIND` or a propagation change).
pub const MS_REC: u32 = 16384;
/// Fewer messages in the kernel log.
pub const MS_SILENT: u32 = 32768;
/// Propagation: unbindable.
pub const MS_UNBINDABLE: u32 = 1 << 17;
/// Propagation: private.
pub const MS_PRIVATE: u32 = 1 << 18;
/// Propagation: slave.
pub const MS_SLAVE: u32 = 1 << 19;
/// Propagation: shared.
pub const MS_SHARED: u32 = 1 << 20;
/// Update access times relative to modification times (the default).
pub const MS_RELATIME: u32 = 1 << 21;
/// Kernel-internal: refused from user space.
pub const MS_NOUSER: u32 = 1 << 31;
/// Always update access times.
pub const MS_STRICTATIME: u32 = 1 << 24;
/// Update times lazily.
pub const MS_LAZYTIME: u32 = 1 << 25;
/// Old magic in the top 16 bits of the flags, ignored (`MS_MGC_VAL`).
pub const MS_MGC_VAL: u32 = 0xc0ed_0000;
/// Its mask (`MS_MGC_MSK`).
pub const MS_MGC_MSK: u32 = 0xffff_0000;

/// `umount2`: force (not for these file systems: ignored).
pub const MNT_FORCE: u32 = 1;
/// `umount2`: detach now, free when no longer busy (lazy).
pub const MNT_DETACH: u32 = 2;
/// `umount2`: mark for expiry.
pub const MNT_EXPIRE: u32 = 4;
/// `umount2`: do not follow a symbolic link as the target.
pub const UMOUNT_NOFOLLOW: u32 = 8;

/// `f_type` of tmpfs (and of the initramfs root and devtmpfs).
pub const TMPFS_MAGIC: u64 = 0x0102_1994;
/// `f_type` of ramfs.
pub const RAMFS_MAGIC: u64 = 0x8584_58f6;
/// `f_type` of proc.
pub const PROC_SUPER_MAGIC: u64 = 0x9fa0;
/// `f_type` of pipefs (`fstatfs` on a pipe).
pub const PIPEFS_MAGIC: u64 = 0x5049_5045;
/// `f_type` of tracefs.
pub const TRACEFS_MAGIC: u64 = 0x7472_6163;
/// `f_type` of FAT (`msdos` and `vfat`).
pub const MSDOS_SUPER_MAGIC: u64 = 0x4d44;
/// `f_type` of debugfs.
pub const DEBUGFS_MAGIC: u64 = 0x6462_6720;

/// `statfs.f_flags`: the fields are valid (`ST_VALID`).
pub const ST_VALID: u64 = 0x0020;
/// `statfs.f_flags`: mounted read-only.
pub const ST_RDONLY: u64 = 0x0001;
/// `statfs.f_flags`: `nosuid`.
pub const ST_NOSUID: u64 = 0x0002;
/// `statfs.f_flags`: `nodev`.
pub const ST_NODEV: u64 = 0x0004;
/// `statfs.f_flags`: `noexec`.
pub const ST_NOEXEC: u64 = 0x0008;
/// `statfs.f_flags`: `noatime`.
pub const ST_NOATIME: u64 = 0x0400;
/// `statfs.f_flags`: `nodiratime`.
pub const ST_NODIRATIME: u64 = 0x0800;
/// `statfs.f_flags`: `relatime`.
pub const ST_RELATIME: u64 = 0x1000;

/// `struct statfs` as arm64 lays it out (`__statfs_word` is 64 bits).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Statfs {
    pub f_type: u64,
    pub f_bsize: u64,
    pub f_blocks: u64,
    pub f_bfree: u64,
    pub f_bavail: u64,
    pub f_files: u64,
    pub f_ffree: u64,
    pub f_fsid: [u32; 2],
    pub f_namelen: u64,
    pub f_frsize: u64,
    pub f_flags: u64,
}

/// Size of [`Statfs`] in user memory (with `f_spare[4]`).
pub const STATFS_SIZE: usize = 120;

impl Statfs {
    /// The bytes user space sees.
    pub fn to_bytes(&self) -> [u8; STATFS_SIZE] {
        let mut w = Writer::<STATFS_SIZE>::new();
        for v in [
            self.f_type,
            self.f_bsize,
            self.f_blocks,
            self.f_bfree,
            self.f_bavail,
            self.f_files,
            self.f_ffree,
        ] {
            w.u64(v);
        }
        w.u32(self.f_fsid[0]);
        w.u32(self.f_fsid[1]);
        w.u64(self.f_namelen);
        w.u64(self.f_frsize);
        w.u64(self.f_flags);
        for _ in 0..4 {
            w.u64(0); // f_spare
        }
        w.finish()
    }
}
