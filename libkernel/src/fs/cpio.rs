//! The initramfs archive format: cpio "newc".
//!
//! Linux unpacks its initial root file system from a cpio archive in the
//! "newc" format (`init/initramfs.c`, documented in
//! `Documentation/driver-api/early-userspace/buffer-format.rst`): each entry
//! is a 110-byte header of ASCII hex fields after the magic `070701`, then
//! the NUL-terminated name padded to a multiple of 4 bytes, then the data
//! (a file's contents or a symlink's target) padded to 4 again. An entry
//! named `TRAILER!!!` ends the archive.
//!
//! [`entries`] walks an archive in place (names and data borrow from it) and
//! reports a malformed archive as a [`CpioError`], never a panic: the bytes
//! come from outside the kernel. Like Linux it accepts several archives
//! concatenated, with NUL padding between them, and the `070702` variant
//! whose header carries a checksum of the data.
//!
//! [`write_newc`] / [`NewcWriter`] build an archive; the host tool `mkcpio`
//! uses them, and the tests use them to round-trip.

use alloc::vec::Vec;
use core::fmt;

pub use crate::uapi::{S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK};

/// Magic of a "newc" header.
pub const MAGIC_NEWC: &[u8; 6] = b"070701";
/// Magic of a "newc" header whose `check` field is the sum of the data
/// bytes (GNU cpio's `-H crc`).
pub const MAGIC_CRC: &[u8; 6] = b"070702";
/// Length of a header: the magic and 13 fields of 8 hex digits.
pub const HEADER_LEN: usize = 110;
/// Name of the entry that ends an archive.
pub const TRAILER: &str = "TRAILER!!!";
/// Longest name accepted, NUL included (Linux's `PATH_MAX`).
pub const MAX_NAME: usize = crate::uapi::PATH_MAX;

/// Names of the header fields, in order, for error messages.
const FIELDS: [&str; 13] = [
    "ino",
    "mode",
    "uid",
    "gid",
    "nlink",
    "mtime",
    "filesize",
    "devmajor",
    "devminor",
    "rdevmajor",
    "rdevminor",
    "namesize",
    "check",
];

/// What a mode's type bits say an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    /// `S_IFREG`
    Regular,
    /// `S_IFDIR`
    Directory,
    /// `S_IFLNK`: the data is the target path.
    Symlink,
    /// `S_IFCHR`: see `rdev_major`/`rdev_minor`.
    CharDevice,
    /// `S_IFBLK`
    BlockDevice,
    /// `S_IFIFO`
    Fifo,
    /// `S_IFSOCK`
    Socket,
    /// Type bits that name no file type.
    Unknown,
}

impl FileType {
    /// The type named by `mode & S_IFMT`.
    pub const fn from_mode(mode: u32) -> Self {
        match mode & S_IFMT {
            S_IFREG => FileType::Regular,
            S_IFDIR => FileType::Directory,
            S_IFLNK => FileType::Symlink,
            S_IFCHR => FileType::CharDevice,
            S_IFBLK => FileType::BlockDevice,
            S_IFIFO => FileType::Fifo,
            S_IFSOCK => FileType::Socket,
            _ => FileType::Unknown,
        }
    }
}

/// One archive member. `name` and `data` borrow from the archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Path inside the archive without a leading `/` or `./` (`"bin/sh"`);
    /// the archive root itself (`.` or `/`) is `"."`.
    pub name: &'a str,
    /// File type and permission bits (`S_IF*` | `0o7777`).
    pub mode: u32,
    /// Inode number; with `nlink > 1` equal numbers mark hard links.
    pub ino: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Link count.
    pub nlink: u32,
    /// Modification time, seconds since the epoch.
    pub mtime: u32,
    /// Device the file lived on (major).
    pub dev_major: u32,
    /// Device the file lived on (minor).
    pub dev_minor: u32,
    /// For a device node: the device it names (major).
    pub rdev_major: u32,
    /// For a device node: the device it names (minor).
    pub rdev_minor: u32,
    /// File contents, or a symlink's target.
    pub data: &'a [u8],
}

