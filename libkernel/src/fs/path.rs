//! Path-name handling for the VFS: splitting, validation, normalisation.
//!
//! Linux's `path_lookup` (`fs/namei.c`) walks a path one component at a
//! time: repeated slashes are one separator, `.` stays put, `..` goes up
//! but never above the root, and a trailing slash (or a final `.`/`..`)
//! means the result must be a directory. Names are bytes, not UTF-8. A
//! path of `PATH_MAX` (4096) bytes or more, or a component over `NAME_MAX`
//! (255), fails with `ENAMETOOLONG`; an empty path with `ENOENT`.
//!
//! [`split`] gives the components as written (keeping `..`), for a walker
//! that follows symlinks and must apply `..` to the directory it actually
//! reached. [`resolve`] applies `..` lexically against a working
//! directory, which is what Linux does as long as no component is a
//! symlink (`/a/link/..` is `/a` here but the link target's parent on
//! Linux), so it suits file systems without symlinks and tests.

use alloc::vec::Vec;
use core::fmt;

use crate::uapi::{EINVAL, ENAMETOOLONG, ENOENT, NAME_MAX, PATH_MAX};

/// Why a path was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathError {
    /// The path is empty (`ENOENT`, as Linux without `AT_EMPTY_PATH`).
    Empty,
    /// The whole path is `PATH_MAX` bytes or longer (`ENAMETOOLONG`).
    PathTooLong,
    /// A component is over `NAME_MAX` bytes (`ENAMETOOLONG`).
    NameTooLong,
    /// A NUL byte inside: C could not have passed it (`EINVAL`).
    Nul,
}

impl PathError {
    /// The errno the system call fails with.
    pub fn errno(&self) -> i32 {
        match self {
            PathError::Empty => ENOENT,
            PathError::PathTooLong | PathError::NameTooLong => ENAMETOOLONG,
            PathError::Nul => EINVAL,
        }
    }
}

/// One step of a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Component<'a> {
    /// `..`
    Parent,
    /// A name (never empty, `.` or `..`).
    Normal(&'a [u8]),
}

/// A path split into steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split<'a> {
    /// Starts at the root rather than the working directory.
    pub absolute: bool,
    /// The steps, `.` and empty ones dropped.
    pub components: Vec<Component<'a>>,
    /// Ends in `/`, `.` or `..`: the result must be a directory.
    pub must_be_dir: bool,
}

/// Splits and validates `path` (given without its NUL).
pub fn split(path: &[u8]) -> Result<Split<'_>, PathError> {
    if path.is_empty() {
        return Err(PathError::Empty);
    }
    if path.len() >= PATH_MAX {
        return Err(PathError::PathTooLong);
    }
    if path.contains(&0) {
        return Err(PathError::Nul);
    }
    let mut components = Vec::new();
    let mut last_is_dot = false;
    for name in path.split(|&b| b == b'/').filter(|n| !n.is_empty()) {
        if name.len() > NAME_MAX {
            return Err(PathError::NameTooLong);
        }
        last_is_dot = name == b"." || name == b"..";
        match name {
            b"." => {}
            b".." => components.push(Component::Parent),
            _ => components.push(Component::Normal(name)),
        }
    }
    let absolute = path[0] == b'/';
    // "/" alone names the root, a directory.
    let must_be_dir = path.ends_with(b"/") || last_is_dot;
    Ok(Split {
        absolute,
        components,
        must_be_dir,
    })
}

/// A normalised absolute path: `/` or `/a/b`, with no empty, `.` or `..`
/// component and no trailing slash.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AbsPath {
    bytes: Vec<u8>,
}

impl Default for AbsPath {
    fn default() -> Self {
        Self::root()
    }
}

impl AbsPath {
    /// `/`.
    pub fn root() -> Self {
        AbsPath {
            bytes: alloc::vec![b'/'],
        }
    }

    /// The path as bytes (`getcwd`'s answer, without the NUL).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// True for `/`.
    pub fn is_root(&self) -> bool {
        self.bytes.len() == 1
    }

