//! Building the initramfs image from directory trees (the logic of
//! `mkcpio`).
//!
//! Linux boots from a cpio "newc" archive of its first root file system;
//! pikern does the same, and `libkernel::fs::cpio` both writes it here and
//! reads it in the kernel, so the two cannot disagree. The archive must be
//! reproducible (the same tree gives the same bytes, whoever builds it and
//! whenever), so entries are sorted by path, owners are 0 and times 0;
//! only the type and permission bits come from the file system.
//!
//! Several trees can be stacked: a later tree's entry replaces an earlier
//! one at the same path (a directory merges with a directory; a file over
//! a directory replaces the whole subtree), like an overlay mount.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use libkernel::fs::cpio::NewcWriter;

/// What one archive entry will hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// A directory with this mode.
    Dir { mode: u32 },
    /// A regular file, read from `source` when the archive is written.
    File { mode: u32, source: PathBuf },
    /// A symbolic link to `target`.
    Symlink { mode: u32, target: Vec<u8> },
    /// A device node or FIFO (no data).
    Special { mode: u32, major: u32, minor: u32 },
}

/// Archive path (components from the root) to entry. Ordering by
/// components puts a directory right before its contents.
pub type Tree = BTreeMap<Vec<String>, Node>;

/// Adds the contents of `dir` (not `dir` itself) to `tree`, later entries
/// overriding earlier ones.
pub fn add_dir(tree: &mut Tree, dir: &Path) -> Result<(), String> {
    let meta = fs::metadata(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if !meta.is_dir() {
        return Err(format!("{}: not a directory", dir.display()));
    }
    walk(tree, dir, &mut Vec::new())
}

fn walk(tree: &mut Tree, dir: &Path, prefix: &mut Vec<String>) -> Result<(), String> {
    let read = fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut children = Vec::new();
    for entry in read {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        children.push(entry.path());
    }
    children.sort();
    for path in children {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| format!("{}: file name is not UTF-8", path.display()))?
            .to_string();
        let meta = fs::symlink_metadata(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mode = meta.mode();
        let ft = meta.file_type();
        let node = if ft.is_dir() {
            Node::Dir { mode }
        } else if ft.is_file() {
            Node::File {
                mode,
                source: path.clone(),
            }
        } else if ft.is_symlink() {
            let target = fs::read_link(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            Node::Symlink {
                mode,
                target: target.into_os_string().into_encoded_bytes(),
            }
        } else if ft.is_char_device() || ft.is_block_device() || ft.is_fifo() {
            let (major, minor) = split_dev(meta.rdev());
            Node::Special { mode, major, minor }
        } else {
            return Err(format!("{}: cannot archive a socket", path.display()));
        };
        prefix.push(name);
        insert(tree, prefix.clone(), node.clone());
        if let Node::Dir { .. } = node {
            walk(tree, &path, prefix)?;
        }
        prefix.pop();
    }
    Ok(())
}

/// Puts `node` at `key`. A directory keeps whatever is already under
/// `key` (merging with an earlier directory); anything else drops it.
pub fn insert(tree: &mut Tree, key: Vec<String>, node: Node) {
    if !matches!(node, Node::Dir { .. }) {
        let below: Vec<Vec<String>> = tree
            .range(key.clone()..)
            .map(|(k, _)| k)
            .skip_while(|k| **k == key)
            .take_while(|k| k.starts_with(&key))
            .cloned()
            .collect();
        for k in below {
            tree.remove(&k);
        }
    }
    tree.insert(key, node);
}

/// glibc's `major()`/`minor()` of a `st_rdev`.
fn split_dev(rdev: u64) -> (u32, u32) {
    let major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & !0xfff);
    let minor = (rdev & 0xff) | ((rdev >> 12) & !0xff);
    (major as u32, minor as u32)
}

/// Writes `tree` as a newc archive, reading file contents now.
pub fn write_archive(tree: &Tree) -> Result<Vec<u8>, String> {
    let mut w = NewcWriter::new();
    for (key, node) in tree {
        let name = key.join("/");
        let result = match node {
            Node::Dir { mode } => w.add(&name, *mode, &[]),
            Node::File { mode, source } => {
                let data = fs::read(source).map_err(|e| format!("{}: {e}", source.display()))?;
                w.add(&name, *mode, &data)
            }
            Node::Symlink { mode, target } => w.add(&name, *mode, target),
            Node::Special { mode, major, minor } => w.add_device(&name, *mode, *major, *minor),
        };
        result.map_err(|e| format!("{name}: {e}"))?;
    }
    Ok(w.finish())
}

/// The archive of `dirs` stacked in order.
pub fn build(dirs: &[PathBuf]) -> Result<Vec<u8>, String> {
    let mut tree = Tree::new();
    for dir in dirs {
        add_dir(&mut tree, dir)?;
    }
    write_archive(&tree)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(p: &str) -> Vec<String> {
        p.split('/').map(String::from).collect()
    }

    fn dir() -> Node {
        Node::Dir { mode: 0o40755 }
    }

    fn file(src: &str) -> Node {
        Node::File {
            mode: 0o100644,
            source: PathBuf::from(src),
        }
    }

    #[test]
    fn directories_come_right_before_their_contents() {
        let mut t = Tree::new();
        for p in ["a.b", "a/z", "a", "a/b/c", "a/b", "b"] {
            insert(&mut t, key(p), dir());
        }
        let order: Vec<String> = t.keys().map(|k| k.join("/")).collect();
        assert_eq!(order, ["a", "a/b", "a/b/c", "a/z", "a.b", "b"]);
    }

    #[test]
    fn later_entries_override_and_replace_subtrees() {
        let mut t = Tree::new();
        insert(&mut t, key("etc"), dir());
        insert(&mut t, key("etc/motd"), file("base"));
        insert(&mut t, key("etc2"), dir());
        // A directory over a directory keeps its contents.
        insert(&mut t, key("etc"), Node::Dir { mode: 0o40700 });
        assert_eq!(t.get(&key("etc/motd")), Some(&file("base")));
        assert_eq!(t.get(&key("etc")), Some(&Node::Dir { mode: 0o40700 }));
        // A file over a file wins.
        insert(&mut t, key("etc/motd"), file("overlay"));
        assert_eq!(t.get(&key("etc/motd")), Some(&file("overlay")));
        // A symlink over a directory drops the subtree, not its neighbours.
        let link = Node::Symlink {
            mode: 0o120777,
            target: b"etc2".to_vec(),
        };
        insert(&mut t, key("etc"), link.clone());
        assert_eq!(t.len(), 2);
        assert_eq!(t.get(&key("etc")), Some(&link));
        assert!(t.contains_key(&key("etc2")));
    }

    #[test]
    fn device_numbers_split_like_glibc() {
        assert_eq!(split_dev(0x0501), (5, 1));
        assert_eq!(split_dev(0x4561_2378), (0x123, 0x45678));
    }
}