impl Entry<'_> {
    /// What kind of file this is.
    pub fn file_type(&self) -> FileType {
        FileType::from_mode(self.mode)
    }

    /// A directory.
    pub fn is_dir(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }

    /// A regular file.
    pub fn is_file(&self) -> bool {
        self.mode & S_IFMT == S_IFREG
    }

    /// A symbolic link (its target is `data`).
    pub fn is_symlink(&self) -> bool {
        self.mode & S_IFMT == S_IFLNK
    }

    /// A character device node.
    pub fn is_char_device(&self) -> bool {
        self.mode & S_IFMT == S_IFCHR
    }

    /// The permission bits, set-id and sticky included.
    pub fn permissions(&self) -> u32 {
        self.mode & 0o7777
    }
}

/// Why an archive could not be read. `offset` is where the offending
/// entry's header starts, so a bad archive can be inspected with `xxd`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpioError {
    /// No `070701`/`070702` magic where a header should start.
    BadMagic { offset: usize },
    /// The archive ends inside a header.
    TruncatedHeader { offset: usize },
    /// A header field holds something other than 8 hex digits.
    BadHexDigit { offset: usize, field: &'static str },
    /// The archive ends inside the name.
    TruncatedName { offset: usize },
    /// `namesize` is 0 or the name's last byte is not NUL.
    NameNotTerminated { offset: usize },
    /// The name is empty or has a NUL before its end.
    BadName { offset: usize },
    /// `namesize` is over [`MAX_NAME`].
    NameTooLong { offset: usize, size: u32 },
    /// The name is not UTF-8.
    NameNotUtf8 { offset: usize },
    /// The archive ends inside the data (or `filesize` is absurd).
    TruncatedData { offset: usize, size: u32 },
    /// A `070702` entry whose data does not sum to its `check` field.
    BadChecksum {
        offset: usize,
        expected: u32,
        actual: u32,
    },
    /// The archive ends without a `TRAILER!!!` entry.
    MissingTrailer { offset: usize },
    /// After a trailer and its NUL padding, the next archive does not start
    /// on a 4-byte boundary.
    BadPadding { offset: usize },
}

impl fmt::Display for CpioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            CpioError::BadMagic { offset } => {
                write!(f, "cpio: no 070701 magic at offset {offset}")
            }
            CpioError::TruncatedHeader { offset } => {
                write!(f, "cpio: archive ends inside the header at {offset}")
            }
            CpioError::BadHexDigit { offset, field } => {
                write!(
                    f,
                    "cpio: field {field} of the header at {offset} is not hex"
                )
            }
            CpioError::TruncatedName { offset } => {
                write!(
                    f,
                    "cpio: archive ends inside the name of the entry at {offset}"
                )
            }
            CpioError::NameNotTerminated { offset } => {
                write!(
                    f,
                    "cpio: name of the entry at {offset} is not NUL-terminated"
                )
            }
            CpioError::BadName { offset } => {
                write!(
                    f,
                    "cpio: name of the entry at {offset} is empty or has a NUL"
                )
            }
            CpioError::NameTooLong { offset, size } => {
                write!(f, "cpio: name of the entry at {offset} is {size} bytes")
            }
            CpioError::NameNotUtf8 { offset } => {
                write!(f, "cpio: name of the entry at {offset} is not UTF-8")
            }
            CpioError::TruncatedData { offset, size } => write!(
                f,
                "cpio: archive ends inside the {size} data bytes of the entry at {offset}"
            ),
            CpioError::BadChecksum {
                offset,
                expected,
                actual,
            } => write!(
                f,
                "cpio: checksum of the entry at {offset} is {actual:#x}, header says {expected:#x}"
            ),
            CpioError::MissingTrailer { offset } => {
                write!(f, "cpio: archive ends at {offset} without TRAILER!!!")
            }
            CpioError::BadPadding { offset } => {
                write!(f, "cpio: next archive at {offset} is not 4-byte aligned")
            }
        }
    }
}

/// Iterates over the entries of `archive` (the trailers are not yielded).
pub fn entries(archive: &[u8]) -> Entries<'_> {
    Entries {
        buf: archive,
        pos: 0,
        between_archives: true,
        saw_trailer: false,
        done: false,
    }
}

/// Iterator over an archive's entries; see [`entries`]. It stops after the
/// first error.
#[derive(Clone, Debug)]
pub struct Entries<'a> {
    buf: &'a [u8],
    pos: usize,
    /// At the start, or just after a trailer: NUL padding may follow, then
    /// the end or another archive.
    between_archives: bool,
    saw_trailer: bool,
    done: bool,
}