    /// The names from the root down (none for `/`).
    pub fn components(&self) -> impl Iterator<Item = &[u8]> {
        self.bytes[1..]
            .split(|&b| b == b'/')
            .filter(|n| !n.is_empty())
    }

    /// The last name, or `None` for `/`.
    pub fn file_name(&self) -> Option<&[u8]> {
        self.components().last()
    }

    /// The directory holding this one (`/` for `/`).
    pub fn parent(&self) -> AbsPath {
        let mut p = self.clone();
        p.pop();
        p
    }

    /// Appends one name, which must be a valid single component.
    pub fn push(&mut self, name: &[u8]) {
        debug_assert!(!name.is_empty() && !name.contains(&b'/') && name != b"." && name != b"..");
        if !self.is_root() {
            self.bytes.push(b'/');
        }
        self.bytes.extend_from_slice(name);
    }

    /// Removes the last name; `..` at the root stays at the root.
    pub fn pop(&mut self) {
        let cut = self.bytes.iter().rposition(|&b| b == b'/').unwrap_or(0);
        self.bytes.truncate(cut.max(1));
    }
}

impl fmt::Debug for AbsPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for chunk in self.bytes.utf8_chunks() {
            f.write_str(chunk.valid())?;
            for b in chunk.invalid() {
                write!(f, "\\x{b:02x}")?;
            }
        }
        f.write_str("\"")
    }
}

/// The result of [`resolve`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The normalised absolute path.
    pub path: AbsPath,
    /// The caller must fail with `ENOTDIR` unless it names a directory.
    pub must_be_dir: bool,
}

