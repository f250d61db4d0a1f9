//! `asm-generic/termbits.h`, `asm-generic/ioctls.h`: terminal ioctls and `struct termios`.

use super::bytes::Writer;

/// Get the terminal attributes (kernel `struct termios`, 36 bytes).
pub const TCGETS: u32 = 0x5401;
/// Set the terminal attributes now.
pub const TCSETS: u32 = 0x5402;
/// Set them after output drains.
pub const TCSETSW: u32 = 0x5403;
/// Set them after output drains, discarding pending input.
pub const TCSETSF: u32 = 0x5404;
/// Get the foreground process group.
pub const TIOCGPGRP: u32 = 0x540f;
/// Set the foreground process group.
pub const TIOCSPGRP: u32 = 0x5410;
/// Get the window size (`struct winsize`); musl's `printf` asks this to
/// decide whether stdout is a terminal.
pub const TIOCGWINSZ: u32 = 0x5413;
/// Set the window size.
pub const TIOCSWINSZ: u32 = 0x5414;
/// Bytes waiting to be read.
pub const FIONREAD: u32 = 0x541b;

/// Number of control characters in the kernel `struct termios`.
pub const NCCS: usize = 19;

/// The kernel's `struct termios` that `TCGETS`/`TCSETS` copy (not glibc's
/// larger user-space one, which adds speed fields): 36 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Termios {
    pub c_iflag: u32,
    pub c_oflag: u32,
    pub c_cflag: u32,
    pub c_lflag: u32,
    pub c_line: u8,
    pub c_cc: [u8; NCCS],
}

/// Size of [`Termios`] in user memory.
pub const TERMIOS_SIZE: usize = 36;

/// Input flag: map CR to NL.
pub const ICRNL: u32 = 0o400;
/// Input flag: XON/XOFF output flow control.
pub const IXON: u32 = 0o2000;
/// Output flag: post-process output.
pub const OPOST: u32 = 0o1;
/// Output flag: map NL to CR-NL.
pub const ONLCR: u32 = 0o4;
/// Control flag: 38400 baud.
pub const B38400: u32 = 0o17;
/// Control flag: 8-bit characters.
pub const CS8: u32 = 0o60;
/// Control flag: enable the receiver.
pub const CREAD: u32 = 0o200;
/// Control flag: hang up on last close.
pub const HUPCL: u32 = 0o2000;
/// Local flag: generate signals for INTR/QUIT/SUSP.
pub const ISIG: u32 = 0o1;
/// Local flag: canonical (line) mode.
pub const ICANON: u32 = 0o2;
/// Local flag: echo input.
pub const ECHO: u32 = 0o10;
/// Local flag: ERASE erases the previous character.
pub const ECHOE: u32 = 0o20;
/// Local flag: KILL erases the line.
pub const ECHOK: u32 = 0o40;
/// `c_lflag`: echo NL even without `ECHO`.
pub const ECHONL: u32 = 0o100;
/// Local flag: echo control characters as `^X`.
pub const ECHOCTL: u32 = 0o1000;
/// Local flag: KILL erases the line visibly.
pub const ECHOKE: u32 = 0o4000;
/// Local flag: extended input processing.
pub const IEXTEN: u32 = 0o100000;

/// `c_cc` index of the interrupt character.
pub const VINTR: usize = 0;
/// `c_cc` index of the quit character.
pub const VQUIT: usize = 1;
/// `c_cc` index of the erase character.
pub const VERASE: usize = 2;
/// `c_cc` index of the kill-line character.
pub const VKILL: usize = 3;
/// `c_cc` index of the end-of-file character.
pub const VEOF: usize = 4;
/// `c_cc` index of the non-canonical read timeout.
pub const VTIME: usize = 5;
/// `c_cc` index of the non-canonical minimum read count.
pub const VMIN: usize = 6;
/// `c_cc` index of the suspend character.
pub const VSUSP: usize = 10;

impl Termios {
    /// Linux's `tty_std_termios`: what a freshly opened console reports, so
    /// programs that save and restore the terminal mode see sane values.
    pub const fn linux_default() -> Self {
        Termios {
            c_iflag: ICRNL | IXON,
            c_oflag: OPOST | ONLCR,
            c_cflag: B38400 | CS8 | CREAD | HUPCL,
            c_lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
            c_line: 0,
            // INIT_C_CC: ^C ^\ DEL ^U ^D, VTIME 0, VMIN 1, VSWTC 0,
            // ^Q ^S ^Z, VEOL 0, ^R ^O ^W ^V, VEOL2 0.
            c_cc: [
                3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0,
            ],
        }
    }

    /// The bytes user space sees.
    pub fn to_bytes(&self) -> [u8; TERMIOS_SIZE] {
        let mut w = Writer::<TERMIOS_SIZE>::new();
        w.u32(self.c_iflag);
        w.u32(self.c_oflag);
        w.u32(self.c_cflag);
        w.u32(self.c_lflag);
        w.bytes(&[self.c_line]);
        w.bytes(&self.c_cc);
        w.finish()
    }

    /// Reads one from user bytes (`TCSETS`).
    pub fn from_bytes(b: &[u8; TERMIOS_SIZE]) -> Self {
        let word = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap());
        Termios {
            c_iflag: word(0),
            c_oflag: word(4),
            c_cflag: word(8),
            c_lflag: word(12),
            c_line: b[16],
            c_cc: b[17..].try_into().unwrap(),
        }
    }
}

/// `struct winsize` for `TIOCGWINSZ`: 8 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Winsize {
    pub ws_row: u16,
    pub ws_col: u16,
    pub ws_xpixel: u16,
    pub ws_ypixel: u16,
}

impl Winsize {
    /// The bytes user space sees.
    pub fn to_bytes(&self) -> [u8; 8] {
        let mut w = Writer::<8>::new();
        for v in [self.ws_row, self.ws_col, self.ws_xpixel, self.ws_ypixel] {
            w.bytes(&v.to_le_bytes());
        }
        w.finish()
    }
}
