//! PC Screen Font (PSF1 and PSF2) parsing: the console fonts Debian ships
//! in `/usr/share/consolefonts` (`console-setup-linux`), which Linux's
//! `lib/fonts/` and `kbd`'s `setfont` read too.
//!
//! A font is a header, `length` glyph bitmaps (rows of `ceil(width / 8)`
//! bytes, most significant bit leftmost), and optionally a Unicode table
//! saying which characters each glyph draws. Parsing borrows the bytes and
//! builds only a Latin-1 lookup, so it needs no heap.

/// PSF1's magic (`PSF1_MAGIC0`, `PSF1_MAGIC1`).
pub const PSF1_MAGIC: [u8; 2] = [0x36, 0x04];
/// PSF2's magic (`PSF2_MAGIC0..3`).
pub const PSF2_MAGIC: [u8; 4] = [0x72, 0xb5, 0x4a, 0x86];
const PSF1_MODE512: u8 = 0x01;
const PSF1_MODEHASTAB: u8 = 0x02;
const PSF1_MODEHASSEQ: u8 = 0x04;
const PSF2_HAS_UNICODE_TABLE: u32 = 0x01;

/// Why a font could not be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PsfError {
    /// Neither PSF1 nor PSF2 magic.
    BadMagic,
    /// The header promises more bytes than there are.
    Truncated,
    /// Zero-sized glyphs, or glyphs wider than 32 or taller than 64 pixels.
    BadGeometry,
}

/// How the Unicode table is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Table {
    None,
    /// PSF1: little-endian u16s, 0xFFFE starts sequences, 0xFFFF ends a glyph.
    Ucs2,
    /// PSF2: UTF-8, 0xFE starts sequences, 0xFF ends a glyph.
    Utf8,
}

