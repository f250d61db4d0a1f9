//! The ARM PL011 UART (UART0 on both boards): the console.
//!
//! Transmit is polled (the console must work in a panic with IRQs off);
//! receive raises an interrupt per character (FIFOs off), which the console
//! drains into its input buffer.

use super::mmio::Mmio;
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};
use tock_registers::{register_bitfields, register_structs};

register_bitfields! {
    u32,
    FR [
        TXFF OFFSET(5) NUMBITS(1) [],
        RXFE OFFSET(4) NUMBITS(1) [],
        BUSY OFFSET(3) NUMBITS(1) []
    ],
    LCRH [
        WLEN OFFSET(5) NUMBITS(2) [EightBit = 0b11],
        FEN OFFSET(4) NUMBITS(1) []
    ],
    CR [
        RXE OFFSET(9) NUMBITS(1) [],
        TXE OFFSET(8) NUMBITS(1) [],
        UARTEN OFFSET(0) NUMBITS(1) []
    ],
    IMSC [
        RTIM OFFSET(6) NUMBITS(1) [],
        RXIM OFFSET(4) NUMBITS(1) []
    ]
}

register_structs! {
    Regs {
        (0x00 => dr: ReadWrite<u32>),
        (0x04 => _r0),
        (0x18 => fr: ReadOnly<u32, FR::Register>),
        (0x1c => _r1),
        (0x24 => ibrd: WriteOnly<u32>),
        (0x28 => fbrd: WriteOnly<u32>),
        (0x2c => lcrh: WriteOnly<u32, LCRH::Register>),
        (0x30 => cr: WriteOnly<u32, CR::Register>),
        (0x34 => _r2),
        (0x38 => imsc: ReadWrite<u32, IMSC::Register>),
        (0x3c => _r3),
        (0x44 => icr: WriteOnly<u32>),
        (0x48 => @END),
    }
}

/// One PL011 at a fixed address.
pub struct Pl011 {
    regs: Mmio<Regs>,
}

impl Pl011 {
    /// A UART at `base`.
    pub const fn new(base: usize) -> Self {
        Pl011 {
            regs: Mmio::new(base),
        }
    }

    /// 8N1 at the baud rate the divisors give (see
    /// `libkernel::bsp::bcm::pl011_divisors`; QEMU ignores them), receive
    /// interrupt on.
    pub fn init(&self, ibrd: u32, fbrd: u32) {
        self.regs.cr.set(0);
        let mut spins = 0;
        while self.regs.fr.is_set(FR::BUSY) && spins < 100_000 {
            spins += 1;
        }
        self.regs.icr.set(0x7ff);
        self.regs.ibrd.set(ibrd);
        self.regs.fbrd.set(fbrd);
        self.regs.lcrh.write(LCRH::WLEN::EightBit);
        self.regs.imsc.write(IMSC::RXIM::SET + IMSC::RTIM::SET);
        self.regs
            .cr
            .write(CR::UARTEN::SET + CR::TXE::SET + CR::RXE::SET);
    }

    /// Sends one byte, waiting for room in the transmitter.
    pub fn putc(&self, c: u8) {
        while self.regs.fr.is_set(FR::TXFF) {
            core::hint::spin_loop();
        }
        self.regs.dr.set(c as u32);
    }

    /// Takes one received byte, if any.
    pub fn getc(&self) -> Option<u8> {
        if self.regs.fr.is_set(FR::RXFE) {
            None
        } else {
            Some(self.regs.dr.get() as u8)
        }
    }

    /// Takes one received byte with whether it came with a BREAK (the data
    /// register's BE bit: the line was held low for a whole frame).
    pub fn getc_break(&self) -> Option<(u8, bool)> {
        if self.regs.fr.is_set(FR::RXFE) {
            None
        } else {
            let dr = self.regs.dr.get();
            Some((dr as u8, dr & (1 << 10) != 0))
        }
    }

    /// Clears the receive interrupts after draining.
    pub fn clear_rx_irq(&self) {
        self.regs.icr.set((1 << 4) | (1 << 6));
    }
}
