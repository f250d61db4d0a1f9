//! The pure half of mounting (Linux's `fs/namespace.c`, `fs/fs_parser.c`,
//! `fs/proc_namespace.c`): mount-option strings and the `/proc/mounts`
//! line format.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

/// Appends `s` to `out` with the characters that would break a
/// `/proc/mounts` line (space, tab, newline, backslash) as `\ooo`, as
/// Linux's `mangle` does.
pub fn mangle(s: &str, out: &mut String) {
    for c in s.chars() {
        if matches!(c, ' ' | '\t' | '\n' | '\\') {
            let _ = write!(out, "\\{:03o}", c as u32);
        } else {
            out.push(c);
        }
    }
}

/// One `/proc/mounts` line: `source mountpoint type options 0 0`.
pub fn mounts_line(source: &str, mountpoint: &str, fstype: &str, options: &str) -> String {
    let mut s = String::new();
    mangle(source, &mut s);
    s.push(' ');
    mangle(mountpoint, &mut s);
    s.push(' ');
    mangle(fstype, &mut s);
    s.push(' ');
    mangle(options, &mut s);
    s.push_str(" 0 0\n");
    s
}

/// A `mount` data string's options, split at commas (`key` or
/// `key=value`); empty items are skipped, as Linux's
/// `generic_parse_monolithic` does.
pub fn split_options(data: &str) -> Vec<(&str, Option<&str>)> {
    data.split(',')
        .filter(|o| !o.is_empty())
        .map(|o| match o.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (o, None),
        })
        .collect()
}

/// The superblock flags Linux's option parser takes from any file
/// system's data string (`common_set_sb_flag`/`common_clear_sb_flag`):
/// accepted, and handled by the flags argument instead.
pub fn is_common_sb_option(key: &str) -> bool {
    matches!(
        key,
        "ro" | "rw"
            | "sync"
            | "async"
            | "dirsync"
            | "lazytime"
            | "nolazytime"
            | "mand"
            | "nomand"
            | "silent"
            | "posixacl"
            | "noposixacl"
            | "i_version"
            | "noi_version"
    )
}

/// A size as tmpfs's `size=` and `nr_inodes=` take it (`memparse`): a
/// number with an optional `k`, `m`, `g`, `t`, `p` or `e` suffix (any
/// case). `None` if it is not one or overflows.
pub fn memparse(s: &str) -> Option<u64> {
    let (digits, shift) = match s.as_bytes().last()? {
        b'k' | b'K' => (&s[..s.len() - 1], 10),
        b'm' | b'M' => (&s[..s.len() - 1], 20),
        b'g' | b'G' => (&s[..s.len() - 1], 30),
        b't' | b'T' => (&s[..s.len() - 1], 40),
        b'p' | b'P' => (&s[..s.len() - 1], 50),
        b'e' | b'E' => (&s[..s.len() - 1], 60),
        _ => (s, 0),
    };
    let v: u64 = digits.parse().ok()?;
    v.checked_mul(1u64 << shift)
}

/// A mount option a file system does not take, or a bad value (the
/// kernel's `EINVAL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadOption;

/// tmpfs's options (`shmem_parse_one`): the most pages and inodes it may
/// hold and its root's mode, owner and group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TmpfsOptions {
    /// `size=` (bytes, or `N%` of `total_pages`), in pages.
    pub max_pages: Option<u64>,
    /// `nr_inodes=`.
    pub max_inodes: Option<u64>,
    /// `mode=` (octal, permission bits).
    pub mode: Option<u32>,
    /// `uid=`.
    pub uid: Option<u32>,
    /// `gid=`.
    pub gid: Option<u32>,
}

impl TmpfsOptions {
    /// Parses a data string; [`BadOption`] for an option tmpfs does not
    /// know or a bad value.
    pub fn parse(data: &str, total_pages: u64, page_size: u64) -> Result<Self, BadOption> {
        let mut o = TmpfsOptions::default();
        for (k, v) in split_options(data) {
            match (k, v) {
                ("size", Some(v)) => {
                    let pages = match v.strip_suffix('%') {
                        Some(p) => {
                            let pct: u64 = p.parse().map_err(|_| BadOption)?;
                            total_pages.checked_mul(pct).ok_or(BadOption)? / 100
                        }
                        None => memparse(v).ok_or(BadOption)?.div_ceil(page_size),
                    };
                    o.max_pages = Some(pages);
                }
                ("nr_inodes", Some(v)) => o.max_inodes = Some(memparse(v).ok_or(BadOption)?),
                ("mode", Some(v)) => {
                    o.mode = Some(u32::from_str_radix(v, 8).map_err(|_| BadOption)? & 0o7777)
                }
                ("uid", Some(v)) => o.uid = Some(v.parse().map_err(|_| BadOption)?),
                ("gid", Some(v)) => o.gid = Some(v.parse().map_err(|_| BadOption)?),
                ("inode64" | "inode32" | "noswap", None) => {}
                ("huge" | "mpol", Some(_)) => {}
                (k, _) if is_common_sb_option(k) => {}
                _ => return Err(BadOption),
            }
        }
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_mounts_lines_escape_what_would_split_them() {
        assert_eq!(
            mounts_line("none", "/mnt/a b", "tmpfs", "rw,relatime"),
            "none /mnt/a\\040b tmpfs rw,relatime 0 0\n"
        );
        let mut s = String::new();
        mangle("a\tb\nc\\d", &mut s);
        assert_eq!(s, "a\\011b\\012c\\134d");
    }

    #[test]
    fn tmpfs_options_parse_as_linux_takes_them() {
        let o = TmpfsOptions::parse("size=1m,mode=755,,uid=5,rw", 1000, 4096).unwrap();
        assert_eq!(o.max_pages, Some(256));
        assert_eq!(o.mode, Some(0o755));
        assert_eq!(o.uid, Some(5));
        assert_eq!(
            TmpfsOptions::parse("size=50%", 1000, 4096)
                .unwrap()
                .max_pages,
            Some(500)
        );
        assert_eq!(TmpfsOptions::parse("size=1x", 1000, 4096), Err(BadOption));
        assert_eq!(TmpfsOptions::parse("bogus", 1000, 4096), Err(BadOption));
        assert_eq!(TmpfsOptions::parse("mode=9", 1000, 4096), Err(BadOption));
        assert_eq!(
            TmpfsOptions::parse("", 1000, 4096),
            Ok(TmpfsOptions::default())
        );
        assert_eq!(memparse("2K"), Some(2048));
        assert_eq!(memparse("16e"), None);
    }
}
