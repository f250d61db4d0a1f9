//! The console terminal (Linux's `drivers/tty/`: `tty_io.c`,
//! `tty_ioctl.c`, `tty_jobctrl.c`), one tty on the console UART (PL011
//! UART0 on both boards: Linux's `ttyAMA0`).
//!
//! The receive interrupt hands typed bytes to the line discipline
//! (`libkernel::tty::n_tty`, Linux's `n_tty.c`): it edits lines, echoes
//! and raises the keyboard's signals, which go to the terminal's
//! foreground process group. A BREAK then a key is a magic SysRq command
//! (`sysrq.c`) and never reaches the line discipline. Reads take lines
//! (or bytes, `VMIN`/`VTIME`) from it; writes go through its output
//! processing (`OPOST`, `ONLCR`) to printk's console lock, which knows
//! nothing of tasks; the kernel's own messages keep printk's `\n` ->
//! `\r\n`.
//!
//! Job control as `tty_jobctrl.c`: the tty is the controlling terminal of
//! at most one session and has a foreground process group. A session
//! leader without one gets it by opening `/dev/ttyAMA0` (not
//! `/dev/console` or `/dev/tty`, and not with `O_NOCTTY`) or by
//! `TIOCSCTTY`; `/dev/tty` is the caller's controlling terminal. A
//! process of another group reading (or, with `TOSTOP`, writing) its
//! controlling terminal gets `SIGTTIN` (`SIGTTOU`), as do background
//! changes of the settings. Only one tty exists, so "the caller's
//! controlling terminal is this tty" is "the tty's session is the
//! caller's".
//!
//! Files opened through `/dev/console` are exempt from the read and write
//! checks, as Linux's `redirected_tty_write` files are.
//!
//! Not modelled: a process that is not a session leader giving its
//! terminal up (`TIOCNOTTY` then only succeeds; Linux clears that one
//! process's link), hanging up the open files when the session ends
//! (Linux makes their reads return 0 and writes `EIO`), and holding back
//! echoes while output is stopped (`^S` holds what programs write).

use crate::errno::{Errno, EAGAIN, EFAULT, EINVAL, EIO, ENOTTY, ENXIO, EPERM, ERESTARTSYS, ESRCH};
use crate::mm::uaccess::{copy_from_user, copy_to_user, put_user_u32};
use crate::sched::wait::WaitQueue;
use crate::softirq::Tasklet;
use crate::task::{self, Pid, Task, TASK_INTERRUPTIBLE};
use crate::{bsp, sync::IrqSpinLock};
use core::sync::atomic::{AtomicBool, Ordering};
use libkernel::tty::n_tty::{NTty, NonCanonWait};
use libkernel::uapi::{self, Termios, Winsize};

/// How a file reached the tty: the name decides which rules apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TtyDev {
    /// `/dev/console` (5,1): never becomes a controlling terminal by
    /// open; reads and writes skip the job-control checks.
    Console,
    /// `/dev/tty` (5,0): the caller's controlling terminal.
    CurrentTty,
    /// `/dev/ttyAMA0` (204,64): the UART's own name.
    Serial,
}

/// The terminal (`struct tty_struct`).
struct TtyStruct {
    /// The line discipline, with the termios.
    ldisc: NTty,
    /// The session it is the controlling terminal of; 0: none.
    session: Pid,
    /// The foreground process group; 0: none.
    pgrp: Pid,
    winsize: Winsize,
}

static TTY: IrqSpinLock<TtyStruct> = IrqSpinLock::named(
    &"tty_lock",
    TtyStruct {
        ldisc: NTty::new(),
        session: 0,
        pgrp: 0,
        winsize: Winsize {
            ws_row: 24,
            ws_col: 80,
            ws_xpixel: 0,
            ws_ypixel: 0,
        },
    },
);

/// Readers and pollers wait here for input (`tty->read_wait`).
static READ_WAIT: WaitQueue = WaitQueue::new();
/// Writers wait here while output is stopped (`tty->write_wait`).
static WRITE_WAIT: WaitQueue = WaitQueue::new();

/// A BREAK arrived: the next byte is a magic SysRq key.
static SYSRQ_ARMED: AtomicBool = AtomicBool::new(false);

/// Echoes collected while the tty lock is held, written out in pieces
/// (a reprinted line can be long).
struct EchoBuf {
    buf: [u8; 128],
    len: usize,
}

