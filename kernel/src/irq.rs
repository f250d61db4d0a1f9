//! The generic IRQ layer: asks the board's controller what fired and
//! dispatches timer ticks, IPIs and the console UART.

use crate::bsp::{self, IrqSource};
use crate::{percpu, preempt, smp, timer, tty};
use libkernel::preempt::HARDIRQ_OFFSET;

/// Handles every pending interrupt of this core (called from the vectors),
/// between `irq_enter` and `irq_exit`: the interrupted task's
/// `preempt_count` carries the hard-IRQ level meanwhile, so `in_irq()`
/// holds and nothing schedules.
pub fn handle_irq() {
    let chip = bsp::board().intc();
    let cpu = percpu::smp_processor_id();
    preempt::preempt_count_add(HARDIRQ_OFFSET);
    while let Some(irq) = chip.ack(cpu) {
        match irq.source {
            IrqSource::Timer => timer::timer_interrupt(),
            IrqSource::Ipi => smp::ipi_interrupt(),
            IrqSource::Uart => tty::uart_rx_interrupt(),
            IrqSource::Other(_) => {}
        }
        chip.eoi(irq);
    }
    preempt::preempt_count_sub(HARDIRQ_OFFSET);
    // A reschedule another CPU (or the watchdog) asked for: into the
    // interrupted task's preempt word, so its next preempt_enable at
    // count 0 acts on it (`preempt_fold_need_resched`).
    if crate::sched::core::need_resched() {
        preempt::set_preempt_need_resched();
    }
}

/// Lets the UART receive interrupt reach core 0.
pub fn enable_uart_rx() {
    bsp::board().intc().enable_uart();
}
