//! Device files: `/dev/console` (the UART: reads wait for typed input,
//! writes go to the screen) and `/dev/null`.

use super::{ramfs, FileOps, Inode, InodeKind};
use crate::console;
use crate::errno::*;
use alloc::sync::Arc;
use libkernel::uapi;

use libkernel::uapi::{TIOCGPGRP, TIOCSPGRP};

/// The console as a file.
pub struct ConsoleDev;

impl FileOps for ConsoleDev {
    fn read(&self, _inode: &Inode, _off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        if buf.is_empty() {
            return Ok(0);
        }
        // Block for the first byte, then take what is already there.
        // Ctrl-D (EOT) ends the input: read returns 0, as a terminal in
        // canonical mode does at the start of a line.
        let first = console::getc_blocking()?;
        if first == 0x04 {
            return Ok(0);
        }
        buf[0] = first;
        let mut n = 1;
        while n < buf.len() {
            match console::getc() {
                Some(c) => {
                    buf[n] = c;
                    n += 1;
                }
                None => break,
            }
        }
        Ok(n)
    }

    fn write(&self, _inode: &Inode, _off: u64, buf: &[u8]) -> Result<usize, Errno> {
        console::write_bytes(buf);
        Ok(buf.len())
    }

    fn ioctl(&self, _inode: &Inode, cmd: u64, arg: u64) -> Result<i64, Errno> {
        match cmd as u32 {
            uapi::TCGETS => {
                crate::mm::uaccess::copy_to_user(arg, &uapi::Termios::linux_default().to_bytes())?;
                Ok(0)
            }
            uapi::TIOCGWINSZ => {
                let ws = uapi::Winsize {
                    ws_row: 24,
                    ws_col: 80,
                    ..uapi::Winsize::default()
                };
                crate::mm::uaccess::copy_to_user(arg, &ws.to_bytes())?;
                Ok(0)
            }
            TIOCGPGRP => {
                let pid = console::foreground_pid();
                crate::mm::uaccess::put_user_u32(arg, pid as u32)?;
                Ok(0)
            }
            TIOCSPGRP => {
                let mut b = [0u8; 4];
                crate::mm::uaccess::copy_from_user(&mut b, arg)?;
                let pid = i32::from_le_bytes(b);
                if pid <= 0 {
                    return Err(EINVAL);
                }
                console::set_foreground_pid(pid);
                Ok(0)
            }
            _ => Err(ENOTTY),
        }
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
        .call_once(|| chrdev(5, 1, Arc::new(ConsoleDev)))
        .clone()
}

/// Creates `/dev` and its device files.
pub fn init() {
    let _ = ramfs::mkdir_p("/dev");
    let _ = ramfs::install("/dev/console", console_inode());
    let _ = ramfs::install("/dev/null", chrdev(1, 3, Arc::new(NullDev)));
}
