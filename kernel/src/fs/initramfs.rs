//! Filling `/` from initramfs images (cpio "newc"): the one built into the
//! kernel image from `user/`, then the one the firmware or QEMU loaded
//! (`-initrd`, found through the DTB), whose files are added on top.

use super::{ramfs, Inode, InodeKind};
use alloc::string::String;
use alloc::vec::Vec;
use libkernel::{fs::cpio, uapi};

/// The initramfs built into the image (empty if none was built).
static BUILTIN: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/initramfs.cpio"));

/// Unpacks the built-in image.
pub fn unpack_builtin() {
    if !BUILTIN.is_empty() {
        unpack("built-in initramfs", BUILTIN);
    }
}

/// Unpacks `image` into `/`; a malformed archive stops with a message (what
/// was unpacked so far stays).
pub fn unpack(what: &str, image: &[u8]) {
    let mut files = 0;
    for e in cpio::entries(image) {
        let e = match e {
            Ok(e) => e,
            Err(err) => {
                println!("initramfs: {what}: {err}; stopped");
                break;
            }
        };
        if e.name == "." || e.name.is_empty() {
            continue;
        }
        let path = alloc::format!("/{}", e.name);
        let r = if e.is_dir() {
            ramfs::mkdir_p(&path).map(|_| ())
        } else if e.is_symlink() {
            let target = String::from_utf8_lossy(e.data).into_owned();
            ramfs::install(
                &path,
                Inode::new(uapi::S_IFLNK | 0o777, InodeKind::Symlink(target)),
            )
        } else if e.is_file() {
            files += 1;
            ramfs::install(&path, ramfs::new_file(e.permissions(), Vec::from(e.data)))
        } else {
            Ok(()) // device nodes come from devfs
        };
        if let Err(err) = r {
            println!("initramfs: {what}: cannot create {path}: errno {}", err.0);
        }
    }
    println!("initramfs: {what}: {files} files, {} bytes", image.len());
}
