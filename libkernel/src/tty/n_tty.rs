//! The terminal line discipline, hardware-free (Linux's
//! `drivers/tty/n_tty.c`): what happens to each typed byte and to each
//! byte a program writes.
//!
//! Typed bytes go through [`NTty::receive_buf`]: the input flags
//! (`ISTRIP`, `IGNCR`, `ICRNL`, `INLCR`), flow control (`IXON`: STOP and
//! START), the signal characters (`ISIG`: INTR, QUIT, SUSP, which flush
//! the input unless `NOFLSH`), the line editing of canonical mode
//! (`ICANON`: ERASE, KILL, WERASE, LNEXT, REPRINT, EOF, EOL, EOL2) and
//! echo (`ECHO`, `ECHOE`, `ECHOK`, `ECHOKE`, `ECHONL`, `ECHOCTL`,
//! `ECHOPRT`). The result is the read buffer, the bytes to echo (through
//! a sink the caller gives) and the signals to raise, which the kernel
//! sends to the terminal's foreground process group.
//!
//! Readers take a whole line at a time in canonical mode
//! ([`NTty::read_canon`]; a line ended by EOF gives its bytes without a
//! terminator, and EOF at a line's start gives 0 bytes, which `read`
//! returns as the end of the input), or whatever is there otherwise
//! ([`NTty::read_raw`], with [`NonCanonWait`] saying how `VMIN` and
//! `VTIME` make a read wait).
//!
//! Output a program writes goes through [`NTty::write_output`]: with
//! `OPOST`, `ONLCR` turns NL into CR NL, `OCRNL` CR into NL, `ONOCR`
//! drops CR at column 0, `ONLRET` makes NL return the carriage, `XTABS`
//! expands tabs and `OLCUC` upper-cases; the column it tracks is what
//! erasing a tab echoes against, as in Linux.
//!
//! Unlike Linux, echoes are not queued: the kernel writes them out at
//! once (the UART never refuses a byte), so echo operations act at the
//! moment they are made and stopped output (`^S`) holds back what
//! programs write but not what is echoed.

use crate::uapi::signal::{SIGINT, SIGQUIT, SIGTSTP};
use crate::uapi::termios::*;

/// Size of the read buffer (`N_TTY_BUF_SIZE`): the longest canonical
/// line is one less, so a line can always be ended.
pub const N_TTY_BUF_SIZE: usize = 4096;
const MASK: usize = N_TTY_BUF_SIZE - 1;

/// The byte that marks an EOF in the buffer (`__DISABLED_CHAR`): stored
/// with its line-end bit, never copied to a reader.
const DISABLED_CHAR: u8 = POSIX_VDISABLE;

/// The ASCII bell, echoed when a typed byte does not fit.
const BEL: u8 = 0x07;

/// Whether `c` is an ASCII control character (C's `iscntrl`).
fn iscntrl(c: u8) -> bool {
    c < 0x20 || c == 0x7f
}

/// A 256-bit set of byte values (the `char_map` of special characters).
#[derive(Clone, Copy, Default)]
struct ByteSet([u64; 4]);

impl ByteSet {
    const fn set(&mut self, c: u8) {
        self.0[c as usize / 64] |= 1 << (c % 64);
    }
    const fn clear(&mut self, c: u8) {
        self.0[c as usize / 64] &= !(1 << (c % 64));
    }
    fn has(&self, c: u8) -> bool {
        self.0[c as usize / 64] & (1 << (c % 64)) != 0
    }
}

/// What one [`NTty::receive_buf`] call asks of the kernel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Receipt {
    signals: [u8; 3],
    nsig: usize,
    /// Readers (and pollers) may now find input: wake them.
    pub wake_readers: bool,
    /// STOP or START changed whether output is stopped: wake writers.
    pub flow_changed: bool,
}

impl Receipt {
    /// The signals the typed characters raise, in the order typed, each
    /// once (a signal already pending is not queued twice anyway).
    pub fn signals(&self) -> &[u8] {
        &self.signals[..self.nsig]
    }

    fn raise(&mut self, sig: u32) {
        let sig = sig as u8;
        if !self.signals().contains(&sig) && self.nsig < self.signals.len() {
            self.signals[self.nsig] = sig;
            self.nsig += 1;
        }
    }
}

