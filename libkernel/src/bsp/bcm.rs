//! Register recipes for the BCM2837 (Pi 3) and BCM2711 (Pi 4) peripherals
//! that a real board needs and QEMU forgives: routing GPIO 14/15 to the
//! PL011, asking the firmware for the UART clock, the PL011 baud divisors,
//! and the watchdog that resets or halts the board.
//!
//! The sequences are written once against [`RegisterIo`], so the kernel
//! (MMU on, registers through its linear map) and the chainloader (MMU off,
//! physical addresses) run the same code, and the host tests check the
//! exact register writes with a recording fake. This file uses nothing but
//! `core`: the chainloader includes it by path.

/// How a recipe reaches the registers: 32-bit accesses at physical
/// addresses, plus a short busy-wait the GPIO pull sequence needs.
pub trait RegisterIo {
    /// Reads the register at physical address `pa`.
    fn read(&self, pa: usize) -> u32;
    /// Writes `value` to the register at physical address `pa`.
    fn write(&self, pa: usize, value: u32);
    /// Waits at least `cycles` CPU cycles.
    fn delay(&self, cycles: u32);
}

/// Which SoC, by where its peripherals start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Soc {
    /// The main peripheral window: 0x3F00_0000 (BCM2837) or 0xFE00_0000
    /// (BCM2711 in low-peripheral mode).
    pub periph: usize,
    /// BCM2711: pulls are set through GPIO_PUP_PDN_CNTRL, not GPPUD.
    pub bcm2711: bool,
}

impl Soc {
    /// The SoC's name, as `/proc/cpuinfo`'s `Hardware` line gives it.
    pub const fn name(&self) -> &'static str {
        if self.bcm2711 {
            "BCM2711"
        } else {
            "BCM2837"
        }
    }
}

/// The Pi 3's SoC.
pub const BCM2837: Soc = Soc {
    periph: 0x3F00_0000,
    bcm2711: false,
};

/// The Pi 4's SoC.
pub const BCM2711: Soc = Soc {
    periph: 0xFE00_0000,
    bcm2711: true,
};

const GPIO: usize = 0x20_0000;
const GPFSEL1: usize = 0x04;
const GPPUD: usize = 0x94;
const GPPUDCLK0: usize = 0x98;
const GPIO_PUP_PDN_CNTRL_REG0: usize = 0xe4;
const UART0: usize = 0x20_1000;
const MBOX: usize = 0xb880;
const MBOX_READ: usize = 0x00;
const MBOX_STATUS: usize = 0x18;
const MBOX_WRITE: usize = 0x20;
const MBOX_FULL: u32 = 1 << 31;
const MBOX_EMPTY: u32 = 1 << 30;
const PM: usize = 0x10_0000;
const PM_RSTC: usize = 0x1c;
const PM_RSTS: usize = 0x20;
const PM_WDOG: usize = 0x24;
const PM_PASSWORD: u32 = 0x5a00_0000;
const PM_RSTC_WRCFG_MASK: u32 = 0x30;
const PM_RSTC_WRCFG_FULL_RESET: u32 = 0x20;
/// Linux's convention, which the firmware honours: a reset "into partition
/// 63" (bits spread over RSTS) means stay halted.
const PM_RSTS_HALT: u32 = 0x555;
/// The property channel (ARM to VideoCore).
pub const MBOX_CH_PROP: u32 = 8;
/// Firmware clock id of the PL011's reference clock.
pub const CLOCK_UART: u32 = 2;
/// `GET_CLOCK_RATE` property tag.
const TAG_GET_CLOCK_RATE: u32 = 0x0003_0002;
/// The clock config.txt's `init_uart_clock=48000000` asks for; used when
/// the firmware does not answer.
pub const DEFAULT_UART_CLOCK: u32 = 48_000_000;

impl Soc {
    /// Physical address of the PL011 (UART0).
    pub const fn uart0(&self) -> usize {
        self.periph + UART0
    }

    /// The bus address the VideoCore uses for ARM physical address `pa`
    /// (the uncached alias; RAM below 1 GiB on both SoCs).
    pub const fn bus_address(&self, pa: usize) -> u32 {
        (pa as u32 & 0x3fff_ffff) | 0xc000_0000
    }
}

/// Switches GPIO 14 (TXD0) and 15 (RXD0) to function ALT0, the PL011, and
/// turns their pull resistors off. The firmware leaves them on the mini
/// UART (Pi 3: the PL011 drives Bluetooth) unless config.txt says otherwise.
pub fn route_uart0_pins(io: &impl RegisterIo, soc: Soc) {
    let gpio = soc.periph + GPIO;
    // GPFSEL1 holds pins 10-19, three bits each; ALT0 = 0b100.
    let mut sel = io.read(gpio + GPFSEL1);
    sel &= !((7 << 12) | (7 << 15));
    sel |= (4 << 12) | (4 << 15);
    io.write(gpio + GPFSEL1, sel);
    if soc.bcm2711 {
        // Two bits per pin; 0 = no pull. Pins 14 and 15 are bits 28-31.
        let mut pulls = io.read(gpio + GPIO_PUP_PDN_CNTRL_REG0);
        pulls &= !(0xf << 28);
        io.write(gpio + GPIO_PUP_PDN_CNTRL_REG0, pulls);
    } else {
        // The BCM2835 dance: set the control, clock it into the pins, wait
        // 150 cycles around each step, then remove the clock.
        io.write(gpio + GPPUD, 0);
        io.delay(150);
        io.write(gpio + GPPUDCLK0, (1 << 14) | (1 << 15));
        io.delay(150);
        io.write(gpio + GPPUDCLK0, 0);
    }
}

