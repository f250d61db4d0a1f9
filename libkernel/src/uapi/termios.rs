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
/// Send a break (`tcsendbreak`, arg 0) or wait for output to drain
/// (`tcdrain`, arg 1).
pub const TCSBRK: u32 = 0x5409;
/// Suspend or restart output or input (`tcflow`): arg `TCOOFF`...`TCION`.
pub const TCXONC: u32 = 0x540a;
/// Discard queued data (`tcflush`): arg `TCIFLUSH`, `TCOFLUSH`, `TCIOFLUSH`.
pub const TCFLSH: u32 = 0x540b;
/// Make the terminal the caller's controlling terminal (arg 1: steal it
/// from another session, root only).
pub const TIOCSCTTY: u32 = 0x540e;
/// Get the foreground process group.
pub const TIOCGPGRP: u32 = 0x540f;
/// Set the foreground process group.
pub const TIOCSPGRP: u32 = 0x5410;
/// Bytes waiting to be sent.
pub const TIOCOUTQ: u32 = 0x5411;
/// Insert a byte into the input queue, as if typed.
pub const TIOCSTI: u32 = 0x5412;
/// Get the window size (`struct winsize`); musl's `printf` asks this to
/// decide whether stdout is a terminal.
pub const TIOCGWINSZ: u32 = 0x5413;
/// Set the window size.
pub const TIOCSWINSZ: u32 = 0x5414;
/// Bytes waiting to be read (`TIOCINQ`).
pub const FIONREAD: u32 = 0x541b;
/// Same number as [`FIONREAD`], the terminal's name for it.
pub const TIOCINQ: u32 = FIONREAD;
/// Give up the controlling terminal.
pub const TIOCNOTTY: u32 = 0x5422;
/// Get the session the terminal controls.
pub const TIOCGSID: u32 = 0x5429;

/// `TCXONC`: suspend output.
pub const TCOOFF: u64 = 0;
/// `TCXONC`: restart output.
pub const TCOON: u64 = 1;
/// `TCXONC`: send the STOP character.
pub const TCIOFF: u64 = 2;
/// `TCXONC`: send the START character.
pub const TCION: u64 = 3;
/// `TCFLSH`: discard unread input.
pub const TCIFLUSH: u64 = 0;
/// `TCFLSH`: discard unsent output.
pub const TCOFLUSH: u64 = 1;
/// `TCFLSH`: both.
pub const TCIOFLUSH: u64 = 2;

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

// c_iflag
/// Ignore a BREAK.
pub const IGNBRK: u32 = 0o1;
/// A BREAK is an interrupt.
pub const BRKINT: u32 = 0o2;
/// Ignore parity errors.
pub const IGNPAR: u32 = 0o4;
/// Mark parity errors.
pub const PARMRK: u32 = 0o10;
/// Check parity.
pub const INPCK: u32 = 0o20;
/// Strip the eighth bit of input.
pub const ISTRIP: u32 = 0o40;
/// Map NL to CR on input.
pub const INLCR: u32 = 0o100;
/// Ignore CR on input.
pub const IGNCR: u32 = 0o200;
/// Map CR to NL on input.
pub const ICRNL: u32 = 0o400;
/// Map upper case to lower case on input.
pub const IUCLC: u32 = 0o1000;
/// XON/XOFF output flow control: STOP and START suspend and resume output.
pub const IXON: u32 = 0o2000;
/// Any character restarts stopped output.
pub const IXANY: u32 = 0o4000;
/// XON/XOFF input flow control.
pub const IXOFF: u32 = 0o10000;
/// Ring the bell when the input queue is full.
pub const IMAXBEL: u32 = 0o20000;
/// Input is UTF-8: erase takes a whole character.
pub const IUTF8: u32 = 0o40000;

// c_oflag
/// Post-process output.
pub const OPOST: u32 = 0o1;
/// Map lower case to upper case on output.
pub const OLCUC: u32 = 0o2;
/// Map NL to CR-NL on output.
pub const ONLCR: u32 = 0o4;
/// Map CR to NL on output.
pub const OCRNL: u32 = 0o10;
/// No CR output at column 0.
pub const ONOCR: u32 = 0o20;
/// NL does a CR too (the column goes back to 0).
pub const ONLRET: u32 = 0o40;
/// Horizontal tab delay mask.
pub const TABDLY: u32 = 0o14000;
/// Expand tabs to spaces (`TAB3`).
pub const XTABS: u32 = 0o14000;

