//! The generic IRQ layer: asks the board's controller what fired and
//! dispatches timer ticks, IPIs and the console UART.

use crate::bsp::{self, IrqSource};
use crate::{console, percpu, smp, timer};

/// Handles every pending interrupt of this core (called from the vectors).
pub fn handle_irq() {
    let chip = bsp::board().intc();
    let pc = percpu::this_cpu();
    let cpu = pc.cpu;
    pc.in_irq
        .fetch_add(1, core::sync::atomic::Ordering::Relaxed);
    while let Some(irq) = chip.ack(cpu) {
        match irq.source {
            IrqSource::Timer => timer::timer_interrupt(),
            IrqSource::Ipi => smp::ipi_interrupt(),
            IrqSource::Uart => console::uart_rx_interrupt(),
            IrqSource::Other(_) => {}
        }
        chip.eoi(irq);
    }
    pc.in_irq
        .fetch_sub(1, core::sync::atomic::Ordering::Relaxed);
}

/// Lets the UART receive interrupt reach core 0.
pub fn enable_uart_rx() {
    bsp::board().intc().enable_uart();
}