/// How a non-canonical read waits (`VMIN`, `VTIME`; `n_tty_read`'s
/// `minimum`, `time` and `timeout`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NonCanonWait {
    /// The read returns once it has this many bytes (at most the
    /// buffer's size).
    pub minimum: usize,
    /// Wait at most this many tenths of a second for the first byte;
    /// `None`: as long as it takes. `Some(0)`: do not wait at all.
    pub first_timeout: Option<u32>,
    /// After a byte, wait at most this many tenths of a second for the
    /// next (the inter-byte timer of `VMIN > 0, VTIME > 0`); 0: no timer.
    pub inter_byte: u32,
}

impl NonCanonWait {
    /// The wait for a read of `nr` bytes under `t`: `MIN` > 0 and `TIME`
    /// 0 blocks for `MIN` bytes; `MIN` 0 and `TIME` 0 returns what is
    /// there; `MIN` 0 and `TIME` > 0 waits up to `TIME` for one byte;
    /// both > 0 blocks for the first byte, then until `MIN` bytes or a
    /// gap of `TIME`.
    pub fn new(t: &Termios, nr: usize) -> Self {
        let min = t.c_cc[VMIN] as usize;
        let time = u32::from(t.c_cc[VTIME]);
        if min > 0 {
            NonCanonWait {
                minimum: min.min(nr),
                first_timeout: None,
                inter_byte: time,
            }
        } else {
            NonCanonWait {
                minimum: 1.min(nr),
                first_timeout: Some(time),
                inter_byte: 0,
            }
        }
    }
}

/// The line discipline's state for one terminal (`struct n_tty_data`
/// with the terminal's termios).
pub struct NTty {
    termios: Termios,
    /// Which bytes need more than queueing and echoing.
    char_map: ByteSet,
    buf: [u8; N_TTY_BUF_SIZE],
    /// One bit per buffer slot: the byte there ends a line (NL, EOL,
    /// EOL2 or the EOF marker).
    read_flags: [u64; N_TTY_BUF_SIZE / 64],
    /// Free-running positions (index with `& MASK`): readers take from
    /// `read_tail`; canonical readers only up to `canon_head`, the end of
    /// the last complete line; typing adds at `read_head`.
    read_tail: usize,
    canon_head: usize,
    read_head: usize,
    /// Output column, and the column where the current input line began
    /// (for erasing tabs).
    column: usize,
    canon_column: usize,
    /// The next byte is taken literally (after LNEXT).
    lnext: bool,
    /// Inside a `\...` erase of `ECHOPRT`.
    erasing: bool,
    /// Output is stopped (STOP typed with `IXON`, or `TCXONC TCOOFF`).
    stopped: bool,
    /// Typed bytes dropped because the buffer was full.
    overruns: u64,
}

impl Default for NTty {
    fn default() -> Self {
        Self::new()
    }
}

impl NTty {
    /// A line discipline with Linux's `tty_std_termios` and an empty
    /// buffer.
    pub const fn new() -> Self {
        let termios = Termios::linux_default();
        NTty {
            char_map: char_map(&termios),
            termios,
            buf: [0; N_TTY_BUF_SIZE],
            read_flags: [0; N_TTY_BUF_SIZE / 64],
            read_tail: 0,
            canon_head: 0,
            read_head: 0,
            column: 0,
            canon_column: 0,
            lnext: false,
            erasing: false,
            stopped: false,
            overruns: 0,
        }
    }

    /// The current settings (`TCGETS`).
    pub fn termios(&self) -> &Termios {
        &self.termios
    }

    /// New settings (`n_tty_set_termios`). Turning `ICANON` on makes the
    /// input already there one line, so it can be read; turning it off
    /// makes a half-typed line readable.
    pub fn set_termios(&mut self, new: Termios) {
        let old = core::mem::replace(&mut self.termios, new);
        if (old.c_lflag ^ new.c_lflag) & ICANON != 0 {
            self.read_flags = [0; N_TTY_BUF_SIZE / 64];
            if new.c_lflag & ICANON == 0 || self.read_cnt() == 0 {
                self.canon_head = self.read_tail;
            } else {
                self.set_flag(self.read_head.wrapping_sub(1));
                self.canon_head = self.read_head;
            }
            self.erasing = false;
            self.lnext = false;
        }
        self.char_map = char_map(&new);
        // Flow control switched off: output may go again.
        if new.c_iflag & IXON == 0 && old.c_iflag & IXON != 0 {
            self.stopped = false;
        }
    }

