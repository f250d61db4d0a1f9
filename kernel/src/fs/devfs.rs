//! Device files: the console tty under its three names (`tty.rs`:
//! `/dev/console`, `/dev/tty` and `/dev/ttyAMA0`, the PL011 UART both
//! boards' console is on), `/dev/null`, `/dev/zero`, `/dev/random` and
//! `/dev/urandom`; `/dev/fd`, a symbolic link to `/proc/self/fd`; the
//! block devices' nodes (`/dev/mmcblk0p1`, `/dev/ram0`) as disks register.

use super::{ramfs, FileOps, Inode, InodeKind};
use crate::errno::*;
use crate::tty::{self, TtyDev};
use alloc::sync::Arc;
use libkernel::uapi;

/// The console tty as a file, under one of its names.
pub struct TtyFile(pub TtyDev);

impl FileOps for TtyFile {
    fn read(&self, _inode: &Inode, _off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        tty::tty_read(self.0, buf, 0)
    }

    fn read_file(
        &self,
        _inode: &Inode,
        _off: u64,
        buf: &mut [u8],
        file_flags: u32,
    ) -> Result<usize, Errno> {
        tty::tty_read(self.0, buf, file_flags)
    }

    fn write(&self, _inode: &Inode, _off: u64, buf: &[u8]) -> Result<usize, Errno> {
        tty::tty_write(self.0, buf)
    }

    fn open(&self, _inode: &Inode, flags: u32) -> Result<Option<Arc<super::File>>, Errno> {
        tty::tty_open(self.0, flags).map(|()| None)
    }

    fn ioctl(&self, _inode: &Inode, cmd: u64, arg: u64) -> Result<i64, Errno> {
        tty::tty_ioctl(self.0, cmd, arg)
    }

    fn poll(&self, _inode: &Inode) -> u16 {
        tty::tty_poll()
    }

    fn poll_queue(&self) -> Option<&crate::sched::wait::WaitQueue> {
        Some(tty::input_queue())
    }

    fn seekable(&self) -> bool {
        false
    }
}

/// Reads nothing, swallows everything.
pub struct NullDev;

impl FileOps for NullDev {
    fn read(&self, _: &Inode, _: u64, _: &mut [u8]) -> Result<usize, Errno> {
        Ok(0)
    }
    fn write(&self, _: &Inode, _: u64, buf: &[u8]) -> Result<usize, Errno> {
        Ok(buf.len())
    }
}

/// Reads zeros; every write fails `ENOSPC`, as on a full disk
/// (`/dev/full`, for testing how programs report write errors).
pub struct FullDev;

impl FileOps for FullDev {
    fn read(&self, _: &Inode, _: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        buf.fill(0);
        Ok(buf.len())
    }
    fn read_never_waits(&self) -> bool {
        true
    }
    fn write(&self, _: &Inode, _: u64, _: &[u8]) -> Result<usize, Errno> {
        Err(ENOSPC)
    }
}

/// Reads zeros, swallows everything (`/dev/zero`).
pub struct ZeroDev;

impl FileOps for ZeroDev {
    fn read(&self, _: &Inode, _: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        buf.fill(0);
        Ok(buf.len())
    }
    fn read_never_waits(&self) -> bool {
        true
    }
    fn write(&self, _: &Inode, _: u64, buf: &[u8]) -> Result<usize, Errno> {
        Ok(buf.len())
    }
}

/// Reads the kernel's random bytes, never blocking (`/dev/urandom` and
/// `/dev/random`, which Linux no longer makes block once seeded); writes
/// are accepted and not mixed in.
pub struct RandomDev;

impl FileOps for RandomDev {
    fn read(&self, _: &Inode, _: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        for chunk in buf.chunks_mut(8) {
            let r = crate::drivers::char::random::get_random_u64().to_le_bytes();
            chunk.copy_from_slice(&r[..chunk.len()]);
        }
        Ok(buf.len())
    }
    fn read_never_waits(&self) -> bool {
        true
    }
    fn write(&self, _: &Inode, _: u64, buf: &[u8]) -> Result<usize, Errno> {
        Ok(buf.len())
    }
}