impl EchoBuf {
    const fn new() -> Self {
        EchoBuf {
            buf: [0; 128],
            len: 0,
        }
    }

    fn put(&mut self, c: u8) {
        if self.len == self.buf.len() {
            self.flush();
        }
        self.buf[self.len] = c;
        self.len += 1;
    }

    fn flush(&mut self) {
        crate::printk::write_raw_bytes(&self.buf[..self.len]);
        self.len = 0;
    }
}

/// Received bytes between the UART interrupt and its tasklet (Linux's
/// tty flip buffer): what arrives while the buffer is full is dropped,
/// as a UART overrun drops it.
struct FlipBuffer {
    buf: [u8; FLIP_SIZE],
    len: usize,
}

const FLIP_SIZE: usize = 1024;

static FLIP: IrqSpinLock<FlipBuffer> = IrqSpinLock::new(FlipBuffer {
    buf: [0; FLIP_SIZE],
    len: 0,
});

/// Pushes the flip buffer into the line discipline, in softirq context.
static UART_RX_TASKLET: Tasklet = Tasklet::new(flush_to_ldisc);

/// The UART receive interrupt: drains the receiver into the flip buffer
/// and leaves the line discipline's work (echo, signals, waking readers)
/// to a tasklet; a magic SysRq key is handled here at once.
pub fn uart_rx_interrupt() {
    let uart = bsp::board().uart();
    let mut sysrq = None;
    // Acknowledge before draining: a byte arriving after the drain raises
    // the interrupt again instead of being acknowledged unseen.
    uart.clear_rx_irq();
    let mut flip = FLIP.lock();
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
        if flip.len < FLIP_SIZE {
            let n = flip.len;
            flip.buf[n] = c;
            flip.len += 1;
        }
    }
    let queued = flip.len > 0;
    drop(flip);
    if queued {
        crate::softirq::tasklet_schedule(&UART_RX_TASKLET);
    }
    if let Some(key) = sysrq {
        crate::sysrq::handle_sysrq(key);
    }
}

/// The receive tasklet (`flush_to_ldisc`): the bytes received so far into
/// the line discipline, in chunks, the buffer unlocked meanwhile.
fn flush_to_ldisc() {
    loop {
        let mut chunk = [0u8; 64];
        let mut flip = FLIP.lock();
        let n = flip.len.min(chunk.len());
        chunk[..n].copy_from_slice(&flip.buf[..n]);
        let len = flip.len;
        flip.buf.copy_within(n..len, 0);
        flip.len = len - n;
        drop(flip);
        if n == 0 {
            break;
        }
        receive_buf(&chunk[..n]);
    }
}

/// Typed bytes into the line discipline (`tty_receive_buf` ->
/// `n_tty_receive_buf`): echoes go out, readers wake, and the keyboard's
/// signals go to the foreground process group (`isig`).
pub fn receive_buf(bytes: &[u8]) {
    let mut echo = EchoBuf::new();
    let (receipt, pgrp) = {
        let mut tty = TTY.lock();
        let r = tty.ldisc.receive_buf(bytes, &mut |c| echo.put(c));
        // Written under the lock, so the echoes of two batches keep their
        // order (the tty lock is taken before printk's, never after).
        echo.flush();
        (r, tty.pgrp)
    };
    for &sig in receipt.signals() {
        if pgrp > 0 {
            let _ = crate::signal::kill_pgrp(pgrp, u32::from(sig));
        }
    }
    if receipt.flow_changed {
        WRITE_WAIT.wake_up_all();
    }
    if receipt.wake_readers || !receipt.signals().is_empty() {
        READ_WAIT.wake_up_all();
    }
}

/// Where readers and pollers of the console wait for input.
pub fn input_queue() -> &'static WaitQueue {
    &READ_WAIT
}

/// The settings now (for the kernel's own tests and monitor).
pub fn get_termios() -> Termios {
    *TTY.lock().ldisc.termios()
}

/// New settings from the kernel (`tty_set_termios`).
pub fn set_termios(t: Termios) {
    TTY.lock().ldisc.set_termios(t);
    READ_WAIT.wake_up_all();
    WRITE_WAIT.wake_up_all();
}

