//! The SD Host Controller Interface (Linux's `drivers/mmc/host/sdhci.c`):
//! the Arasan controller of the BCM2835/7 ("EMMC", `sdhci-iproc`) and
//! the Pi 4's EMMC2 (`sdhci-brcmstb`) both follow the standard register
//! layout. This is the host half: reset, power, clock, one command with
//! its response, and data moved through the buffer data port (PIO).
//!
//! Every register access is 32 bits wide (the BCM2835's Arasan drops
//! narrower writes, which is why Linux's `sdhci-iproc` merges them).
//! Every wait is bounded; a command that fails or times out is reported
//! with the command, its argument and the interrupt status, the command
//! and data lines are reset, and the caller gets `EIO`/`ETIMEDOUT`.

use crate::errno::*;
use core::ptr::{read_volatile, write_volatile};
use libkernel::mmc::sdhci_divider;

// Register offsets (SD Host Controller Simplified Specification 3.00).
// 0x00 is ARGUMENT2/SDMA address: never written, since writing it with a
// block count set starts an SDMA transfer on some controllers (QEMU's).
const SDHCI_BLOCK_SIZE: usize = 0x04; // and BLOCK_COUNT at 0x06
const SDHCI_ARGUMENT: usize = 0x08;
const SDHCI_TRANSFER_MODE: usize = 0x0c; // and COMMAND at 0x0e
const SDHCI_RESPONSE: usize = 0x10;
const SDHCI_BUFFER: usize = 0x20;
const SDHCI_PRESENT_STATE: usize = 0x24;
const SDHCI_HOST_CONTROL: usize = 0x28; // and POWER_CONTROL at 0x29
const SDHCI_CLOCK_CONTROL: usize = 0x2c; // TIMEOUT_CONTROL 0x2e, SOFTWARE_RESET 0x2f
const SDHCI_INT_STATUS: usize = 0x30;
const SDHCI_INT_ENABLE: usize = 0x34;
const SDHCI_SIGNAL_ENABLE: usize = 0x38;
const SDHCI_CAPABILITIES: usize = 0x40;
const SDHCI_HOST_VERSION: usize = 0xfc; // bits 16..23 of the word

// PRESENT_STATE bits.
const SDHCI_CMD_INHIBIT: u32 = 1 << 0;
const SDHCI_DATA_INHIBIT: u32 = 1 << 1;
const SDHCI_CARD_PRESENT: u32 = 1 << 16;

// HOST_CONTROL word: host control byte, then power control at bits 8..15.
const SDHCI_CTRL_4BITBUS: u32 = 1 << 1;
const SDHCI_POWER_ON: u32 = 1 << 8;
const SDHCI_POWER_330: u32 = 7 << 9;

// CLOCK_CONTROL word: clock control, timeout control (16..19), reset (24..26).
const SDHCI_CLOCK_INT_EN: u32 = 1 << 0;
const SDHCI_CLOCK_INT_STABLE: u32 = 1 << 1;
const SDHCI_CLOCK_CARD_EN: u32 = 1 << 2;
const SDHCI_TIMEOUT_MAX: u32 = 0xe << 16;
const SDHCI_RESET_ALL: u32 = 1 << 24;
const SDHCI_RESET_CMD: u32 = 1 << 25;
const SDHCI_RESET_DATA: u32 = 1 << 26;

// INT_STATUS bits.
const SDHCI_INT_RESPONSE: u32 = 1 << 0;
const SDHCI_INT_DATA_END: u32 = 1 << 1;
const SDHCI_INT_SPACE_AVAIL: u32 = 1 << 4;
const SDHCI_INT_DATA_AVAIL: u32 = 1 << 5;
const SDHCI_INT_ERROR: u32 = 1 << 15;
const SDHCI_INT_TIMEOUT: u32 = 1 << 16;
const SDHCI_INT_DATA_TIMEOUT: u32 = 1 << 20;
const SDHCI_INT_ERROR_MASK: u32 = 0xffff_8000;

