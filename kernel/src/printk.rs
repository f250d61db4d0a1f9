//! printk: the kernel's output on the console UART (Linux's
//! `kernel/printk/printk.c`). `print!`/`println!` with the
//! `[    0.012345] ` prefix, the console lock that keeps each message whole
//! across cores (and lets a panicking CPU that holds it print again), and
//! the raw writers the tty, the tracer and the oops report use. Output
//! only: typed input, Ctrl-C and SysRq are the tty's (`tty.rs`), and so is
//! the `\n` -> `\r\n` of what programs write (`ONLCR`); the kernel's own
//! messages get it here.

use crate::{bsp, time};
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicUsize, Ordering};

/// Owner of the console: 0 when free, else 1 + the owning CPU. A CPU that
/// already owns it (a panic inside a print) may print again instead of
/// deadlocking on itself.
static OWNER: AtomicUsize = AtomicUsize::new(0);

/// Holds the console for one whole message.
struct ConsoleGuard {
    flags: u64,
    nested: bool,
}

fn lock() -> ConsoleGuard {
    let flags = crate::arch::cpu::local_irq_save();
    let me = crate::arch::cpu::smp_processor_id_raw() + 1;
    if OWNER.load(Ordering::Relaxed) == me {
        return ConsoleGuard {
            flags,
            nested: true,
        };
    }
    while OWNER
        .compare_exchange_weak(0, me, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        core::hint::spin_loop();
    }
    ConsoleGuard {
        flags,
        nested: false,
    }
}

impl Drop for ConsoleGuard {
    fn drop(&mut self) {
        if !self.nested {
            OWNER.store(0, Ordering::Release);
        }
        crate::arch::cpu::local_irq_restore(self.flags);
    }
}

/// Takes the console from whoever holds it: only for the panic path, when
/// the holder is stopped forever.
pub fn force_unlock() {
    OWNER.store(0, Ordering::Release);
}

/// Writes bytes to the UART, turning `\n` into `\r\n`.
struct Uart {
    /// Print the time prefix before the next character.
    prefix_next: bool,
    prefixed: bool,
}

impl Write for Uart {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let uart = bsp::board().uart();
        for b in s.bytes() {
            if self.prefix_next {
                self.prefix_next = false;
                write_prefix(uart);
            }
            if b == b'\n' {
                uart.putc(b'\r');
                self.prefix_next = self.prefixed;
            }
            uart.putc(b);
        }
        Ok(())
    }
}

fn write_prefix(uart: &bsp::pl011::Pl011) {
    for b in format_prefix(time::uptime_ns()).as_str().bytes() {
        uart.putc(b);
    }
}

/// The printk prefix for a time since boot: `[    0.012345] `.
pub fn format_prefix(ns: u64) -> PrefixBuf {
    let mut buf = PrefixBuf::default();
    let _ = write!(
        buf,
        "[{:5}.{:06}] ",
        ns / 1_000_000_000,
        (ns / 1000) % 1_000_000
    );
    buf
}

/// A formatted prefix, held without allocating.
#[derive(Default)]
pub struct PrefixBuf {
    bytes: [u8; 32],
    len: usize,
}

impl PrefixBuf {
    /// The text.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl Write for PrefixBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let b = s.as_bytes();
        let n = b.len().min(self.bytes.len() - self.len);
        self.bytes[self.len..self.len + n].copy_from_slice(&b[..n]);
        self.len += n;
        Ok(())
    }
}

/// Prints a kernel log message: every line gets the uptime prefix, and the
/// message is not interleaved with other cores' output.
pub fn log(args: fmt::Arguments) {
    let _g = lock();
    let mut w = Uart {
        prefix_next: true,
        prefixed: true,
    };
    let _ = w.write_fmt(args);
    let _ = w.write_str("\n");
}

/// Prints raw text (no prefix), e.g. KTAP lines and echoed input.
pub fn raw(args: fmt::Arguments) {
    let _g = lock();
    let mut w = Uart {
        prefix_next: false,
        prefixed: false,
    };
    let _ = w.write_fmt(args);
}

/// Writes raw kernel bytes (the tracer's dump): `\n` becomes `\r\n`,
/// the whole buffer stays together.
pub fn write_bytes(buf: &[u8]) {
    let _g = lock();
    let uart = bsp::board().uart();
    for &b in buf {
        if b == b'\n' {
            uart.putc(b'\r');
        }
        uart.putc(b);
    }
}

/// Writes bytes exactly as given, the whole buffer together: what the
/// tty's line discipline has already processed (a program's output after
/// `OPOST`/`ONLCR`, echoes), so no `\n` -> `\r\n` here.
pub fn write_raw_bytes(buf: &[u8]) {
    if buf.is_empty() {
        return;
    }
    let _g = lock();
    let uart = bsp::board().uart();
    for &b in buf {
        uart.putc(b);
    }
}

/// Runs `f` with the console held, writing raw text: for multi-line reports
/// that must stay together (exception reports).
pub fn with_raw<R>(f: impl FnOnce(&mut dyn Write) -> R) -> R {
    let _g = lock();
    let mut w = Uart {
        prefix_next: false,
        prefixed: false,
    };
    f(&mut w)
}

/// `print!`: raw console output without the log prefix.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::printk::raw(format_args!($($arg)*)) };
}

/// `println!`: one kernel log message with the `[    0.012345] ` prefix.
#[macro_export]
macro_rules! println {
    () => { $crate::printk::log(format_args!("")) };
    ($($arg:tt)*) => { $crate::printk::log(format_args!($($arg)*)) };
}

/// A message allowed at most `burst` times per `interval_s` seconds
/// (`struct ratelimit_state`, `DEFAULT_RATELIMIT_BURST` 10 in 5 s): a
/// program that faults or calls a missing system call in a loop cannot
/// flood the console.
pub struct RateLimit {
    window: core::sync::atomic::AtomicU64,
    printed: core::sync::atomic::AtomicU64,
    interval_s: u64,
    burst: u64,
}

impl RateLimit {
    /// Linux's default: 10 messages per 5 seconds.
    pub const fn new() -> Self {
        RateLimit {
            window: core::sync::atomic::AtomicU64::new(0),
            printed: core::sync::atomic::AtomicU64::new(0),
            interval_s: 5,
            burst: 10,
        }
    }

    /// Whether one more message may be printed now (`__ratelimit`).
    pub fn allow(&self) -> bool {
        use core::sync::atomic::Ordering;
        let now = crate::time::uptime_ns() / (self.interval_s * 1_000_000_000);
        if self.window.swap(now, Ordering::Relaxed) != now {
            self.printed.store(0, Ordering::Relaxed);
        }
        self.printed.fetch_add(1, Ordering::Relaxed) < self.burst
    }
}

impl Default for RateLimit {
    fn default() -> Self {
        Self::new()
    }
}
