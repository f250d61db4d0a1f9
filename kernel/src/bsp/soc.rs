//! The SoC services a real board needs before and after everything else:
//! the console pins and the UART's clock (from the firmware, through the
//! mailbox), and the watchdog that reboots or halts the board.
//!
//! QEMU needs none of this (its PL011 ignores pins and divisors, and
//! semihosting ends it), but a Pi does: the recipes themselves live in
//! `libkernel::bsp::bcm`, shared with the chainloader and tested on the host.

use crate::arch::cpu;
use crate::mm::{phys_to_virt, virt_to_phys};
use core::ptr::{read_volatile, write_volatile};
use libkernel::bsp::bcm::{self, RegisterIo, Soc};

/// Registers reached through the kernel's linear map (device memory).
struct LinearMap;

impl RegisterIo for LinearMap {
    fn read(&self, pa: usize) -> u32 {
        // SAFETY: `pa` is a register of the SoC's peripheral window, which
        // the kernel maps as device memory for its whole life.
        unsafe { read_volatile(phys_to_virt(pa as u64) as *const u32) }
    }

    fn write(&self, pa: usize, value: u32) {
        // SAFETY: as in `read`.
        unsafe { write_volatile(phys_to_virt(pa as u64) as *mut u32, value) }
    }

    fn delay(&self, cycles: u32) {
        for _ in 0..cycles {
            core::hint::spin_loop();
        }
    }
}

/// Where the UART's clock rate came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockSource {
    /// The firmware answered `GET_CLOCK_RATE`.
    Firmware,
    /// No answer: config.txt's `init_uart_clock` value is assumed.
    Assumed,
}

/// A property-channel message buffer: 16-byte aligned, as the mailbox
/// takes the address's low four bits for the channel.
#[repr(C, align(16))]
struct MboxBuffer([u32; 8]);

static MBOX_BUFFER: crate::sync::IrqSpinLock<MboxBuffer> =
    crate::sync::IrqSpinLock::named(&"mbox_buffer", MboxBuffer([0; 8]));

/// Routes GPIO 14/15 to the PL011 (ALT0, no pulls).
pub fn route_console_pins(soc: Soc) {
    bcm::route_uart0_pins(&LinearMap, soc);
}

/// Routes GPIO 48-53 to the Arasan SDHCI (Pi 3).
pub fn route_sdhci_pins(soc: Soc) {
    bcm::route_sdhci_pins(&LinearMap, soc);
}

/// The PL011 reference clock in Hz, asked of the firmware.
pub fn uart_clock(soc: Soc) -> (u32, ClockSource) {
    match firmware_clock_rate(soc, bcm::CLOCK_UART) {
        Some(hz) => (hz, ClockSource::Firmware),
        None => (bcm::DEFAULT_UART_CLOCK, ClockSource::Assumed),
    }
}

/// The rate of the firmware's clock `clock_id` in Hz (`GET_CLOCK_RATE`
/// through the property mailbox), `None` without an answer.
pub fn firmware_clock_rate(soc: Soc, clock_id: u32) -> Option<u32> {
    let mut buf = MBOX_BUFFER.lock();
    bcm::clock_rate_request(&mut buf.0, clock_id);
    let va = buf.0.as_mut_ptr() as usize;
    let len = core::mem::size_of::<MboxBuffer>();
    // The VideoCore reads and writes RAM directly: push our request out of
    // the cache, and drop stale lines before reading its answer.
    cpu::dcache_clean_inval(va, len);
    let answered = bcm::mbox_call(
        &LinearMap,
        soc,
        soc.bus_address(virt_to_phys(va) as usize),
        bcm::MBOX_CH_PROP,
        1_000_000,
    );
    cpu::dcache_clean_inval(va, len);
    let mut reply = [0u32; 8];
    for (i, word) in reply.iter_mut().enumerate() {
        // SAFETY: reading our own buffer; volatile because the firmware, not
        // this code, wrote it since the last store the compiler knows of.
        *word = unsafe { read_volatile(buf.0.as_ptr().add(i)) };
    }
    drop(buf);
    bcm::clock_rate_response(&reply, clock_id).filter(|_| answered)
}

/// Resets the board through the watchdog; with `halt`, the firmware keeps
/// it halted instead of booting again (QEMU powers off). Returns only if
/// the reset did not happen within a few milliseconds.
pub fn watchdog_reset(soc: Soc, halt: bool) {
    bcm::watchdog_reset(&LinearMap, soc, halt);
    // The watchdog fires after ~150 µs; wait well beyond that.
    let freq = cpu::counter_frequency().max(1);
    let end = cpu::read_counter() + freq / 100;
    while cpu::read_counter() < end {
        core::hint::spin_loop();
    }
}