// TRANSFER_MODE bits.
const SDHCI_TRNS_BLK_CNT_EN: u32 = 1 << 1;
const SDHCI_TRNS_AUTO_CMD12: u32 = 1 << 2;
const SDHCI_TRNS_READ: u32 = 1 << 4;
const SDHCI_TRNS_MULTI: u32 = 1 << 5;

// COMMAND register (bits 16..31 of the TRANSFER_MODE word).
const SDHCI_CMD_RESP_NONE: u32 = 0;
const SDHCI_CMD_RESP_LONG: u32 = 1 << 16;
const SDHCI_CMD_RESP_SHORT: u32 = 2 << 16;
const SDHCI_CMD_RESP_SHORT_BUSY: u32 = 3 << 16;
const SDHCI_CMD_CRC: u32 = 1 << 19;
const SDHCI_CMD_INDEX: u32 = 1 << 20;
const SDHCI_CMD_DATA: u32 = 1 << 21;

/// How long a command's response may take (the spec's 64 clocks, with
/// room for a slow board).
const CMD_TIMEOUT_NS: u64 = 100_000_000;
/// How long a data block may take: a card's write may be busy for up to
/// 250 ms, a read 100 ms (SD spec 4.6.2); a second leaves room.
const DATA_TIMEOUT_NS: u64 = 1_000_000_000;

/// A response format, as Linux's `MMC_RSP_*` (the controller needs the
/// length, whether to check the CRC and the index, and whether the card
/// signals busy).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Resp {
    /// No response (CMD0).
    None,
    /// R1, R6, R7: 48 bits, CRC and index checked.
    R1,
    /// R1b: as R1, then busy on DAT0.
    R1b,
    /// R2: 136 bits (CID, CSD), CRC checked.
    R2,
    /// R3: 48 bits, no CRC or index (the OCR).
    R3,
}