/// A parsed font, borrowing its bytes.
#[derive(Clone, Debug)]
pub struct Font<'a> {
    glyphs: &'a [u8],
    table: &'a [u8],
    table_kind: Table,
    /// Number of glyphs.
    pub length: usize,
    /// Bytes per glyph.
    pub charsize: usize,
    /// Glyph width in pixels.
    pub width: usize,
    /// Glyph height in pixels.
    pub height: usize,
    /// Glyph for each Latin-1 character (from the Unicode table, or the
    /// identity without one); [`Font::unknown`] where the font has none.
    latin1: [u16; 256],
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl<'a> Font<'a> {
    /// Parses a PSF1 or PSF2 font (uncompressed).
    pub fn parse(data: &'a [u8]) -> Result<Font<'a>, PsfError> {
        let (hdr, length, charsize, width, height, kind) = if data.starts_with(&PSF2_MAGIC) {
            if data.len() < 32 {
                return Err(PsfError::Truncated);
            }
            let hdr = le32(data, 8) as usize;
            let flags = le32(data, 12);
            let kind = if flags & PSF2_HAS_UNICODE_TABLE != 0 {
                Table::Utf8
            } else {
                Table::None
            };
            (
                hdr,
                le32(data, 16) as usize,
                le32(data, 20) as usize,
                le32(data, 28) as usize,
                le32(data, 24) as usize,
                kind,
            )
        } else if data.starts_with(&PSF1_MAGIC) {
            if data.len() < 4 {
                return Err(PsfError::Truncated);
            }
            let mode = data[2];
            let length = if mode & PSF1_MODE512 != 0 { 512 } else { 256 };
            let kind = if mode & (PSF1_MODEHASTAB | PSF1_MODEHASSEQ) != 0 {
                Table::Ucs2
            } else {
                Table::None
            };
            let h = data[3] as usize;
            (4, length, h, 8, h, kind)
        } else {
            return Err(PsfError::BadMagic);
        };
        if width == 0 || height == 0 || width > 32 || height > 64 || length == 0 {
            return Err(PsfError::BadGeometry);
        }
        if charsize != width.div_ceil(8) * height {
            return Err(PsfError::BadGeometry);
        }
        let end = length
            .checked_mul(charsize)
            .and_then(|n| n.checked_add(hdr))
            .ok_or(PsfError::Truncated)?;
        if hdr > data.len() || end > data.len() {
            return Err(PsfError::Truncated);
        }
        let mut font = Font {
            glyphs: &data[hdr..end],
            table: &data[end..],
            table_kind: kind,
            length,
            charsize,
            width,
            height,
            latin1: [0; 256],
        };
        let unknown = font.lookup('?' as u32).unwrap_or(0);
        for c in 0..256u32 {
            font.latin1[c as usize] = font.lookup(c).unwrap_or(unknown) as u16;
        }
        Ok(font)
    }

    /// The bitmap of glyph `index` (`charsize` bytes; an out-of-range
    /// index gives glyph 0).
    pub fn glyph(&self, index: usize) -> &'a [u8] {
        let i = if index < self.length { index } else { 0 };
        &self.glyphs[i * self.charsize..(i + 1) * self.charsize]
    }

    /// Bytes per glyph row.
    pub fn pitch(&self) -> usize {
        self.width.div_ceil(8)
    }

    /// The glyph drawing `c` ('?' when the font has none).
    pub fn glyph_index(&self, c: char) -> usize {
        let c = c as u32;
        if c < 256 {
            return self.latin1[c as usize] as usize;
        }
        self.lookup(c)
            .unwrap_or(self.latin1[b'?' as usize] as usize)
    }

    /// Walks the Unicode table for the first glyph listing `c` alone
    /// (sequences, after the separator, are skipped).
    fn lookup(&self, c: u32) -> Option<usize> {
        match self.table_kind {
            Table::None => ((c as usize) < self.length).then_some(c as usize),
            Table::Ucs2 => {
                let (mut glyph, mut in_seq) = (0usize, false);
                for w in self.table.chunks_exact(2) {
                    let u = u16::from_le_bytes([w[0], w[1]]);
                    match u {
                        0xFFFF => {
                            glyph += 1;
                            in_seq = false;
                            if glyph >= self.length {
                                return None;
                            }
                        }
                        0xFFFE => in_seq = true,
                        _ if !in_seq && u as u32 == c => return Some(glyph),
                        _ => {}
                    }
                }
                None
            }
            Table::Utf8 => {
                let (mut glyph, mut in_seq, mut i) = (0usize, false, 0usize);
                let t = self.table;
                while i < t.len() {
                    match t[i] {
                        0xFF => {
                            glyph += 1;
                            in_seq = false;
                            i += 1;
                            if glyph >= self.length {
                                return None;
                            }
                        }
                        0xFE => {
                            in_seq = true;
                            i += 1;
                        }
                        b => {
                            let n = match b {
                                0x00..=0x7F => 1,
                                0xC0..=0xDF => 2,
                                0xE0..=0xEF => 3,
                                _ => 4,
                            };
                            let s = t.get(i..i + n).unwrap_or(&[]);
                            let ch = core::str::from_utf8(s).ok().and_then(|s| s.chars().next());
                            if !in_seq && ch.map(|ch| ch as u32) == Some(c) {
                                return Some(glyph);
                            }
                            i += n;
                        }
                    }
                }
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A two-glyph PSF2 font, 8x2: glyph 0 draws 'A', glyph 1 draws 'é'
    /// and the sequence "e" + U+0301.
    fn psf2() -> Vec<u8> {
        let mut v = PSF2_MAGIC.to_vec();
        for w in [0u32, 32, 1, 2, 2, 2, 8] {
            v.extend_from_slice(&w.to_le_bytes());
        }
        v.extend_from_slice(&[0x81, 0x42, 0xff, 0x00]);
        v.extend_from_slice(b"A\xff");
        v.extend_from_slice("é".as_bytes());
        v.push(0xfe);
        v.extend_from_slice("e\u{301}".as_bytes());
        v.push(0xff);
        v
    }

    #[test]
    fn psf2_glyphs_and_unicode_table() {
        let data = psf2();
        let f = Font::parse(&data).unwrap();
        assert_eq!((f.width, f.height, f.length, f.charsize), (8, 2, 2, 2));
        assert_eq!(f.glyph(1), &[0xff, 0x00]);
        assert_eq!(f.glyph_index('A'), 0);
        assert_eq!(f.glyph_index('é'), 1);
        // Not in the table, and no '?' either: glyph 0.
        assert_eq!(f.glyph_index('Z'), 0);
        assert_eq!(f.glyph_index('\u{301}'), 0);
    }

    #[test]
    fn psf1_with_and_without_table() {
        let mut v = vec![0x36, 0x04, 0x00, 2];
        v.extend((0..256 * 2).map(|i| i as u8));
        let f = Font::parse(&v).unwrap();
        assert_eq!((f.width, f.height, f.length), (8, 2, 256));
        assert_eq!(f.glyph_index('a'), 'a' as usize);
        assert_eq!(f.glyph(3), &[6, 7]);
        // With a table mapping glyph 0 to '?' and glyph 1 to 'x'.
        let mut v = vec![0x36, 0x04, PSF1_MODEHASTAB, 1];
        v.extend([0u8; 256]);
        v.extend([
            b'?', 0, 0xff, 0xff, b'x', 0, 0xfe, 0xff, b'y', 0, 0xff, 0xff,
        ]);
        let f = Font::parse(&v).unwrap();
        assert_eq!(f.glyph_index('x'), 1);
        assert_eq!(
            f.glyph_index('y'),
            0,
            "after 0xFFFE: a sequence, not a character"
        );
    }

    #[test]
    fn corrupt_fonts_are_refused() {
        assert_eq!(Font::parse(b"").unwrap_err(), PsfError::BadMagic);
        assert_eq!(
            Font::parse(b"\x36\x04\x00").unwrap_err(),
            PsfError::Truncated
        );
        assert_eq!(
            Font::parse(&[0x36, 0x04, 0, 16, 0]).unwrap_err(),
            PsfError::Truncated
        );
        assert_eq!(
            Font::parse(&[0x36, 0x04, 0, 0]).unwrap_err(),
            PsfError::BadGeometry
        );
        let mut v = psf2();
        v[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(Font::parse(&v).unwrap_err(), PsfError::Truncated);
        let mut v = psf2();
        v[20..24].copy_from_slice(&7u32.to_le_bytes());
        assert_eq!(Font::parse(&v).unwrap_err(), PsfError::BadGeometry);
    }
}