/// Discards unread input (`TCFLSH TCIFLUSH`).
pub fn flush_input() {
    TTY.lock().ldisc.flush_input();
}

/// Typed bytes lost because the line discipline's buffer was full.
pub fn overruns() -> u64 {
    TTY.lock().ldisc.overruns()
}

// ------------------------------------------------------------ job control

fn sigbit(sig: u32) -> u64 {
    1u64 << (sig - 1)
}

/// Whether the current task blocks or ignores `sig` (`is_ignored`).
fn is_ignored(me: &Task, sig: u32) -> bool {
    me.blocked.load(Ordering::Relaxed) & sigbit(sig) != 0
        || me.sigactions.lock()[sig as usize - 1].handler == uapi::SIG_IGN
}

/// The current task's (session, process group, leads its session).
fn current_ids() -> (Pid, Pid, bool) {
    task::with_current(|t| {
        (
            t.session.load(Ordering::Relaxed),
            t.pgrp.load(Ordering::Relaxed),
            crate::sys::is_session_leader(t),
        )
    })
}

/// Whether the tty is the current task's controlling terminal
/// (`current->signal->tty == tty`).
fn is_current_ctty(tty: &TtyStruct) -> bool {
    let (session, _, _) = current_ids();
    tty.session != 0 && tty.session == session
}

/// Whether the current task has a controlling terminal.
pub fn has_ctty() -> bool {
    is_current_ctty(&TTY.lock())
}

/// A background process touching its controlling terminal
/// (`__tty_check_change`): its group gets `sig` and the call ends with
/// `ERESTARTSYS` (it runs again once the group is continued), unless
/// `sig` is ignored or blocked (then the operation goes ahead, but a
/// read is `EIO`) or the group is orphaned (`EIO`: nobody could
/// continue it).
fn tty_check_change_sig(sig: u32) -> Result<(), Errno> {
    let (session, pgrp, _) = current_ids();
    let tty_pgrp = {
        let tty = TTY.lock();
        if tty.session == 0 || tty.session != session {
            return Ok(());
        }
        tty.pgrp
    };
    if tty_pgrp == 0 || pgrp == tty_pgrp {
        return Ok(());
    }
    if is_ignored(&task::current(), sig) {
        return if sig == uapi::SIGTTIN {
            Err(EIO)
        } else {
            Ok(())
        };
    }
    if crate::exit::is_current_pgrp_orphaned() {
        return Err(EIO);
    }
    let _ = crate::signal::kill_pgrp(pgrp, sig);
    Err(ERESTARTSYS)
}

/// `tty_check_change`: may the caller change the terminal's state?
fn tty_check_change() -> Result<(), Errno> {
    tty_check_change_sig(uapi::SIGTTOU)
}

/// The session of group `pgrp`, or of the process `pgrp` if no group
/// has that number (`session_of_pgrp`); `None` if neither exists.
fn session_of_pgrp(pgrp: Pid) -> Option<Pid> {
    let tl = crate::pid::TASKLIST.lock();
    if let Some(t) = tl.each_in_pgrp(pgrp).next() {
        return Some(t.session.load(Ordering::Relaxed));
    }
    tl.find(pgrp).map(|t| t.session.load(Ordering::Relaxed))
}

/// A session leader opened the tty (`tty_open_proc_set_tty`): it becomes
/// the session's controlling terminal if it is no session's yet.
fn tty_open_proc_set_tty() {
    let (session, pgrp, leader) = current_ids();
    let mut tty = TTY.lock();
    if leader && tty.session == 0 {
        tty.session = session;
        tty.pgrp = pgrp;
    }
}

/// `open()` of a tty device file (`tty_open`): `/dev/tty` needs a
/// controlling terminal (`ENXIO`); opening `/dev/ttyAMA0` without
/// `O_NOCTTY` may acquire one.
pub fn tty_open(dev: TtyDev, flags: u32) -> Result<(), Errno> {
    match dev {
        TtyDev::CurrentTty if !has_ctty() => Err(ENXIO),
        TtyDev::Serial if flags & uapi::O_NOCTTY == 0 => {
            tty_open_proc_set_tty();
            Ok(())
        }
        _ => Ok(()),
    }
}

