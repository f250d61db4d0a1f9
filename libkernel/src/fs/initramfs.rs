//! Reading an initramfs image as Linux's `init/initramfs.c` does: one or
//! more cpio "newc" archives, each either plain or compressed (gzip, zstd,
//! xz, or LZ4 in the legacy frame `lz4 -l` writes), concatenated, with NUL
//! padding between them. The legacy `.lzma` format is recognised and
//! refused with that reason.
//!
//! [`Initramfs::parse`] decompresses and checks the whole image before
//! anything is unpacked, so a corrupt or truncated image is refused as a
//! whole (with the offset and the reason) and the files already in `/`
//! stay as they are. [`Initramfs::entries`] then yields every entry in
//! order; a later archive's file replaces an earlier one's, as in Linux.

use super::cpio::{self, CpioError, Entry};
use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

/// How one member of the image is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// A plain cpio archive.
    None,
    /// gzip (RFC 1952), what `mkinitramfs` and most distributions write.
    Gzip,
    /// Zstandard.
    Zstd,
    /// xz.
    Xz,
    /// The legacy `.lzma` format (recognised, not decoded).
    Lzma,
    /// LZ4, legacy frame (`lz4 -l`), as Linux's `CONFIG_RD_LZ4` reads it.
    Lz4Legacy,
}

impl Compression {
    /// The name Linux's messages use.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "cpio",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Xz => "xz",
            Compression::Lzma => "lzma",
            Compression::Lz4Legacy => "lz4",
        }
    }

    /// The method whose magic starts `b`, if any.
    pub fn detect(b: &[u8]) -> Option<Compression> {
        if b.starts_with(b"070701") || b.starts_with(b"070702") {
            Some(Compression::None)
        } else if b.starts_with(&[0x1f, 0x8b]) {
            Some(Compression::Gzip)
        } else if b.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Compression::Zstd)
        } else if b.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
            Some(Compression::Xz)
        } else if b.starts_with(&LZ4_LEGACY_MAGIC) {
            Some(Compression::Lz4Legacy)
        } else if b.starts_with(&[0x5d, 0, 0]) {
            Some(Compression::Lzma)
        } else {
            None
        }
    }
}

/// `0x184C2102`, little-endian: the legacy LZ4 frame's magic.
const LZ4_LEGACY_MAGIC: [u8; 4] = [0x02, 0x21, 0x4c, 0x18];
/// Bytes one legacy LZ4 chunk decompresses to at most (8 MiB).
const LZ4_LEGACY_CHUNK: usize = 8 << 20;

/// Why an image was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnpackError {
    /// Offset in the image of the member at fault.
    pub offset: usize,
    /// How that member is stored.
    pub compression: Option<Compression>,
    /// What is wrong, in words.
    pub reason: String,
}

impl fmt::Display for UnpackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.compression {
            Some(Compression::None) | None => {
                write!(f, "at offset {}: {}", self.offset, self.reason)
            }
            Some(c) => write!(
                f,
                "{} data at offset {}: {}",
                c.name(),
                self.offset,
                self.reason
            ),
        }
    }
}

/// One member of the image: a run of plain cpio archives, borrowed from
/// the image or decompressed.
#[derive(Debug)]
pub struct Member<'a> {
    /// Where it starts in the image.
    pub offset: usize,
    /// How it was stored.
    pub compression: Compression,
    /// The cpio archives, uncompressed.
    pub data: Cow<'a, [u8]>,
}

/// A checked image; see the module documentation.
#[derive(Debug)]
pub struct Initramfs<'a> {
    /// The members in image order.
    pub members: Vec<Member<'a>>,
}