    fn icanon(&self) -> bool {
        self.termios.c_lflag & ICANON != 0
    }

    fn l(&self, flag: u32) -> bool {
        self.termios.c_lflag & flag != 0
    }

    fn i(&self, flag: u32) -> bool {
        self.termios.c_iflag & flag != 0
    }

    fn o(&self, flag: u32) -> bool {
        self.termios.c_oflag & flag != 0
    }

    fn cc(&self, i: usize) -> u8 {
        self.termios.c_cc[i]
    }

    /// Bytes in the buffer, complete lines or not.
    fn read_cnt(&self) -> usize {
        self.read_head.wrapping_sub(self.read_tail)
    }

    fn set_flag(&mut self, pos: usize) {
        let i = pos & MASK;
        self.read_flags[i / 64] |= 1 << (i % 64);
    }

    fn clear_flag(&mut self, pos: usize) {
        let i = pos & MASK;
        self.read_flags[i / 64] &= !(1 << (i % 64));
    }

    fn flag(&self, pos: usize) -> bool {
        let i = pos & MASK;
        self.read_flags[i / 64] & (1 << (i % 64)) != 0
    }

    fn byte_at(&self, pos: usize) -> u8 {
        self.buf[pos & MASK]
    }

    fn is_continuation(&self, c: u8) -> bool {
        self.i(IUTF8) && c & 0xc0 == 0x80
    }

    /// Whether output is stopped (`tty->flow.stopped`).
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// Stops or restarts output (`stop_tty`/`start_tty`, `TCXONC`).
    pub fn set_stopped(&mut self, stopped: bool) {
        self.stopped = stopped;
    }

    /// Typed bytes lost because the buffer was full.
    pub fn overruns(&self) -> u64 {
        self.overruns
    }

    /// Discards all input, typed lines and the line being typed
    /// (`n_tty_flush_buffer`: `TCFLSH`, `TCSETSF`, a signal character).
    pub fn flush_input(&mut self) {
        self.read_head = 0;
        self.canon_head = 0;
        self.read_tail = 0;
        self.read_flags = [0; N_TTY_BUF_SIZE / 64];
        self.erasing = false;
    }

    /// Bytes a read could take now (`FIONREAD`/`TIOCINQ`): in canonical
    /// mode those of complete lines, without EOF markers.
    pub fn chars_in_buffer(&self) -> usize {
        if !self.icanon() {
            return self.read_cnt();
        }
        let mut nr = self.canon_head.wrapping_sub(self.read_tail);
        let mut tail = self.read_tail;
        while tail != self.canon_head {
            if self.flag(tail) && self.byte_at(tail) == DISABLED_CHAR {
                nr -= 1;
            }
            tail = tail.wrapping_add(1);
        }
        nr
    }

    /// Whether a read would find something (`input_available_p`): a
    /// complete line in canonical mode, else a byte (for `poll`, `MIN`
    /// bytes when `TIME` is 0).
    pub fn input_available(&self, poll: bool) -> bool {
        if self.icanon() {
            return self.canon_head != self.read_tail;
        }
        let (min, time) = (self.cc(VMIN) as usize, self.cc(VTIME));
        let amt = if poll && time == 0 && min > 0 { min } else { 1 };
        self.read_cnt() >= amt
    }

    // ------------------------------------------------------------ output