/// `TIOCSCTTY` (`tiocsctty`): a session leader without a controlling
/// terminal takes this one; if another session has it, only root and
/// only with `arg` 1 takes it away (`session_clear_tty`).
fn tiocsctty(arg: u64) -> Result<i64, Errno> {
    let (session, pgrp, leader) = current_ids();
    let mut tty = TTY.lock();
    if leader && tty.session == session {
        return Ok(0);
    }
    if !leader {
        return Err(EPERM);
    }
    // Everything runs as root (CAP_SYS_ADMIN).
    if tty.session != 0 && arg != 1 {
        return Err(EPERM);
    }
    tty.session = session;
    tty.pgrp = pgrp;
    Ok(0)
}

/// `TIOCSPGRP` (`tiocspgrp`): the foreground group must be of the
/// caller's session, and the tty the caller's controlling terminal.
fn tiocspgrp(arg: u64) -> Result<i64, Errno> {
    match tty_check_change() {
        Err(e) if e == EIO => return Err(ENOTTY),
        r => r?,
    }
    if !has_ctty() {
        return Err(ENOTTY);
    }
    let mut b = [0u8; 4];
    copy_from_user(&mut b, arg)?;
    let pgrp = i32::from_le_bytes(b);
    if pgrp < 0 {
        return Err(EINVAL);
    }
    let (session, _, _) = current_ids();
    match session_of_pgrp(pgrp) {
        None => Err(ESRCH),
        Some(s) if s != session => Err(EPERM),
        Some(_) => {
            TTY.lock().pgrp = pgrp;
            Ok(0)
        }
    }
}

/// Gives the controlling terminal up (`disassociate_ctty`): called by a
/// session leader's exit (`on_exit`, where it hangs the session up: the
/// foreground group gets `SIGHUP`) and by `TIOCNOTTY` (`SIGHUP` and
/// `SIGCONT`). Afterwards the tty belongs to no session.
pub fn disassociate_ctty(on_exit: bool) {
    let (session, _, leader) = current_ids();
    if !leader {
        return;
    }
    let pgrp = {
        let mut tty = TTY.lock();
        if tty.session == 0 || tty.session != session {
            return;
        }
        let pgrp = tty.pgrp;
        tty.session = 0;
        tty.pgrp = 0;
        pgrp
    };
    if pgrp > 0 {
        let _ = crate::signal::kill_pgrp(pgrp, uapi::SIGHUP);
        if !on_exit {
            let _ = crate::signal::kill_pgrp(pgrp, uapi::SIGCONT);
        }
    }
}

// ------------------------------------------------------------ read, write

/// Sleeps until input is there, a signal arrives or `deadline` (uptime
/// in ns) passes. Returns false on a timeout.
fn wait_for_input(deadline: Option<u64>) -> bool {
    let mut timed_out = false;
    loop {
        READ_WAIT.prepare_to_wait(TASK_INTERRUPTIBLE);
        if TTY.lock().ldisc.input_available(false) || crate::signal::signal_pending() {
            break;
        }
        match deadline {
            None => crate::sched::schedule(),
            Some(d) => {
                let now = crate::time::uptime_ns();
                if now >= d {
                    timed_out = true;
                    break;
                }
                crate::sched::wait::schedule_timeout(d - now);
            }
        }
    }
    READ_WAIT.finish_wait();
    !timed_out
}

/// Tenths of a second (`VTIME`) in ns.
fn deciseconds(ds: u32) -> u64 {
    u64::from(ds) * 100_000_000
}

