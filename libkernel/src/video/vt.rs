//! The text screen (Linux's `struct vc_data` in `drivers/tty/vt/vt.c`): a
//! grid of glyph indices, the cursor, what `\n`, `\r`, `\t` and backspace
//! do, scrolling, and a filter that drops ANSI escape sequences (colours,
//! cursor queries, titles) instead of drawing them.
//!
//! Writing only changes the grid, whose rows are a ring: scrolling clears
//! one row and moves the ring's start. [`Vt::flush`] then draws the cells
//! that differ from what the screen shows, not a memmove of megabytes of
//! framebuffer, and many lines written between two flushes (the trace
//! dump) cost one redraw; a flush may stop after a budget of glyphs and
//! go on at the next.

use super::{Font, PixelBuf, BG, FG};
use alloc::vec::Vec;

/// Marks a shown cell as drawn inverted (the cursor).
const INVERSE: u16 = 0x8000;
/// A shown cell whose pixels are unknown (drawn again by the next flush).
const UNKNOWN: u16 = 0xffff;

/// Where the escape-sequence filter is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum VcState {
    /// Plain text.
    Normal,
    /// After ESC.
    Esc,
    /// After ESC [: parameters until a final byte 0x40..=0x7e.
    Csi,
    /// After ESC ] (OSC): until BEL or ESC \.
    Osc,
    /// After ESC ( or ESC ): one charset byte to skip.
    Charset,
}

/// One text screen.
pub struct Vt {
    /// Columns.
    pub cols: usize,
    /// Rows.
    pub rows: usize,
    /// Glyph index of every cell, row after row; screen row 0 is ring
    /// row `first`.
    cells: Vec<u16>,
    first: usize,
    /// What each cell shows now (`UNKNOWN`: must be drawn).
    shown: Vec<u16>,
    /// Cursor column and row.
    x: usize,
    y: usize,
    /// The last column was written: the next printable character wraps
    /// first (a VT's deferred wrap, so a full line is not followed by an
    /// empty one).
    wrap_pending: bool,
    esc: VcState,
    /// CSI parameters (the first two): cursor positioning.
    params: [u16; 2],
    nparam: usize,
    /// A UTF-8 character being collected: its bits so far, bytes to come.
    utf8: (u32, u8),
    blank: u16,
    /// Rows changed since the last flush (`lo..hi`).
    dirty: (usize, usize),
    /// The cell drawn inverted as the cursor (`usize::MAX`: none).
    shown_cursor: usize,
    /// Pixel row of the grid's top (rows above are the status line's).
    pub top: usize,
}

impl Vt {
    /// A blank `cols` x `rows` screen whose top row is at pixel row `top`;
    /// `None` when the memory is not there.
    pub fn new(font: &Font, cols: usize, rows: usize, top: usize) -> Option<Vt> {
        let n = cols.checked_mul(rows)?;
        let blank = font.glyph_index(' ') as u16;
        let mut cells = Vec::new();
        cells.try_reserve_exact(n).ok()?;
        cells.resize(n, blank);
        let mut shown = Vec::new();
        shown.try_reserve_exact(n).ok()?;
        shown.resize(n, UNKNOWN);
        Some(Vt {
            cols,
            rows,
            cells,
            first: 0,
            shown,
            x: 0,
            y: 0,
            wrap_pending: false,
            esc: VcState::Normal,
            params: [0; 2],
            nparam: 0,
            utf8: (0, 0),
            blank,
            dirty: (0, rows),
            shown_cursor: usize::MAX,
            top,
        })
    }

    /// The cursor (column, row).
    pub fn cursor(&self) -> (usize, usize) {
        (self.x, self.y)
    }

    /// Row `r` as glyph indices.
    pub fn row(&self, r: usize) -> &[u16] {
        let at = self.ring(r);
        &self.cells[at..at + self.cols]
    }

    /// Where screen row `r` starts in `cells`.
    fn ring(&self, r: usize) -> usize {
        ((self.first + r) % self.rows) * self.cols
    }

