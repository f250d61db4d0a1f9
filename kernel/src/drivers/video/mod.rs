//! Video output (`drivers/video/`): the framebuffer the VideoCore firmware
//! allocates on HDMI (Linux's `bcm2708_fb`/`simplefb`, one `fb_info`),
//! and the text console drawn on it ([`fbcon`]).
//!
//! The framebuffer is asked for early, before the kernel's final page
//! tables are built, so that `mm::init` maps it write-combining (normal
//! non-cacheable: the display reads RAM behind the caches) and keeps the
//! page allocator off it; fbcon registers once the heap exists and replays
//! the log so far, as Linux's `CON_PRINTBUFFER` consoles do.

pub mod fbcon;

use crate::bsp::mailbox;
use libkernel::video::mbox::{self, FbGeometry, FB_MSG_WORDS};

/// The framebuffer device (Linux's `struct fb_info`, the parts used).
#[derive(Clone, Copy, Debug)]
pub struct FbInfo {
    /// Physical address of the pixels (`smem_start`).
    pub smem_start: u64,
    /// Its length in bytes (`smem_len`).
    pub smem_len: u64,
    /// Geometry and pixel format as the firmware set them.
    pub var: FbGeometry,
}

static FB_INFO: spin::Once<Option<FbInfo>> = spin::Once::new();

/// The resolution asked of the firmware; it scales it to the monitor's
/// mode (and QEMU opens a window this size).
const XRES: u32 = 1024;
const YRES: u32 = 768;

/// Asks the firmware for a framebuffer (once; before `mm::init`). Without
/// one (no display model, the mailbox silent, an answer we cannot use) the
/// kernel says so and goes on with the UART alone.
pub fn fb_probe() {
    FB_INFO.call_once(|| {
        if !fbcon::wanted() {
            return None;
        }
        let mut msg = [0u32; FB_MSG_WORDS];
        mbox::fb_alloc_request(&mut msg, XRES, YRES);
        if mailbox::rpi_firmware_property_list(&mut msg).is_err() {
            println!("fb0: the firmware did not answer: no framebuffer, console on the UART only");
            return None;
        }
        match mbox::fb_alloc_response(&msg) {
            Ok(var) => {
                // The VideoCore's bus address: its uncached alias of RAM.
                let smem_start = (var.bus_addr & 0x3fff_ffff) as u64;
                let info = FbInfo {
                    smem_start,
                    smem_len: var.size as u64,
                    var,
                };
                println!(
                    "fb0: {}x{}, {} bpp, pitch {}, {} at {:#x} ({} KiB)",
                    var.width,
                    var.height,
                    var.depth,
                    var.pitch,
                    if var.rgb { "RGB" } else { "XRGB" },
                    smem_start,
                    var.size >> 10
                );
                Some(info)
            }
            Err(e) => {
                println!("fb0: no usable framebuffer ({e:?}): console on the UART only");
                None
            }
        }
    });
}

/// The framebuffer, if [`fb_probe`] got one.
pub fn fb_info() -> Option<&'static FbInfo> {
    FB_INFO.get().and_then(|f| f.as_ref())
}

/// The physical range `mm` maps write-combining and keeps out of the page
/// allocator: the framebuffer widened to whole 2 MiB blocks (the kernel
/// maps the peripherals and this range in 2 MiB blocks, and no RAM page
/// may share a block mapped non-cacheable: exclusive loads and stores, the
/// spin locks, need cacheable memory).
pub fn fb_reserved_range() -> Option<(u64, u64)> {
    const BLOCK: u64 = 2 << 20;
    let f = fb_info()?;
    let start = f.smem_start & !(BLOCK - 1);
    let end = (f.smem_start + f.smem_len).div_ceil(BLOCK) * BLOCK;
    Some((start, end))
}
