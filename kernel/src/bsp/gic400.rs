//! Raspberry Pi 4 interrupts: the GIC-400 (GICv2). Timer ticks arrive as
//! PPI 30 (non-secure physical timer), IPIs as SGI 0, the UART as SPI 153.

use super::mmio::Mmio;
use super::{Irq, IrqChip, IrqSource};
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::register_structs;
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};

register_structs! {
    DistRegs {
        (0x000 => ctlr: ReadWrite<u32>),
        (0x004 => typer: ReadOnly<u32>),
        (0x008 => _r0),
        (0x080 => igroupr: [ReadWrite<u32>; 32]),
        (0x100 => isenabler: [ReadWrite<u32>; 32]),
        (0x180 => icenabler: [ReadWrite<u32>; 32]),
        (0x200 => _r1),
        (0x400 => ipriorityr: [ReadWrite<u32>; 255]),
        (0x7fc => _r2),
        (0x800 => itargetsr: [ReadWrite<u32>; 255]),
        (0xbfc => _r3),
        (0xc00 => icfgr: [ReadWrite<u32>; 64]),
        (0xd00 => _r4),
        (0xf00 => sgir: WriteOnly<u32>),
        (0xf04 => @END),
    }
}

register_structs! {
    CpuRegs {
        (0x00 => ctlr: ReadWrite<u32>),
        (0x04 => pmr: ReadWrite<u32>),
        (0x08 => bpr: ReadWrite<u32>),
        (0x0c => iar: ReadOnly<u32>),
        (0x10 => eoir: WriteOnly<u32>),
        (0x14 => @END),
    }
}

const SGI_IPI: u32 = 0;
const PPI_TIMER: u32 = 30;
const SPI_UART: u32 = 153;
const SPURIOUS: u32 = 1023;

/// A GIC-400 distributor and CPU interface.
pub struct Gic400 {
    dist: Mmio<DistRegs>,
    cpu: Mmio<CpuRegs>,
}

/// The controller of the Raspberry Pi 4.
pub static RPI4_GIC: Gic400 = Gic400 {
    dist: Mmio::new(0xFF84_1000),
    cpu: Mmio::new(0xFF84_2000),
};

impl Gic400 {
    fn lines(&self) -> usize {
        ((self.dist.typer.get() as usize & 0x1f) + 1) * 32
    }

    fn set_priority(&self, irq: u32, prio: u8) {
        let reg = &self.dist.ipriorityr[irq as usize / 4];
        let shift = (irq % 4) * 8;
        reg.set((reg.get() & !(0xff << shift)) | ((prio as u32) << shift));
    }
}

impl IrqChip for Gic400 {
    fn init(&self) {
        self.dist.ctlr.set(0);
        let lines = self.lines().min(1020);
        for i in 1..lines / 32 {
            self.dist.icenabler[i].set(u32::MAX);
            // Group 1 (non-secure): what EL1 acknowledges through GICC.
            self.dist.igroupr[i].set(u32::MAX);
        }
        for irq in 32..lines as u32 {
            self.set_priority(irq, 0xa0);
        }
        self.dist.ctlr.set(0b11);
    }

    fn init_cpu(&self, _cpu: usize) {
        // Banked per core: SGIs and PPIs of this core.
        self.dist.igroupr[0].set(u32::MAX);
        self.dist.icenabler[0].set(u32::MAX);
        self.set_priority(SGI_IPI, 0x80);
        self.set_priority(PPI_TIMER, 0x80);
        self.dist.isenabler[0].set((1 << SGI_IPI) | (1 << PPI_TIMER));
        self.cpu.pmr.set(0xf0);
        self.cpu.bpr.set(0);
        // EnableGrp0 | EnableGrp1 | AckCtl. Under QEMU the GIC has no
        // security extensions and our accesses are "secure": without AckCtl a
        // group-1 interrupt would read as 1022 from IAR. On a real Pi 4 the
        // firmware leaves us non-secure, where bit 0 alone matters.
        self.cpu.ctlr.set(0b111);
    }

    fn ack(&self, _cpu: usize) -> Option<Irq> {
        let iar = self.cpu.iar.get();
        let id = iar & 0x3ff;
        let source = match id {
            SPURIOUS | 1022 => return None,
            PPI_TIMER => IrqSource::Timer,
            0..=15 => IrqSource::Ipi,
            SPI_UART => IrqSource::Uart,
            other => IrqSource::Other(other),
        };
        Some(Irq {
            source,
            raw: iar,
            hwirq: id,
        })
    }

    fn eoi(&self, irq: Irq) {
        if let IrqSource::Other(id) = irq.source {
            self.dist.icenabler[id as usize / 32].set(1 << (id % 32));
        }
        self.cpu.eoir.set(irq.raw);
    }

    fn send_ipi(&self, target: usize) {
        self.dist.sgir.set((1 << (16 + target)) | SGI_IPI);
    }

    fn enable_uart(&self) {
        let reg = &self.dist.itargetsr[SPI_UART as usize / 4];
        let shift = (SPI_UART % 4) * 8;
        reg.set((reg.get() & !(0xff << shift)) | (1 << shift));
        self.dist.isenabler[SPI_UART as usize / 32].set(1 << (SPI_UART % 32));
    }
}