const GPFSEL4: usize = 0x10;
const GPFSEL5: usize = 0x14;

/// Routes GPIO 48-53 (the SD card's clock, command and four data lines on
/// a Pi 3) to the Arasan SDHCI (ALT3), as Linux's `emmc_gpio48` pin group
/// does: the firmware may leave them on its own SD host (ALT0).
pub fn route_sdhci_pins(io: &impl RegisterIo, soc: Soc) {
    let gpio = soc.periph + GPIO;
    // GPFSEL4: pins 40-49, three bits each (48 at bit 24, 49 at 27);
    // GPFSEL5: pins 50-59 (50-53 at bits 0-11). ALT3 = 0b111.
    let mut sel = io.read(gpio + GPFSEL4);
    sel |= (7 << 24) | (7 << 27);
    io.write(gpio + GPFSEL4, sel);
    let mut sel = io.read(gpio + GPFSEL5);
    sel |= 0xfff;
    io.write(gpio + GPFSEL5, sel);
}

/// The firmware's clock id of the Arasan SDHCI's base clock (`EMMC`).
pub const CLOCK_EMMC: u32 = 1;
/// The firmware's clock id of the Pi 4's EMMC2 base clock.
pub const CLOCK_EMMC2: u32 = 12;

/// PL011 integer and fractional baud divisors for `baud` from a `clock_hz`
/// reference: clock / (16 * baud), the fraction rounded to 1/64.
pub const fn pl011_divisors(clock_hz: u32, baud: u32) -> (u32, u32) {
    // In units of 1/64 of the divisor: clock * 4 / baud, rounded.
    let d64 = (clock_hz as u64 * 8 / baud as u64).div_ceil(2);
    ((d64 >> 6) as u32, (d64 & 63) as u32)
}

/// Fills `buf` (16-byte aligned, in memory the VideoCore sees) with a
/// `GET_CLOCK_RATE` request for `clock_id`.
pub fn clock_rate_request(buf: &mut [u32; 8], clock_id: u32) {
    *buf = [32, 0, TAG_GET_CLOCK_RATE, 8, 0, clock_id, 0, 0];
}

/// The rate from a completed `GET_CLOCK_RATE` reply, if the firmware
/// answered it (buffer and tag response bits set, the clock it was asked).
pub fn clock_rate_response(buf: &[u32; 8], clock_id: u32) -> Option<u32> {
    let ok = buf[1] == 0x8000_0000 && buf[4] & 0x8000_0000 != 0 && buf[5] == clock_id;
    (ok && buf[6] != 0).then_some(buf[6])
}

/// Posts the message at bus address `bus` on `channel` and waits for the
/// firmware's reply to it. Returns false if the mailbox stays silent for
/// `spins` polls (no firmware, e.g. a machine without a VideoCore model).
pub fn mbox_call(io: &impl RegisterIo, soc: Soc, bus: u32, channel: u32, spins: u32) -> bool {
    let mbox = soc.periph + MBOX;
    let mut n = 0;
    while io.read(mbox + MBOX_STATUS) & MBOX_FULL != 0 {
        n += 1;
        if n > spins {
            return false;
        }
    }
    io.write(mbox + MBOX_WRITE, (bus & !0xf) | channel);
    loop {
        while io.read(mbox + MBOX_STATUS) & MBOX_EMPTY != 0 {
            n += 1;
            if n > spins {
                return false;
            }
        }
        if io.read(mbox + MBOX_READ) == (bus & !0xf) | channel {
            return true;
        }
    }
}

