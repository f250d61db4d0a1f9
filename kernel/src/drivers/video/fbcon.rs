//! fbcon: the text console on the framebuffer (Linux's
//! `drivers/video/fbdev/core/fbcon.c` over `drivers/tty/vt/vt.c`), a
//! second output of printk beside the UART (`struct console`,
//! `register_console`): kernel messages, the trace dump, a panic, and all
//! a program writes to the console tty appear on the screen as on the
//! serial line. Its top row is a status line showing, per CPU, the task
//! running and the runqueue's length, redrawn ten times a second.
//!
//! Drawing is deferred: printk only updates the text grid (cheap), and
//! CPU 0's tick draws what changed, a bounded number of glyphs at a time,
//! when the console is free. A stream of output (the trace dump) then
//! costs a few redraws a second, not one per line; a panic, and the last
//! words before power off, are drawn at once.
//!
//! Locking: the screen state is only touched by the CPU that owns
//! printk's console (every entry point takes its [`ConsoleGuard`]), so
//! printk's own force-unlock on the panic path is what lets a panicking
//! CPU draw even if another CPU died halfway through a line. The text
//! screen, the font and the drawing are `libkernel::video`'s.

use super::fb_info;
use crate::percpu::NR_CPUS;
use crate::printk::ConsoleGuard;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use libkernel::video::console::console_setup;
use libkernel::video::status::{CpuStatus, StatusLine};
use libkernel::video::vt::Vt;
use libkernel::video::{Font, PixelBuf, BG};

/// The console font: a PSF from Debian's `console-setup-linux`
/// (`Uni2-Terminus16`), fetched and decompressed by the Makefile and
/// embedded by `kernel/build.rs`.
static FONT_PSF: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/font.psf"));

const CON_SERIAL: u8 = 1;
const CON_FB: u8 = 2;
/// The outputs `console=` chose (both until the command line is read).
static CONSOLES: AtomicU8 = AtomicU8::new(CON_SERIAL | CON_FB);

/// Reads `console=` (after `cmdline::init`).
pub fn console_setup_from_cmdline() {
    let c = console_setup(&crate::cmdline::get());
    let bits = if c.serial { CON_SERIAL } else { 0 } | if c.fb { CON_FB } else { 0 };
    CONSOLES.store(bits, Ordering::Relaxed);
    if c.unknown > 0 {
        println!(
            "console: {} console= name(s) not known (ttyAMA0, serial0, tty0, tty1), ignored",
            c.unknown
        );
    }
}

/// Whether kernel output goes to the UART.
pub fn serial_enabled() -> bool {
    CONSOLES.load(Ordering::Relaxed) & CON_SERIAL != 0
}

/// Whether `console=` wants the framebuffer console.
pub fn wanted() -> bool {
    CONSOLES.load(Ordering::Relaxed) & CON_FB != 0
}

/// The console's state: font, text screen, status line, and the pixels.
struct Fbcon {
    font: Font<'static>,
    vt: Vt,
    status: StatusLine,
    fb: PixelBuf<'static>,
}

/// [`Fbcon`] behind printk's console lock.
struct FbconCell(UnsafeCell<Fbcon>);

// SAFETY: the cell is only reached through `with_fbcon`, whose callers hold
// printk's console (one CPU at a time; `BUSY` catches re-entry).
unsafe impl Sync for FbconCell {}

static FBCON: spin::Once<FbconCell> = spin::Once::new();
/// Set once the console is registered and printk may draw.
static REGISTERED: AtomicBool = AtomicBool::new(false);
/// 1 + the CPU inside `with_fbcon`, 0 when none: a panic while drawing
/// must not draw again on the half-updated state it interrupted.
static BUSY: AtomicUsize = AtomicUsize::new(0);

/// Runs `f` on the console state, unless this CPU is already inside it.
fn with_fbcon<R>(_held: &ConsoleGuard, f: impl FnOnce(&mut Fbcon) -> R) -> Option<R> {
    if !REGISTERED.load(Ordering::Acquire) {
        return None;
    }
    let cell = FBCON.get()?;
    let me = crate::arch::cpu::smp_processor_id_raw() + 1;
    let mut redraw = false;
    match BUSY.compare_exchange(0, me, Ordering::Acquire, Ordering::Relaxed) {
        Ok(_) => {}
        Err(cpu) if cpu == me => return None,
        Err(_) => {
            // Another CPU stopped while drawing and a panic took the
            // console from it: take over, and draw the whole screen again.
            BUSY.store(me, Ordering::Relaxed);
            redraw = true;
        }
    }
    // SAFETY: the caller holds the console and BUSY is ours: no other
    // reference to the state exists (see `FbconCell`).
    let con = unsafe { &mut *cell.0.get() };
    if redraw {
        con.vt.invalidate();
    }
    let r = f(con);
    BUSY.store(0, Ordering::Release);
    Some(r)
}

