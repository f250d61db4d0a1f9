//! The RAM filesystem behind `/`: directories are maps of names to inodes,
//! files hold their data in the page cache (`mm::filemap`), directories
//! live in the kernel heap.

use super::{root, Inode, InodeKind};
use crate::errno::*;
use crate::mm::filemap::AddressSpace;
use crate::sync::IrqSpinLock;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use libkernel::uapi;

/// Largest file (a bound on what a user `write` can make the kernel hold).
pub const MAX_FILE_SIZE: usize = 64 << 20;

/// Splits `path` into its parent directory (which must exist) and last
/// component.
pub fn parent_of(path: &str) -> Result<(Arc<Inode>, String), Errno> {
    let p = path.trim_end_matches('/');
    let (dir, name) = match p.rfind('/') {
        Some(i) => (&p[..i], &p[i + 1..]),
        None => ("", p),
    };
    if name.is_empty() || name == "." || name == ".." {
        return Err(EEXIST);
    }
    let parent = if dir.is_empty() {
        root()
    } else {
        super::lookup_path("/", dir.as_bytes())?
    };
    Ok((parent, String::from(name)))
}

/// Links `inode` as `name` in directory `dir`.
pub fn link(dir: &Inode, name: &str, inode: Arc<Inode>) -> Result<(), Errno> {
    if name.len() > uapi::NAME_MAX {
        return Err(ENAMETOOLONG);
    }
    if let Some(op) = dir.i_op.get() {
        // A directory on a disk: the name goes onto the volume first.
        dir.fill()?;
        if let InodeKind::Dir(d) = &dir.kind {
            if d.lock().contains_key(name) {
                return Err(EEXIST);
            }
        }
        op.create(dir, name, &inode)?;
    }
    match &dir.kind {
        InodeKind::Dir(d) => {
            let mut d = d.lock();
            if d.contains_key(name) {
                return Err(EEXIST);
            }
            inode.inc_nlink();
            d.insert(String::from(name), inode);
            drop(d);
            dir.touch_mtime();
            Ok(())
        }
        InodeKind::PseudoDir(_) => Err(EACCES),
        _ => Err(ENOTDIR),
    }
}

/// A new empty directory inode.
pub fn new_dir(mode: u32) -> Arc<Inode> {
    Inode::new(
        uapi::S_IFDIR | (mode & 0o7777),
        InodeKind::Dir(IrqSpinLock::new(BTreeMap::new())),
    )
}

/// A new regular file inode holding `data` in the page cache; `ENOSPC`
/// if its pages cannot be had.
pub fn new_file(mode: u32, data: &[u8]) -> Result<Arc<Inode>, Errno> {
    let mapping = AddressSpace::from_bytes(data).map_err(|_| ENOSPC)?;
    Ok(Inode::new(
        uapi::S_IFREG | (mode & 0o7777),
        InodeKind::File(IrqSpinLock::new(mapping)),
    ))
}

/// Creates an empty regular file at `path` (relative to `cwd`).
pub fn create(cwd: &str, path: &[u8], mode: u32) -> Result<Arc<Inode>, Errno> {
    let text = core::str::from_utf8(path).map_err(|_| EINVAL)?;
    let full = if text.starts_with('/') {
        String::from(text)
    } else {
        alloc::format!("{}/{}", cwd.trim_end_matches('/'), text)
    };
    let (parent, name) = parent_of(&full)?;
    let f = new_file(mode, &[])?;
    link(&parent, &name, f.clone())?;
    Ok(f)
}

/// Creates every missing directory of an absolute `path`; returns the last.
pub fn mkdir_p(path: &str) -> Result<Arc<Inode>, Errno> {
    let mut cur = root();
    for comp in path.split('/').filter(|c| !c.is_empty() && *c != ".") {
        let next = match cur.lookup(comp) {
            Ok(n) => n,
            Err(e) if e == ENOENT => {
                let d = new_dir(0o755);
                link(&cur, comp, d.clone())?;
                d
            }
            Err(e) => return Err(e),
        };
        if !next.is_dir() {
            return Err(ENOTDIR);
        }
        cur = next;
    }
    Ok(cur)
}

/// Puts `inode` at absolute `path`, replacing a file already there (so a
/// later initramfs overrides an earlier one).
pub fn install(path: &str, inode: Arc<Inode>) -> Result<(), Errno> {
    let (parent, name) = parent_of(path)?;
    match &parent.kind {
        InodeKind::Dir(d) => {
            let mut d = d.lock();
            if let Some(old) = d.get(&name) {
                if old.is_dir() && inode.is_dir() {
                    return Ok(());
                }
                old.drop_nlink();
            }
            inode.inc_nlink();
            d.insert(name, inode);
            Ok(())
        }
        _ => Err(ENOTDIR),
    }
}