    /// One byte out with `OPOST` processing (`do_output_char`).
    fn do_output_char(&mut self, c: u8, out: &mut impl FnMut(u8)) {
        let mut c = c;
        match c {
            b'\n' => {
                if self.o(ONLRET) {
                    self.column = 0;
                }
                if self.o(ONLCR) {
                    self.column = 0;
                    self.canon_column = 0;
                    out(b'\r');
                    out(b'\n');
                    return;
                }
                self.canon_column = self.column;
            }
            b'\r' => {
                if self.o(ONOCR) && self.column == 0 {
                    return;
                }
                if self.o(OCRNL) {
                    c = b'\n';
                    if self.o(ONLRET) {
                        self.column = 0;
                        self.canon_column = 0;
                    }
                } else {
                    self.column = 0;
                    self.canon_column = 0;
                }
            }
            b'\t' => {
                let spaces = 8 - (self.column & 7);
                self.column += spaces;
                if self.termios.c_oflag & TABDLY == XTABS {
                    for _ in 0..spaces {
                        out(b' ');
                    }
                    return;
                }
            }
            0x08 => self.column = self.column.saturating_sub(1),
            _ => {
                if !iscntrl(c) {
                    if self.o(OLCUC) {
                        c = c.to_ascii_uppercase();
                    }
                    if !self.is_continuation(c) {
                        self.column += 1;
                    }
                }
            }
        }
        out(c);
    }

    /// What a program writes, as it goes to the device (`n_tty_write`'s
    /// output processing): unchanged without `OPOST`.
    pub fn write_output(&mut self, src: &[u8], out: &mut impl FnMut(u8)) {
        if !self.o(OPOST) {
            src.iter().for_each(|&c| out(c));
            return;
        }
        for &c in src {
            self.do_output_char(c, out);
        }
    }

    // -------------------------------------------------------------- echo

    /// Echoes `c` as is (`echo_char_raw`), with output processing.
    fn echo_raw(&mut self, c: u8, out: &mut impl FnMut(u8)) {
        if self.o(OPOST) {
            self.do_output_char(c, out);
        } else {
            out(c);
        }
    }

    /// Echoes `c`, a control character as `^X` with `ECHOCTL`
    /// (`echo_char`).
    fn echo_char(&mut self, c: u8, out: &mut impl FnMut(u8)) {
        if self.l(ECHOCTL) && iscntrl(c) && c != b'\t' {
            out(b'^');
            out(c ^ 0o100);
            self.column += 2;
        } else {
            self.echo_raw(c, out);
        }
    }

    /// The column where the line being typed began (`echo_set_canon_col`).
    fn echo_set_canon_col(&mut self) {
        self.canon_column = self.column;
    }

    /// Ends an `ECHOPRT` erase with `/` (`finish_erasing`).
    fn finish_erasing(&mut self, out: &mut impl FnMut(u8)) {
        if self.erasing {
            self.echo_raw(b'/', out);
            self.erasing = false;
        }
    }

    /// Backs the cursor over one column and blanks it.
    fn echo_rubout(&mut self, out: &mut impl FnMut(u8)) {
        for c in [0x08, b' ', 0x08] {
            self.echo_raw(c, out);
        }
    }

    /// Moves back over an erased tab (`ECHO_OP_ERASE_TAB`): `num_chars`
    /// columns were used since the tab before it (`after_tab`) or since
    /// the line's start.
    fn echo_erase_tab(&mut self, num_chars: usize, after_tab: bool, out: &mut impl FnMut(u8)) {
        let mut num_chars = num_chars & 7;
        if !after_tab {
            num_chars += self.canon_column;
        }
        for _ in 0..8 - (num_chars & 7) {
            out(0x08);
            self.column = self.column.saturating_sub(1);
        }
    }

    // ------------------------------------------------------------- input

    /// Processes typed bytes (`n_tty_receive_buf`); echoes go to `out`.
    pub fn receive_buf(&mut self, bytes: &[u8], out: &mut impl FnMut(u8)) -> Receipt {
        let mut r = Receipt::default();
        let canon_before = self.canon_head;
        for &c in bytes {
            let mut c = c;
            if self.i(ISTRIP) {
                c &= 0x7f;
            }
            if self.i(IUCLC) && self.l(IEXTEN) {
                c = c.to_ascii_lowercase();
            }
            if self.lnext {
                self.lnext = false;
                self.receive_char(c, out, &mut r);
            } else if self.char_map.has(c) {
                self.receive_char_special(c, out, &mut r);
            } else {
                self.receive_char(c, out, &mut r);
            }
        }
        r.wake_readers = if self.icanon() {
            self.canon_head != canon_before && self.canon_head != self.read_tail
        } else {
            self.read_cnt() > 0
        };
        r
    }

