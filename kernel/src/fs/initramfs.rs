//! Filling `/` from initramfs images (Linux's `init/initramfs.c`): the one
//! built into the kernel image from `user/`, then the one the firmware or
//! QEMU loaded (`-initrd`, found through the DTB), whose files are added on
//! top. An image is one or more cpio "newc" archives, plain or compressed
//! (gzip, zstd, xz, lzma, lz4), concatenated; `libkernel::fs::initramfs`
//! reads and checks it whole first, so a bad image changes nothing.

use super::{ramfs, Inode, InodeKind};
use alloc::string::String;
use libkernel::fs::initramfs::Initramfs;
use libkernel::uapi;

/// The initramfs built into the image (empty if none was built).
static BUILTIN: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/initramfs.cpio"));

/// Unpacks the built-in image.
pub fn unpack_builtin() {
    if !BUILTIN.is_empty() {
        unpack("built-in initramfs", BUILTIN);
    }
}

/// Unpacks `image` into `/`. A corrupt, truncated or unknown image is
/// refused whole with the offset and the reason; the files already in `/`
/// (the built-in initramfs) stay, and boot goes on.
pub fn unpack(what: &str, image: &[u8]) {
    // A decompression bomb must not take the memory the system needs:
    // at most half of what is free, as the files are copied once more.
    let limit = crate::mm::page_alloc::nr_free_pages() * crate::mm::PAGE_SIZE / 2;
    let archive = match Initramfs::parse(image, limit) {
        Ok(a) => a,
        Err(err) => {
            println!("initramfs: {what}: unpacking failed: {err}; nothing from it was unpacked");
            return;
        }
    };
    let mut files = 0;
    for e in archive.entries() {
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
            ramfs::new_file(e.permissions(), e.data).and_then(|f| ramfs::install(&path, f))
        } else {
            Ok(()) // device nodes come from devfs
        };
        if let Err(err) = r {
            println!("initramfs: {what}: cannot create {path}: errno {}", err.0);
        }
    }
    println!(
        "initramfs: {what}: {files} files, {} bytes ({}, {} bytes unpacked)",
        image.len(),
        archive.describe(),
        archive.unpacked_size()
    );
}
