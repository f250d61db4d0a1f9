//! Kernel panics and oopses: one report on the console, every core stopped,
//! and under QEMU an exit status the test runner turns into `# ERROR`.

use crate::{arch, console, power, smp};
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicBool, Ordering};

static DYING: AtomicBool = AtomicBool::new(false);

/// QEMU exit status of a kernel panic or oops.
pub const PANIC_EXIT_CODE: u32 = 3;

/// Prints a fatal report written by `report`, stops all cores and ends the
/// machine. Only the first core to die reports; others just stop.
pub fn die(report: impl FnOnce(&mut dyn Write) -> fmt::Result) -> ! {
    arch::cpu::local_irq_disable();
    if DYING.swap(true, Ordering::AcqRel) {
        arch::cpu::halt();
    }
    smp::stop_other_cpus();
    // The holder of the console (if another core) is being stopped.
    crate::time::udelay(2000);
    console::force_unlock();
    console::with_raw(|out| {
        let _ = out.write_str("\n");
        let _ = report(out);
        let _ = out.write_str("---[ end Kernel panic ]---\n");
    });
    if crate::trace::DUMP_ON_OOPS.load(core::sync::atomic::Ordering::Relaxed) {
        crate::trace::ftrace_dump();
    }
    power::exit(PANIC_EXIT_CODE)
}

/// Writes `Call trace:` with one return address per line, named from
/// kallsyms as Linux prints them (` [<addr>] name+0xoff/0xsize`).
pub fn write_backtrace(out: &mut dyn Write, fp: usize, pc: Option<usize>) -> fmt::Result {
    use crate::trace::kallsyms::lookup_text;
    writeln!(out, "Call trace:")?;
    if let Some(pc) = pc {
        writeln!(out, " [<{pc:#018x}>] {}", lookup_text(pc))?;
    }
    let mut r = Ok(());
    arch::backtrace::walk(fp, 32, |lr| {
        if r.is_ok() {
            r = writeln!(out, " [<{lr:#018x}>] {}", lookup_text(lr));
        }
    });
    r
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let fp = arch::backtrace::current_fp();
    let cpu = arch::cpu::smp_processor_id_raw();
    die(|out| {
        writeln!(
            out,
            "Kernel panic - not syncing: {} (CPU {cpu})",
            info.message()
        )?;
        if let Some(loc) = info.location() {
            writeln!(out, "at {}:{}", loc.file(), loc.line())?;
        }
        write_backtrace(out, fp, None)
    })
}