    /// Room for one more byte: in canonical mode an ordinary byte leaves
    /// the last slot for the byte that ends the line.
    fn has_room(&self, ends_line: bool) -> bool {
        let reserve = usize::from(self.icanon() && !ends_line);
        self.read_cnt() + reserve < N_TTY_BUF_SIZE
    }

    fn put_tty_queue(&mut self, c: u8) {
        self.buf[self.read_head & MASK] = c;
        self.clear_flag(self.read_head);
        self.read_head = self.read_head.wrapping_add(1);
    }

    /// A byte that does not fit: dropped, and the bell rings if echoing.
    fn overrun(&mut self, out: &mut impl FnMut(u8)) {
        self.overruns += 1;
        if self.l(ECHO) {
            self.echo_raw(BEL, out);
        }
    }

    /// An ordinary byte (`n_tty_receive_char`): echoed and queued.
    fn receive_char(&mut self, c: u8, out: &mut impl FnMut(u8), r: &mut Receipt) {
        if self.stopped && self.i(IXON) && self.i(IXANY) {
            self.stopped = false;
            r.flow_changed = true;
        }
        if !self.has_room(false) {
            self.overrun(out);
            return;
        }
        if self.l(ECHO) {
            self.finish_erasing(out);
            if self.canon_head == self.read_head {
                self.echo_set_canon_col();
            }
            self.echo_char(c, out);
        }
        self.put_tty_queue(c);
    }

    /// A byte in the special map (`n_tty_receive_char_special`).
    fn receive_char_special(&mut self, c: u8, out: &mut impl FnMut(u8), r: &mut Receipt) {
        let mut c = c;
        if self.i(IXON) {
            if c == self.cc(VSTART) {
                self.stopped = false;
                r.flow_changed = true;
                return;
            }
            if c == self.cc(VSTOP) {
                self.stopped = true;
                r.flow_changed = true;
                return;
            }
        }
        if self.l(ISIG) {
            let sig = if c == self.cc(VINTR) {
                Some(SIGINT)
            } else if c == self.cc(VQUIT) {
                Some(SIGQUIT)
            } else if c == self.cc(VSUSP) {
                Some(SIGTSTP)
            } else {
                None
            };
            if let Some(sig) = sig {
                self.receive_signal_char(sig, c, out, r);
                return;
            }
        }
        if self.stopped && self.i(IXON) && self.i(IXANY) {
            self.stopped = false;
            r.flow_changed = true;
        }
        if c == b'\r' {
            if self.i(IGNCR) {
                return;
            }
            if self.i(ICRNL) {
                c = b'\n';
            }
        } else if c == b'\n' && self.i(INLCR) {
            c = b'\r';
        }
        if self.icanon() {
            let iexten = self.l(IEXTEN);
            if c == self.cc(VERASE) || c == self.cc(VKILL) || (c == self.cc(VWERASE) && iexten) {
                self.eraser(c, out);
                return;
            }
            if c == self.cc(VLNEXT) && iexten {
                self.lnext = true;
                if self.l(ECHO) {
                    self.finish_erasing(out);
                    if self.l(ECHOCTL) {
                        // A `^` the next byte's echo overwrites.
                        self.echo_raw(b'^', out);
                        self.echo_raw(0x08, out);
                    }
                }
                return;
            }
            if c == self.cc(VREPRINT) && self.l(ECHO) && iexten {
                self.finish_erasing(out);
                self.echo_char(c, out);
                self.echo_raw(b'\n', out);
                let mut tail = self.canon_head;
                while tail != self.read_head {
                    self.echo_char(self.byte_at(tail), out);
                    tail = tail.wrapping_add(1);
                }
                return;
            }
            let eol = c == self.cc(VEOL) || (c == self.cc(VEOL2) && iexten);
            if c == b'\n' || c == self.cc(VEOF) || eol {
                if !self.has_room(true) {
                    self.overrun(out);
                    return;
                }
                if c == b'\n' {
                    if self.l(ECHO) || self.l(ECHONL) {
                        self.echo_raw(b'\n', out);
                    }
                } else if c == self.cc(VEOF) {
                    // EOF is not echoed and not read: it only ends the line.
                    c = DISABLED_CHAR;
                } else if self.l(ECHO) {
                    if self.canon_head == self.read_head {
                        self.echo_set_canon_col();
                    }
                    self.echo_char(c, out);
                }
                // handle_newline: the line is complete.
                self.put_tty_queue(c);
                self.set_flag(self.read_head.wrapping_sub(1));
                self.canon_head = self.read_head;
                return;
            }
        }
        if !self.has_room(false) {
            self.overrun(out);
            return;
        }
        if self.l(ECHO) {
            self.finish_erasing(out);
            if c == b'\n' {
                self.echo_raw(b'\n', out);
            } else {
                if self.canon_head == self.read_head {
                    self.echo_set_canon_col();
                }
                self.echo_char(c, out);
            }
        }
        self.put_tty_queue(c);
    }

