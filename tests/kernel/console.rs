//! Console: printk's log prefix and whole messages kept together across
//! cores, and the tty's input path (what the receive interrupt calls)
//! through the line discipline to a reader.

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

/// Runs `f` with echo off (the test's typing stays off the KTAP log) and
/// the input flushed before and after; the settings come back.
fn quietly(f: impl FnOnce() -> TestResult) -> TestResult {
    let saved = tty::get_termios();
    let mut t = saved;
    t.c_lflag &= !libkernel::uapi::ECHO;
    tty::set_termios(t);
    tty::flush_input();
    let r = f();
    tty::flush_input();
    tty::set_termios(saved);
    r
}

fn read_nonblock(buf: &mut [u8]) -> Result<usize, crate::errno::Errno> {
    tty::tty_read(tty::TtyDev::Console, buf, libkernel::uapi::O_NONBLOCK)
}

fn received_line_is_read_whole_and_edited() -> TestResult {
    quietly(|| {
        tty::receive_buf(b"helo");
        let mut buf = [0u8; 32];
        // No complete line yet: a non-blocking read finds nothing.
        kassert_eq!(read_nonblock(&mut buf), Err(crate::errno::EAGAIN));
        // DEL erases, CR ends the line (ICRNL).
        tty::receive_buf(b"\x7flo\r");
        let n = read_nonblock(&mut buf)
            .map_err(|e| crate::ktest::Fail::Failed(alloc::format!("read: {e:?}")))?;
        kassert_eq!(&buf[..n], b"hello\n");
        Ok(())
    })
}

fn full_input_buffer_drops_instead_of_overwriting() -> TestResult {
    quietly(|| {
        let before = tty::overruns();
        let size = libkernel::tty::n_tty::N_TTY_BUF_SIZE;
        for _ in 0..size + 10 {
            tty::receive_buf(b"a");
        }
        // One slot stays free for the line's end.
        kassert_eq!(tty::overruns() - before, 11);
        tty::receive_buf(b"\n");
        let mut buf = alloc::vec![0u8; size + 16];
        let n = read_nonblock(&mut buf).unwrap_or(0);
        kassert_eq!(n, size);
        kassert_eq!(buf[n - 1], b'\n');
        Ok(())
    })
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
            name: "received_line_is_read_whole_and_edited",
            run: received_line_is_read_whole_and_edited,
        },
        TestCase {
            name: "full_input_buffer_drops_instead_of_overwriting",
            run: full_input_buffer_drops_instead_of_overwriting,
        },
    ],
    manual: false,
};