impl<'a> Initramfs<'a> {
    /// Decompresses and checks every member of `image`. No member may
    /// decompress to more than `max_size` bytes (a bound against archives
    /// built to exhaust memory).
    pub fn parse(image: &'a [u8], max_size: usize) -> Result<Self, UnpackError> {
        let mut members = Vec::new();
        let mut pos = 0;
        loop {
            // NULs pad archives (GNU cpio to 512 bytes, the boot loader to
            // its block size); Linux skips them between members.
            while image.get(pos) == Some(&0) {
                pos += 1;
            }
            if pos == image.len() {
                break;
            }
            let rest = &image[pos..];
            let fail = |compression, reason: String| UnpackError {
                offset: pos,
                compression,
                reason,
            };
            let Some(method) = Compression::detect(rest) else {
                return Err(fail(
                    None,
                    String::from("neither a cpio archive nor a known compression magic"),
                ));
            };
            let (data, used) = match method {
                Compression::None => {
                    let used = cpio::archive_len(rest).map_err(|e| cpio_error(pos, method, e))?;
                    (Cow::Borrowed(&rest[..used]), used)
                }
                _ => {
                    let (out, used) =
                        decompress(method, rest, max_size).map_err(|r| fail(Some(method), r))?;
                    check_archives(&out).map_err(|e| cpio_error(pos, method, e))?;
                    (Cow::Owned(out), used)
                }
            };
            members.push(Member {
                offset: pos,
                compression: method,
                data,
            });
            pos += used.max(1);
        }
        if members.is_empty() {
            return Err(UnpackError {
                offset: 0,
                compression: None,
                reason: String::from("the image holds no archive"),
            });
        }
        Ok(Initramfs { members })
    }

    /// Every entry of every archive, in order (trailers left out).
    pub fn entries(&self) -> impl Iterator<Item = Entry<'_>> {
        self.members.iter().flat_map(|m| {
            // Checked by parse: every entry reads without an error.
            cpio::entries(&m.data).map_while(Result::ok)
        })
    }

    /// The methods used, for the boot message (`gzip`, `cpio+zstd`).
    pub fn describe(&self) -> String {
        let mut names: Vec<&str> = Vec::new();
        for m in &self.members {
            let n = m.compression.name();
            if !names.contains(&n) {
                names.push(n);
            }
        }
        names.join("+")
    }

    /// Bytes of cpio data after decompression.
    pub fn unpacked_size(&self) -> usize {
        self.members.iter().map(|m| m.data.len()).sum()
    }
}

/// A cpio error inside member `pos`, its offset made absolute for plain
/// members (for compressed ones it is an offset in the decompressed data).
fn cpio_error(pos: usize, method: Compression, e: CpioError) -> UnpackError {
    let reason = format!("{e}");
    if method == Compression::None {
        UnpackError {
            offset: pos,
            compression: Some(method),
            reason: format!("{reason} (offsets from the archive's start)"),
        }
    } else {
        UnpackError {
            offset: pos,
            compression: Some(method),
            reason: format!("{reason} (offsets in the decompressed data)"),
        }
    }
}

/// Reads every entry of the archives in `data`, so errors surface now.
fn check_archives(data: &[u8]) -> Result<(), CpioError> {
    for e in cpio::entries(data) {
        e?;
    }
    Ok(())
}

/// Decompresses the member at the start of `input`; returns the output and
/// the input bytes it took.
fn decompress(method: Compression, input: &[u8], max: usize) -> Result<(Vec<u8>, usize), String> {
    match method {
        Compression::Gzip => gunzip(input, max),
        Compression::Zstd => unzstd(input, max),
        Compression::Xz => unxz(input, max),
        Compression::Lzma => unlzma(input, max),
        Compression::Lz4Legacy => unlz4_legacy(input, max),
        Compression::None => Ok((Vec::from(input), input.len())),
    }
}

fn too_big(max: usize) -> String {
    format!("decompresses to more than {max} bytes")
}