    /// INTR, QUIT or SUSP (`n_tty_receive_signal_char`): the queued input
    /// goes (unless `NOFLSH`), output restarts, the character is echoed
    /// (`^C`) and the signal raised.
    fn receive_signal_char(&mut self, sig: u32, c: u8, out: &mut impl FnMut(u8), r: &mut Receipt) {
        if !self.l(NOFLSH) {
            self.flush_input();
        }
        if self.i(IXON) && self.stopped {
            self.stopped = false;
            r.flow_changed = true;
        }
        if self.l(ECHO) {
            self.echo_char(c, out);
        }
        r.raise(sig);
    }

    /// ERASE, WERASE or KILL in canonical mode (`eraser`): takes back a
    /// character, a word or the line typed since the last complete line,
    /// and echoes what undoes it on the screen.
    fn eraser(&mut self, c: u8, out: &mut impl FnMut(u8)) {
        #[derive(PartialEq, Eq)]
        enum Kill {
            Erase,
            Werase,
            Line,
        }
        if self.read_head == self.canon_head {
            return;
        }
        let kill_type = if c == self.cc(VERASE) {
            Kill::Erase
        } else if c == self.cc(VWERASE) {
            Kill::Werase
        } else {
            if !self.l(ECHO) {
                self.read_head = self.canon_head;
                return;
            }
            if !self.l(ECHOK) || !self.l(ECHOKE) || !self.l(ECHOE) {
                self.read_head = self.canon_head;
                self.finish_erasing(out);
                self.echo_char(self.cc(VKILL), out);
                // A newline after it if ECHOK is on and ECHOKE off.
                if self.l(ECHOK) {
                    self.echo_raw(b'\n', out);
                }
                return;
            }
            Kill::Line
        };
        let mut seen_alnums = 0;
        while self.read_head != self.canon_head {
            // One character, all its UTF-8 bytes.
            let mut head = self.read_head;
            let mut c;
            loop {
                head = head.wrapping_sub(1);
                c = self.byte_at(head);
                if !(self.is_continuation(c) && head != self.canon_head) {
                    break;
                }
            }
            // Never half a character.
            if self.is_continuation(c) {
                break;
            }
            if kill_type == Kill::Werase {
                // BSD's ALTWERASE: a word is letters, digits and '_'.
                if c.is_ascii_alphanumeric() || c == b'_' {
                    seen_alnums += 1;
                } else if seen_alnums > 0 {
                    break;
                }
            }
            let cnt = self.read_head.wrapping_sub(head);
            self.read_head = head;
            if self.l(ECHO) {
                if self.l(ECHOPRT) {
                    if !self.erasing {
                        self.echo_raw(b'\\', out);
                        self.erasing = true;
                    }
                    self.echo_char(c, out);
                    for k in 1..cnt {
                        let b = self.byte_at(head.wrapping_add(k));
                        self.echo_raw(b, out);
                        self.column = self.column.saturating_sub(1);
                    }
                } else if kill_type == Kill::Erase && !self.l(ECHOE) {
                    self.echo_char(self.cc(VERASE), out);
                } else if c == b'\t' {
                    // Columns used since the tab before, or the line's start.
                    let mut num_chars = 0;
                    let mut after_tab = false;
                    let mut tail = self.read_head;
                    while tail != self.canon_head {
                        tail = tail.wrapping_sub(1);
                        let b = self.byte_at(tail);
                        if b == b'\t' {
                            after_tab = true;
                            break;
                        } else if iscntrl(b) {
                            if self.l(ECHOCTL) {
                                num_chars += 2;
                            }
                        } else if !self.is_continuation(b) {
                            num_chars += 1;
                        }
                    }
                    self.echo_erase_tab(num_chars, after_tab, out);
                } else {
                    if iscntrl(c) && self.l(ECHOCTL) {
                        // `^X` took two columns.
                        self.echo_rubout(out);
                    }
                    if !iscntrl(c) || self.l(ECHOCTL) {
                        self.echo_rubout(out);
                    }
                }
            }
            if kill_type == Kill::Erase {
                break;
            }
        }
        if self.read_head == self.canon_head && self.l(ECHO) {
            self.finish_erasing(out);
        }
    }

