//! printk: the kernel's output on the console UART (Linux's
//! `kernel/printk/printk.c`). `print!`/`println!` with the
//! `[    0.012345] ` prefix, the console lock that keeps each message whole
//! across cores (and lets a panicking CPU that holds it print again), and
//! the raw writers the tty, the tracer and the oops report use. Output
//! only: typed input, Ctrl-C and SysRq are the tty's (`tty.rs`), and so is
//! the `\n` -> `\r\n` of what programs write (`ONLCR`); the kernel's own
//! messages get it here.
//!
//! Two outputs, as `console=` chose them (`drivers/video/fbcon.rs`): the
//! UART, and the framebuffer console, which draws what changed as a
//! message releases the console.

use crate::drivers::video::fbcon;
use crate::{bsp, time};
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering};

/// Owner of the console: 0 when free, else 1 + the owning CPU. A CPU that
/// already owns it (a panic inside a print) may print again instead of
/// deadlocking on itself.
static OWNER: AtomicUsize = AtomicUsize::new(0);

/// Holds the console for one whole message; the outputs' code takes it
/// as proof (fbcon draws only under it).
pub struct ConsoleGuard {
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
            fbcon::flush(self);
            OWNER.store(0, Ordering::Release);
        }
        crate::arch::cpu::local_irq_restore(self.flags);
    }
}

/// The console if no one holds it (the status line's tick, which must not
/// wait for a CPU that is printing).
fn try_lock() -> Option<ConsoleGuard> {
    let flags = crate::arch::cpu::local_irq_save();
    let me = crate::arch::cpu::smp_processor_id_raw() + 1;
    match OWNER.compare_exchange(0, me, Ordering::Acquire, Ordering::Relaxed) {
        Ok(_) => Some(ConsoleGuard {
            flags,
            nested: false,
        }),
        Err(_) => {
            crate::arch::cpu::local_irq_restore(flags);
            None
        }
    }
}

/// Runs `f` holding the console (an output registering itself).
pub fn with_console<R>(f: impl FnOnce(&ConsoleGuard) -> R) -> R {
    let g = lock();
    f(&g)
}

/// Runs `f` holding the console, if it is free now.
pub fn try_with_console(f: impl FnOnce(&ConsoleGuard)) {
    if let Some(g) = try_lock() {
        f(&g);
    }
}

/// One byte to every output `console=` chose.
fn emit(g: &ConsoleGuard, b: u8) {
    if fbcon::serial_enabled() {
        bsp::board().uart().putc(b);
    }
    fbcon::putc(g, b);
}

/// Feeds the log so far to `out` as the console showed it (`\r\n`, no
/// `<6>` levels): a console registered late starts with the boot
/// messages, as Linux's `CON_PRINTBUFFER` consoles do.
pub fn log_replay(mut out: impl FnMut(u8)) {
    let head = LOG_HEAD.load(Ordering::Acquire);
    let start = head.saturating_sub(LOG_BUF_LEN as u64);
    let mut line_start = true;
    let mut skip = 0;
    for i in start..head {
        let b = LOG_BUF[i as usize % LOG_BUF_LEN].load(Ordering::Relaxed);
        if line_start && b == b'<' {
            skip = 3;
        }
        line_start = b == b'\n';
        if skip > 0 {
            skip -= 1;
            continue;
        }
        if b == b'\n' {
            out(b'\r');
        }
        out(b);
    }
}

/// Takes the console from whoever holds it: only for the panic path, when
/// the holder is stopped forever.
pub fn force_unlock() {
    OWNER.store(0, Ordering::Release);
}

/// The kernel log buffer (`log_buf`): the last [`LOG_BUF_LEN`] bytes of
/// log messages as `syslog` reads them (`<6>[    0.012345] text\n`).
/// Bytes, not a lock: a message is written under the console lock, and a
/// reader racing a writer sees a torn line at worst.
const LOG_BUF_LEN: usize = 1 << 16;
static LOG_BUF: [AtomicU8; LOG_BUF_LEN] = [const { AtomicU8::new(0) }; LOG_BUF_LEN];
/// Bytes ever written to [`LOG_BUF`] (`log_next_seq`, in bytes).
static LOG_HEAD: AtomicU64 = AtomicU64::new(0);
/// Where `SYSLOG_ACTION_CLEAR` left the start (`clear_seq`).
static LOG_CLEAR: AtomicU64 = AtomicU64::new(0);
/// Where a destructive `SYSLOG_ACTION_READ` got to (`syslog_seq`).
static LOG_READ: AtomicU64 = AtomicU64::new(0);

fn log_store(bytes: &[u8]) {
    let mut head = LOG_HEAD.load(Ordering::Relaxed);
    for &b in bytes {
        LOG_BUF[head as usize % LOG_BUF_LEN].store(b, Ordering::Relaxed);
        head += 1;
    }
    LOG_HEAD.store(head, Ordering::Release);
}