/// `read()` on the tty (`n_tty_read`): a line in canonical mode (0 bytes
/// for an EOF at its start), else per `VMIN`/`VTIME`. A background
/// process of the tty's session gets `SIGTTIN` first (`job_control`).
pub fn tty_read(dev: TtyDev, buf: &mut [u8], file_flags: u32) -> Result<usize, Errno> {
    if dev != TtyDev::Console {
        tty_check_change_sig(uapi::SIGTTIN)?;
    }
    if buf.is_empty() {
        return Ok(0);
    }
    let nonblock = file_flags & uapi::O_NONBLOCK != 0;
    let (canon, wait) = {
        let tty = TTY.lock();
        (
            tty.ldisc.is_canonical(),
            NonCanonWait::new(tty.ldisc.termios(), buf.len()),
        )
    };
    if canon {
        loop {
            {
                let mut tty = TTY.lock();
                if tty.ldisc.input_available(false) {
                    return Ok(tty.ldisc.read_canon(buf));
                }
            }
            if nonblock {
                return Err(EAGAIN);
            }
            if crate::signal::signal_pending() {
                return Err(ERESTARTSYS);
            }
            wait_for_input(None);
        }
    }
    let mut got = 0;
    let mut deadline = wait
        .first_timeout
        .map(|ds| crate::time::uptime_ns() + deciseconds(ds));
    loop {
        let n = {
            let mut tty = TTY.lock();
            // The mode may have changed while this read slept.
            if tty.ldisc.is_canonical() && got == 0 {
                drop(tty);
                return tty_read(dev, buf, file_flags);
            }
            tty.ldisc.read_raw(&mut buf[got..])
        };
        got += n;
        if got >= wait.minimum || got == buf.len() {
            break;
        }
        if n > 0 && wait.inter_byte > 0 {
            // The inter-byte timer restarts with every byte.
            deadline = Some(crate::time::uptime_ns() + deciseconds(wait.inter_byte));
        }
        if deadline.is_some_and(|d| crate::time::uptime_ns() >= d) {
            break;
        }
        if nonblock {
            if got == 0 {
                return Err(EAGAIN);
            }
            break;
        }
        if crate::signal::signal_pending() {
            if got == 0 {
                return Err(ERESTARTSYS);
            }
            break;
        }
        if !wait_for_input(deadline) {
            // One last look: a byte may have come with the timeout.
            let mut tty = TTY.lock();
            got += tty.ldisc.read_raw(&mut buf[got..]);
            break;
        }
    }
    Ok(got)
}

/// `poll()` on the tty: readable when a read would not wait (a line, or
/// `VMIN` bytes); output never blocks unless stopped.
pub fn tty_poll() -> u16 {
    let tty = TTY.lock();
    let mut mask = 0;
    if tty.ldisc.input_available(true) {
        mask |= uapi::POLLIN | uapi::POLLRDNORM;
    }
    if !tty.ldisc.stopped() {
        mask |= uapi::POLLOUT | uapi::POLLWRNORM;
    }
    mask
}

/// `write()` on the tty (`n_tty_write`): with `TOSTOP` a background
/// process gets `SIGTTOU`; output waits while stopped (`^S`), then goes
/// through output processing (`OPOST`, `ONLCR`) to the UART.
pub fn tty_write(dev: TtyDev, buf: &[u8]) -> Result<usize, Errno> {
    let tostop = TTY.lock().ldisc.termios().c_lflag & uapi::TOSTOP != 0;
    if dev != TtyDev::Console && tostop {
        tty_check_change()?;
    }
    // Room for the worst case: every byte a tab expanded to 8 spaces.
    const IN: usize = 64;
    let mut out = [0u8; IN * 8];
    let mut done = 0;
    for chunk in buf.chunks(IN) {
        let mut len = 0;
        loop {
            let mut tty = TTY.lock();
            if !tty.ldisc.stopped() {
                tty.ldisc.write_output(chunk, &mut |c| {
                    out[len] = c;
                    len += 1;
                });
                break;
            }
            drop(tty);
            if crate::signal::signal_pending() {
                return if done > 0 { Ok(done) } else { Err(ERESTARTSYS) };
            }
            WRITE_WAIT.wait_event(TASK_INTERRUPTIBLE, || {
                !TTY.lock().ldisc.stopped() || crate::signal::signal_pending()
            });
        }
        crate::printk::write_raw_bytes(&out[..len]);
        done += chunk.len();
    }
    Ok(done)
}

// ------------------------------------------------------------------ ioctl

fn put_pid(arg: u64, pid: Pid) -> Result<i64, Errno> {
    put_user_u32(arg, pid as u32)?;
    Ok(0)
}

/// `TCSETS*` (`set_termios`): a background process gets `SIGTTOU`;
/// `TCSETSF` also discards unread input. Output is never queued, so
/// "after output drains" is now.
fn set_termios_ioctl(cmd: u32, arg: u64) -> Result<i64, Errno> {
    tty_check_change()?;
    let mut b = [0u8; uapi::TERMIOS_SIZE];
    copy_from_user(&mut b, arg)?;
    let t = Termios::from_bytes(&b);
    {
        let mut tty = TTY.lock();
        if cmd == uapi::TCSETSF {
            tty.ldisc.flush_input();
        }
        tty.ldisc.set_termios(t);
    }
    READ_WAIT.wake_up_all();
    WRITE_WAIT.wake_up_all();
    Ok(0)
}

