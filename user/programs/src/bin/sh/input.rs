//! Reading command lines: the interactive line editor and the plain
//! reader for scripts on standard input.
//!
//! The interactive shell puts the terminal into raw mode while it reads
//! (see `main.rs`): a read returns the bytes as typed, nothing is echoed,
//! and Backspace, Ctrl-U, Ctrl-C and Ctrl-D are ordinary bytes. So the
//! editor does the line discipline's job itself: it echoes what is typed
//! (on stderr, with the prompt, as bash does) and interprets the editing
//! keys. Input from a pipe or file reaches it the same way.
//!
//! Standard input is read one byte per `read`: the bytes after a line
//! stay unread, so a command run from that line (or the next line's
//! command) reads exactly what follows, as with any POSIX shell.

use super::INTERRUPTED;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use pikern_rt::{io, sys, Errno};

/// Longest line accepted; further bytes ring the bell.
pub const MAX_LINE: usize = 4096;

/// What reading a line produced.
pub enum Line {
    /// A complete line, without its end-of-line byte.
    Text(Vec<u8>),
    /// Ctrl-C (byte 0x03 or a SIGINT): the line was abandoned.
    Interrupted,
    /// End of input: a read returned 0 or failed, or Ctrl-D on an empty
    /// line.
    Eof,
}

const CTRL_C: u8 = 0x03;
const CTRL_D: u8 = 0x04;
const BEL: u8 = 0x07;
const BS: u8 = 0x08;
const CTRL_U: u8 = 0x15;
const CTRL_W: u8 = 0x17;
const ESC: u8 = 0x1b;
const DEL: u8 = 0x7f;

/// One byte of standard input: `Ok(None)` at end of input.
fn read_byte() -> Result<Option<u8>, Errno> {
    let mut b = [0u8; 1];
    match sys::read(0, &mut b)? {
        0 => Ok(None),
        _ => Ok(Some(b[0])),
    }
}

/// Reads a line from standard input without echo or editing (scripts,
/// pipes). A final line without a newline still counts; NUL bytes are
/// dropped, a trailing CR (a CRLF file) is removed.
pub fn read_plain_line() -> Line {
    let mut line = Vec::new();
    loop {
        match read_byte() {
            Ok(Some(b'\n')) => break,
            Ok(Some(0)) => {}
            Ok(Some(b)) => line.push(b),
            Err(Errno::EINTR) => {}
            Ok(None) | Err(_) if line.is_empty() => return Line::Eof,
            Ok(None) | Err(_) => break,
        }
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Line::Text(line)
}

/// Where the editor is in an escape sequence (arrow keys send
/// `ESC [ A` and the like; they are ignored).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Escape {
    None,
    /// After ESC.
    Started,
    /// Inside `ESC [` or `ESC O`, until a final byte 0x40..=0x7e.
    Sequence,
}

/// The interactive line editor.
pub struct Editor {
    /// Standard input is a terminal: a read of 0 bytes is a Ctrl-D, not
    /// necessarily the end (a canonical-mode terminal returns 0 for a
    /// Ctrl-D typed at a line's start).
    tty: bool,
    /// The previous line ended with CR: a following LF belongs to it.
    after_cr: bool,
    escape: Escape,
}

fn echo(bytes: &[u8]) {
    let _ = io::write_all(2, bytes);
}

/// Erases the last character on the screen.
fn rub_out(line: &mut Vec<u8>) {
    // A UTF-8 character is one column: drop its continuation bytes too.
    while let Some(b) = line.pop() {
        if b & 0xc0 != 0x80 {
            break;
        }
    }
    echo(b"\x08 \x08");
}

impl Editor {
    /// An editor for standard input; `tty` says whether it is a terminal.
    pub const fn new(tty: bool) -> Self {
        Editor {
            tty,
            after_cr: false,
            escape: Escape::None,
        }
    }

    /// Prints `prompt` and reads one line, echoing and editing:
    ///
    /// - printable bytes (and UTF-8) are inserted and echoed; Tab is a space;
    /// - Backspace (0x08) or DEL (0x7f) erases a character, Ctrl-W a word,
    ///   Ctrl-U the whole line;
    /// - CR or LF ends the line (CR LF counts once);
    /// - Ctrl-C abandons the line (echoes `^C`);
    /// - Ctrl-D on an empty line is end of input (elsewhere ignored);
    ///   so is a read of 0 bytes (a canonical-mode terminal turns Ctrl-D
    ///   into that); mid-line a read of 0 bytes is ignored on a terminal (a
    ///   Ctrl-D) and ends the line otherwise (the real end of a file);
    /// - escape sequences and other control bytes are ignored.
    pub fn read_line(&mut self, prompt: &[u8]) -> Line {
        echo(prompt);
        let mut line: Vec<u8> = Vec::new();
        loop {
            let b = match read_byte() {
                Ok(Some(b)) => b,
                Ok(None) if line.is_empty() => return Line::Eof,
                // Ctrl-D mid-line on a terminal: nothing to do.
                Ok(None) if self.tty => continue,
                Ok(None) => {
                    // A file ended mid-line: run what was there.
                    echo(b"\n");
                    return Line::Text(line);
                }
                Err(Errno::EINTR) => {
                    if INTERRUPTED.swap(false, Ordering::SeqCst) {
                        echo(b"^C\n");
                        return Line::Interrupted;
                    }
                    continue;
                }
                Err(_) => return Line::Eof,
            };
            let after_cr = core::mem::replace(&mut self.after_cr, false);
            match self.escape {
                Escape::Started => {
                    self.escape = if b == b'[' || b == b'O' {
                        Escape::Sequence
                    } else {
                        Escape::None
                    };
                    continue;
                }
                Escape::Sequence => {
                    if (0x40..=0x7e).contains(&b) {
                        self.escape = Escape::None;
                    }
                    continue;
                }
                Escape::None => {}
            }
            match b {
                b'\n' if after_cr => {}
                b'\r' | b'\n' => {
                    self.after_cr = b == b'\r';
                    echo(b"\n");
                    return Line::Text(line);
                }
                CTRL_C => {
                    echo(b"^C\n");
                    return Line::Interrupted;
                }
                CTRL_D if line.is_empty() => return Line::Eof,
                BS | DEL if !line.is_empty() => rub_out(&mut line),
                CTRL_U => {
                    while !line.is_empty() {
                        rub_out(&mut line);
                    }
                }
                CTRL_W => {
                    while line.last() == Some(&b' ') {
                        rub_out(&mut line);
                    }
                    while line.last().is_some_and(|&c| c != b' ') {
                        rub_out(&mut line);
                    }
                }
                ESC => self.escape = Escape::Started,
                b'\t' | 0x20..=0x7e | 0x80..=0xff => {
                    if line.len() >= MAX_LINE {
                        echo(&[BEL]);
                        continue;
                    }
                    let b = if b == b'\t' { b' ' } else { b };
                    line.push(b);
                    echo(&[b]);
                }
                _ => {}
            }
        }
    }
}
