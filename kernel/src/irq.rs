//! The generic IRQ layer: asks the board's controller what fired and
//! dispatches timer ticks, IPIs and the console UART, each between
//! `irq:irq_handler_entry` and `irq_handler_exit` under the name Linux's
//! `/proc/interrupts` gives its handler; then, on the way out
//! (`irq_exit`), runs the softirqs the handlers raised.

use crate::bsp::{self, IrqSource};
use crate::trace::events as trace;
use crate::{percpu, preempt, smp, softirq, timer, tty};
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
        let name = irq_name(irq.source);
        trace::irq_handler_entry(irq.hwirq, name);
        // Nobody handles an unknown source (`IRQ_NONE`): the controller
        // masks it at eoi.
        let handled = match irq.source {
            IrqSource::Timer => {
                timer::timer_interrupt();
                true
            }
            IrqSource::Ipi => {
                smp::ipi_interrupt();
                true
            }
            IrqSource::Uart => {
                tty::uart_rx_interrupt();
                true
            }
            IrqSource::Other(_) => false,
        };
        trace::irq_handler_exit(irq.hwirq, handled);
        chip.eoi(irq);
    }
    preempt::preempt_count_sub(HARDIRQ_OFFSET);
    softirq::irq_exit();
    // A reschedule another CPU (or the watchdog) asked for: into the
    // interrupted task's preempt word, so its next preempt_enable at
    // count 0 acts on it (`preempt_fold_need_resched`).
    if crate::sched::core::need_resched() {
        preempt::set_preempt_need_resched();
    }
}

/// The handler's name, as Linux's `/proc/interrupts` shows it.
fn irq_name(source: IrqSource) -> &'static str {
    match source {
        IrqSource::Timer => "arch_timer",
        IrqSource::Ipi => "IPI",
        IrqSource::Uart => "uart-pl011",
        IrqSource::Other(_) => "unhandled",
    }
}

/// Lets the UART receive interrupt reach core 0.
pub fn enable_uart_rx() {
    bsp::board().intc().enable_uart();
}