// c_cflag
/// 38400 baud.
pub const B38400: u32 = 0o17;
/// Character size mask.
pub const CSIZE: u32 = 0o60;
/// 8-bit characters.
pub const CS8: u32 = 0o60;
/// Enable the receiver.
pub const CREAD: u32 = 0o200;
/// Hang up on last close.
pub const HUPCL: u32 = 0o2000;
/// Ignore modem control lines.
pub const CLOCAL: u32 = 0o4000;

// c_lflag
/// Generate signals for INTR/QUIT/SUSP.
pub const ISIG: u32 = 0o1;
/// Canonical (line) mode.
pub const ICANON: u32 = 0o2;
/// Echo input.
pub const ECHO: u32 = 0o10;
/// ERASE erases the previous character on the screen.
pub const ECHOE: u32 = 0o20;
/// KILL erases the line (or echoes a newline after it).
pub const ECHOK: u32 = 0o40;
/// Echo NL even without `ECHO`.
pub const ECHONL: u32 = 0o100;
/// No flush of the queues after a signal character.
pub const NOFLSH: u32 = 0o200;
/// Background processes writing get `SIGTTOU`.
pub const TOSTOP: u32 = 0o400;
/// Echo control characters as `^X`.
pub const ECHOCTL: u32 = 0o1000;
/// Echo erased characters between `\` and `/` (printing terminals).
pub const ECHOPRT: u32 = 0o2000;
/// KILL erases the line visibly, character by character.
pub const ECHOKE: u32 = 0o4000;
/// Extended input processing (WERASE, LNEXT, EOL2, REPRINT).
pub const IEXTEN: u32 = 0o100000;

/// `c_cc` index of the interrupt character (`SIGINT`).
pub const VINTR: usize = 0;
/// `c_cc` index of the quit character (`SIGQUIT`).
pub const VQUIT: usize = 1;
/// `c_cc` index of the erase character.
pub const VERASE: usize = 2;
/// `c_cc` index of the kill-line character.
pub const VKILL: usize = 3;
/// `c_cc` index of the end-of-file character.
pub const VEOF: usize = 4;
/// `c_cc` index of the non-canonical read timeout (tenths of a second).
pub const VTIME: usize = 5;
/// `c_cc` index of the non-canonical minimum read count.
pub const VMIN: usize = 6;
/// `c_cc` index of the (unused) switch character.
pub const VSWTC: usize = 7;
/// `c_cc` index of the START (XON) character.
pub const VSTART: usize = 8;
/// `c_cc` index of the STOP (XOFF) character.
pub const VSTOP: usize = 9;
/// `c_cc` index of the suspend character (`SIGTSTP`).
pub const VSUSP: usize = 10;
/// `c_cc` index of the additional end-of-line character.
pub const VEOL: usize = 11;
/// `c_cc` index of the reprint-line character.
pub const VREPRINT: usize = 12;
/// `c_cc` index of the discard-output character.
pub const VDISCARD: usize = 13;
/// `c_cc` index of the word-erase character.
pub const VWERASE: usize = 14;
/// `c_cc` index of the literal-next character.
pub const VLNEXT: usize = 15;
/// `c_cc` index of the second additional end-of-line character.
pub const VEOL2: usize = 16;
/// A `c_cc` entry of this value is disabled (`_POSIX_VDISABLE`).
pub const POSIX_VDISABLE: u8 = 0;

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
    /// Reads one from user bytes (`TIOCSWINSZ`).
    pub fn from_bytes(b: &[u8; 8]) -> Self {
        let half = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
        Winsize {
            ws_row: half(0),
            ws_col: half(2),
            ws_xpixel: half(4),
            ws_ypixel: half(6),
        }
    }

    /// The bytes user space sees.
    pub fn to_bytes(&self) -> [u8; 8] {
        let mut w = Writer::<8>::new();
        for v in [self.ws_row, self.ws_col, self.ws_xpixel, self.ws_ypixel] {
            w.bytes(&v.to_le_bytes());
        }
        w.finish()
    }
}