    // -------------------------------------------------------------- read

    /// Takes (part of) the next line into `dst` (`canon_copy_from_read_buf`):
    /// up to and including its NL, EOL or EOL2; a line ended by EOF
    /// without the marker. Returns the bytes copied: 0 for EOF at a
    /// line's start. Call only when [`NTty::input_available`] says so.
    pub fn read_canon(&mut self, dst: &mut [u8]) -> usize {
        let avail = self.canon_head.wrapping_sub(self.read_tail);
        let n = dst.len().min(avail);
        // The first line end within what fits.
        let mut eol = None;
        for k in 0..n {
            if self.flag(self.read_tail.wrapping_add(k)) {
                eol = Some(k);
                break;
            }
        }
        let (consumed, copied) = match eol {
            Some(k) => {
                let marker = self.byte_at(self.read_tail.wrapping_add(k)) == DISABLED_CHAR;
                (k + 1, if marker { k } else { k + 1 })
            }
            None => (n, n),
        };
        for (i, d) in dst[..copied].iter_mut().enumerate() {
            *d = self.byte_at(self.read_tail.wrapping_add(i));
        }
        if let Some(k) = eol {
            self.clear_flag(self.read_tail.wrapping_add(k));
        }
        self.read_tail = self.read_tail.wrapping_add(consumed);
        copied
    }

    /// Takes what is buffered, up to `dst.len()` bytes, in
    /// non-canonical mode (`copy_from_read_buf`).
    pub fn read_raw(&mut self, dst: &mut [u8]) -> usize {
        let n = dst.len().min(self.read_cnt());
        for (i, d) in dst[..n].iter_mut().enumerate() {
            *d = self.byte_at(self.read_tail.wrapping_add(i));
        }
        self.read_tail = self.read_tail.wrapping_add(n);
        if self.read_tail == self.read_head {
            // Nothing left: a later switch to canonical mode starts clean.
            self.canon_head = self.read_tail;
        }
        n
    }

    /// Whether canonical mode is on (reads take lines).
    pub fn is_canonical(&self) -> bool {
        self.icanon()
    }
}

/// The bytes that need [`NTty::receive_char_special`] under `t`
/// (`n_tty_set_termios`'s `char_map`); NUL, the disabled value, never.
const fn char_map(t: &Termios) -> ByteSet {
    let (i, l, cc) = (t.c_iflag, t.c_lflag, &t.c_cc);
    let mut m = ByteSet([0; 4]);
    if i & (IGNCR | ICRNL) != 0 {
        m.set(b'\r');
    }
    if i & INLCR != 0 {
        m.set(b'\n');
    }
    if l & ICANON != 0 {
        m.set(cc[VERASE]);
        m.set(cc[VKILL]);
        m.set(cc[VEOF]);
        m.set(b'\n');
        m.set(cc[VEOL]);
        if l & IEXTEN != 0 {
            m.set(cc[VWERASE]);
            m.set(cc[VLNEXT]);
            m.set(cc[VEOL2]);
            if l & ECHO != 0 {
                m.set(cc[VREPRINT]);
            }
        }
    }
    if i & IXON != 0 {
        m.set(cc[VSTART]);
        m.set(cc[VSTOP]);
    }
    if l & ISIG != 0 {
        m.set(cc[VINTR]);
        m.set(cc[VQUIT]);
        m.set(cc[VSUSP]);
    }
    m.clear(DISABLED_CHAR);
    m
}

#[cfg(test)]
mod tests;