/// `ioctl()` on the tty (`tty_ioctl`, `tty_mode_ioctl`,
/// `tty_jobctrl_ioctl`, `n_tty_ioctl`).
pub fn tty_ioctl(_dev: TtyDev, cmd: u64, arg: u64) -> Result<i64, Errno> {
    // `unsigned int cmd`: the upper half of the register is not looked at.
    let cmd = cmd as u32;
    match cmd {
        uapi::TCGETS => {
            let t = *TTY.lock().ldisc.termios();
            copy_to_user(arg, &t.to_bytes())?;
            Ok(0)
        }
        uapi::TCSETS | uapi::TCSETSW | uapi::TCSETSF => set_termios_ioctl(cmd, arg),
        uapi::TIOCGWINSZ => {
            let ws = TTY.lock().winsize;
            copy_to_user(arg, &ws.to_bytes())?;
            Ok(0)
        }
        uapi::TIOCSWINSZ => {
            let mut b = [0u8; 8];
            copy_from_user(&mut b, arg)?;
            let ws = Winsize::from_bytes(&b);
            let pgrp = {
                let mut tty = TTY.lock();
                let changed = tty.winsize != ws;
                tty.winsize = ws;
                if changed {
                    tty.pgrp
                } else {
                    0
                }
            };
            if pgrp > 0 {
                let _ = crate::signal::kill_pgrp(pgrp, uapi::SIGWINCH);
            }
            Ok(0)
        }
        uapi::FIONREAD => {
            let n = TTY.lock().ldisc.chars_in_buffer();
            put_user_u32(arg, n as u32)?;
            Ok(0)
        }
        // Output goes to the UART at once: nothing is ever queued.
        uapi::TIOCOUTQ => put_pid(arg, 0),
        uapi::TCFLSH => {
            tty_check_change()?;
            match arg {
                uapi::TCIFLUSH | uapi::TCIOFLUSH => flush_input(),
                uapi::TCOFLUSH => {}
                _ => return Err(EINVAL),
            }
            Ok(0)
        }
        uapi::TCXONC => {
            tty_check_change()?;
            let stop = match arg {
                uapi::TCOOFF => Some(true),
                uapi::TCOON => Some(false),
                // Sending STOP/START to the other end: the UART has no
                // flow control to ask for.
                uapi::TCIOFF | uapi::TCION => None,
                _ => return Err(EINVAL),
            };
            if let Some(s) = stop {
                TTY.lock().ldisc.set_stopped(s);
                WRITE_WAIT.wake_up_all();
            }
            Ok(0)
        }
        // tcdrain / tcsendbreak: the UART's output is never queued, the
        // framebuffer console's drawing may be (drawn now); a BREAK is
        // not sent.
        uapi::TCSBRK => {
            tty_check_change()?;
            crate::drivers::video::fbcon::console_drain();
            Ok(0)
        }
        uapi::TIOCSTI => {
            let mut c = [0u8; 1];
            copy_from_user(&mut c, arg).map_err(|_| EFAULT)?;
            // Root may push into any terminal (CAP_SYS_ADMIN).
            receive_buf(&c);
            Ok(0)
        }
        uapi::TIOCGPGRP => {
            let tty = TTY.lock();
            if !is_current_ctty(&tty) {
                return Err(ENOTTY);
            }
            let pgrp = tty.pgrp;
            drop(tty);
            put_pid(arg, pgrp)
        }
        uapi::TIOCSPGRP => tiocspgrp(arg),
        uapi::TIOCGSID => {
            let tty = TTY.lock();
            if !is_current_ctty(&tty) || tty.session == 0 {
                return Err(ENOTTY);
            }
            let session = tty.session;
            drop(tty);
            put_pid(arg, session)
        }
        uapi::TIOCSCTTY => tiocsctty(arg),
        uapi::TIOCNOTTY => {
            if !has_ctty() {
                return Err(ENOTTY);
            }
            // no_tty(): a leader hangs its session up; any other process
            // would only drop its own link, which one shared tty cannot
            // express (see the module comment).
            disassociate_ctty(false);
            Ok(0)
        }
        _ => Err(ENOTTY),
    }
}
