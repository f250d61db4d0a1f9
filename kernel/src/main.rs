//! pikern: a bare-metal Rust kernel for the Raspberry Pi 3 and 4 that
//! rebuilds how Linux creates, schedules and destroys processes.
//!
//! `kernel_main` is the boot order and nothing else: every step lives in the
//! module that owns it. Core 0 arrives here from `boot/start.S` at EL1 with
//! the MMU off; cores 1-3 arrive in [`secondary_main`] once core 0 releases
//! them through the spin table. Each boot context becomes its CPU's idle
//! task, as in Linux.

#![no_std]
#![no_main]
// `#[patchable_function_entry]` marks the function tracer's own entry points
// notrace (see .cargo/config.toml for why the stable compiler accepts it).
#![feature(patchable_function_entry)]
// A lock guard made in a block's tail expression outlives the block's
// locals in Rust 2021: an `IrqSpinLock` guard dropped after an outer one
// ran with IRQs on under a spin lock (the `release_task` hard lockup).
// Every such tail is a `let` instead, and this keeps it so.
#![deny(tail_expr_drop_order, if_let_rescope)]

extern crate alloc;

// print!/println! are declared in printk and used everywhere after it.
#[macro_use]
pub mod printk;

pub mod arch;
pub mod bench;
pub mod block;
pub mod bsp;
pub mod cmdline;
pub mod drivers;
pub mod dtb;
pub mod errno;
pub mod exec;
pub mod exit;
pub mod fault_inject;
pub mod fork;
pub mod fs;
pub mod futex;
pub mod init;
pub mod irq;
pub mod kthread;
pub mod lockdep;
pub mod mm;
pub mod net;
pub mod panic;
pub mod percpu;
pub mod pid;
pub mod power;
pub mod preempt;
pub mod ps;
pub mod ptrace;
pub mod reboot;
pub mod sched;
pub mod signal;
pub mod smp;
pub mod softirq;
pub mod sync;
pub mod sys;
pub mod syscall;
pub mod sysrq;
pub mod task;
pub mod time;
pub mod timer;
pub mod trace;
pub mod tty;
pub mod vdso;
pub mod watchdog;
pub mod workqueue;

#[cfg(feature = "ktest")]
pub mod ktest;

/// The entry point of core 0, called by `boot/start.S` with the DTB address
/// the firmware passed in x0 (or garbage when there is none).
#[no_mangle]
pub extern "C" fn kernel_main(dtb_addr: usize) -> ! {
    // First of all: per-CPU data (`this_cpu`) and no task yet (`current`,
    // SP_EL0, reads as none until init_idle).
    percpu::init_this_cpu(0);
    arch::cpu::set_current(0);
    arch::exception::install_vectors();
    time::init_boot_clock();
    let dt = dtb::init(dtb_addr);
    let board = bsp::detect(dt);
    board.console_init();
    println!(
        "pikern {} booting on {}",
        env!("CARGO_PKG_VERSION"),
        board.name()
    );
    let (uart_hz, uart_clock_source) = board.uart_clock();
    println!(
        "uart0: PL011, {} baud, reference clock {} Hz ({})",
        bsp::CONSOLE_BAUD,
        uart_hz,
        uart_clock_source
    );
    cmdline::init(dt);
    lockdep::init();
    let ram = mm::init(board, dt);
    vdso::vdso_init();
    sched::core::init_idle(0);
    fork::fork_init();
    trace::init();
    fault_inject::init();
    watchdog::init();
    board.irq_init();
    time::init_this_cpu();
    irq::enable_uart_rx();
    arch::cpu::local_irq_enable();
    let online = smp::boot_secondaries(board);
    println!(
        "{}: {} CPUs online, {} MiB RAM, timer {} Hz, HZ={}",
        board.name(),
        online,
        ram.total_bytes >> 20,
        time::counter_frequency(),
        time::HZ
    );
    println!(
        "memory: {} pages free ({} MiB), heap {} KiB, command line: \"{}\"",
        mm::page_alloc::nr_free_pages(),
        (mm::page_alloc::nr_free_pages() * mm::PAGE_SIZE) >> 20,
        mm::heap::heap_size() >> 10,
        cmdline::get().as_str()
    );
    init::rest_init()
}

/// The entry point of cores 1-3 (see `smp::boot_secondaries`).
#[no_mangle]
pub extern "C" fn secondary_main(cpu: usize) -> ! {
    percpu::init_this_cpu(cpu);
    arch::cpu::set_current(0);
    arch::exception::install_vectors();
    arch::mmu::install_kernel_tables();
    sched::core::init_idle(cpu);
    bsp::board().irq_init_this_cpu(cpu);
    time::init_this_cpu();
    arch::cpu::local_irq_enable();
    smp::mark_online(cpu);
    sched::core::cpu_idle_loop()
}