/// gzip: the RFC 1952 header, raw deflate, then CRC-32 and size.
#[inline(never)] // each keeps its own frame: kernel stacks are 16 KiB
fn gunzip(input: &[u8], max: usize) -> Result<(Vec<u8>, usize), String> {
    use miniz_oxide::inflate::core::{decompress, inflate_flags};
    use miniz_oxide::inflate::TINFLStatus;
    const FHCRC: u8 = 2;
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    const FCOMMENT: u8 = 16;
    let truncated = || String::from("truncated gzip header");
    let header = input.get(..10).ok_or_else(truncated)?;
    if header[2] != 8 {
        return Err(format!("compression method {} is not deflate", header[2]));
    }
    let flags = header[3];
    let mut pos = 10;
    if flags & FEXTRA != 0 {
        let xlen = input.get(pos..pos + 2).ok_or_else(truncated)?;
        pos += 2 + u16::from_le_bytes([xlen[0], xlen[1]]) as usize;
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let end = input.get(pos..).ok_or_else(truncated)?;
            pos += end.iter().position(|&b| b == 0).ok_or_else(truncated)? + 1;
        }
    }
    if flags & FHCRC != 0 {
        pos += 2;
    }
    if pos > input.len() {
        return Err(truncated());
    }
    let mut state = new_inflater();
    let mut out = vec![0u8; (input.len() * 4).clamp(64 << 10, max.max(1))];
    let (mut in_pos, mut out_pos) = (pos, 0);
    loop {
        let (status, used, written) = decompress(
            &mut state,
            &input[in_pos..],
            &mut out,
            out_pos,
            inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF,
        );
        in_pos += used;
        out_pos += written;
        match status {
            TINFLStatus::Done => break,
            TINFLStatus::HasMoreOutput => {
                if out.len() >= max {
                    return Err(too_big(max));
                }
                let grown = (out.len() * 2).min(max);
                out.resize(grown, 0);
            }
            TINFLStatus::FailedCannotMakeProgress | TINFLStatus::NeedsMoreInput => {
                return Err(String::from("truncated deflate data"));
            }
            other => return Err(format!("corrupt deflate data ({other:?})")),
        }
    }
    out.truncate(out_pos);
    let trailer = input
        .get(in_pos..in_pos + 8)
        .ok_or_else(|| String::from("truncated: the CRC-32 and size trailer is missing"))?;
    let crc = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
    let size = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
    let actual = !crate::bsp::chainload::crc32_update(!0, &out);
    if actual != crc {
        return Err(format!(
            "CRC-32 is {actual:#010x}, trailer says {crc:#010x}"
        ));
    }
    if size != out.len() as u32 {
        return Err(format!("size is {}, trailer says {size}", out.len()));
    }
    Ok((out, in_pos + 8))
}

/// A deflate decoder on the heap. Its own function: the 10 KiB state is
/// built on the stack before it moves to the box, and that frame is gone
/// again before the decoding (and its deeper frames) starts.
#[inline(never)]
fn new_inflater() -> Box<miniz_oxide::inflate::core::DecompressorOxide> {
    Box::default()
}

/// Reads `r` to its end into a vector of at most `max` bytes.
macro_rules! read_capped {
    ($r:expr, $max:expr) => {{
        let mut out = Vec::new();
        let mut chunk = vec![0u8; 64 << 10];
        loop {
            let n = $r.read(&mut chunk).map_err(|e| format!("{e:?}"))?;
            if n == 0 {
                break;
            }
            if out.len() + n > $max {
                return Err(too_big($max));
            }
            out.extend_from_slice(&chunk[..n]);
        }
        out
    }};
}

/// Zstandard: one frame.
#[inline(never)] // each keeps its own frame: kernel stacks are 16 KiB
fn unzstd(input: &[u8], max: usize) -> Result<(Vec<u8>, usize), String> {
    use ruzstd::io::Read;
    let mut rest = input;
    let mut d =
        Box::new(ruzstd::decoding::StreamingDecoder::new(&mut rest).map_err(|e| format!("{e}"))?);
    let out = read_capped!(d, max);
    drop(d);
    Ok((out, input.len() - rest.len()))
}

/// xz: one stream, with CRC-32 or CRC-64 checks (Linux takes CRC-32
/// only; `xz --check=crc32` is what its documentation asks for).
#[inline(never)] // each keeps its own frame: kernel stacks are 16 KiB
fn unxz(input: &[u8], max: usize) -> Result<(Vec<u8>, usize), String> {
    use xz4rust::{XzDecoder, XzNextBlockResult};
    // Up to 64 MiB of dictionary (`xz -9`); 1 MiB to start with.
    let mut d = XzDecoder::in_heap_with_alloc_dict_size(1 << 20, 64 << 20);
    let mut out = Vec::new();
    let mut chunk = vec![0u8; 64 << 10];
    let mut pos = 0;
    loop {
        let r = d
            .decode(&input[pos..], &mut chunk)
            .map_err(|e| format!("{e}"))?;
        pos += r.input_consumed();
        let (n, end) = match r {
            XzNextBlockResult::NeedMoreData(_, n) => (n, false),
            XzNextBlockResult::EndOfStream(_, n) => (n, true),
        };
        if out.len() + n > max {
            return Err(too_big(max));
        }
        out.extend_from_slice(&chunk[..n]);
        if end {
            return Ok((out, pos));
        }
        if pos >= input.len() && n == 0 {
            return Err(String::from("truncated xz data"));
        }
    }
}

