//! Board support: which Raspberry Pi this is, and its peripherals behind
//! small interfaces (console UART, interrupt controller).
//!
//! One kernel image serves both boards. [`detect`] decides once at boot, from
//! the DTB `/compatible` when there is one and otherwise from the CPU's
//! MIDR_EL1 part number (Cortex-A53 = Pi 3, Cortex-A72 = Pi 4); the rest of
//! the kernel asks [`board()`] and never checks which Pi it is on.

pub mod gic400;
pub mod local_intc;
pub mod mmio;
pub mod pl011;
pub mod soc;

use crate::arch::mmu::MemType;
use crate::dtb::DeviceTree;
use libkernel::bsp::bcm::{self, Soc};
use pl011::Pl011;
use soc::ClockSource;

/// An interrupt source, as the generic IRQ layer sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IrqSource {
    /// This core's generic-timer tick.
    Timer,
    /// An inter-processor interrupt to this core.
    Ipi,
    /// The PL011 console UART.
    Uart,
    /// Something else (controller-specific number).
    Other(u32),
}

/// An acknowledged interrupt: its source and the controller's own token.
#[derive(Clone, Copy, Debug)]
pub struct Irq {
    /// What raised it.
    pub source: IrqSource,
    /// Controller-specific value to hand back to `eoi`.
    pub raw: u32,
    /// The interrupt's number at its controller (GIC INTID; on the
    /// BCM2836 local controller its source bit, or 32 + bit for the
    /// legacy bank 2), which `irq:irq_handler_entry` shows.
    pub hwirq: u32,
}

/// What the generic kernel needs from an interrupt controller.
pub trait IrqChip: Sync {
    /// Global set-up, done once by core 0.
    fn init(&self);
    /// Per-core set-up: timer and IPI interrupts for `cpu`.
    fn init_cpu(&self, cpu: usize);
    /// Acknowledges the highest-priority pending interrupt of this core.
    fn ack(&self, cpu: usize) -> Option<Irq>;
    /// Signals the end of handling `irq`.
    fn eoi(&self, irq: Irq);
    /// Raises an IPI on core `target`.
    fn send_ipi(&self, target: usize);
    /// Routes the UART interrupt to core 0 and enables it.
    fn enable_uart(&self);
}

/// Which board we run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoardKind {
    /// Raspberry Pi 3 Model B (BCM2837, Cortex-A53).
    Rpi3,
    /// Raspberry Pi 4 Model B (BCM2711, Cortex-A72).
    Rpi4,
}

/// A board: its name, memory layout and devices.
pub struct Board {
    /// Which one.
    pub kind: BoardKind,
    name: &'static str,
    /// Start of the peripheral window (device memory up to 4 GiB on Pi 4,
    /// up to the local controller's end on Pi 3).
    periph_start: u64,
    periph_end: u64,
    /// RAM assumed when no DTB says otherwise.
    pub default_ram: u64,
    /// The SoC's peripheral base and quirks (GPIO, mailbox, watchdog).
    soc: Soc,
    uart: Pl011,
    intc: &'static dyn IrqChip,
}

/// The console speed, as config.txt and `picocom -b 115200` expect.
pub const CONSOLE_BAUD: u32 = 115_200;

static UART_CLOCK: spin::Once<(u32, ClockSource)> = spin::Once::new();

static RPI3: Board = Board {
    kind: BoardKind::Rpi3,
    name: "Raspberry Pi 3 Model B",
    periph_start: 0x3F00_0000,
    periph_end: 0x4004_0000,
    default_ram: 1 << 30,
    soc: bcm::BCM2837,
    uart: Pl011::new(bcm::BCM2837.uart0()),
    intc: &local_intc::RPI3_INTC,
};

static RPI4: Board = Board {
    kind: BoardKind::Rpi4,
    name: "Raspberry Pi 4 Model B",
    periph_start: 0xFC00_0000,
    periph_end: 0x1_0000_0000,
    default_ram: 2 << 30,
    soc: bcm::BCM2711,
    uart: Pl011::new(bcm::BCM2711.uart0()),
    intc: &gic400::RPI4_GIC,
};

static BOARD: spin::Once<&'static Board> = spin::Once::new();

/// Decides the board (once) from the DTB or the CPU.
pub fn detect(dt: Option<&DeviceTree>) -> &'static Board {
    BOARD.call_once(|| {
        let by_dtb = dt.and_then(|d| {
            d.compatible().find_map(|c| match c {
                "raspberrypi,3-model-b" | "brcm,bcm2837" | "raspberrypi,3-model-b-plus" => {
                    Some(&RPI3)
                }
                "raspberrypi,4-model-b" | "brcm,bcm2711" | "brcm,bcm2838" => Some(&RPI4),
                _ => None,
            })
        });
        by_dtb.unwrap_or_else(|| {
            let part = (crate::arch::cpu::midr() >> 4) & 0xfff;
            if part == 0xD08 {
                &RPI4
            } else {
                &RPI3
            }
        })
    })
}

/// The board chosen by [`detect`].
pub fn board() -> &'static Board {
    BOARD.get().expect("bsp::detect runs first in kernel_main")
}

impl Board {
    /// The SoC: its peripheral base and quirks.
    pub fn soc(&self) -> Soc {
        self.soc
    }

    /// Human-readable board name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The SoC's name (`BCM2837`, `BCM2711`).
    pub fn soc_name(&self) -> &'static str {
        self.soc.name()
    }

    /// Brings up the console UART: pins to the PL011, divisors from the
    /// clock the firmware reports (QEMU's differs from a real Pi's).
    pub fn console_init(&self) {
        soc::route_console_pins(self.soc);
        let (hz, _) = *UART_CLOCK.call_once(|| soc::uart_clock(self.soc));
        let (ibrd, fbrd) = bcm::pl011_divisors(hz, CONSOLE_BAUD);
        self.uart.init(ibrd, fbrd);
    }

    /// The UART reference clock and whether the firmware told us.
    pub fn uart_clock(&self) -> (u32, &'static str) {
        match UART_CLOCK.get() {
            Some(&(hz, ClockSource::Firmware)) => (hz, "from the firmware"),
            Some(&(hz, ClockSource::Assumed)) => (hz, "assumed: no firmware answer"),
            None => (0, "not set up"),
        }
    }

    /// Resets the board through the watchdog (`halt`: stay off). Returns
    /// only if nothing happened.
    pub fn watchdog_reset(&self, halt: bool) {
        soc::watchdog_reset(self.soc, halt);
    }

    /// The console UART.
    pub fn uart(&self) -> &Pl011 {
        &self.uart
    }

    /// The interrupt controller.
    pub fn intc(&self) -> &'static dyn IrqChip {
        self.intc
    }

    /// Global interrupt set-up plus core 0's.
    pub fn irq_init(&self) {
        self.intc.init();
        self.intc.init_cpu(0);
    }

    /// Interrupt set-up of a secondary core.
    pub fn irq_init_this_cpu(&self, cpu: usize) {
        self.intc.init_cpu(cpu);
    }

    /// RAM ends where the peripherals begin (and our map ends at 4 GiB).
    pub fn ram_limit(&self) -> u64 {
        self.periph_start.min(1 << 32)
    }

    /// How the boot identity map treats the 2 MiB block at `pa`.
    pub fn classify(&self, pa: u64, ram_end: u64) -> Option<MemType> {
        if pa >= self.periph_start && pa < self.periph_end {
            Some(MemType::Device)
        } else if pa < ram_end.min(self.ram_limit()) {
            Some(MemType::Normal)
        } else {
            None
        }
    }
}
