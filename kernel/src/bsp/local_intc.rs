//! Raspberry Pi 3 interrupts: the ARM local interrupt controller (BCM2836
//! "local peripherals" at 0x4000_0000: per-core timer interrupt control,
//! per-core mailboxes used as IPIs) plus the legacy BCM2835 controller at
//! 0x3F00_B200, whose interrupts (the UART's among them) reach core 0 as
//! the "GPU interrupt".

use super::mmio::Mmio;
use super::{Irq, IrqChip, IrqSource};
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::register_structs;
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};

register_structs! {
    LocalRegs {
        (0x00 => control: ReadWrite<u32>),
        (0x04 => _r0),
        (0x08 => prescaler: ReadWrite<u32>),
        (0x0c => gpu_int_routing: ReadWrite<u32>),
        (0x10 => _r1),
        (0x40 => timer_int_ctrl: [ReadWrite<u32>; 4]),
        (0x50 => mailbox_int_ctrl: [ReadWrite<u32>; 4]),
        (0x60 => irq_source: [ReadOnly<u32>; 4]),
        (0x70 => _r2),
        (0x80 => mailbox_set: [WriteOnly<u32>; 16]),
        (0xc0 => mailbox_clr: [ReadWrite<u32>; 16]),
        (0x100 => @END),
    }
}

register_structs! {
    LegacyRegs {
        (0x00 => basic_pending: ReadOnly<u32>),
        (0x04 => pending1: ReadOnly<u32>),
        (0x08 => pending2: ReadOnly<u32>),
        (0x0c => fiq_control: ReadWrite<u32>),
        (0x10 => enable1: ReadWrite<u32>),
        (0x14 => enable2: ReadWrite<u32>),
        (0x18 => enable_basic: ReadWrite<u32>),
        (0x1c => disable1: WriteOnly<u32>),
        (0x20 => disable2: WriteOnly<u32>),
        (0x24 => disable_basic: WriteOnly<u32>),
        (0x28 => @END),
    }
}

const SRC_CNTPNS: u32 = 1 << 1;
const SRC_MAILBOX0: u32 = 1 << 4;
const SRC_GPU: u32 = 1 << 8;
/// UART0 is legacy IRQ 57: bit 25 of the second bank.
const UART_BANK2_BIT: u32 = 1 << (57 - 32);

/// The Pi 3 controller pair.
pub struct LocalIntc {
    local: Mmio<LocalRegs>,
    legacy: Mmio<LegacyRegs>,
}

/// The controller of the Raspberry Pi 3.
pub static RPI3_INTC: LocalIntc = LocalIntc {
    local: Mmio::new(0x4000_0000),
    legacy: Mmio::new(0x3F00_B200),
};

impl IrqChip for LocalIntc {
    fn init(&self) {
        self.local.control.set(0);
        // Core timer prescaler 1:1 (the reset value on some firmware is not).
        self.local.prescaler.set(0x8000_0000);
        // Legacy (GPU) interrupts go to core 0.
        self.local.gpu_int_routing.set(0);
        self.legacy.disable1.set(u32::MAX);
        self.legacy.disable2.set(u32::MAX);
        self.legacy.disable_basic.set(u32::MAX);
    }

    fn init_cpu(&self, cpu: usize) {
        // Physical non-secure timer -> IRQ; mailbox 0 -> IRQ.
        self.local.timer_int_ctrl[cpu].set(SRC_CNTPNS);
        self.local.mailbox_clr[cpu * 4].set(u32::MAX);
        self.local.mailbox_int_ctrl[cpu].set(1);
    }

    fn ack(&self, cpu: usize) -> Option<Irq> {
        let src = self.local.irq_source[cpu].get();
        if src & SRC_CNTPNS != 0 {
            return Some(Irq {
                source: IrqSource::Timer,
                raw: SRC_CNTPNS,
                hwirq: SRC_CNTPNS.trailing_zeros(),
            });
        }
        if src & SRC_MAILBOX0 != 0 {
            let bits = self.local.mailbox_clr[cpu * 4].get();
            self.local.mailbox_clr[cpu * 4].set(bits);
            return Some(Irq {
                source: IrqSource::Ipi,
                raw: bits,
                hwirq: SRC_MAILBOX0.trailing_zeros(),
            });
        }
        if src & SRC_GPU != 0 {
            let p2 = self.legacy.pending2.get();
            let source = if p2 & UART_BANK2_BIT != 0 {
                IrqSource::Uart
            } else {
                IrqSource::Other(p2)
            };
            return Some(Irq {
                source,
                raw: p2,
                hwirq: 32 + p2.trailing_zeros().min(31),
            });
        }
        None
    }

    fn eoi(&self, irq: Irq) {
        if let IrqSource::Other(_) = irq.source {
            // Nobody handles it: mask it rather than loop forever.
            self.legacy.disable2.set(irq.raw);
        }
    }

    fn send_ipi(&self, target: usize) {
        self.local.mailbox_set[target * 4].set(1);
    }

    fn enable_uart(&self) {
        self.legacy.enable2.set(UART_BANK2_BIT);
    }
}
