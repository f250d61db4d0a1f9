//! Device files: the console tty under its three names (`tty.rs`:
//! `/dev/console`, `/dev/tty` and `/dev/ttyAMA0`, the PL011 UART both
//! boards' console is on), `/dev/null`, `/dev/zero`, `/dev/random` and
//! `/dev/urandom`.

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

    fn open(&self, _inode: &Inode, flags: u32) -> Result<(), Errno> {
        tty::tty_open(self.0, flags)
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

/// Reads zeros, swallows everything (`/dev/zero`).
pub struct ZeroDev;

impl FileOps for ZeroDev {
    fn read(&self, _: &Inode, _: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        buf.fill(0);
        Ok(buf.len())
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
    fn write(&self, _: &Inode, _: u64, buf: &[u8]) -> Result<usize, Errno> {
        Ok(buf.len())
    }
}

fn chrdev(major: u32, minor: u32, ops: Arc<dyn FileOps>) -> Arc<Inode> {
    Arc::new(Inode {
        ino: super::alloc_ino(),
        mode: uapi::S_IFCHR | 0o666,
        rdev: uapi::makedev(major, minor),
        kind: InodeKind::Special(ops),
    })
}

static CONSOLE: spin::Once<Arc<Inode>> = spin::Once::new();

/// The console inode (fds 0, 1, 2 of init).
pub fn console_inode() -> Arc<Inode> {
    CONSOLE
        .call_once(|| chrdev(5, 1, Arc::new(TtyFile(TtyDev::Console))))
        .clone()
}

/// Creates `/dev` and its device files.
pub fn init() {
    let _ = ramfs::mkdir_p("/dev");
    let _ = ramfs::install("/dev/console", console_inode());
    let _ = ramfs::install("/dev/null", chrdev(1, 3, Arc::new(NullDev)));
    let _ = ramfs::install("/dev/zero", chrdev(1, 5, Arc::new(ZeroDev)));
    let _ = ramfs::install("/dev/random", chrdev(1, 8, Arc::new(RandomDev)));
    let _ = ramfs::install("/dev/urandom", chrdev(1, 9, Arc::new(RandomDev)));
    // Linux's numbers: TTYAUX_MAJOR 5 (tty 0, console 1), the PL011's
    // AMBA major 204, minor 64.
    let _ = ramfs::install(
        "/dev/tty",
        chrdev(5, 0, Arc::new(TtyFile(TtyDev::CurrentTty))),
    );
    let _ = ramfs::install(
        "/dev/ttyAMA0",
        chrdev(204, 64, Arc::new(TtyFile(TtyDev::Serial))),
    );
}
