//! The status line: one row, per CPU, of the task it runs and the length
//! of its runqueue (what `top` would show, always on screen), so students
//! watch four CPUs at work. Linux has no such line; its parts are
//! `rq->curr` and `rq->nr_running` (`/proc/sched_debug`).

use super::{Font, PixelBuf, STATUS_BG, STATUS_FG};
use alloc::vec::Vec;

/// What one CPU is doing, as read (without locks) at a tick.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuStatus {
    /// Whether the CPU is online at all.
    pub online: bool,
    /// pid of the running task (0: the idle task).
    pub pid: u32,
    /// Its `comm`, NUL-padded.
    pub comm: [u8; 16],
    /// Tasks on its runqueue, the running one included.
    pub nr_running: u32,
}

/// Lays the line out into `out` (one byte per column, space-padded): each
/// CPU gets an equal share, `cpuN comm/pid rq=N` or `cpuN idle rq=N`.
pub fn format(out: &mut [u8], cpus: &[CpuStatus]) {
    out.fill(b' ');
    if cpus.is_empty() {
        return;
    }
    let share = out.len() / cpus.len();
    for (n, c) in cpus.iter().enumerate() {
        let last = n + 1 == cpus.len();
        let cell = &mut out[n * share..(n + 1) * share];
        // Every share but the last ends in "| ".
        let room = if last { share } else { share.saturating_sub(2) };
        if !last && share >= 2 {
            cell[share - 2] = b'|';
        }
        let mut w = Cursor {
            buf: &mut cell[..room],
            at: 0,
        };
        w.put(b"cpu");
        w.num(n as u64);
        if !c.online {
            w.put(b" offline");
            continue;
        }
        w.put(b" ");
        // What follows the name, laid out first so a long name is what
        // gets cut, never the pid or the queue length.
        let mut tail = [b' '; 32];
        let mut t = Cursor {
            buf: &mut tail,
            at: 0,
        };
        if c.pid != 0 {
            t.put(b"/");
            t.num(c.pid as u64);
        }
        t.put(b" rq=");
        t.num(c.nr_running as u64);
        let tail_len = t.at;
        if c.pid == 0 {
            w.put(b"idle");
        } else {
            let len = c.comm.iter().position(|&b| b == 0).unwrap_or(16);
            let fit = room.saturating_sub(w.at + tail_len).min(len);
            w.put(&c.comm[..fit]);
        }
        w.put(&tail[..tail_len]);
    }
}

struct Cursor<'a> {
    buf: &'a mut [u8],
    at: usize,
}

impl Cursor<'_> {
    fn put(&mut self, s: &[u8]) {
        for &b in s {
            if self.at >= self.buf.len() {
                return;
            }
            self.buf[self.at] = if (0x20..0x7f).contains(&b) { b } else { b'?' };
            self.at += 1;
        }
    }

    fn num(&mut self, mut v: u64) {
        let mut d = [0u8; 20];
        let mut i = d.len();
        loop {
            i -= 1;
            d[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.put(&d[i..]);
    }
}

/// The status row on screen: the text it should show and what it shows,
/// so a tick redraws only the characters that changed.
pub struct StatusLine {
    text: Vec<u8>,
    shown: Vec<u8>,
}

impl StatusLine {
    /// A line of `cols` columns; `None` without memory.
    pub fn new(cols: usize) -> Option<StatusLine> {
        let mut text = Vec::new();
        text.try_reserve_exact(cols).ok()?;
        text.resize(cols, b' ');
        let mut shown = Vec::new();
        shown.try_reserve_exact(cols).ok()?;
        shown.resize(cols, 0);
        Some(StatusLine { text, shown })
    }

    /// Lays out `cpus` as the text to show.
    pub fn update(&mut self, cpus: &[CpuStatus]) {
        format(&mut self.text, cpus);
    }

    /// The text the line shows after the next draw.
    pub fn text(&self) -> &[u8] {
        &self.text
    }

    /// Draws the changed characters at pixel row `y`; returns how many.
    pub fn draw(&mut self, font: &Font, fb: &mut PixelBuf, y: usize) -> usize {
        let mut n = 0;
        for (i, (&t, s)) in self.text.iter().zip(self.shown.iter_mut()).enumerate() {
            if t != *s {
                let g = font.glyph_index(t as char);
                fb.draw_glyph(font, g, i * font.width, y, STATUS_FG, STATUS_BG);
                *s = t;
                n += 1;
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpu(pid: u32, comm: &str, nr: u32) -> CpuStatus {
        let mut c = [0u8; 16];
        c[..comm.len()].copy_from_slice(comm.as_bytes());
        CpuStatus {
            online: true,
            pid,
            comm: c,
            nr_running: nr,
        }
    }

    #[test]
    fn four_cpus_share_the_line() {
        let mut out = [0u8; 80];
        let cpus = [
            cpu(1, "init", 1),
            cpu(0, "swapper/1", 0),
            cpu(42, "raspbian_fork", 3),
            CpuStatus::default(),
        ];
        format(&mut out, &cpus);
        let s = core::str::from_utf8(&out).unwrap();
        assert_eq!(
            s,
            "cpu0 init/1 rq=1  | cpu1 idle rq=0    | cpu2 raspb/42 rq=3| cpu3 offline        "
        );
    }

    #[test]
    fn narrow_shares_truncate_without_overflow() {
        let mut out = [0u8; 9];
        format(&mut out, &[cpu(1234, "longname", 7); 4]);
        assert_eq!(&out, b"| | | cp ");
        let mut out = [0u8; 0];
        format(&mut out, &[cpu(1, "x", 1)]);
    }
}