/// The log from byte `from` (as counted by [`LOG_HEAD`]) on, at most
/// `max` bytes, oldest first, and where it ended.
fn log_read(from: u64, max: usize) -> (alloc::vec::Vec<u8>, u64) {
    let head = LOG_HEAD.load(Ordering::Acquire);
    let start = from.max(head.saturating_sub(LOG_BUF_LEN as u64));
    let start = start.max(head.saturating_sub(max as u64));
    let v = (start..head)
        .map(|i| LOG_BUF[i as usize % LOG_BUF_LEN].load(Ordering::Relaxed))
        .collect();
    (v, head)
}

/// `syslog(type, buf, len)` (`do_syslog`): reads the kernel log
/// (`dmesg`). Actions: 0 close, 1 open, 2 read what no read has taken
/// yet (without waiting), 3 read all, 4 read all and clear, 5 clear,
/// 6/7 console logging off/on, 8 console level (1..=8), 9 bytes unread,
/// 10 the buffer's size.
pub fn sys_syslog(action: i32, buf: u64, len: i64) -> crate::errno::SysResult {
    use crate::errno::EINVAL;
    match action {
        0 | 1 | 6 | 7 => Ok(0),
        2..=4 => {
            if buf == 0 || len < 0 {
                return Err(EINVAL);
            }
            let from = match action {
                2 => LOG_READ.load(Ordering::Relaxed),
                _ => LOG_CLEAR.load(Ordering::Relaxed),
            };
            let (bytes, end) = log_read(from, len as usize);
            crate::mm::uaccess::copy_to_user(buf, &bytes)?;
            match action {
                2 => LOG_READ.store(end, Ordering::Relaxed),
                4 => LOG_CLEAR.store(end, Ordering::Relaxed),
                _ => {}
            }
            Ok(bytes.len() as i64)
        }
        5 => {
            LOG_CLEAR.store(LOG_HEAD.load(Ordering::Relaxed), Ordering::Relaxed);
            Ok(0)
        }
        8 if (1..=8).contains(&len) => Ok(0),
        9 => {
            let head = LOG_HEAD.load(Ordering::Relaxed);
            let from = LOG_READ
                .load(Ordering::Relaxed)
                .max(head.saturating_sub(LOG_BUF_LEN as u64));
            Ok((head - from) as i64)
        }
        10 => Ok(LOG_BUF_LEN as i64),
        _ => Err(EINVAL),
    }
}

/// Writes bytes to the UART, turning `\n` into `\r\n`; log messages also
/// go to the log buffer.
struct Uart<'a> {
    /// The console, held.
    g: &'a ConsoleGuard,
    /// Print the time prefix before the next character.
    prefix_next: bool,
    prefixed: bool,
}

impl Write for Uart<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            if self.prefix_next {
                self.prefix_next = false;
                write_prefix(self.g, self.prefixed);
            }
            if self.prefixed {
                log_store(&[b]);
            }
            if b == b'\n' {
                emit(self.g, b'\r');
                self.prefix_next = self.prefixed;
            }
            emit(self.g, b);
        }
        Ok(())
    }
}

fn write_prefix(g: &ConsoleGuard, log: bool) {
    let p = format_prefix(time::uptime_ns());
    if log {
        // Kernel messages are KERN_INFO to `syslog` readers.
        log_store(b"<6>");
        log_store(p.as_str().as_bytes());
    }
    for b in p.as_str().bytes() {
        emit(g, b);
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
    let g = lock();
    let mut w = Uart {
        g: &g,
        prefix_next: true,
        prefixed: true,
    };
    let _ = w.write_fmt(args);
    let _ = w.write_str("\n");
}

/// Prints raw text (no prefix), e.g. KTAP lines and echoed input.
pub fn raw(args: fmt::Arguments) {
    let g = lock();
    let mut w = Uart {
        g: &g,
        prefix_next: false,
        prefixed: false,
    };
    let _ = w.write_fmt(args);
}

/// Writes raw kernel bytes (the tracer's dump): `\n` becomes `\r\n`,
/// the whole buffer stays together.
pub fn write_bytes(buf: &[u8]) {
    let g = lock();
    for &b in buf {
        if b == b'\n' {
            emit(&g, b'\r');
        }
        emit(&g, b);
    }
}

/// Writes bytes exactly as given, the whole buffer together: what the
/// tty's line discipline has already processed (a program's output after
/// `OPOST`/`ONLCR`, echoes), so no `\n` -> `\r\n` here.
pub fn write_raw_bytes(buf: &[u8]) {
    if buf.is_empty() {
        return;
    }
    let g = lock();
    for &b in buf {
        emit(&g, b);
    }
}

/// Runs `f` with the console held, writing raw text: for multi-line reports
/// that must stay together (exception reports).
pub fn with_raw<R>(f: impl FnOnce(&mut dyn Write) -> R) -> R {
    let g = lock();
    let mut w = Uart {
        g: &g,
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
