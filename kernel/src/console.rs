//! The kernel console on the PL011: `print!`/`println!` with a printk-style
//! `[    0.012345] ` prefix, whole messages kept together across cores, and
//! an interrupt-fed input buffer (later read by `read()` on the console).

use crate::sched::wait::WaitQueue;
use crate::task::TASK_INTERRUPTIBLE;
use crate::{bsp, sync::IrqSpinLock, time};
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

/// Writes raw bytes (a user program's output): `\n` becomes `\r\n`, the
/// whole buffer stays together.
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
    ($($arg:tt)*) => { $crate::console::raw(format_args!($($arg)*)) };
}

/// `println!`: one kernel log message with the `[    0.012345] ` prefix.
#[macro_export]
macro_rules! println {
    () => { $crate::console::log(format_args!("")) };
    ($($arg:tt)*) => { $crate::console::log(format_args!($($arg)*)) };
}

/// Capacity of the console input buffer.
pub const RX_SIZE: usize = 1024;

/// Bytes received by the UART interrupt, not yet read.
struct RxBuf {
    buf: [u8; RX_SIZE],
    head: usize,
    len: usize,
    dropped: usize,
}

static RX: IrqSpinLock<RxBuf> = IrqSpinLock::new(RxBuf {
    buf: [0; RX_SIZE],
    head: 0,
    len: 0,
    dropped: 0,
});

impl RxBuf {
    fn push(&mut self, c: u8) {
        if self.len == RX_SIZE {
            // Keep what the reader has not seen yet; count the loss.
            self.dropped += 1;
            return;
        }
        let tail = (self.head + self.len) % RX_SIZE;
        self.buf[tail] = c;
        self.len += 1;
    }
}

/// The UART receive interrupt: drains the receiver into the input buffer.
pub fn uart_rx_interrupt() {
    let uart = bsp::board().uart();
    let mut rx = RX.lock();
    let mut interrupt = false;
    let mut sysrq = None;
    // Acknowledge before draining: a byte arriving after the drain raises
    // the interrupt again instead of being acknowledged unseen.
    uart.clear_rx_irq();
    while let Some((c, brk)) = uart.getc_break() {
        // A BREAK (its character is a NUL) arms magic SysRq: the next byte
        // is a command, not input.
        if brk {
            SYSRQ_ARMED.store(true, Ordering::Relaxed);
            continue;
        }
        if SYSRQ_ARMED.swap(false, Ordering::Relaxed) {
            sysrq = Some(c);
            continue;
        }
        // Ctrl-C interrupts the foreground process instead of being read
        // (a terminal's ISIG), when there is one.
        if c == 0x03 && foreground_pid() > 0 {
            interrupt = true;
            continue;
        }
        rx.push(c);
    }
    drop(rx);
    if let Some(key) = sysrq {
        crate::sysrq::handle_sysrq(key);
    }
    if interrupt {
        match crate::pid::find_task_by_pid(foreground_pid()) {
            Some(t) if t.exit_state.load(Ordering::Relaxed) == 0 => {
                crate::signal::send_signal(&t, crate::signal::SIGINT);
            }
            // The foreground process is gone: the byte is ordinary input.
            _ => {
                set_foreground_pid(0);
                RX.lock().push(0x03);
            }
        }
    }
    CONSOLE_WAIT.wake_up_all();
}

/// A BREAK arrived: the next byte is a magic SysRq key.
static SYSRQ_ARMED: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Readers of the console sleep here until input arrives.
static CONSOLE_WAIT: WaitQueue = WaitQueue::new();

/// Waits for and takes one byte of console input (task context only); a
/// signal ends the wait with `EINTR`.
pub fn getc_blocking() -> Result<u8, crate::errno::Errno> {
    loop {
        if let Some(c) = getc() {
            return Ok(c);
        }
        if crate::signal::signal_pending() {
            return Err(crate::errno::EINTR);
        }
        CONSOLE_WAIT.wait_event(TASK_INTERRUPTIBLE, || {
            RX.lock().len > 0 || crate::signal::signal_pending()
        });
    }
}

/// The process Ctrl-C interrupts (`TIOCSPGRP`); 0 for none.
static FOREGROUND: core::sync::atomic::AtomicI32 = core::sync::atomic::AtomicI32::new(0);

/// The console's foreground process.
pub fn foreground_pid() -> i32 {
    FOREGROUND.load(Ordering::Relaxed)
}

/// Sets the console's foreground process.
pub fn set_foreground_pid(pid: i32) {
    FOREGROUND.store(pid, Ordering::Relaxed);
}

/// Adds a byte to the input buffer as the receive interrupt does.
pub fn rx_push(c: u8) {
    RX.lock().push(c);
}

/// Bytes lost because the input buffer was full.
pub fn rx_dropped() -> usize {
    RX.lock().dropped
}

/// Takes one received byte.
pub fn getc() -> Option<u8> {
    let mut rx = RX.lock();
    if rx.len == 0 {
        return None;
    }
    let c = rx.buf[rx.head];
    rx.head = (rx.head + 1) % RX_SIZE;
    rx.len -= 1;
    Some(c)
}

/// Echoes a typed byte the way a terminal expects.
pub fn echo(c: u8) {
    match c {
        b'\r' | b'\n' => print!("\n"),
        0x7f | 0x08 => print!("\x08 \x08"),
        c => print!("{}", c as char),
    }
}