impl<'a> Iterator for Entries<'a> {
    type Item = Result<Entry<'a>, CpioError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.step();
        if !matches!(item, Some(Ok(_))) {
            self.done = true;
        }
        item
    }
}

impl<'a> Entries<'a> {
    fn step(&mut self) -> Option<Result<Entry<'a>, CpioError>> {
        loop {
            if self.between_archives {
                // init/initramfs.c skips NULs between archives (GNU cpio
                // pads to 512 bytes) and wants the next header aligned.
                while self.buf.get(self.pos) == Some(&0) {
                    self.pos += 1;
                }
                if self.pos == self.buf.len() {
                    if self.saw_trailer {
                        return None;
                    }
                    return Some(Err(CpioError::MissingTrailer { offset: self.pos }));
                }
                if !self.pos.is_multiple_of(4) {
                    return Some(Err(CpioError::BadPadding { offset: self.pos }));
                }
                self.between_archives = false;
            }
            if self.pos == self.buf.len() {
                return Some(Err(CpioError::MissingTrailer { offset: self.pos }));
            }
            let (entry, next) = match parse_entry(self.buf, self.pos) {
                Ok(parsed) => parsed,
                Err(e) => return Some(Err(e)),
            };
            // Padding after the last entry may be missing at the very end.
            self.pos = next.min(self.buf.len());
            if entry.name == TRAILER {
                self.saw_trailer = true;
                self.between_archives = true;
                continue;
            }
            return Some(Ok(Entry {
                name: strip_root(entry.name),
                ..entry
            }));
        }
    }
}

/// The length of the one archive at the start of `buf`: up to the end of
/// its `TRAILER!!!` entry and that entry's padding (what follows may be
/// NULs, another archive or a compressed one).
pub fn archive_len(buf: &[u8]) -> Result<usize, CpioError> {
    let mut pos = 0;
    loop {
        if pos >= buf.len() {
            return Err(CpioError::MissingTrailer { offset: buf.len() });
        }
        let (entry, next) = parse_entry(buf, pos)?;
        pos = next.min(buf.len());
        if entry.name == TRAILER {
            return Ok(pos);
        }
    }
}

/// Parses the entry whose header starts at `offset`; returns it (with the
/// raw name) and the offset just past its padded data.
fn parse_entry(buf: &[u8], offset: usize) -> Result<(Entry<'_>, usize), CpioError> {
    let rest = &buf[offset..];
    let magic = &rest[..rest.len().min(6)];
    let crc = if MAGIC_NEWC.starts_with(magic) {
        false
    } else if MAGIC_CRC.starts_with(magic) {
        true
    } else {
        return Err(CpioError::BadMagic { offset });
    };
    let header = rest
        .get(..HEADER_LEN)
        .ok_or(CpioError::TruncatedHeader { offset })?;
    let mut f = [0u32; 13];
    for (i, value) in f.iter_mut().enumerate() {
        let digits = &header[6 + 8 * i..14 + 8 * i];
        *value = parse_hex(digits).ok_or(CpioError::BadHexDigit {
            offset,
            field: FIELDS[i],
        })?;
    }
    let [ino, mode, uid, gid, nlink, mtime, filesize, dev_major, dev_minor, rdev_major, rdev_minor, namesize, check] =
        f;

    if namesize == 0 {
        return Err(CpioError::NameNotTerminated { offset });
    }
    if namesize as usize > MAX_NAME {
        return Err(CpioError::NameTooLong {
            offset,
            size: namesize,
        });
    }
    let name_start = offset + HEADER_LEN;
    let name_end = name_start + namesize as usize;
    let raw = buf
        .get(name_start..name_end)
        .ok_or(CpioError::TruncatedName { offset })?;
    let (&last, text) = raw.split_last().expect("namesize is at least 1");
    if last != 0 {
        return Err(CpioError::NameNotTerminated { offset });
    }
    if text.is_empty() || text.contains(&0) {
        return Err(CpioError::BadName { offset });
    }
    let name = core::str::from_utf8(text).map_err(|_| CpioError::NameNotUtf8 { offset })?;

    // Checked, so a filesize near 4 GiB cannot wrap on a 32-bit target: a
    // size that overflows certainly runs past the archive.
    let truncated = CpioError::TruncatedData {
        offset,
        size: filesize,
    };
    let data_start = align4(name_end).ok_or(truncated)?;
    let data_end = data_start.checked_add(filesize as usize).ok_or(truncated)?;
    // An empty body needs no bytes, not even the name's padding: the
    // trailer often ends the buffer unpadded.
    let data = if filesize == 0 {
        &[]
    } else {
        buf.get(data_start..data_end).ok_or(truncated)?
    };
    if crc {
        let actual = data.iter().fold(0u32, |s, &b| s.wrapping_add(b.into()));
        if actual != check {
            return Err(CpioError::BadChecksum {
                offset,
                expected: check,
                actual,
            });
        }
    }
    let next = align4(data_end).unwrap_or(usize::MAX);
    let entry = Entry {
        name,
        mode,
        ino,
        uid,
        gid,
        nlink,
        mtime,
        dev_major,
        dev_minor,
        rdev_major,
        rdev_minor,
        data,
    };
    Ok((entry, next))
}

