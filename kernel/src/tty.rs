//! The console tty (Linux's `drivers/tty/`): the input side of the UART.
//! The receive interrupt fills the input buffer; a BREAK then a key is a
//! magic SysRq command (`sysrq.c`), Ctrl-C sends `SIGINT` to the
//! foreground process (the line discipline's `ISIG`), readers of
//! `/dev/console` sleep on the input wait queue, and the terminal `ioctl`s
//! (`TCGETS`, `TIOCGWINSZ`, `TIOCGPGRP`/`TIOCSPGRP`) are answered here.
//! Output goes through printk (`printk.rs`), which knows nothing of tasks.

use crate::errno::{Errno, EINTR, EINVAL, ENOTTY};
use crate::sched::wait::WaitQueue;
use crate::task::TASK_INTERRUPTIBLE;
use crate::{bsp, sync::IrqSpinLock};
use core::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use libkernel::uapi;

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
static SYSRQ_ARMED: AtomicBool = AtomicBool::new(false);

/// Readers of the console sleep here until input arrives.
static CONSOLE_WAIT: WaitQueue = WaitQueue::new();

/// Waits for and takes one byte of console input (task context only); a
/// signal ends the wait with `EINTR`.
pub fn getc_blocking() -> Result<u8, Errno> {
    loop {
        if let Some(c) = getc() {
            return Ok(c);
        }
        if crate::signal::signal_pending() {
            return Err(EINTR);
        }
        CONSOLE_WAIT.wait_event(TASK_INTERRUPTIBLE, || {
            RX.lock().len > 0 || crate::signal::signal_pending()
        });
    }
}

/// The process Ctrl-C interrupts (`TIOCSPGRP`); 0 for none.
static FOREGROUND: AtomicI32 = AtomicI32::new(0);

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

/// `read()` on `/dev/console` (the line discipline's read, `n_tty_read`):
/// blocks for the first byte, then takes what is already there. Ctrl-D
/// (EOT) ends the input: read returns 0, as a terminal in canonical mode
/// does at the start of a line.
pub fn tty_read(buf: &mut [u8]) -> Result<usize, Errno> {
    if buf.is_empty() {
        return Ok(0);
    }
    let first = getc_blocking()?;
    if first == 0x04 {
        return Ok(0);
    }
    buf[0] = first;
    let mut n = 1;
    while n < buf.len() {
        match getc() {
            Some(c) => {
                buf[n] = c;
                n += 1;
            }
            None => break,
        }
    }
    Ok(n)
}

/// `poll()` on `/dev/console`: readable once a byte is buffered; output
/// never blocks.
pub fn tty_poll() -> u16 {
    let input = if RX.lock().len > 0 {
        uapi::POLLIN | uapi::POLLRDNORM
    } else {
        0
    };
    input | uapi::POLLOUT | uapi::POLLWRNORM
}

/// Where readers and pollers of the console wait for input.
pub fn input_queue() -> &'static WaitQueue {
    &CONSOLE_WAIT
}

/// `write()` on `/dev/console`: the bytes go out whole, through printk's
/// console lock, so they never interleave with a kernel message.
pub fn tty_write(buf: &[u8]) -> Result<usize, Errno> {
    crate::printk::write_bytes(buf);
    Ok(buf.len())
}

/// `ioctl()` on `/dev/console` (`tty_ioctl`): the fixed terminal settings
/// and window size, and the foreground process Ctrl-C interrupts.
pub fn tty_ioctl(cmd: u64, arg: u64) -> Result<i64, Errno> {
    match cmd as u32 {
        uapi::TCGETS => {
            crate::mm::uaccess::copy_to_user(arg, &uapi::Termios::linux_default().to_bytes())?;
            Ok(0)
        }
        uapi::TIOCGWINSZ => {
            let ws = uapi::Winsize {
                ws_row: 24,
                ws_col: 80,
                ..uapi::Winsize::default()
            };
            crate::mm::uaccess::copy_to_user(arg, &ws.to_bytes())?;
            Ok(0)
        }
        uapi::TIOCGPGRP => {
            let pid = foreground_pid();
            crate::mm::uaccess::put_user_u32(arg, pid as u32)?;
            Ok(0)
        }
        uapi::TIOCSPGRP => {
            let mut b = [0u8; 4];
            crate::mm::uaccess::copy_from_user(&mut b, arg)?;
            let pid = i32::from_le_bytes(b);
            if pid <= 0 {
                return Err(EINVAL);
            }
            set_foreground_pid(pid);
            Ok(0)
        }
        _ => Err(ENOTTY),
    }
}

/// The session of the current task ends, or it gives its terminal up
/// (`disassociate_ctty`): if the console is its controlling terminal, the
/// foreground group gets `SIGHUP` (and `SIGCONT`, on exit) and the console
/// belongs to no session.
pub fn disassociate_ctty(_on_exit: bool) {}