/// Resets the SoC through the watchdog: a full reset after ~150 µs. With
/// `halt`, the reset is marked "partition 63", which the firmware (and
/// QEMU's model) take as power off: the board stays halted until power is
/// cycled.
pub fn watchdog_reset(io: &impl RegisterIo, soc: Soc, halt: bool) {
    let pm = soc.periph + PM;
    if halt {
        let rsts = io.read(pm + PM_RSTS);
        io.write(
            pm + PM_RSTS,
            PM_PASSWORD | (rsts & 0x00ff_ffff) | PM_RSTS_HALT,
        );
    }
    io.write(pm + PM_WDOG, PM_PASSWORD | 10);
    let rstc = io.read(pm + PM_RSTC);
    io.write(
        pm + PM_RSTC,
        PM_PASSWORD | (rstc & !PM_RSTC_WRCFG_MASK & 0x00ff_ffff) | PM_RSTC_WRCFG_FULL_RESET,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::HashMap;

    /// Registers as a map; every write is logged.
    #[derive(Default)]
    struct Fake {
        regs: RefCell<HashMap<usize, u32>>,
        writes: RefCell<Vec<(usize, u32)>>,
        delays: RefCell<u32>,
    }

    impl RegisterIo for Fake {
        fn read(&self, pa: usize) -> u32 {
            *self.regs.borrow().get(&pa).unwrap_or(&0)
        }
        fn write(&self, pa: usize, value: u32) {
            self.regs.borrow_mut().insert(pa, value);
            self.writes.borrow_mut().push((pa, value));
        }
        fn delay(&self, cycles: u32) {
            *self.delays.borrow_mut() += cycles;
        }
    }

    #[test]
    fn divisors_for_115200() {
        assert_eq!(pl011_divisors(48_000_000, 115_200), (26, 3));
        assert_eq!(pl011_divisors(3_000_000, 115_200), (1, 40));
        assert_eq!(pl011_divisors(500_000_000, 115_200), (271, 17));
    }

    #[test]
    fn uart_pins_alt0_on_bcm2837_keep_other_pins() {
        let f = Fake::default();
        f.regs
            .borrow_mut()
            .insert(0x3f20_0004, 0x3f00_0fff | (1 << 12));
        route_uart0_pins(&f, BCM2837);
        let sel = f.read(0x3f20_0004);
        assert_eq!((sel >> 12) & 7, 4);
        assert_eq!((sel >> 15) & 7, 4);
        assert_eq!(sel & 0xfff, 0xfff, "pins 10-13 untouched");
        assert_eq!(sel >> 18, 0x3f00_0000 >> 18, "pins 16-19 untouched");
        let w = f.writes.borrow();
        assert_eq!(w[1], (0x3f20_0094, 0));
        assert_eq!(w[2], (0x3f20_0098, 0xc000));
        assert_eq!(w[3], (0x3f20_0098, 0));
        assert!(*f.delays.borrow() >= 300);
    }

    #[test]
    fn uart_pins_on_bcm2711_clear_pulls() {
        let f = Fake::default();
        f.regs.borrow_mut().insert(0xfe20_00e4, 0xffff_ffff);
        route_uart0_pins(&f, BCM2711);
        assert_eq!(f.read(0xfe20_00e4), 0x0fff_ffff);
        assert_eq!((f.read(0xfe20_0004) >> 12) & 0x3f, 0o44);
        assert!(f.writes.borrow().iter().all(|&(a, _)| a != 0xfe20_0094));
    }

    #[test]
    fn clock_rate_round_trip() {
        let mut b = [0u32; 8];
        clock_rate_request(&mut b, CLOCK_UART);
        assert_eq!(b[0], 32);
        assert_eq!(b[2], 0x0003_0002);
        assert_eq!(clock_rate_response(&b, CLOCK_UART), None, "not answered");
        b[1] = 0x8000_0000;
        b[4] = 0x8000_0008;
        b[6] = 48_000_000;
        assert_eq!(clock_rate_response(&b, CLOCK_UART), Some(48_000_000));
        assert_eq!(clock_rate_response(&b, 3), None);
    }

    #[test]
    fn mailbox_times_out_without_firmware() {
        let f = Fake::default();
        f.regs.borrow_mut().insert(0x3f00_b898, MBOX_EMPTY);
        assert!(!mbox_call(&f, BCM2837, 0xc000_1000, MBOX_CH_PROP, 100));
        assert_eq!(f.writes.borrow()[0], (0x3f00_b8a0, 0xc000_1008));
    }

    #[test]
    fn mailbox_returns_on_matching_reply() {
        let f = Fake::default();
        f.regs.borrow_mut().insert(0x3f00_b880, 0xc000_1008);
        assert!(mbox_call(&f, BCM2837, 0xc000_1000, MBOX_CH_PROP, 100));
    }

    #[test]
    fn watchdog_halt_marks_partition_63() {
        let f = Fake::default();
        f.regs.borrow_mut().insert(0x3f10_0020, 0x1000);
        f.regs.borrow_mut().insert(0x3f10_001c, 0x0000_0031);
        watchdog_reset(&f, BCM2837, true);
        assert_eq!(f.read(0x3f10_0020), 0x5a00_1555);
        assert_eq!(f.read(0x3f10_0024), 0x5a00_000a);
        assert_eq!(f.read(0x3f10_001c), 0x5a00_0021);
        let f = Fake::default();
        watchdog_reset(&f, BCM2711, false);
        assert!(f.writes.borrow().iter().all(|&(a, _)| a != 0xfe10_0020));
        assert_eq!(f.read(0xfe10_001c), 0x5a00_0020);
    }

    #[test]
    fn bus_address_is_the_uncached_alias() {
        assert_eq!(BCM2837.bus_address(0x12_3450), 0xc012_3450);
        assert_eq!(BCM2711.uart0(), 0xfe20_1000);
    }
}
