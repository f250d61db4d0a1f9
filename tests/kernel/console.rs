//! Console: printk's log prefix and whole messages kept together across
//! cores, and the tty's interrupt-fed input buffer.

use crate::{printk, tty};

use crate::ktest::{Suite, TestCase, TestResult};
use crate::{smp, time};
use core::sync::atomic::{AtomicBool, Ordering};

fn prefix_has_linux_printk_format() -> TestResult {
    kassert_eq!(
        printk::format_prefix(12_345_678).as_str(),
        "[    0.012345] "
    );
    kassert_eq!(
        printk::format_prefix(98_765_432_100_999).as_str(),
        "[98765.432100] "
    );
    Ok(())
}

static PRINTED: AtomicBool = AtomicBool::new(false);

fn print_from_cpu1() {
    println!("console test: message from CPU1");
    PRINTED.store(true, Ordering::Release);
}

fn another_cpu_waits_for_a_whole_message() -> TestResult {
    if !smp::cpu_online(1) {
        return Err(crate::ktest::Fail::Skipped("CPU1 offline"));
    }
    PRINTED.store(false, Ordering::Release);
    let blocked = printk::with_raw(|out| {
        let _ = out.write_str("console test: CPU0 holds the console\n");
        smp::call_on_cpu(1, print_from_cpu1, false);
        // CPU1 must not get its line out while this message is open.
        time::mdelay(50);
        !PRINTED.load(Ordering::Acquire)
    });
    kassert!(blocked, "CPU1 printed while CPU0 held the console");
    let deadline = time::uptime_ns() + 5_000_000_000;
    while !PRINTED.load(Ordering::Acquire) && time::uptime_ns() < deadline {
        core::hint::spin_loop();
    }
    kassert!(
        PRINTED.load(Ordering::Acquire),
        "CPU1 never printed after the console was released"
    );
    Ok(())
}

fn received_bytes_come_out_in_order() -> TestResult {
    while tty::getc().is_some() {}
    for &b in b"hello" {
        tty::rx_push(b);
    }
    let mut got = [0u8; 5];
    for g in got.iter_mut() {
        *g = tty::getc().unwrap_or(0);
    }
    kassert_eq!(&got, b"hello");
    kassert_eq!(tty::getc(), None);
    Ok(())
}

fn full_input_buffer_drops_instead_of_overwriting() -> TestResult {
    while tty::getc().is_some() {}
    let dropped_before = tty::rx_dropped();
    for i in 0..tty::RX_SIZE + 10 {
        tty::rx_push(i as u8);
    }
    kassert_eq!(tty::rx_dropped() - dropped_before, 10);
    kassert_eq!(tty::getc(), Some(0));
    let mut n = 1;
    while tty::getc().is_some() {
        n += 1;
    }
    kassert_eq!(n, tty::RX_SIZE);
    Ok(())
}

/// The console suite.
pub const SUITE: Suite = Suite {
    name: "console",
    cases: &[
        TestCase {
            name: "prefix_has_linux_printk_format",
            run: prefix_has_linux_printk_format,
        },
        TestCase {
            name: "another_cpu_waits_for_a_whole_message",
            run: another_cpu_waits_for_a_whole_message,
        },
        TestCase {
            name: "received_bytes_come_out_in_order",
            run: received_bytes_come_out_in_order,
        },
        TestCase {
            name: "full_input_buffer_drops_instead_of_overwriting",
            run: full_input_buffer_drops_instead_of_overwriting,
        },
    ],
    manual: false,
};
