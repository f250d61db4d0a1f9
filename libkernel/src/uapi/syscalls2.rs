//! The flags and structures of the calls Debian's programs made that
//! pikern answered `ENOSYS` before: `linux/fs.h`'s `RWF_*`,
//! `linux/falloc.h`, `linux/close_range.h`, `linux/memfd.h` and the
//! seals of `linux/fcntl.h`, `linux/personality.h`,
//! `linux/capability.h`, `linux/utsname.h`'s name lengths.

/// `preadv2`/`pwritev2`: high priority (polling) I/O.
pub const RWF_HIPRI: u32 = 0x0000_0001;
/// `pwritev2`: `O_DSYNC` for this write.
pub const RWF_DSYNC: u32 = 0x0000_0002;
/// `pwritev2`: `O_SYNC` for this write.
pub const RWF_SYNC: u32 = 0x0000_0004;
/// `preadv2`: fail `EAGAIN` rather than wait.
pub const RWF_NOWAIT: u32 = 0x0000_0008;
/// `pwritev2`: `O_APPEND` for this write.
pub const RWF_APPEND: u32 = 0x0000_0010;
/// Every `RWF_*` flag Linux 6.1 knows (`RWF_SUPPORTED`).
pub const RWF_SUPPORTED: u32 = RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND;

/// `fallocate`: do not change the file size.
pub const FALLOC_FL_KEEP_SIZE: u32 = 0x01;
/// `fallocate`: free the range (with `FALLOC_FL_KEEP_SIZE`).
pub const FALLOC_FL_PUNCH_HOLE: u32 = 0x02;
/// `fallocate`: remove the range, shifting the rest down.
pub const FALLOC_FL_COLLAPSE_RANGE: u32 = 0x08;
/// `fallocate`: zero the range.
pub const FALLOC_FL_ZERO_RANGE: u32 = 0x10;
/// `fallocate`: insert a hole, shifting the rest up.
pub const FALLOC_FL_INSERT_RANGE: u32 = 0x20;
/// `fallocate`: share the blocks of others.
pub const FALLOC_FL_UNSHARE_RANGE: u32 = 0x40;
/// Every mode bit Linux 6.1's `vfs_fallocate` accepts.
pub const FALLOC_FL_SUPPORTED_MASK: u32 = FALLOC_FL_KEEP_SIZE
    | FALLOC_FL_PUNCH_HOLE
    | FALLOC_FL_COLLAPSE_RANGE
    | FALLOC_FL_ZERO_RANGE
    | FALLOC_FL_INSERT_RANGE
    | FALLOC_FL_UNSHARE_RANGE;

/// `close_range`: give the caller its own descriptor table first.
pub const CLOSE_RANGE_UNSHARE: u32 = 1 << 1;
/// `close_range`: mark close-on-exec instead of closing.
pub const CLOSE_RANGE_CLOEXEC: u32 = 1 << 2;

/// `memfd_create`: the descriptor is close-on-exec.
pub const MFD_CLOEXEC: u32 = 0x0001;
/// `memfd_create`: seals may be added (`F_ADD_SEALS`).
pub const MFD_ALLOW_SEALING: u32 = 0x0002;
/// `memfd_create`: back the file with huge pages.
pub const MFD_HUGETLB: u32 = 0x0004;
/// Longest `memfd_create` name, without its NUL (`MFD_NAME_MAX_LEN`:
/// `NAME_MAX` less the `memfd:` prefix).
pub const MFD_NAME_MAX_LEN: usize = 255 - 6;

/// `fcntl`: add seals (`F_LINUX_SPECIFIC_BASE + 9`).
pub const F_ADD_SEALS: u32 = 1033;
/// `fcntl`: read the seals.
pub const F_GET_SEALS: u32 = 1034;
/// Seal: no more seals.
pub const F_SEAL_SEAL: u32 = 0x0001;
/// Seal: the file may not shrink.
pub const F_SEAL_SHRINK: u32 = 0x0002;
/// Seal: the file may not grow.
pub const F_SEAL_GROW: u32 = 0x0004;
/// Seal: the contents may not change.
pub const F_SEAL_WRITE: u32 = 0x0008;
/// Seal: no new writable shared mappings.
pub const F_SEAL_FUTURE_WRITE: u32 = 0x0010;

/// `personality`: the Linux personality.
pub const PER_LINUX: u32 = 0x0000;
/// `personality`: the query value (`0xffffffff`): change nothing.
pub const PER_QUERY: u32 = 0xffff_ffff;
/// `personality` flag: no address-space randomisation (`setarch -R`).
pub const ADDR_NO_RANDOMIZE: u32 = 0x0004_0000;
/// The personality type's bits (`PER_MASK`).
pub const PER_MASK: u32 = 0x00ff;

/// `capget`/`capset` header version 3 (64-bit sets, two data structs).
pub const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;
/// Version 2 (deprecated; as version 3).
pub const LINUX_CAPABILITY_VERSION_2: u32 = 0x2007_1026;
/// Version 1 (32-bit sets, one data struct).
pub const LINUX_CAPABILITY_VERSION_1: u32 = 0x1998_0330;
/// The highest capability Linux 6.1 knows (`CAP_CHECKPOINT_RESTORE`).
pub const CAP_LAST_CAP: u32 = 40;

/// The full capability set root has (`CAP_FULL_SET`), as the two 32-bit
/// halves version 3 passes.
pub const fn cap_full_set() -> [u32; 2] {
    let all = (1u64 << (CAP_LAST_CAP + 1)) - 1;
    [all as u32, (all >> 32) as u32]
}

/// Longest host or domain name (`__NEW_UTS_LEN`).
pub const NEW_UTS_LEN: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_capability_set_is_41_bits() {
        // What `grep Cap /proc/self/status` shows for root on 6.1:
        // CapEff: 000001ffffffffff.
        assert_eq!(cap_full_set(), [0xffff_ffff, 0x1ff]);
    }

    #[test]
    fn rwf_supported_matches_linux() {
        assert_eq!(RWF_SUPPORTED, 0x1f);
    }
}