/// printk's output: one byte, exactly as the UART gets it.
pub fn putc(held: &ConsoleGuard, b: u8) {
    with_fbcon(held, |c| c.vt.putc(&c.font, b));
}

/// Output waits to be drawn.
static PENDING: AtomicBool = AtomicBool::new(false);

/// Glyphs one tick may draw (about a sixth of the screen: well under a
/// millisecond with IRQs off on a Pi).
const FLUSH_BUDGET: usize = 1000;

/// The panic report has been drawn.
static DYING_DRAWN: AtomicBool = AtomicBool::new(false);

/// printk releases the console after a message: the tick draws it. A
/// dying kernel has no ticks: its report (one message) is drawn at once,
/// and what follows it (a trace dump) once, as the machine stops
/// ([`console_flush_on_stop`]), not a screen per line.
pub fn flush(held: &ConsoleGuard) {
    if !crate::panic::dying() {
        PENDING.store(true, Ordering::Relaxed);
    } else if !DYING_DRAWN.swap(true, Ordering::Relaxed) {
        with_fbcon(held, |c| c.vt.flush(&c.font, &mut c.fb, usize::MAX));
    }
}

/// Draws what is pending now (`tcdrain` on the console: the screen then
/// shows all the UART does).
pub fn console_drain() {
    if !PENDING.swap(false, Ordering::Relaxed) {
        return;
    }
    crate::printk::with_console(|held| {
        with_fbcon(held, |c| c.vt.flush(&c.font, &mut c.fb, usize::MAX));
    });
}

/// Draws everything still pending (power off and restart: the screen
/// keeps the last words). Other CPUs are stopped, so the console is taken
/// without waiting for a holder that will never let go.
pub fn console_flush_on_stop() {
    crate::printk::force_unlock();
    crate::printk::with_console(|held| {
        with_fbcon(held, |c| c.vt.flush(&c.font, &mut c.fb, usize::MAX));
    });
}

/// Sets the console up on the framebuffer `fb_probe` got (after `mm::init`:
/// the heap holds the screen's cells), then shows the log so far.
pub fn fbcon_init() {
    let Some(info) = fb_info() else {
        return;
    };
    let font = match Font::parse(FONT_PSF) {
        Ok(f) => f,
        Err(e) => {
            println!("fbcon: the console font is unusable ({e:?}): no framebuffer console");
            return;
        }
    };
    let var = info.var;
    let stride = var.pitch as usize / 4;
    let (width, height) = (var.width as usize, var.height as usize);
    let va = crate::mm::phys_to_virt(info.smem_start);
    // SAFETY: the firmware gave us [smem_start, +smem_len) for good;
    // mm::init mapped it write-combining and keeps the allocator off it,
    // and this slice (reached only under printk's console) is its one user.
    // fb_alloc_response checked that pitch x height fits in smem_len.
    let pixels = unsafe { core::slice::from_raw_parts_mut(va as *mut u32, stride * height) };
    pixels.fill(BG);
    let cols = width / font.width;
    let rows = height / font.height;
    if cols == 0 || rows < 2 {
        println!("fbcon: a {width}x{height} screen holds no console");
        return;
    }
    let (Some(vt), Some(status)) = (
        Vt::new(&font, cols, rows - 1, font.height),
        StatusLine::new(cols),
    ) else {
        println!("fbcon: out of memory: no framebuffer console");
        return;
    };
    let (fw, fh, nglyphs) = (font.width, font.height, font.length);
    FBCON.call_once(|| {
        FbconCell(UnsafeCell::new(Fbcon {
            font,
            vt,
            status,
            fb: PixelBuf {
                pixels,
                stride,
                width,
                height,
            },
        }))
    });
    // Registered under the console, after the log so far is on screen:
    // no message lost between the replay and the first live one.
    crate::printk::with_console(|held| {
        REGISTERED.store(true, Ordering::Release);
        crate::printk::log_replay(|b| putc(held, b));
    });
    println!(
        "fbcon: {} x {} text console on fb0, font {}x{} ({} glyphs)",
        cols,
        rows - 1,
        fw,
        fh,
        nglyphs
    );
}

/// What each CPU published at its last tick (the status line's source:
/// read without locks, as `/proc/sched_debug` reads `rq->curr`).
struct CpuSlot {
    online: AtomicBool,
    pid: AtomicU32,
    comm: [AtomicU64; 2],
}