/// Eight ASCII hex digits (either case) as a number.
fn parse_hex(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |acc, &c| {
        let d = (c as char).to_digit(16)?;
        Some(acc << 4 | d)
    })
}

fn align4(n: usize) -> Option<usize> {
    Some(n.checked_add(3)? & !3)
}

/// `./bin/sh`, `/bin/sh` and `bin/sh` all name `bin/sh`; the root is `.`.
fn strip_root(mut name: &str) -> &str {
    loop {
        if let Some(rest) = name.strip_prefix('/') {
            name = rest;
        } else if let Some(rest) = name.strip_prefix("./") {
            name = rest;
        } else {
            break;
        }
    }
    if name.is_empty() {
        "."
    } else {
        name
    }
}

/// Why [`NewcWriter`] refused an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteError {
    /// Empty, contains NUL, is `TRAILER!!!`, or over [`MAX_NAME`] with its
    /// NUL.
    BadName,
    /// Data over 4 GiB: `filesize` is a 32-bit field.
    TooLarge,
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::BadName => f.write_str("cpio: name cannot be stored in a newc archive"),
            WriteError::TooLarge => f.write_str("cpio: file is larger than 4 GiB"),
        }
    }
}

/// Builds a "newc" archive entry by entry.
///
/// Output is reproducible: owner and group are 0, mtime 0, and inode
/// numbers count up from 1 in the order entries are added (so no two
/// entries look like hard links: `nlink` is 1, or 2 for a directory).
#[derive(Clone, Debug)]
pub struct NewcWriter {
    out: Vec<u8>,
    next_ino: u32,
}

impl Default for NewcWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl NewcWriter {
    /// An empty archive.
    pub fn new() -> Self {
        NewcWriter {
            out: Vec::new(),
            next_ino: 1,
        }
    }

    /// Adds a file, directory or symlink (`data` is its target). `mode`
    /// carries the type bits, e.g. `S_IFREG | 0o755`.
    pub fn add(&mut self, name: &str, mode: u32, data: &[u8]) -> Result<(), WriteError> {
        self.push(name, mode, data, (0, 0))
    }

    /// Adds a device node (`S_IFCHR`/`S_IFBLK` in `mode`) for device
    /// `major:minor`.
    pub fn add_device(
        &mut self,
        name: &str,
        mode: u32,
        major: u32,
        minor: u32,
    ) -> Result<(), WriteError> {
        self.push(name, mode, &[], (major, minor))
    }

    /// Appends the trailer and returns the archive.
    pub fn finish(mut self) -> Vec<u8> {
        self.header(0, 0, 1, 0, (0, 0), TRAILER);
        self.out
    }

    fn push(
        &mut self,
        name: &str,
        mode: u32,
        data: &[u8],
        rdev: (u32, u32),
    ) -> Result<(), WriteError> {
        if name.is_empty() || name.contains('\0') || name == TRAILER || name.len() + 1 > MAX_NAME {
            return Err(WriteError::BadName);
        }
        let size = u32::try_from(data.len()).map_err(|_| WriteError::TooLarge)?;
        let nlink = if mode & S_IFMT == S_IFDIR { 2 } else { 1 };
        let ino = self.next_ino;
        self.next_ino += 1;
        self.header(ino, mode, nlink, size, rdev, name);
        self.out.extend_from_slice(data);
        self.pad();
        Ok(())
    }

