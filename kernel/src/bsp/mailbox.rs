//! The VideoCore mailbox's property channel (Linux's
//! `drivers/mailbox/bcm2835-mailbox.c` and `drivers/firmware/raspberrypi.c`,
//! `rpi_firmware_property_list`): a message of tags in RAM, its bus address
//! posted on channel 8, the firmware's answer written over it.
//!
//! The same on both boards but for the peripheral base; QEMU 10 models it
//! on raspi3b and raspi4b. The message format is `libkernel`'s
//! (`video::mbox`, `bsp::bcm`); this file only moves it through the cache
//! and the mailbox registers.

use super::soc::LinearMap;
use crate::arch::cpu;
use crate::errno::{Errno, EINVAL, EIO};
use crate::mm::virt_to_phys;
use crate::sync::IrqSpinLock;
use core::ptr::{read_volatile, write_volatile};
use libkernel::bsp::bcm;

/// Words the shared message buffer holds.
const MBOX_WORDS: usize = 64;

/// The message buffer: 16-byte aligned, as the mailbox takes the address's
/// low four bits for the channel. One message at a time (the firmware
/// answers in order anyway).
#[repr(C, align(64))]
struct MboxBuffer([u32; MBOX_WORDS]);

static MBOX: IrqSpinLock<MboxBuffer> =
    IrqSpinLock::named(&"rpi_firmware", MboxBuffer([0; MBOX_WORDS]));

/// Polls of the status register before the firmware counts as absent.
const MBOX_SPINS: u32 = 1_000_000;

/// Sends the property message `msg` (size word, request code, tags, end
/// tag) and copies the firmware's answer back into it
/// (`rpi_firmware_property_list`). `EIO` when the mailbox stays silent,
/// `EINVAL` for a message larger than the buffer.
pub fn rpi_firmware_property_list(msg: &mut [u32]) -> Result<(), Errno> {
    property_list(super::board().soc(), msg)
}

/// [`rpi_firmware_property_list`] on `soc`'s mailbox, for callers before
/// the board is known (the UART's clock at boot).
pub fn property_list(soc: bcm::Soc, msg: &mut [u32]) -> Result<(), Errno> {
    if msg.len() > MBOX_WORDS {
        return Err(EINVAL);
    }
    let mut buf = MBOX.lock();
    let base = buf.0.as_mut_ptr();
    for (i, &w) in msg.iter().enumerate() {
        // SAFETY: `i` < MBOX_WORDS; volatile so the stores are not moved
        // past the cache maintenance the compiler does not know of.
        unsafe { write_volatile(base.add(i), w) };
    }
    let va = base as usize;
    let len = core::mem::size_of::<MboxBuffer>();
    // The VideoCore reads and writes RAM directly: push the request out of
    // the cache, and drop stale lines before reading its answer.
    cpu::dcache_clean_inval(va, len);
    let answered = bcm::mbox_call(
        &LinearMap,
        soc,
        soc.bus_address(virt_to_phys(va) as usize),
        bcm::MBOX_CH_PROP,
        MBOX_SPINS,
    );
    cpu::dcache_clean_inval(va, len);
    for (i, w) in msg.iter_mut().enumerate() {
        // SAFETY: as above; the firmware, not this code, wrote it last.
        *w = unsafe { read_volatile(base.add(i)) };
    }
    drop(buf);
    if answered {
        Ok(())
    } else {
        Err(EIO)
    }
}
