//! Formatted output: `print!`/`println!` to fd 1, `eprint!`/`eprintln!` to
//! fd 2; whole-file reads ([`read_to_end`], [`read_file`]).
//!
//! Each macro call formats into a stack buffer and issues one `write` (more
//! only if the text exceeds the buffer), so lines from different processes
//! sharing a console do not interleave mid-line, and printing needs no heap.

use crate::errno::Errno;
use crate::sys;
use alloc::vec::Vec;
use core::ffi::CStr;
use core::fmt;

/// Bytes formatted before a `write` is forced.
const BUF_SIZE: usize = 1024;

/// A `fmt::Write` that buffers into a fixed array and writes to a file
/// descriptor when full and on [`FdWriter::flush`].
pub struct FdWriter {
    fd: i32,
    len: usize,
    buf: [u8; BUF_SIZE],
    /// First write error seen; later output is dropped.
    error: Option<Errno>,
}

impl FdWriter {
    /// A writer for `fd`.
    pub const fn new(fd: i32) -> Self {
        FdWriter {
            fd,
            len: 0,
            buf: [0; BUF_SIZE],
            error: None,
        }
    }

    /// Writes out what is buffered.
    pub fn flush(&mut self) -> Result<(), Errno> {
        let pending = self.len;
        self.len = 0;
        if let Some(e) = self.error {
            return Err(e);
        }
        let r = write_all(self.fd, &self.buf[..pending]);
        if let Err(e) = r {
            self.error = Some(e);
        }
        r
    }

    fn push(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.len == BUF_SIZE {
                let _ = self.flush();
            }
            let n = bytes.len().min(BUF_SIZE - self.len);
            self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
            self.len += n;
            bytes = &bytes[n..];
        }
    }
}

impl fmt::Write for FdWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push(s.as_bytes());
        Ok(())
    }
}

/// Writes all of `buf` to `fd`, retrying short writes and `EINTR`.
pub fn write_all(fd: i32, mut buf: &[u8]) -> Result<(), Errno> {
    while !buf.is_empty() {
        match sys::write(fd, buf) {
            Ok(0) => return Err(Errno::EIO),
            Ok(n) => buf = &buf[n..],
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Reads `fd` until end of file (retrying `EINTR`), appending to a vector.
pub fn read_to_end(fd: i32) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match sys::read(fd, &mut chunk) {
            Ok(0) => return Ok(out),
            Ok(n) => out.extend_from_slice(&chunk[..n]),
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
}

/// The whole content of the file at `path`. Files in `/proc` are generated
/// at read time and report size 0, so this reads to end of file rather
/// than trusting `st_size`.
pub fn read_file(path: &CStr) -> Result<Vec<u8>, Errno> {
    let fd = sys::open(path, crate::consts::O_RDONLY | crate::consts::O_CLOEXEC)?;
    let r = read_to_end(fd);
    let _ = sys::close(fd);
    r
}

/// Implementation of the print macros: formats `args` (plus a newline if
/// asked) and writes it to `fd` in one go. Write errors are ignored (where
/// `std` would panic): a program without a console must still run.
#[doc(hidden)]
pub fn _print(fd: i32, args: fmt::Arguments<'_>, newline: bool) {
    let mut w = FdWriter::new(fd);
    let _ = fmt::write(&mut w, args);
    if newline {
        w.push(b"\n");
    }
    let _ = w.flush();
}

/// Prints to standard output (fd 1).
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::io::_print(1, format_args!($($arg)*), false)
    };
}

/// Prints a line to standard output (fd 1) with one `write`.
#[macro_export]
macro_rules! println {
    () => {
        $crate::io::_print(1, format_args!(""), true)
    };
    ($($arg:tt)*) => {
        $crate::io::_print(1, format_args!($($arg)*), true)
    };
}

/// Prints to standard error (fd 2).
#[macro_export]
macro_rules! eprint {
    ($($arg:tt)*) => {
        $crate::io::_print(2, format_args!($($arg)*), false)
    };
}

/// Prints a line to standard error (fd 2) with one `write`.
#[macro_export]
macro_rules! eprintln {
    () => {
        $crate::io::_print(2, format_args!(""), true)
    };
    ($($arg:tt)*) => {
        $crate::io::_print(2, format_args!($($arg)*), true)
    };
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    use core::fmt::Write;
    let mut w = FdWriter::new(2);
    let _ = write!(w, "panicked");
    if let Some(loc) = info.location() {
        let _ = write!(w, " at {}:{}:{}", loc.file(), loc.line(), loc.column());
    }
    let _ = writeln!(w, ":\n{}", info.message());
    let _ = w.flush();
    sys::exit_group(101)
}