    /// Header, name and the name's padding.
    fn header(&mut self, ino: u32, mode: u32, nlink: u32, size: u32, rdev: (u32, u32), name: &str) {
        let namesize = name.len() as u32 + 1;
        let fields = [
            ino, mode, 0, 0, nlink, 0, size, 0, 0, rdev.0, rdev.1, namesize, 0,
        ];
        self.out.extend_from_slice(MAGIC_NEWC);
        for v in fields {
            // GNU cpio writes upper-case hex; do the same so archives can
            // be compared byte for byte.
            for shift in (0..8).rev() {
                let digit = (v >> (shift * 4)) & 0xf;
                self.out.push(b"0123456789ABCDEF"[digit as usize]);
            }
        }
        self.out.extend_from_slice(name.as_bytes());
        self.out.push(0);
        self.pad();
    }

    fn pad(&mut self) {
        while !self.out.len().is_multiple_of(4) {
            self.out.push(0);
        }
    }
}

/// Builds an archive from `(name, mode, data)` items, in order, ending
/// with the trailer.
pub fn write_newc<'a>(
    items: impl IntoIterator<Item = (&'a str, u32, &'a [u8])>,
) -> Result<Vec<u8>, WriteError> {
    let mut w = NewcWriter::new();
    for (name, mode, data) in items {
        w.add(name, mode, data)?;
    }
    Ok(w.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;

    /// A header from its 13 fields written out as in the archive (spaces
    /// between fields are for reading and are removed).
    fn hdr(magic: &str, fields: &str) -> Vec<u8> {
        let mut v: Vec<u8> = magic.bytes().collect();
        v.extend(fields.bytes().filter(|b| *b != b' '));
        assert_eq!(v.len(), HEADER_LEN);
        v
    }

    fn collect(archive: &[u8]) -> Result<Vec<Entry<'_>>, CpioError> {
        entries(archive).collect()
    }

    /// The bytes GNU cpio 2.13 wrote for
    /// `printf '.\nd\nd/hello\nd/link\n' | cpio -o -H newc --owner=0:0`
    /// (hello holds "hi\n", link -> hello), padded to 1024 bytes.
    fn gnu_archive() -> Vec<u8> {
        let mut a = Vec::new();
        a.extend(hdr("070701", "0098C03D 000041ED 00000000 00000000 00000003 6B02F079 00000000 000000FE 00000000 00000000 00000000 00000002 00000000"));
        a.extend(b".\0"); // 110 + 2 = 112: aligned, no padding
        a.extend(hdr("070701", "0098C042 000041ED 00000000 00000000 00000002 6553F100 00000000 000000FE 00000000 00000000 00000000 00000002 00000000"));
        a.extend(b"d\0");
        a.extend(hdr("070701", "0098C051 000081A4 00000000 00000000 00000001 6553F100 00000003 000000FE 00000000 00000000 00000000 00000008 00000000"));
        a.extend(b"d/hello\0\0\0"); // 110 + 8 = 118, padded to 120
        a.extend(b"hi\n\0"); // 3 data bytes, padded to 4
        a.extend(hdr("070701", "0098C062 0000A1FF 00000000 00000000 00000001 6553F100 00000005 000000FE 00000000 00000000 00000000 00000007 00000000"));
        a.extend(b"d/link\0\0\0\0");
        a.extend(b"hello\0\0\0");
        a.extend(hdr("070701", "00000000 00000000 00000000 00000000 00000001 00000000 00000000 00000000 00000000 00000000 00000000 0000000B 00000000"));
        a.extend(b"TRAILER!!!\0\0\0\0"); // 110 + 11 = 121, padded to 124
        assert_eq!(a.len(), 600);
        a.resize(1024, 0);
        a
    }

    #[test]
    fn parses_a_gnu_cpio_archive() {
        let a = gnu_archive();
        let e = collect(&a).unwrap();
        let names: Vec<&str> = e.iter().map(|e| e.name).collect();
        assert_eq!(names, [".", "d", "d/hello", "d/link"]);

        assert!(e[0].is_dir() && e[0].nlink == 3);
        assert_eq!(e[1].mode, S_IFDIR | 0o755);
        assert_eq!(e[1].file_type(), FileType::Directory);
        assert_eq!(e[1].mtime, 1_700_000_000);
        assert_eq!(e[1].dev_major, 0xfe);

        let hello = e[2];
        assert!(hello.is_file() && !hello.is_dir());
        assert_eq!(hello.permissions(), 0o644);
        assert_eq!(hello.data, b"hi\n");
        assert_eq!(hello.ino, 0x0098_c051);
        assert_eq!((hello.uid, hello.gid, hello.nlink), (0, 0, 1));

        let link = e[3];
        assert!(link.is_symlink());
        assert_eq!(link.file_type(), FileType::Symlink);
        assert_eq!(link.mode, 0o120777);
        assert_eq!(link.data, b"hello");
    }

    #[test]
    fn round_trips_through_the_writer() {
        let items: [(&str, u32, &[u8]); 5] = [
            ("bin", S_IFDIR | 0o755, b""),
            ("bin/init", S_IFREG | 0o755, b"\x7fELF and more"),
            ("bin/sh", S_IFLNK | 0o777, b"init"),
            ("etc/motd", S_IFREG | 0o644, b"welcome\n"),
            ("empty", S_IFREG | 0o600, b""),
        ];
        let mut w = NewcWriter::new();
        for (name, mode, data) in items {
            w.add(name, mode, data).unwrap();
        }
        w.add_device("dev/console", S_IFCHR | 0o600, 5, 1).unwrap();
        let archive = w.finish();
        assert_eq!(archive.len() % 4, 0);

        let e = collect(&archive).unwrap();
        assert_eq!(e.len(), 6);
        for (got, (name, mode, data)) in e.iter().zip(items) {
            assert_eq!((got.name, got.mode, got.data), (name, mode, data));
            assert_eq!((got.uid, got.gid, got.mtime), (0, 0, 0));
        }
        assert_eq!(e[0].nlink, 2);
        assert_eq!(e[1].nlink, 1);
        let inos: Vec<u32> = e.iter().map(|e| e.ino).collect();
        assert_eq!(inos, [1, 2, 3, 4, 5, 6]);
        let console = e[5];
        assert!(console.is_char_device());
        assert_eq!(console.file_type(), FileType::CharDevice);
        assert_eq!((console.rdev_major, console.rdev_minor), (5, 1));

        // The convenience function writes the same bytes as the builder.
        let via_fn = write_newc(items).unwrap();
        let trailer_len = HEADER_LEN + 14; // "TRAILER!!!\0" padded to 124
        assert!(archive.starts_with(&via_fn[..via_fn.len() - trailer_len]));
        assert_eq!(collect(&via_fn).unwrap().len(), 5);
    }

    #[test]
    fn writer_output_is_byte_exact() {
        let a = write_newc([("hi", S_IFREG | 0o644, &b"abc"[..])]).unwrap();
        let mut want = hdr("070701", "00000001 000081A4 00000000 00000000 00000001 00000000 00000003 00000000 00000000 00000000 00000000 00000003 00000000");
        want.extend(b"hi\0\0\0\0"); // 110 + 3 = 113 -> 116
        want.extend(b"abc\0");
        want.extend(hdr("070701", "00000000 00000000 00000000 00000000 00000001 00000000 00000000 00000000 00000000 00000000 00000000 0000000B 00000000"));
        want.extend(b"TRAILER!!!\0\0\0\0");
        assert_eq!(String::from_utf8_lossy(&a), String::from_utf8_lossy(&want));
        assert_eq!(a, want);
    }

    #[test]
    fn writer_rejects_unstorable_items() {
        let mut w = NewcWriter::new();
        assert_eq!(w.add("", S_IFREG, b""), Err(WriteError::BadName));
        assert_eq!(w.add("a\0b", S_IFREG, b""), Err(WriteError::BadName));
        assert_eq!(w.add(TRAILER, S_IFREG, b""), Err(WriteError::BadName));
        let long = "x".repeat(MAX_NAME);
        assert_eq!(w.add(&long, S_IFREG, b""), Err(WriteError::BadName));
        assert_eq!(w.add(&long[1..], S_IFREG, b""), Ok(()));
    }

    #[test]
    fn leading_slashes_and_dots_are_stripped() {
        let a = write_newc([
            ("./a", S_IFREG, &b""[..]),
            ("/b", S_IFREG, b""),
            ("././/c/d", S_IFREG, b""),
            ("./", S_IFDIR, b""),
            ("/", S_IFDIR, b""),
            ("..x", S_IFREG, b""),
        ])
        .unwrap();
        let names: Vec<&str> = entries(&a).map(|e| e.unwrap().name).collect();
        assert_eq!(names, ["a", "b", "c/d", ".", ".", "..x"]);
    }

    #[test]
    fn concatenated_archives_are_read_in_order() {
        let mut a = write_newc([("one", S_IFREG, &b"1"[..])]).unwrap();
        a.resize(512, 0);
        a.extend(write_newc([("two", S_IFREG, &b"22"[..])]).unwrap());
        a.extend([0; 8]);
        let names: Vec<&str> = entries(&a).map(|e| e.unwrap().name).collect();
        assert_eq!(names, ["one", "two"]);
    }

    #[test]
    fn crc_variant_checks_the_data_sum() {
        let mut good = hdr("070702", "00000001 000081A4 00000000 00000000 00000001 00000000 00000003 00000000 00000000 00000000 00000000 00000002 000000DB");
        good.extend(b"f\0");
        good.extend(b"hi\n\0");
        let trailer = write_newc([]).unwrap();
        let mut a = good.clone();
        a.extend(&trailer);
        assert_eq!(collect(&a).unwrap()[0].data, b"hi\n");

        let mut bad = good;
        bad[HEADER_LEN + 2] = b'H'; // data now sums to 0xBB
        bad.extend(&trailer);
        assert_eq!(
            collect(&bad),
            Err(CpioError::BadChecksum {
                offset: 0,
                expected: 0xdb,
                actual: 0xbb
            })
        );
    }

    /// An archive with one file "f" holding "data", and its trailer.
    fn one_file() -> Vec<u8> {
        write_newc([("f", S_IFREG | 0o644, &b"data"[..])]).unwrap()
    }

    #[test]
    fn malformed_headers_are_errors() {
        let a = one_file();
        // Bad magic, at the start and in the second header.
        let mut bad = a.clone();
        bad[5] = b'7';
        assert_eq!(collect(&bad), Err(CpioError::BadMagic { offset: 0 }));
        let second = HEADER_LEN + 2 + 4; // header, "f\0", "data"
        assert_eq!(second, 116);
        let mut bad = a.clone();
        bad[second] = b'1';
        let mut it = entries(&bad);
        assert_eq!(it.next().unwrap().unwrap().name, "f");
        assert_eq!(it.next(), Some(Err(CpioError::BadMagic { offset: 116 })));
        assert_eq!(it.next(), None, "iteration stops after an error");
        // Not an archive at all.
        assert_eq!(
            collect(b"\x7fELF\x02\x01\x01\0"),
            Err(CpioError::BadMagic { offset: 0 })
        );
        // Truncated header: a magic prefix, then part of a header.
        assert_eq!(
            collect(b"0707"),
            Err(CpioError::TruncatedHeader { offset: 0 })
        );
        assert_eq!(
            collect(&a[..HEADER_LEN - 1]),
            Err(CpioError::TruncatedHeader { offset: 0 })
        );
        // Non-hex digits, named by field.
        let mut bad = a.clone();
        bad[6 + 8 * 6 + 3] = b'g'; // filesize
        assert_eq!(
            collect(&bad),
            Err(CpioError::BadHexDigit {
                offset: 0,
                field: "filesize"
            })
        );
        let mut bad = a.clone();
        bad[6] = b' '; // ino
        assert_eq!(
            collect(&bad),
            Err(CpioError::BadHexDigit {
                offset: 0,
                field: "ino"
            })
        );
        let mut bad = a.clone();
        bad[6 + 8 * 12] = b'-'; // check
        assert_eq!(
            collect(&bad),
            Err(CpioError::BadHexDigit {
                offset: 0,
                field: "check"
            })
        );
    }

    /// `one_file()` with its namesize field replaced.
    fn with_namesize(namesize: &str) -> Vec<u8> {
        let mut a = one_file();
        a[6 + 8 * 11..6 + 8 * 12].copy_from_slice(namesize.as_bytes());
        a
    }

    #[test]
    fn malformed_names_are_errors() {
        assert_eq!(
            collect(&with_namesize("00000000")),
            Err(CpioError::NameNotTerminated { offset: 0 })
        );
        // namesize 1 makes the name "" (its NUL is the 'f').
        let mut a = with_namesize("00000001");
        a[HEADER_LEN] = 0;
        assert_eq!(collect(&a), Err(CpioError::BadName { offset: 0 }));
        // namesize 3 over "f", NUL, NUL: a NUL inside the name.
        let mut a = with_namesize("00000003");
        a[HEADER_LEN + 2] = 0;
        assert_eq!(collect(&a), Err(CpioError::BadName { offset: 0 }));
        // namesize 1 with the byte 'f': not terminated.
        assert_eq!(
            collect(&with_namesize("00000001")),
            Err(CpioError::NameNotTerminated { offset: 0 })
        );
        assert_eq!(
            collect(&with_namesize("00001001")),
            Err(CpioError::NameTooLong {
                offset: 0,
                size: 4097
            })
        );
        // The name runs past the end.
        let a = one_file();
        assert_eq!(
            collect(&a[..HEADER_LEN + 1]),
            Err(CpioError::TruncatedName { offset: 0 })
        );
        assert_eq!(
            collect(&with_namesize("00000FFF")),
            Err(CpioError::TruncatedName { offset: 0 })
        );
        // Not UTF-8.
        let mut a = one_file();
        a[HEADER_LEN] = 0xff;
        assert_eq!(collect(&a), Err(CpioError::NameNotUtf8 { offset: 0 }));
    }

    #[test]
    fn truncated_or_oversized_data_is_an_error() {
        let a = one_file();
        // Cut inside "data".
        assert_eq!(
            collect(&a[..HEADER_LEN + 2 + 3]),
            Err(CpioError::TruncatedData { offset: 0, size: 4 })
        );
        // filesize claims 4 GiB - 1.
        let mut bad = a.clone();
        bad[6 + 8 * 6..6 + 8 * 7].copy_from_slice(b"FFFFFFFF");
        assert_eq!(
            collect(&bad),
            Err(CpioError::TruncatedData {
                offset: 0,
                size: u32::MAX
            })
        );
    }

    #[test]
    fn a_missing_trailer_or_bad_padding_is_an_error() {
        let a = one_file();
        let first = HEADER_LEN + 2 + 4;
        let mut it = entries(&a[..first]);
        assert_eq!(it.next().unwrap().unwrap().name, "f");
        assert_eq!(
            it.next(),
            Some(Err(CpioError::MissingTrailer { offset: first }))
        );
        assert_eq!(collect(&[]), Err(CpioError::MissingTrailer { offset: 0 }));
        assert_eq!(
            collect(&[0; 64]),
            Err(CpioError::MissingTrailer { offset: 64 })
        );
        // A trailer that ends the buffer without its padding is fine.
        let mut short = a.clone();
        short.truncate(a.len() - 1);
        assert_eq!(collect(&short).unwrap().len(), 1);
        // Garbage after the trailer.
        let mut junk = a.clone();
        junk.extend(b"junk");
        assert_eq!(collect(&junk), Err(CpioError::BadMagic { offset: a.len() }));
        // A second archive that is not 4-byte aligned.
        let mut misaligned = a.clone();
        misaligned.push(0);
        misaligned.extend(one_file());
        assert_eq!(
            collect(&misaligned),
            Err(CpioError::BadPadding {
                offset: a.len() + 1
            })
        );
    }

    #[test]
    fn errors_read_well() {
        let e = CpioError::BadHexDigit {
            offset: 112,
            field: "mode",
        };
        assert_eq!(
            alloc::format!("{e}"),
            "cpio: field mode of the header at 112 is not hex"
        );
    }

    #[test]
    fn every_prefix_of_a_valid_archive_is_an_error_not_a_panic() {
        let a = gnu_archive();
        // The trailer's name ends at 597; its padding may be cut off.
        for len in 0..597 {
            assert!(collect(&a[..len]).is_err(), "prefix of {len} bytes");
        }
        for len in 597..a.len() {
            assert_eq!(collect(&a[..len]).unwrap().len(), 4);
        }
        // Flipping any single header byte never panics.
        for i in 0..600 {
            let mut b = a.clone();
            b[i] ^= 0x55;
            let _ = collect(&b);
        }
    }
}