    /// Forgets what the screen shows: the next flush draws every cell
    /// (after someone else drew over it, e.g. a panic's first message).
    pub fn invalidate(&mut self) {
        self.shown.fill(UNKNOWN);
        self.shown_cursor = usize::MAX;
        self.dirty = (0, self.rows);
    }

    fn touch(&mut self, row: usize) {
        self.dirty = (self.dirty.0.min(row), self.dirty.1.max(row + 1));
    }

    /// Scrolls the whole screen up one row (`con_scroll`).
    fn scroll_up(&mut self) {
        let top = self.ring(0);
        self.cells[top..top + self.cols].fill(self.blank);
        self.first = (self.first + 1) % self.rows;
        self.dirty = (0, self.rows);
    }

    fn line_feed(&mut self) {
        if self.y + 1 >= self.rows {
            self.scroll_up();
        } else {
            self.y += 1;
        }
    }

    fn put_glyph(&mut self, g: u16) {
        if self.wrap_pending {
            self.wrap_pending = false;
            self.x = 0;
            self.line_feed();
        }
        let i = self.ring(self.y) + self.x;
        self.cells[i] = g;
        self.touch(self.y);
        if self.x + 1 >= self.cols {
            self.wrap_pending = true;
        } else {
            self.x += 1;
        }
    }

    /// Blanks screen cells `from..to` (counted row after row on screen).
    fn erase(&mut self, from: usize, to: usize) {
        let (from, to) = (from.min(self.cells.len()), to.min(self.cells.len()));
        if from < to {
            for i in from..to {
                let at = self.ring(i / self.cols) + i % self.cols;
                self.cells[at] = self.blank;
            }
            self.dirty = (
                self.dirty.0.min(from / self.cols),
                self.dirty.1.max(to.div_ceil(self.cols)),
            );
        }
    }

    /// A CSI sequence's final byte: the few a shell's line editing and
    /// `clear` need act (cursor position and movement, erase in display
    /// and line); colours and everything else are dropped.
    fn csi(&mut self, fin: u8) {
        let p0 = self.params[0] as usize;
        let n = p0.max(1);
        let here = self.y * self.cols + self.x;
        match fin {
            b'A' => self.y = self.y.saturating_sub(n),
            b'B' => self.y = (self.y + n).min(self.rows - 1),
            b'C' => self.x = (self.x + n).min(self.cols - 1),
            b'D' => self.x = self.x.saturating_sub(n),
            b'G' => self.x = (n - 1).min(self.cols - 1),
            b'H' | b'f' => {
                self.y = (n - 1).min(self.rows - 1);
                self.x = (self.params[1].max(1) as usize - 1).min(self.cols - 1);
            }
            b'J' => match p0 {
                0 => self.erase(here, self.cells.len()),
                1 => self.erase(0, here + 1),
                _ => self.erase(0, self.cells.len()),
            },
            b'K' => {
                let line = self.y * self.cols;
                match p0 {
                    0 => self.erase(here, line + self.cols),
                    1 => self.erase(line, here + 1),
                    _ => self.erase(line, line + self.cols),
                }
            }
            _ => {}
        }
        if fin != b'm' {
            self.wrap_pending = false;
        }
    }