fn chrdev(major: u32, minor: u32, ops: Arc<dyn FileOps>) -> Arc<Inode> {
    Inode::new_dev(
        uapi::S_IFCHR | 0o666,
        uapi::makedev(major, minor),
        InodeKind::Special(ops),
    )
}

/// The character device `major:minor` as a new inode with permission
/// bits `perm` (`mknod`), if the kernel has that device.
pub fn chrdev_node(rdev: u64, perm: u32) -> Option<Arc<Inode>> {
    let ops: Arc<dyn FileOps> = match (uapi::dev_major(rdev), uapi::dev_minor(rdev)) {
        (1, 3) => Arc::new(NullDev),
        (1, 5) => Arc::new(ZeroDev),
        (1, 7) => Arc::new(FullDev),
        (1, 8) | (1, 9) => Arc::new(RandomDev),
        (5, 0) => Arc::new(TtyFile(TtyDev::CurrentTty)),
        (5, 1) => Arc::new(TtyFile(TtyDev::Console)),
        (204, 64) => Arc::new(TtyFile(TtyDev::Serial)),
        _ => return None,
    };
    Some(Inode::new_dev(
        uapi::S_IFCHR | perm,
        rdev,
        InodeKind::Special(ops),
    ))
}

static CONSOLE: spin::Once<Arc<Inode>> = spin::Once::new();

/// The console inode (fds 0, 1, 2 of init).
pub fn console_inode() -> Arc<Inode> {
    CONSOLE
        .call_once(|| chrdev(5, 1, Arc::new(TtyFile(TtyDev::Console))))
        .clone()
}

static DEVTMPFS_ROOT: spin::Once<Arc<Inode>> = spin::Once::new();

/// A device node a driver adds to devtmpfs when its device appears
/// (`devtmpfs_create_node`): `mode` is `S_IFBLK`/`S_IFCHR` with the
/// permission bits.
pub fn devtmpfs_create_node(name: &str, mode: u32, devt: u64, ops: Arc<dyn FileOps>) {
    let inode = Inode::new_dev(mode, devt, InodeKind::Special(ops));
    if let Err(e) = ramfs::link(&root(), name, inode) {
        println!("devtmpfs: cannot create /dev/{name}: errno {}", e.0);
    }
}

/// A block special file for `mknod`: reaches the disk numbered `rdev`
/// (`ENXIO` while there is none).
pub fn blkdev_node(rdev: u64, perm: u32) -> Arc<Inode> {
    Inode::new_dev(
        uapi::S_IFBLK | perm,
        rdev,
        InodeKind::Special(Arc::new(crate::block::fops::BlkFile(rdev))),
    )
}

/// The root of devtmpfs (mounted at `/dev`): made with its device files
/// the first time it is asked for.
pub fn root() -> Arc<Inode> {
    DEVTMPFS_ROOT.call_once(devtmpfs_root).clone()
}

fn devtmpfs_root() -> Arc<Inode> {
    let dir = ramfs::new_dir(0o755);
    let devices = [
        ("console", console_inode()),
        ("null", chrdev(1, 3, Arc::new(NullDev))),
        ("zero", chrdev(1, 5, Arc::new(ZeroDev))),
        ("full", chrdev(1, 7, Arc::new(FullDev))),
        ("random", chrdev(1, 8, Arc::new(RandomDev))),
        ("urandom", chrdev(1, 9, Arc::new(RandomDev))),
        // Linux's numbers: TTYAUX_MAJOR 5 (tty 0, console 1), the PL011's
        // AMBA major 204, minor 64.
        ("tty", chrdev(5, 0, Arc::new(TtyFile(TtyDev::CurrentTty)))),
        (
            "ttyAMA0",
            chrdev(204, 64, Arc::new(TtyFile(TtyDev::Serial))),
        ),
        // The process's own descriptors (proc_fd.rs), as udev and
        // devtmpfs users link it on Linux: bash's `<(...)` opens these.
        (
            "fd",
            Inode::new(
                uapi::S_IFLNK | 0o777,
                InodeKind::Symlink(alloc::string::String::from("/proc/self/fd")),
            ),
        ),
    ];
    for (name, inode) in devices {
        let _ = ramfs::link(&dir, name, inode);
    }
    dir
}