/// Resolves `path` against the working directory `cwd`, applying `..`
/// lexically (see the module comment for when that differs from Linux).
/// The result itself is not limited to `PATH_MAX`: like Linux, only the
/// path passed in is.
pub fn resolve(cwd: &AbsPath, path: &[u8]) -> Result<Resolved, PathError> {
    let s = split(path)?;
    let mut out = if s.absolute {
        AbsPath::root()
    } else {
        cwd.clone()
    };
    for c in s.components {
        match c {
            Component::Parent => out.pop(),
            Component::Normal(name) => out.push(name),
        }
    }
    Ok(Resolved {
        path: out,
        must_be_dir: s.must_be_dir,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;
    use alloc::vec;

    fn abs(p: &str) -> AbsPath {
        resolve(&AbsPath::root(), p.as_bytes()).unwrap().path
    }

    fn r(cwd: &str, p: &str) -> (String, bool) {
        let res = resolve(&abs(cwd), p.as_bytes()).unwrap();
        (
            String::from_utf8(res.path.as_bytes().to_vec()).unwrap(),
            res.must_be_dir,
        )
    }

    #[test]
    fn absolute_and_relative_paths_normalise() {
        assert_eq!(r("/", "/"), ("/".into(), true));
        assert_eq!(
            r("/home/user", "/etc/passwd"),
            ("/etc/passwd".into(), false)
        );
        assert_eq!(
            r("/home/user", "notes.txt"),
            ("/home/user/notes.txt".into(), false)
        );
        assert_eq!(
            r("/home/user", "a//b///c"),
            ("/home/user/a/b/c".into(), false)
        );
        assert_eq!(r("/", "//usr///bin//"), ("/usr/bin".into(), true));
        assert_eq!(r("/a/b", "./c/./d"), ("/a/b/c/d".into(), false));
        assert_eq!(r("/a/b", "..."), ("/a/b/...".into(), false));
        assert_eq!(r("/a/b", ".hidden"), ("/a/b/.hidden".into(), false));
    }

    #[test]
    fn dot_dot_goes_up_but_not_above_the_root() {
        assert_eq!(r("/a/b/c", ".."), ("/a/b".into(), true));
        assert_eq!(r("/a/b/c", "../../x"), ("/a/x".into(), false));
        assert_eq!(r("/a", "../../../.."), ("/".into(), true));
        assert_eq!(r("/", "/../../etc"), ("/etc".into(), false));
        assert_eq!(r("/a/b", "x/../y"), ("/a/b/y".into(), false));
        assert_eq!(r("/a/b", "x/.."), ("/a/b".into(), true));
    }

    #[test]
    fn trailing_slash_or_dot_requires_a_directory() {
        assert_eq!(r("/", "bin/"), ("/bin".into(), true));
        assert_eq!(r("/", "bin/."), ("/bin".into(), true));
        assert_eq!(r("/x", "."), ("/x".into(), true));
        assert_eq!(r("/", "bin/sh"), ("/bin/sh".into(), false));
        assert_eq!(r("/", "bin/./sh"), ("/bin/sh".into(), false));
    }

    #[test]
    fn split_keeps_parent_steps_for_a_physical_walk() {
        let s = split(b"../a/./b//..").unwrap();
        assert!(!s.absolute && s.must_be_dir);
        assert_eq!(
            s.components,
            vec![
                Component::Parent,
                Component::Normal(b"a"),
                Component::Normal(b"b"),
                Component::Parent
            ]
        );
        let s = split(b"/").unwrap();
        assert!(s.absolute && s.components.is_empty() && s.must_be_dir);
    }

    #[test]
    fn length_limits_and_empty_paths() {
        let cwd = AbsPath::root();
        assert_eq!(resolve(&cwd, b""), Err(PathError::Empty));
        assert_eq!(PathError::Empty.errno(), 2);

        let name255 = vec![b'n'; 255];
        assert!(resolve(&cwd, &name255).is_ok());
        let name256 = vec![b'n'; 256];
        assert_eq!(resolve(&cwd, &name256), Err(PathError::NameTooLong));
        let mut p = b"/a/".to_vec();
        p.extend(&name256);
        p.extend(b"/b");
        assert_eq!(resolve(&cwd, &p), Err(PathError::NameTooLong));
        assert_eq!(PathError::NameTooLong.errno(), 36);

        // 4095 bytes (plus the NUL: PATH_MAX) is the longest accepted.
        let mut p = Vec::new();
        while p.len() < 4095 {
            p.extend(b"/d");
        }
        p.truncate(4095);
        assert_eq!(p.len(), 4095);
        assert!(resolve(&cwd, &p).is_ok());
        p.push(b'x');
        assert_eq!(resolve(&cwd, &p), Err(PathError::PathTooLong));
        assert_eq!(PathError::PathTooLong.errno(), 36);
        // Slashes count towards the total even though they collapse.
        assert_eq!(resolve(&cwd, &[b'/'; 4096]), Err(PathError::PathTooLong));

        assert_eq!(resolve(&cwd, b"a\0b"), Err(PathError::Nul));
        assert_eq!(PathError::Nul.errno(), 22);
    }

    #[test]
    fn names_are_bytes_not_utf8() {
        let res = resolve(&AbsPath::root(), b"/caf\xe9/x").unwrap();
        assert_eq!(res.path.as_bytes(), b"/caf\xe9/x");
        assert_eq!(alloc::format!("{:?}", res.path), "\"/caf\\xe9/x\"");
    }

    #[test]
    fn abs_path_helpers() {
        let p = abs("/usr/local/bin");
        assert_eq!(
            p.components().collect::<Vec<_>>(),
            [&b"usr"[..], b"local", b"bin"]
        );
        assert_eq!(p.file_name(), Some(&b"bin"[..]));
        assert_eq!(p.parent(), abs("/usr/local"));
        assert_eq!(abs("/usr").parent(), AbsPath::root());
        assert_eq!(AbsPath::root().parent(), AbsPath::root());
        assert_eq!(AbsPath::root().file_name(), None);
        assert_eq!(AbsPath::root().components().count(), 0);
        assert!(AbsPath::default().is_root());
        let mut q = AbsPath::root();
        q.push(b"etc");
        q.push(b"hosts");
        assert_eq!(q.as_bytes(), b"/etc/hosts");
        q.pop();
        q.pop();
        q.pop();
        assert_eq!(q.as_bytes(), b"/");
    }
}
