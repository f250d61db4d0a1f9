//! The hardware-free half of the framebuffer console (Linux's
//! `drivers/video/fbdev/core/fbcon.c`, `drivers/tty/vt/vt.c` and
//! `lib/fonts/`): PSF fonts, a pixel buffer glyphs are drawn into, the
//! text screen with its cursor, scrolling and escape-sequence filter, the
//! per-CPU status line, and the decoder that reads a screenshot back into
//! text (the tests' half).
//!
//! The kernel's `drivers/video/` owns the real framebuffer and hands a
//! [`PixelBuf`] over it to these types; the host tests hand them a `Vec`.

pub mod console;
pub mod decode;
pub mod mbox;
pub mod psf;
pub mod status;
pub mod vt;

pub use psf::Font;

/// The console's colours, 32-bit XRGB (grey on black, as Linux's VGA
/// palette draws the default attribute 0x07).
pub const FG: u32 = 0x00aa_aaaa;
/// Background of the text area.
pub const BG: u32 = 0x0000_0000;
/// The status line: white on blue.
pub const STATUS_FG: u32 = 0x00ff_ffff;
/// Background of the status line.
pub const STATUS_BG: u32 = 0x0000_3f9f;

/// 32-bit pixels in rows of `stride` pixels: the framebuffer, or a test's
/// `Vec`. Only whole glyph cells are drawn.
pub struct PixelBuf<'a> {
    /// The pixels, row after row.
    pub pixels: &'a mut [u32],
    /// Pixels from one row's start to the next's (the pitch / 4).
    pub stride: usize,
    /// Visible width in pixels.
    pub width: usize,
    /// Visible height in pixels.
    pub height: usize,
}

impl PixelBuf<'_> {
    /// Draws glyph `index` of `font` with its top-left corner at pixel
    /// (`x`, `y`); cells that do not fit entirely are not drawn.
    pub fn draw_glyph(&mut self, font: &Font, index: usize, x: usize, y: usize, fg: u32, bg: u32) {
        let (w, h) = (font.width, font.height);
        if x + w > self.width || y + h > self.height {
            return;
        }
        let glyph = font.glyph(index);
        let pitch = font.pitch();
        if w == 8 {
            // The common 8-pixel-wide font: two pixels per lookup of the
            // row's bits, stored as a pair (one `stp` on aarch64), about
            // a third of the instructions of a pixel at a time.
            let pairs = [(bg, bg), (bg, fg), (fg, bg), (fg, fg)];
            for (r, &bits) in glyph.iter().enumerate().take(h) {
                let start = (y + r) * self.stride + x;
                let Some(line) = self.pixels.get_mut(start..start + 8) else {
                    return;
                };
                for (k, px) in line.chunks_exact_mut(2).enumerate() {
                    let (a, b) = pairs[((bits >> (6 - 2 * k)) & 3) as usize];
                    px[0] = a;
                    px[1] = b;
                }
            }
            return;
        }
        for (r, bits) in glyph.chunks_exact(pitch).enumerate().take(h) {
            let start = (y + r) * self.stride + x;
            let Some(line) = self.pixels.get_mut(start..start + w) else {
                return;
            };
            // The row's bits as one word, leftmost pixel in bit 31.
            let mut word = 0u32;
            for (i, &b) in bits.iter().enumerate() {
                word |= (b as u32) << (24 - 8 * i);
            }
            for px in line.iter_mut() {
                *px = if word & 0x8000_0000 != 0 { fg } else { bg };
                word <<= 1;
            }
        }
    }
}
