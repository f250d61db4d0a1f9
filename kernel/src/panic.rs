//! Kernel panics and oopses: one report on the console, every core stopped,
//! and under QEMU an exit status the test runner turns into `# ERROR`.

use crate::{arch, power, printk, smp};
use alloc::string::String;
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};

static DYING: AtomicBool = AtomicBool::new(false);

/// Reports (`BUG: ...`, `WARNING: ...`) printed since boot by checks that
/// let the kernel go on: lockdep, sleeping in atomic context. Each is a
/// kernel bug; the test runner fails a run whose console shows one.
pub static WARNINGS: AtomicU64 = AtomicU64::new(0);

/// The pid of a test that provokes a report on purpose ([`expect_report`]);
/// -1 when none does.
static EXPECTING: AtomicI32 = AtomicI32::new(-1);

/// The reports a test provoked, in order.
static CAPTURED: crate::sync::IrqSpinLock<Option<String>> =
    crate::sync::IrqSpinLock::named(&"captured_report", None);

/// Prints a report from a check that lets the kernel go on (Linux's
/// `__warn` and the `BUG: ...` reports that are not fatal). A report that a
/// test provoked, from the expecting task or about a self-test lock
/// (`selftest`), is kept for the test instead.
pub fn warn_report(text: &str, selftest: bool) {
    let pid = crate::task::current_pid();
    if selftest || EXPECTING.load(Ordering::Relaxed) == pid {
        CAPTURED
            .lock()
            .get_or_insert_with(String::new)
            .push_str(text);
        return;
    }
    WARNINGS.fetch_add(1, Ordering::Relaxed);
    printk::write_bytes(text.as_bytes());
}

/// Runs `f`, which should provoke a report, and returns the report it
/// provoked instead of printing it (tests of the checks themselves).
pub fn expect_report<R>(f: impl FnOnce() -> R) -> (R, Option<String>) {
    CAPTURED.lock().take();
    EXPECTING.store(crate::task::current_pid(), Ordering::Relaxed);
    let r = f();
    EXPECTING.store(-1, Ordering::Relaxed);
    (r, CAPTURED.lock().take())
}

/// Takes a self-test report raised elsewhere (an IRQ handler).
pub fn take_captured_report() -> Option<String> {
    CAPTURED.lock().take()
}

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
    printk::force_unlock();
    printk::with_raw(|out| {
        let _ = out.write_str("\n");
        let _ = report(out);
        let _ = out.write_str("---[ end Kernel panic ]---\n");
    });
    if crate::trace::DUMP_ON_OOPS.load(core::sync::atomic::Ordering::Relaxed) {
        crate::trace::ftrace_dump();
    }
    power::exit(PANIC_EXIT_CODE)
}

/// True once a CPU has started a fatal report (other checks stay quiet).
pub fn dying() -> bool {
    DYING.load(Ordering::Relaxed)
}

/// Writes `syscall: 63 (read) args 0x3 0x0 ...` when the report comes
/// from inside a system call: the user registers saved at its entry say
/// which (x8) and with what (x0-x5), so a fuzzer's crash report names the
/// call that killed the kernel. The call is found, at no cost to the
/// system-call path, by a return address into `el0_svc` on the frame
/// chain; its registers are then the frame at the top of the task's
/// kernel stack, where every entry from user space puts them (Linux's
/// `task_pt_regs`).
pub fn write_syscall(out: &mut dyn Write) -> fmt::Result {
    let Some(syms) = crate::trace::kallsyms::table() else {
        return Ok(());
    };
    let fp = arch::backtrace::current_fp();
    let svc = arch::exception::el0_svc as *const () as usize;
    let mut in_svc = false;
    arch::backtrace::walk(fp, 64, |lr| {
        if let Some((_, off, _)) = syms.lookup(lr as u64) {
            in_svc |= lr - off as usize == svc;
        }
    });
    if !in_svc || !crate::mm::vmap_stack::contains(fp, 1) {
        return Ok(());
    }
    let top = crate::mm::vmap_stack::stack_top_of(fp);
    let at = top - core::mem::size_of::<arch::exception::PtRegs>();
    // SAFETY: the frame chain runs through el0_svc, so this task entered
    // the kernel from user space on this stack, whose top holds the
    // entry's register frame; the stack is the one running here.
    let regs = unsafe { &*(at as *const arch::exception::PtRegs) };
    let pid = crate::task::with_current_raw(|t| t.pid()).unwrap_or(0);
    let nr = regs.regs[8] as usize;
    let name = libkernel::uapi::syscall_name(nr).unwrap_or("?");
    write!(out, "syscall: {nr} ({name}) args")?;
    for a in &regs.regs[..6] {
        write!(out, " {a:#x}")?;
    }
    writeln!(out, " (the system call pid {pid} is in)")
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
        write_syscall(out)?;
        write_backtrace(out, fp, None)
    })
}
