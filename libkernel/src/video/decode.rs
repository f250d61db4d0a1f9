//! Reading a screenshot back into text, glyph by glyph: the tests take
//! QEMU's `screendump` of the framebuffer and check what a person would
//! read on the HDMI screen (boot lines, a program's output, the status
//! line). A cell's most common colour is its background, every other
//! pixel is ink, so normal, inverted (cursor) and status-line cells all
//! decode; the ink pattern is looked up among the font's glyphs for
//! printable ASCII.

use super::Font;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

/// What an unreadable cell decodes to.
pub const UNREADABLE: char = '\u{fffd}';

/// A decoded PPM image (`P6`, 8 bits per channel) as XRGB pixels.
pub struct Image {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Pixels, row after row.
    pub pixels: Vec<u32>,
}

/// Parses a binary PPM (`P6`), what QEMU's `screendump` writes.
pub fn parse_ppm(data: &[u8]) -> Option<Image> {
    let mut fields = [0usize; 3];
    let mut at = 2;
    if !data.starts_with(b"P6") {
        return None;
    }
    for f in fields.iter_mut() {
        // Whitespace and comments, then a decimal number.
        loop {
            match data.get(at)? {
                b'#' => {
                    while *data.get(at)? != b'\n' {
                        at += 1;
                    }
                }
                c if c.is_ascii_whitespace() => at += 1,
                _ => break,
            }
        }
        let start = at;
        while data.get(at)?.is_ascii_digit() {
            at += 1;
        }
        *f = core::str::from_utf8(&data[start..at]).ok()?.parse().ok()?;
    }
    let [width, height, maxval] = fields;
    if maxval != 255 {
        return None;
    }
    let body = data.get(at + 1..)?;
    let n = width.checked_mul(height)?;
    if body.len() < n.checked_mul(3)? {
        return None;
    }
    let pixels = body
        .chunks_exact(3)
        .take(n)
        .map(|p| (p[0] as u32) << 16 | (p[1] as u32) << 8 | p[2] as u32)
        .collect();
    Some(Image {
        width,
        height,
        pixels,
    })
}

/// Reads the screen as rows of text, one character per `font`-sized cell
/// (trailing spaces kept, so columns line up).
pub fn decode(
    font: &Font,
    pixels: &[u32],
    stride: usize,
    width: usize,
    height: usize,
) -> Vec<String> {
    let (w, h) = (font.width, font.height);
    let mut known: BTreeMap<Vec<bool>, char> = BTreeMap::new();
    for c in (0x20u8..0x7f).rev() {
        let g = font.glyph(font.glyph_index(c as char));
        known.insert(ink_of_glyph(font, g), c as char);
    }
    let mut rows = Vec::new();
    for cy in 0..height / h {
        let mut line = String::new();
        for cx in 0..width / w {
            let mut cell = Vec::with_capacity(w * h);
            for y in 0..h {
                let start = (cy * h + y) * stride + cx * w;
                cell.extend_from_slice(&pixels[start..start + w]);
            }
            let bg = majority(&cell);
            let ink: Vec<bool> = cell.iter().map(|&p| p != bg).collect();
            line.push(*known.get(&ink).unwrap_or(&UNREADABLE));
        }
        rows.push(line);
    }
    rows
}

fn ink_of_glyph(font: &Font, g: &[u8]) -> Vec<bool> {
    let mut v = Vec::with_capacity(font.width * font.height);
    for row in g.chunks_exact(font.pitch()) {
        for x in 0..font.width {
            v.push(row[x / 8] & (0x80 >> (x % 8)) != 0);
        }
    }
    // A glyph with more ink than paper decodes inverted (its majority is
    // the ink): store it that way.
    if v.iter().filter(|&&b| b).count() * 2 > v.len() {
        for b in v.iter_mut() {
            *b = !*b;
        }
    }
    v
}

fn majority(cell: &[u32]) -> u32 {
    let mut counts: Vec<(u32, usize)> = Vec::new();
    for &p in cell {
        match counts.iter_mut().find(|(c, _)| *c == p) {
            Some((_, n)) => *n += 1,
            None => counts.push((p, 1)),
        }
    }
    counts
        .iter()
        .max_by_key(|(_, n)| *n)
        .map(|(c, _)| *c)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::super::{status, vt::Vt, PixelBuf};
    use super::*;

    /// A PSF1 font of 8x8 glyphs where glyph i draws i's bits on row i % 8
    /// and a marker row: every printable character distinct.
    fn font_bytes() -> Vec<u8> {
        let mut v = vec![0x36, 0x04, 0x00, 8];
        for i in 0..256usize {
            let mut g = [0u8; 8];
            if i != 0x20 {
                g[0] = i as u8;
                g[1 + i % 7] = 0x81;
            }
            v.extend_from_slice(&g);
        }
        v
    }

    #[test]
    fn rendered_text_decodes_back() {
        let data = font_bytes();
        let font = Font::parse(&data).unwrap();
        let (cols, rows) = (20, 4);
        let mut pixels = vec![0u32; cols * 8 * (rows + 1) * 8];
        let mut fb = PixelBuf {
            pixels: &mut pixels,
            stride: cols * 8,
            width: cols * 8,
            height: (rows + 1) * 8,
        };
        let mut vt = Vt::new(&font, cols, rows, 8).unwrap();
        // Colours, a title and a cursor query are dropped; \r, \t and
        // backspace move; the screen scrolls twice.
        let text = "one\r\n\x1b[1;32mtwo\x1b[0m\x1b]0;title\x07\r\nthree\rT\r\n\tx\x08y\r\nlast line wraps here!";
        for b in text.bytes() {
            vt.putc(&font, b);
        }
        // The budget ends a flush after the row where it ran out.
        assert_eq!(vt.flush(&font, &mut fb, 3), (20, false));
        while !vt.flush(&font, &mut fb, 3).1 {}
        let mut line = status::StatusLine::new(cols).unwrap();
        line.update(&[status::CpuStatus {
            online: true,
            pid: 7,
            comm: *b"sh\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
            nr_running: 2,
        }]);
        line.draw(&font, &mut fb, 0);
        let got = decode(&font, &pixels, cols * 8, cols * 8, (rows + 1) * 8);
        assert_eq!(
            got,
            [
                "cpu0 sh/7 rq=2      ",
                "Three               ",
                "        y           ",
                "last line wraps here",
                "!                   ",
            ]
        );
    }

    #[test]
    fn ppm_round_trip_and_garbage() {
        let mut ppm = b"P6\n# qemu\n2 1\n255\n".to_vec();
        ppm.extend_from_slice(&[1, 2, 3, 255, 0, 0]);
        let img = parse_ppm(&ppm).unwrap();
        assert_eq!((img.width, img.height), (2, 1));
        assert_eq!(img.pixels, [0x010203, 0xff0000]);
        assert!(parse_ppm(b"P6\n2 1\n255\n\x01").is_none());
        assert!(parse_ppm(b"P5\n1 1\n255\n\x01").is_none());
        assert!(parse_ppm(b"P6\n99999999999999999999 1\n255\n").is_none());
    }
}