/// A data phase: direction and block count (blocks of 512 bytes).
pub enum Data<'a> {
    /// Card to host.
    Read(&'a mut [u8]),
    /// Host to card.
    Write(&'a [u8]),
}

/// One SDHCI controller.
pub struct SdhciHost {
    /// "mmc0".
    pub name: &'static str,
    base: usize,
    /// The base clock the divider divides, in Hz.
    base_clock: u32,
    /// SDHCI 3.0 or later: 10-bit divider.
    v3: bool,
    /// The card clock now (0: off), for the BCM2835's write spacing.
    clock: u32,
    /// The BCM2835's Arasan: register writes at most every 4 card clocks.
    spaced_writes: bool,
}

/// The base clock assumed when neither the firmware nor the capabilities
/// give one (the BCM2835's Arasan reports none: Linux's
/// `SDHCI_QUIRK_MISSING_CAPS`). Assuming a fast clock errs towards a
/// slower card clock than asked for, never a faster one.
const ASSUMED_BASE_CLOCK: u32 = 250_000_000;

impl SdhciHost {
    /// The controller whose registers are at physical address `base`;
    /// `arasan`: the BCM2835/7's, which needs its writes spaced.
    pub fn new(name: &'static str, base: usize, base_clock: u32, arasan: bool) -> Self {
        let mut h = SdhciHost {
            name,
            base,
            base_clock,
            v3: false,
            clock: 0,
            spaced_writes: arasan,
        };
        h.v3 = (h.readl(SDHCI_HOST_VERSION) >> 16) & 0xff >= 2;
        if h.base_clock == 0 {
            // Capabilities bits 8..15: the base clock in MHz (3.0).
            h.base_clock = ((h.readl(SDHCI_CAPABILITIES) >> 8) & 0xff) * 1_000_000;
        }
        if h.base_clock == 0 {
            h.base_clock = ASSUMED_BASE_CLOCK;
        }
        h
    }

    /// Where register `reg` is in the kernel's linear map (device memory).
    fn reg_ptr(&self, reg: usize) -> *mut u32 {
        crate::mm::phys_to_virt((self.base + reg) as u64) as *mut u32
    }

    fn readl(&self, reg: usize) -> u32 {
        // SAFETY: `base + reg` is a register of the controller, inside the
        // peripheral window the kernel maps as device memory for its life.
        unsafe { read_volatile(crate::mm::phys_to_virt((self.base + reg) as u64) as *const u32) }
    }

    fn writel(&self, reg: usize, v: u32) {
        // SAFETY: as in `readl`.
        unsafe {
            write_volatile(
                crate::mm::phys_to_virt((self.base + reg) as u64) as *mut u32,
                v,
            )
        }
        // The BCM2835's Arasan loses a write that follows another within
        // two card clocks; at identification speed that is microseconds
        // (`sdhci_iproc_writel` waits four clocks while at <= 400 kHz).
        if self.spaced_writes && self.clock <= 400_000 {
            crate::time::udelay(if self.clock == 0 {
                10
            } else {
                (4_000_000u32.div_ceil(self.clock)) as u64
            });
        }
    }

    /// Waits until `done()` or `ns` pass; true if it happened. Gives the
    /// CPU away when the scheduler asks (the caller holds no spin lock).
    fn wait_for(&self, ns: u64, mut done: impl FnMut(&Self) -> bool) -> bool {
        let end = crate::time::uptime_ns() + ns;
        loop {
            if done(self) {
                return true;
            }
            if crate::time::uptime_ns() > end {
                return done(self);
            }
            core::hint::spin_loop();
            crate::sched::core::cond_resched();
        }
    }

    /// Whether the card-detect line says a card is in the slot.
    pub fn card_present(&self) -> bool {
        self.readl(SDHCI_PRESENT_STATE) & SDHCI_CARD_PRESENT != 0
    }

    /// `sdhci_reset`: the bits of SOFTWARE_RESET given, waiting for the
    /// controller to clear them.
    fn reset(&self, mask: u32) -> Result<(), Errno> {
        let c = self.readl(SDHCI_CLOCK_CONTROL);
        self.writel(SDHCI_CLOCK_CONTROL, c | mask);
        if !self.wait_for(CMD_TIMEOUT_NS, |h| h.readl(SDHCI_CLOCK_CONTROL) & mask == 0) {
            println!("{}: reset {:#x} never completed", self.name, mask >> 24);
            return Err(ETIMEDOUT);
        }
        Ok(())
    }

    /// Resets the controller, powers the card at 3.3 V, starts the
    /// identification clock (400 kHz), and enables every status bit for
    /// polling (no interrupt is signalled: `sdhci_init`).
    pub fn init(&mut self) -> Result<(), Errno> {
        self.reset(SDHCI_RESET_ALL)?;
        self.writel(SDHCI_HOST_CONTROL, SDHCI_POWER_330 | SDHCI_POWER_ON);
        self.set_clock(400_000)?;
        self.writel(SDHCI_INT_ENABLE, 0xffff_ffff);
        self.writel(SDHCI_SIGNAL_ENABLE, 0);
        self.writel(SDHCI_INT_STATUS, 0xffff_ffff);
        // The card needs 74 clocks after power-up before its first command
        // (SD spec 6.4.1): 185 us at 400 kHz. The Pi's card supply is
        // always on, so no ramp-up time is added (Linux waits 10 ms for
        // a switched supply). Under -icount a wait is instructions, which
        // `boot_to_init` counts: no longer than needed.
        crate::time::udelay(250);
        Ok(())
    }

    /// `sdhci_set_clock`: the card clock as close to `hz` as the divider
    /// allows from below; returns the clock set.
    pub fn set_clock(&mut self, hz: u32) -> Result<u32, Errno> {
        let (div, actual) = sdhci_divider(self.base_clock, hz, self.v3);
        let keep = self.readl(SDHCI_CLOCK_CONTROL) & !0xffff & !(0xf << 16);
        let c = keep | SDHCI_TIMEOUT_MAX | div | SDHCI_CLOCK_INT_EN;
        self.writel(SDHCI_CLOCK_CONTROL, c);
        if !self.wait_for(CMD_TIMEOUT_NS, |h| {
            h.readl(SDHCI_CLOCK_CONTROL) & SDHCI_CLOCK_INT_STABLE != 0
        }) {
            println!("{}: internal clock never stabilised", self.name);
            return Err(ETIMEDOUT);
        }
        self.writel(SDHCI_CLOCK_CONTROL, c | SDHCI_CLOCK_CARD_EN);
        self.clock = actual;
        Ok(actual)
    }

    /// Switches the host to a 4-bit data bus (after the card's ACMD6).
    pub fn set_bus_width_4(&self) {
        let c = self.readl(SDHCI_HOST_CONTROL);
        self.writel(SDHCI_HOST_CONTROL, c | SDHCI_CTRL_4BITBUS);
    }

    /// After an error: clears the status and resets the command and data
    /// lines, as `sdhci_finish_command`'s error path does.
    fn recover(&self) {
        self.writel(SDHCI_INT_STATUS, 0xffff_ffff);
        let _ = self.reset(SDHCI_RESET_CMD | SDHCI_RESET_DATA);
    }

    fn describe(status: u32) -> &'static str {
        if status & SDHCI_INT_TIMEOUT != 0 {
            "command timeout"
        } else if status & SDHCI_INT_DATA_TIMEOUT != 0 {
            "data timeout"
        } else if status & (0xf << 17) != 0 {
            "command CRC/end bit/index error"
        } else if status & (3 << 21) != 0 {
            "data CRC/end bit error"
        } else if status & (1 << 24) != 0 {
            "auto CMD12 error"
        } else {
            "error"
        }
    }

    /// Waits for a status bit (`bit`), or an error; clears `bit`.
    fn wait_int(&self, bit: u32, ns: u64, what: (u32, u32), quiet: bool) -> Result<(), Errno> {
        let mut status = 0;
        let ok = self.wait_for(ns, |h| {
            status = h.readl(SDHCI_INT_STATUS);
            status & (bit | SDHCI_INT_ERROR_MASK) != 0
        });
        if ok && status & SDHCI_INT_ERROR_MASK == 0 {
            self.writel(SDHCI_INT_STATUS, bit);
            return Ok(());
        }
        let (cmd, arg) = what;
        let e = if !ok || status & (SDHCI_INT_TIMEOUT | SDHCI_INT_DATA_TIMEOUT) != 0 {
            ETIMEDOUT
        } else {
            EIO
        };
        if !quiet {
            let why = if ok {
                Self::describe(status)
            } else {
                "no answer from the controller (timeout)"
            };
            println!(
                "{}: CMD{} arg {:#010x}: {} (status {:#010x}, state {:#010x})",
                self.name,
                cmd,
                arg,
                why,
                status,
                self.readl(SDHCI_PRESENT_STATE)
            );
        }
        self.recover();
        Err(e)
    }

    /// Sends command `cmd` with `arg` and the response type `resp`,
    /// moving `data` (whole 512-byte blocks; several blocks use a
    /// multi-block transfer ended by auto-CMD12) through the buffer port
    /// (`sdhci_send_command` and `sdhci_transfer_pio`). Returns the
    /// response registers (R2: rebuilt by the caller). `quiet`: a failure
    /// the caller expects (CMD8 to an old card) is not printed.
    pub fn send_command(
        &self,
        cmd: u32,
        arg: u32,
        resp: Resp,
        data: Option<Data<'_>>,
        quiet: bool,
    ) -> Result<[u32; 4], Errno> {
        let mut inhibit = SDHCI_CMD_INHIBIT;
        if data.is_some() || resp == Resp::R1b {
            inhibit |= SDHCI_DATA_INHIBIT;
        }
        let mut state = 0;
        if !self.wait_for(CMD_TIMEOUT_NS, |h| {
            state = h.readl(SDHCI_PRESENT_STATE);
            state & inhibit == 0
        }) {
            println!(
                "{}: CMD{}: controller busy (state {:#010x})",
                self.name, cmd, state
            );
            self.recover();
            return Err(EIO);
        }
        self.writel(SDHCI_INT_STATUS, 0xffff_ffff);
        let mut flags = match resp {
            Resp::None => SDHCI_CMD_RESP_NONE,
            Resp::R1 => SDHCI_CMD_RESP_SHORT | SDHCI_CMD_CRC | SDHCI_CMD_INDEX,
            Resp::R1b => SDHCI_CMD_RESP_SHORT_BUSY | SDHCI_CMD_CRC | SDHCI_CMD_INDEX,
            Resp::R2 => SDHCI_CMD_RESP_LONG | SDHCI_CMD_CRC,
            Resp::R3 => SDHCI_CMD_RESP_SHORT,
        };
        let mut mode = 0;
        if let Some(d) = &data {
            let len = match d {
                Data::Read(b) => b.len(),
                Data::Write(b) => b.len(),
            };
            let blocks = (len / 512) as u32;
            if blocks == 0 || len % 512 != 0 || blocks > 0xffff {
                return Err(EINVAL);
            }
            flags |= SDHCI_CMD_DATA;
            mode = SDHCI_TRNS_BLK_CNT_EN;
            if matches!(d, Data::Read(_)) {
                mode |= SDHCI_TRNS_READ;
            }
            if blocks > 1 {
                mode |= SDHCI_TRNS_MULTI | SDHCI_TRNS_AUTO_CMD12;
            }
            self.writel(SDHCI_BLOCK_SIZE, 512 | (blocks << 16));
        }
        self.writel(SDHCI_ARGUMENT, arg);
        self.writel(SDHCI_TRANSFER_MODE, mode | flags | (cmd << 24));
        self.wait_int(SDHCI_INT_RESPONSE, CMD_TIMEOUT_NS, (cmd, arg), quiet)?;
        let r: [u32; 4] = core::array::from_fn(|i| self.readl(SDHCI_RESPONSE + 4 * i));
        match data {
            Some(Data::Read(buf)) => {
                for block in buf.chunks_mut(512) {
                    self.wait_int(SDHCI_INT_DATA_AVAIL, DATA_TIMEOUT_NS, (cmd, arg), quiet)?;
                    let port = self.reg_ptr(SDHCI_BUFFER);
                    for w in block.chunks_exact_mut(4) {
                        // SAFETY: the buffer data port, as in `readl`.
                        let v = unsafe { read_volatile(port) };
                        w.copy_from_slice(&v.to_le_bytes());
                    }
                }
                self.wait_int(SDHCI_INT_DATA_END, DATA_TIMEOUT_NS, (cmd, arg), quiet)?;
            }
            Some(Data::Write(buf)) => {
                for block in buf.chunks(512) {
                    self.wait_int(SDHCI_INT_SPACE_AVAIL, DATA_TIMEOUT_NS, (cmd, arg), quiet)?;
                    let port = self.reg_ptr(SDHCI_BUFFER);
                    for w in block.chunks_exact(4) {
                        let v = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
                        // SAFETY: the buffer data port, as in `writel`.
                        unsafe { write_volatile(port, v) };
                    }
                }
                self.wait_int(SDHCI_INT_DATA_END, DATA_TIMEOUT_NS, (cmd, arg), quiet)?;
            }
            None if resp == Resp::R1b => {
                self.wait_int(SDHCI_INT_DATA_END, DATA_TIMEOUT_NS, (cmd, arg), quiet)?;
            }
            None => {}
        }
        // A stray error bit left by auto-CMD12 would fail the next command.
        if self.readl(SDHCI_INT_STATUS) & SDHCI_INT_ERROR != 0 {
            let status = self.readl(SDHCI_INT_STATUS);
            println!(
                "{}: CMD{} arg {:#010x}: {} after the transfer (status {:#010x})",
                self.name,
                cmd,
                arg,
                Self::describe(status),
                status
            );
            self.recover();
            return Err(EIO);
        }
        Ok(r)
    }
}