    /// Writes one byte as a VT would (`do_con_write`): UTF-8 text,
    /// controls, and escape sequences (filtered).
    pub fn putc(&mut self, font: &Font, b: u8) {
        match self.esc {
            VcState::Esc => {
                self.esc = match b {
                    b'[' => {
                        self.params = [0; 2];
                        self.nparam = 0;
                        VcState::Csi
                    }
                    b']' => VcState::Osc,
                    b'(' | b')' => VcState::Charset,
                    _ => VcState::Normal,
                };
                return;
            }
            VcState::Csi => {
                match b {
                    b'0'..=b'9' => {
                        if let Some(p) = self.params.get_mut(self.nparam) {
                            *p = p.saturating_mul(10).saturating_add((b - b'0') as u16);
                        }
                    }
                    b';' => self.nparam += 1,
                    0x40..=0x7e => {
                        self.esc = VcState::Normal;
                        self.csi(b);
                    }
                    0x1b => self.esc = VcState::Esc,
                    _ => {}
                }
                return;
            }
            VcState::Osc => {
                match b {
                    0x07 => self.esc = VcState::Normal,
                    0x1b => self.esc = VcState::Esc,
                    _ => {}
                }
                return;
            }
            VcState::Charset => {
                self.esc = VcState::Normal;
                return;
            }
            VcState::Normal => {}
        }
        if b >= 0x80 {
            self.utf8_byte(font, b);
            return;
        }
        self.utf8 = (0, 0);
        match b {
            b'\n' => {
                self.wrap_pending = false;
                self.line_feed();
            }
            b'\r' => {
                self.wrap_pending = false;
                self.x = 0;
            }
            b'\t' => {
                self.wrap_pending = false;
                self.x = ((self.x / 8 + 1) * 8).min(self.cols - 1);
            }
            0x08 => {
                self.wrap_pending = false;
                self.x = self.x.saturating_sub(1);
            }
            0x1b => self.esc = VcState::Esc,
            0x20..=0x7e => self.put_glyph(font.glyph_index(b as char) as u16),
            _ => {}
        }
    }

    fn utf8_byte(&mut self, font: &Font, b: u8) {
        let (acc, left) = self.utf8;
        if (0x80..0xc0).contains(&b) && left > 0 {
            let acc = (acc << 6) | (b & 0x3f) as u32;
            if left == 1 {
                self.utf8 = (0, 0);
                let c = char::from_u32(acc).unwrap_or('?');
                self.put_glyph(font.glyph_index(c) as u16);
            } else {
                self.utf8 = (acc, left - 1);
            }
            return;
        }
        self.utf8 = match b {
            0xc0..=0xdf => ((b & 0x1f) as u32, 1),
            0xe0..=0xef => ((b & 0x0f) as u32, 2),
            0xf0..=0xf7 => ((b & 0x07) as u32, 3),
            _ => {
                // A stray continuation or invalid byte: one '?'.
                self.put_glyph(font.glyph_index('?') as u16);
                (0, 0)
            }
        };
    }

    /// Draws the cells that changed since the last flush, and the cursor
    /// as an inverted cell, stopping after the row where `budget` glyphs
    /// are reached. Returns the glyphs
    /// drawn and whether the screen is now up to date (if not, the next
    /// flush goes on where this one stopped).
    pub fn flush(&mut self, font: &Font, fb: &mut PixelBuf, budget: usize) -> (usize, bool) {
        let cursor = self.y * self.cols + self.x.min(self.cols - 1);
        // The row the cursor left (it may not have changed) and the one
        // it is on.
        if self.shown_cursor < self.cells.len() {
            self.touch(self.shown_cursor / self.cols);
        }
        self.touch(cursor / self.cols);
        let (lo, hi) = self.dirty;
        let mut drawn = 0;
        for row in lo..hi.min(self.rows) {
            if drawn >= budget {
                self.dirty = (row, hi);
                return (drawn, false);
            }
            let at = self.ring(row);
            for col in 0..self.cols {
                let i = row * self.cols + col;
                let want = self.cells[at + col] | if i == cursor { INVERSE } else { 0 };
                if self.shown[i] == want {
                    continue;
                }
                let (fg, bg) = if want & INVERSE != 0 {
                    (BG, FG)
                } else {
                    (FG, BG)
                };
                fb.draw_glyph(
                    font,
                    (want & !INVERSE) as usize,
                    col * font.width,
                    self.top + row * font.height,
                    fg,
                    bg,
                );
                self.shown[i] = want;
                if i == cursor {
                    self.shown_cursor = i;
                }
                drawn += 1;
            }
        }
        self.dirty = (self.rows, 0);
        (drawn, true)
    }
}