static SLOTS: [CpuSlot; NR_CPUS] = [const {
    CpuSlot {
        online: AtomicBool::new(false),
        pid: AtomicU32::new(0),
        comm: [AtomicU64::new(0), AtomicU64::new(0)],
    }
}; NR_CPUS];

/// Status-line redraws per second.
const STATUS_HZ: u64 = 10;

/// The tick's part (`scheduler_tick`, hard IRQ): this CPU publishes what
/// it runs; CPU 0 redraws the line now and then, if the console is free
/// (never waiting for it: a CPU printing must not stall the tick).
pub fn status_tick(cpu: usize, ticks: u64) {
    if !REGISTERED.load(Ordering::Relaxed) {
        return;
    }
    let Some(slot) = SLOTS.get(cpu) else {
        return;
    };
    if let Some((pid, comm)) = crate::task::with_current_raw(|t| (t.pid(), t.comm_words())) {
        slot.pid.store(pid as u32, Ordering::Relaxed);
        slot.comm[0].store(comm[0], Ordering::Relaxed);
        slot.comm[1].store(comm[1], Ordering::Relaxed);
        slot.online.store(true, Ordering::Relaxed);
    }
    if cpu != 0 {
        return;
    }
    if PENDING.load(Ordering::Relaxed) {
        crate::printk::try_with_console(|held| {
            let done = with_fbcon(held, |c| c.vt.flush(&c.font, &mut c.fb, FLUSH_BUDGET).1);
            if done != Some(false) {
                PENDING.store(false, Ordering::Relaxed);
            }
        });
    }
    if !ticks.is_multiple_of(libkernel::time::HZ / STATUS_HZ) {
        return;
    }
    let mut cpus = [CpuStatus::default(); NR_CPUS];
    for (i, (c, s)) in cpus.iter_mut().zip(SLOTS.iter()).enumerate() {
        let mut comm = [0u8; 16];
        comm[..8].copy_from_slice(&s.comm[0].load(Ordering::Relaxed).to_le_bytes());
        comm[8..].copy_from_slice(&s.comm[1].load(Ordering::Relaxed).to_le_bytes());
        *c = CpuStatus {
            online: s.online.load(Ordering::Relaxed),
            pid: s.pid.load(Ordering::Relaxed),
            comm,
            nr_running: crate::sched::core::NR_RUNNING[i].load(Ordering::Relaxed) as u32,
        };
    }
    crate::printk::try_with_console(|held| {
        with_fbcon(held, |c| {
            c.status.update(&cpus);
            c.status.draw(&c.font, &mut c.fb, 0);
        });
    });
}

/// `/dev/tty0` and `/dev/tty1` (major 4, Linux's virtual consoles): the
/// screen alone. What is written is drawn before `write` returns (with
/// `ONLCR`: `\n` becomes `\r\n`), so its cost is the whole cost of the
/// framebuffer console (the fbcon bench row). There is no keyboard: reads
/// find end of file, typed input stays the UART's. Without a framebuffer
/// opening fails `ENXIO`, as opening a VT with no display does on Linux.
pub struct FbTty;

impl crate::fs::FileOps for FbTty {
    fn read(
        &self,
        _: &crate::fs::Inode,
        _: u64,
        _: &mut [u8],
    ) -> Result<usize, crate::errno::Errno> {
        Ok(0)
    }

    fn write(
        &self,
        _: &crate::fs::Inode,
        _: u64,
        buf: &[u8],
    ) -> Result<usize, crate::errno::Errno> {
        crate::printk::with_console(|held| {
            with_fbcon(held, |c| {
                for &b in buf {
                    if b == b'\n' {
                        c.vt.putc(&c.font, b'\r');
                    }
                    c.vt.putc(&c.font, b);
                }
                c.vt.flush(&c.font, &mut c.fb, usize::MAX);
            })
        })
        .map(|()| buf.len())
        .ok_or(crate::errno::ENXIO)
    }

    fn open(
        &self,
        _: &crate::fs::Inode,
        _: u32,
    ) -> Result<Option<alloc::sync::Arc<crate::fs::File>>, crate::errno::Errno> {
        if REGISTERED.load(Ordering::Acquire) {
            Ok(None)
        } else {
            Err(crate::errno::ENXIO)
        }
    }

    fn ioctl(&self, _: &crate::fs::Inode, cmd: u64, _: u64) -> Result<i64, crate::errno::Errno> {
        match cmd as u32 {
            // tcdrain: what is pending is drawn.
            libkernel::uapi::TCSBRK => {
                console_drain();
                Ok(0)
            }
            _ => Err(crate::errno::ENOTTY),
        }
    }

    fn seekable(&self) -> bool {
        false
    }
}
