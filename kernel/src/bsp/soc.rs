//! The SoC services a real board needs before and after everything else:
//! the console pins and the UART's clock (from the firmware, through the
//! mailbox), and the watchdog that reboots or halts the board.
//!
//! QEMU needs none of this (its PL011 ignores pins and divisors, and
//! semihosting ends it), but a Pi does: the recipes themselves live in
//! `libkernel::bsp::bcm`, shared with the chainloader and tested on the host.

use crate::arch::cpu;
use crate::mm::phys_to_virt;
use core::ptr::{read_volatile, write_volatile};
use libkernel::bsp::bcm::{self, RegisterIo, Soc};

/// Registers reached through the kernel's linear map (device memory).
pub(super) struct LinearMap;

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
    let mut msg = [0u32; 8];
    bcm::clock_rate_request(&mut msg, clock_id);
    super::mailbox::property_list(soc, &mut msg).ok()?;
    bcm::clock_rate_response(&msg, clock_id)
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