/// `.lzma` (LZMA alone): refused with the reason; distributions use xz.
#[inline(never)] // each keeps its own frame: kernel stacks are 16 KiB
fn unlzma(_input: &[u8], _max: usize) -> Result<(Vec<u8>, usize), String> {
    Err(String::from(
        "the legacy .lzma format is not supported; use xz, zstd, gzip or lz4",
    ))
}

/// LZ4, legacy frame: the magic, then chunks of (little-endian size, LZ4
/// block of at most 8 MiB once decompressed), to the end of the data or a
/// zero size (NUL padding before the next member); the magic again starts
/// a new stream.
#[inline(never)] // each keeps its own frame: kernel stacks are 16 KiB
fn unlz4_legacy(input: &[u8], max: usize) -> Result<(Vec<u8>, usize), String> {
    let mut pos = LZ4_LEGACY_MAGIC.len();
    let mut out = Vec::new();
    let mut chunk = vec![0u8; LZ4_LEGACY_CHUNK];
    while let Some(word) = input.get(pos..pos + 4) {
        if word == LZ4_LEGACY_MAGIC {
            pos += 4;
            continue;
        }
        let size = u32::from_le_bytes([word[0], word[1], word[2], word[3]]) as usize;
        if size == 0 {
            break;
        }
        let block = input
            .get(pos + 4..pos + 4 + size)
            .ok_or_else(|| format!("truncated: a {size}-byte chunk at {pos} runs past the end"))?;
        let n = lz4_flex::block::decompress_into(block, &mut chunk)
            .map_err(|e| format!("corrupt chunk at {pos}: {e}"))?;
        if out.len() + n > max {
            return Err(too_big(max));
        }
        out.extend_from_slice(&chunk[..n]);
        pos += 4 + size;
    }
    Ok((out, pos))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::cpio::NewcWriter;

    fn archive(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = NewcWriter::new();
        for (name, data) in files {
            w.add(name, 0o100644, data).unwrap();
        }
        w.finish()
    }

    fn names(i: &Initramfs<'_>) -> Vec<String> {
        i.entries().map(|e| String::from(e.name)).collect()
    }

    /// gzip with stored (uncompressed) deflate blocks: a valid stream
    /// built without a compressor, to test the container handling.
    fn gzip_stored(data: &[u8], name: Option<&str>) -> Vec<u8> {
        let mut g = vec![
            0x1f,
            0x8b,
            8,
            if name.is_some() { 8 } else { 0 },
            0,
            0,
            0,
            0,
            0,
            3,
        ];
        if let Some(n) = name {
            g.extend_from_slice(n.as_bytes());
            g.push(0);
        }
        let chunks: Vec<&[u8]> = data.chunks(65535).collect();
        for (i, c) in chunks.iter().enumerate() {
            g.push(u8::from(i + 1 == chunks.len()));
            g.extend_from_slice(&(c.len() as u16).to_le_bytes());
            g.extend_from_slice(&(!(c.len() as u16)).to_le_bytes());
            g.extend_from_slice(c);
        }
        if chunks.is_empty() {
            g.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
        }
        g.extend_from_slice(&(!crate::bsp::chainload::crc32_update(!0, data)).to_le_bytes());
        g.extend_from_slice(&(data.len() as u32).to_le_bytes());
        g
    }

    /// gzip with real deflate, from miniz_oxide's compressor.
    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut g = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
        g.extend(miniz_oxide::deflate::compress_to_vec(data, 6));
        g.extend_from_slice(&(!crate::bsp::chainload::crc32_update(!0, data)).to_le_bytes());
        g.extend_from_slice(&(data.len() as u32).to_le_bytes());
        g
    }

    #[test]
    fn a_plain_archive_is_one_member() {
        let a = archive(&[("init", b"#!/bin/sh\n")]);
        let i = Initramfs::parse(&a, 1 << 20).unwrap();
        assert_eq!(names(&i), ["init"]);
        assert_eq!(i.describe(), "cpio");
    }

    #[test]
    fn gzip_members_are_decompressed_and_checked() {
        let a = archive(&[("bin/busybox", &[7u8; 100_000]), ("init", b"x")]);
        for g in [gzip(&a), gzip_stored(&a, Some("initrd.cpio"))] {
            let i = Initramfs::parse(&g, 1 << 20).unwrap();
            assert_eq!(names(&i), ["bin/busybox", "init"]);
            assert_eq!(i.describe(), "gzip");
            let busybox = i.entries().next().unwrap();
            assert_eq!(busybox.data, &[7u8; 100_000][..]);
        }
    }

    #[test]
    fn concatenated_members_mixed_and_padded_are_all_read() {
        // As `cat early.cpio main.cpio.gz > initrd` and boot loaders that
        // pad to a block size produce.
        let mut image = archive(&[("early", b"1")]);
        image.extend_from_slice(&[0; 512]);
        image.extend(gzip(&archive(&[("main", b"2")])));
        image.extend_from_slice(&[0; 3]);
        image.extend(gzip_stored(&archive(&[("late", b"3")]), None));
        let i = Initramfs::parse(&image, 1 << 20).unwrap();
        assert_eq!(names(&i), ["early", "main", "late"]);
        assert_eq!(i.describe(), "cpio+gzip");
        assert_eq!(i.members[1].offset, archive(&[("early", b"1")]).len() + 512);
    }

    #[test]
    fn zstd_and_xz_members_are_read_and_end_where_their_data_ends() {
        use lzma_rust2::Write;
        let a = archive(&[("etc/passwd", b"root:x:0:0::/root:/bin/sh\n")]);
        let zst =
            ruzstd::encoding::compress_to_vec(&a[..], ruzstd::encoding::CompressionLevel::Fastest);
        let mut w =
            lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::with_preset(6)).unwrap();
        w.write_all(&a).unwrap();
        let xz = w.finish().unwrap();
        let mut image = zst.clone();
        image.extend_from_slice(&xz);
        image.extend_from_slice(&a);
        let i = Initramfs::parse(&image, 1 << 20).unwrap();
        assert_eq!(names(&i), ["etc/passwd", "etc/passwd", "etc/passwd"]);
        assert_eq!(i.describe(), "zstd+xz+cpio");
        assert_eq!(i.members[1].offset, zst.len());
        assert_eq!(i.members[2].offset, zst.len() + xz.len());
        // Truncated streams are errors, not short files.
        for (bytes, method) in [(&zst, Compression::Zstd), (&xz, Compression::Xz)] {
            let e = Initramfs::parse(&bytes[..bytes.len() - 6], 1 << 20).unwrap_err();
            assert_eq!(e.compression, Some(method), "{e}");
        }
    }

    #[test]
    fn lz4_legacy_frames_are_read() {
        let a = archive(&[("x", &[1u8; 5000])]);
        let block = lz4_flex::block::compress(&a);
        let mut image = LZ4_LEGACY_MAGIC.to_vec();
        image.extend_from_slice(&(block.len() as u32).to_le_bytes());
        image.extend_from_slice(&block);
        let i = Initramfs::parse(&image, 1 << 20).unwrap();
        assert_eq!(names(&i), ["x"]);
        assert_eq!(i.describe(), "lz4");
    }

    #[test]
    fn bad_images_name_the_offset_and_the_reason() {
        let a = archive(&[("init", b"#!/bin/sh\n")]);
        let g = gzip(&a);
        // Truncated inside the deflate data.
        let e = Initramfs::parse(&g[..g.len() / 2], 1 << 20).unwrap_err();
        assert_eq!((e.offset, e.compression), (0, Some(Compression::Gzip)));
        assert!(e.reason.contains("truncated"), "{e}");
        // A flipped byte in the data: the CRC catches it.
        let mut s = gzip_stored(&a, None);
        s[30] ^= 1;
        let e = Initramfs::parse(&s, 1 << 20).unwrap_err();
        assert!(e.reason.contains("CRC-32"), "{e}");
        // Junk after a good member.
        let mut j = a.clone();
        j.extend_from_slice(b"junk");
        let e = Initramfs::parse(&j, 1 << 20).unwrap_err();
        assert_eq!(e.offset, a.len());
        assert!(e.reason.contains("magic"), "{e}");
        // A compressed member whose content is not cpio.
        let e = Initramfs::parse(&gzip(b"hello"), 1 << 20).unwrap_err();
        assert!(
            e.to_string().starts_with("gzip data at offset 0: cpio:"),
            "{e}"
        );
        // A bound on the decompressed size.
        let big = archive(&[("big", &[0u8; 300_000])]);
        let e = Initramfs::parse(&gzip(&big), 100_000).unwrap_err();
        assert!(e.reason.contains("more than 100000"), "{e}");
        // Nothing at all.
        assert!(Initramfs::parse(&[0; 64], 1 << 20).is_err());
    }
}
