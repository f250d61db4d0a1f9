//! Exception entry from the vector table: IRQs go to the generic IRQ layer;
//! faults covered by the exception table resume at their fixup; anything
//! else is an oops: a readable report on the console, then every core stops.

use crate::{irq, percpu, power};
use aarch64_cpu::registers::*;
use core::fmt::Write;
use core::sync::atomic::Ordering;
use libkernel::arch::aarch64::esr;

core::arch::global_asm!(include_str!("vectors.S"), options(raw));

extern "C" {
    static exception_vectors: u8;
    static __start___ex_table: ExTableEntry;
    static __stop___ex_table: ExTableEntry;
}

/// The interrupted context, as `vectors.S` lays it out (Linux's `pt_regs`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct PtRegs {
    /// General-purpose registers x0-x30.
    pub regs: [u64; 31],
    /// SP_EL0 (the user stack pointer).
    pub sp: u64,
    /// ELR_EL1: where the exception returns to.
    pub pc: u64,
    /// SPSR_EL1: the interrupted PSTATE.
    pub pstate: u64,
    /// Frame record linking the backtrace into the interrupted code.
    pub stackframe: [u64; 2],
}

impl PtRegs {
    /// Whether the exception came from EL0 (`user_mode(regs)`).
    pub fn user_mode(&self) -> bool {
        self.pstate & 0xf == 0
    }
}

const _: () = assert!(core::mem::size_of::<PtRegs>() == 288);

/// One `__ex_table` entry: a faulting instruction and where to resume.
#[repr(C)]
struct ExTableEntry {
    insn: usize,
    fixup: usize,
}

/// The vector slot an exception came through (order of the table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Kind {
    /// Synchronous from EL1 with SP_EL0.
    El1tSync = 0,
    /// Synchronous from EL1 (kernel).
    El1hSync = 4,
    /// IRQ from EL1.
    El1hIrq = 5,
    /// Synchronous from EL0 (user).
    El0Sync = 8,
    /// IRQ from EL0.
    El0Irq = 9,
}

const KIND_NAMES: [&str; 16] = [
    "EL1t sync",
    "EL1t IRQ",
    "EL1t FIQ",
    "EL1t SError",
    "EL1h sync",
    "EL1h IRQ",
    "EL1h FIQ",
    "EL1h SError",
    "EL0 sync",
    "EL0 IRQ",
    "EL0 FIQ",
    "EL0 SError",
    "EL0/32 sync",
    "EL0/32 IRQ",
    "EL0/32 FIQ",
    "EL0/32 SError",
];

/// Points VBAR_EL1 at the vector table (each core does it once).
pub fn install_vectors() {
    // SAFETY: only the address of the linker-placed table is taken.
    let base = unsafe { &exception_vectors as *const u8 as u64 };
    VBAR_EL1.set(base);
    aarch64_cpu::asm::barrier::isb(aarch64_cpu::asm::barrier::SY);
}

/// What a caught (fixed-up) fault looked like; tests read it back.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultRecord {
    /// ESR_EL1 of the fault.
    pub esr: u64,
    /// FAR_EL1 of the fault.
    pub far: u64,
    /// The faulting instruction.
    pub pc: u64,
}

/// Records the frame an IRQ interrupted (`set_irq_regs`); returns the
/// previous one (IRQs do not nest here, but the pattern keeps it honest).
fn set_irq_regs(regs: &mut PtRegs) -> usize {
    percpu::this_cpu()
        .irq_regs
        .swap(regs as *mut PtRegs as usize, Ordering::Relaxed)
}

fn set_irq_regs_raw(v: usize) {
    percpu::this_cpu().irq_regs.store(v, Ordering::Relaxed);
}

/// The registers the IRQ being handled on this CPU interrupted
/// (`get_irq_regs`).
pub fn get_irq_regs() -> Option<&'static PtRegs> {
    let p = percpu::this_cpu().irq_regs.load(Ordering::Relaxed) as *const PtRegs;
    // SAFETY: set only for the duration of `handle_irq` to the frame on
    // this CPU's kernel stack, which outlives the handler; read-only here.
    unsafe { p.as_ref() }
}

/// Called from `vectors.S` with the saved frame and the vector slot.
/// `noinstr`, as Linux's entry code: not traceable, so a system call pays
/// no patch-site NOPs before it reaches its handler.
#[no_mangle]
#[patchable_function_entry(prefix_nops = 0, entry_nops = 0)]
extern "C" fn exception_dispatch(regs: &mut PtRegs, kind: u64) {
    match kind {
        5 => {
            let old = set_irq_regs(regs);
            irq::handle_irq();
            set_irq_regs_raw(old);
            crate::sched::core::preempt_schedule_irq();
        }
        4 => el1_sync(regs),
        8 => {
            el0_sync(regs);
            ret_to_user_work(regs);
        }
        9 => {
            let old = set_irq_regs(regs);
            irq::handle_irq();
            set_irq_regs_raw(old);
            ret_to_user_work(regs);
        }
        // An exception from 32-bit user code or an SError from user space
        // ends that process, not the kernel.
        10..=15 => {
            crate::signal::force_sig(crate::signal::SIGILL);
            ret_to_user_work(regs);
        }
        _ => oops(regs, kind, "Unhandled exception"),
    }
}

/// Says why a user task is about to die of a fault, as arm64 Linux does
/// with `show_unhandled_signals` (on by default): only when no handler
/// will catch the signal, and at most 10 lines in 5 seconds, so a program
/// that crashes in a loop cannot flood the console.
fn arm64_show_signal(sig: u32, kind: &str, far: u64, esr_val: u64, regs: &PtRegs) {
    static LIMIT: crate::printk::RateLimit = crate::printk::RateLimit::new();
    if crate::signal::has_handler(sig) || !LIMIT.allow() {
        return;
    }
    let me = crate::task::current();
    println!(
        "{}[{}]: unhandled {kind} ({sig}) at {far:#018x}, esr {esr_val:#010x}, pc {:#x}, lr {:#x}, sp {:#x}",
        me.comm(),
        me.pid(),
        regs.pc,
        regs.regs[30],
        regs.sp
    );
}

/// A fault that becomes signal `sig` (`arm64_force_sig_fault`): said on
/// the console if nothing will catch it, then sent. Out of line: the
/// system-call path through `el0_sync` stays as short as before.
#[cold]
#[inline(never)]
fn user_fault(sig: u32, kind: &str, far: u64, esr_val: u64, regs: &PtRegs) {
    arm64_show_signal(sig, kind, far, esr_val, regs);
    // si_code as Linux's fault table gives it: a translation fault is an
    // unmapped address, a permission fault a forbidden access.
    use crate::signal::{SIGBUS, SIGSEGV};
    use libkernel::uapi;
    let code = match sig {
        SIGSEGV if esr::is_permission_fault(esr_val) => uapi::SEGV_ACCERR,
        SIGSEGV => uapi::SEGV_MAPERR,
        // A page past the end of a mapped file: a nonexistent address.
        SIGBUS if kind == "bus error" => uapi::BUS_ADRERR,
        SIGBUS => uapi::BUS_ADRALN,
        _ => uapi::ILL_ILLOPC,
    };
    crate::signal::force_sig_fault(sig, code, far);
}

/// A synchronous exception from user space: a system call, a page fault,
/// or a fault that becomes a signal (`el0_sync`).
fn el0_sync(regs: &mut PtRegs) {
    let esr_val = ESR_EL1.get();
    let far = FAR_EL1.get();
    // From user space no lock is held: nothing for the validator to mark.
    crate::arch::cpu::raw_local_irq_enable();
    use crate::signal::{force_sig, SIGBUS, SIGILL, SIGSEGV, SIGTRAP};
    match esr::class(esr_val) {
        esr::ec::SVC64 => el0_svc(regs),
        esr::ec::DABT_LOW | esr::ec::IABT_LOW => {
            let (kind, _) = esr::fault_status(esr_val);
            let access = if esr::class(esr_val) == esr::ec::IABT_LOW {
                crate::mm::vm::Access::Exec
            } else if esr::is_write(esr_val) {
                crate::mm::vm::Access::Write
            } else {
                crate::mm::vm::Access::Read
            };
            if kind == "alignment fault" {
                user_fault(SIGBUS, kind, far, esr_val, regs);
            } else {
                match crate::mm::fault::do_user_fault(far, access) {
                    Ok(()) => {}
                    // No page for a valid access: Linux's out-of-memory
                    // path kills the task rather than blaming its access.
                    Err(crate::errno::ENOMEM) => crate::mm::fault::pagefault_out_of_memory(),
                    // A file mapping's page past the end of its file.
                    Err(crate::mm::vm::VM_FAULT_SIGBUS) => {
                        user_fault(SIGBUS, "bus error", far, esr_val, regs)
                    }
                    Err(_) => user_fault(SIGSEGV, kind, far, esr_val, regs),
                }
            }
        }
        esr::ec::PC_ALIGN | esr::ec::SP_ALIGN => {
            user_fault(SIGBUS, "alignment fault", far, esr_val, regs)
        }
        esr::ec::BRK64 => force_sig(SIGTRAP),
        _ => user_fault(SIGILL, "undefined instruction", far, esr_val, regs),
    }
}

/// A system call from user space (Linux's `el0_svc`): its own frame, so
/// stack traces read `sys_clone <- el0_svc` as on Linux. `noinstr`, as
/// Linux's.
#[inline(never)]
#[no_mangle]
#[patchable_function_entry(prefix_nops = 0, entry_nops = 0)]
pub fn el0_svc(regs: &mut PtRegs) {
    crate::syscall::invoke_syscall(regs);
}

/// Work before returning to user space (`exit_to_user_mode`): reschedule
/// if asked, act on pending signals; IRQs end masked for the `eret`. The
/// flags are read with IRQs already masked, so the usual case (nothing to
/// do) is two loads and a return; the work itself is out of line, so this
/// path does not pay for its stack frame.
#[no_mangle]
pub extern "C" fn ret_to_user_work(regs: &mut PtRegs) {
    crate::arch::cpu::local_irq_disable();
    // SAFETY: a task is returning to user space: it is current, alive.
    let me = unsafe { &*crate::task::current_ptr() };
    if crate::sched::core::need_resched() || crate::signal::task_sigpending(me) {
        exit_to_user_mode_loop(regs);
    }
}

/// Reschedules and delivers signals until neither is pending
/// (`exit_to_user_mode_loop`); returns with IRQs masked.
#[cold]
#[inline(never)]
fn exit_to_user_mode_loop(regs: &mut PtRegs) {
    loop {
        crate::arch::cpu::local_irq_enable();
        if crate::sched::core::need_resched() {
            crate::sched::schedule();
        } else if crate::signal::signal_pending() {
            crate::signal::do_signal(regs);
        }
        crate::arch::cpu::local_irq_disable();
        if !crate::sched::core::need_resched() && !crate::signal::signal_pending() {
            return;
        }
    }
}

fn el1_sync(regs: &mut PtRegs) {
    let esr = ESR_EL1.get();
    if esr::class(esr) == esr::ec::UNKNOWN {
        // SAFETY: ELR points at the kernel instruction that trapped.
        let insn = unsafe { core::ptr::read_volatile(regs.pc as *const u32) };
        if crate::arch::semihosting::semihosting_missing(insn) {
            regs.pc += 4;
            return;
        }
    }
    if esr::is_abort(esr::class(esr)) {
        if let Some(fixup) = search_exception_table(regs.pc as usize) {
            let far = FAR_EL1.get();
            percpu::this_cpu().record_fault(FaultRecord {
                esr,
                far,
                pc: regs.pc,
            });
            regs.pc = fixup as u64;
            return;
        }
    }
    oops(regs, 4, "Unhandled exception");
}

fn search_exception_table(pc: usize) -> Option<usize> {
    // SAFETY: the linker places __ex_table between these two symbols, made of
    // ExTableEntry records emitted by our own assembly.
    let table = unsafe {
        let start = &__start___ex_table as *const ExTableEntry;
        let end = &__stop___ex_table as *const ExTableEntry;
        core::slice::from_raw_parts(start, end.offset_from(start) as usize)
    };
    table.iter().find(|e| e.insn == pc).map(|e| e.fixup)
}

/// Formats the exception report (class, addresses, registers) into `out`.
pub fn write_report(
    out: &mut (impl Write + ?Sized),
    regs: &PtRegs,
    kind: u64,
    esr_val: u64,
    far: u64,
) -> core::fmt::Result {
    let cpu = crate::arch::cpu::smp_processor_id_raw();
    let name = KIND_NAMES.get(kind as usize).unwrap_or(&"?");
    writeln!(out, "{name} exception on CPU {cpu}")?;
    write!(out, "ESR_EL1 {esr_val:#010x}: ")?;
    esr::describe(esr_val, out)?;
    writeln!(out)?;
    writeln!(
        out,
        "ELR_EL1 {:#018x}  FAR_EL1 {far:#018x}  SPSR_EL1 {:#010x}",
        regs.pc, regs.pstate
    )?;
    for (i, pair) in regs.regs.chunks(2).enumerate() {
        match pair {
            [a, b] => writeln!(out, "x{:<2} {a:#018x}  x{:<2} {b:#018x}", 2 * i, 2 * i + 1)?,
            [a] => writeln!(out, "x{:<2} {a:#018x}  sp  {:#018x}", 2 * i, regs.sp)?,
            _ => {}
        }
    }
    Ok(())
}

/// Reports a fatal exception and stops the machine.
fn oops(regs: &PtRegs, kind: u64, what: &str) -> ! {
    let esr_val = ESR_EL1.get();
    let far = FAR_EL1.get();
    crate::panic::die(|out| {
        writeln!(out, "{what}")?;
        write_report(out, regs, kind, esr_val, far)?;
        crate::panic::write_syscall(out)?;
        crate::panic::write_backtrace(out, regs.stackframe[0] as usize, Some(regs.pc as usize))
    });
    #[allow(unreachable_code)]
    power::halt_all()
}

/// Called on a per-CPU emergency stack when a kernel stack overflowed into
/// its guard page: reports it with the task's name and stops the machine.
#[no_mangle]
extern "C" fn handle_stack_overflow(sp: u64) -> ! {
    let (esr_val, far, elr) = (ESR_EL1.get(), FAR_EL1.get(), ELR_EL1.get());
    let p = percpu::this_cpu().current_task();
    let (comm, pid) = if p.is_null() {
        (crate::task::Comm([0; 16]), 0)
    } else {
        // SAFETY: the current task stays alive while it runs here.
        unsafe { ((*p).comm(), (*p).pid()) }
    };
    crate::panic::die(|out| {
        writeln!(
            out,
            "kernel stack overflow in task {} (pid {pid})",
            comm.as_str()
        )?;
        write!(
            out,
            "SP {sp:#018x}  FAR {far:#018x}  ELR {elr:#018x}  ESR {esr_val:#010x}: "
        )?;
        esr::describe(esr_val, out)?;
        writeln!(out)?;
        crate::panic::write_syscall(out)
    })
}

/// A load from `addr` that reports a fault instead of crashing: `Ok(value)`
/// or `Err(EFAULT)`, with the fault recorded in this CPU's fault record.
pub fn probe_read_u64(addr: usize) -> Result<u64, crate::errno::Errno> {
    extern "C" {
        fn __probe_read_u64(addr: usize, out: *mut u64) -> i64;
    }
    let mut v = 0u64;
    // SAFETY: __probe_read_u64 only loads from `addr` under the exception
    // table's protection and stores to `v`, which is valid.
    let r = unsafe { __probe_read_u64(addr, &mut v) };
    if r == 0 {
        Ok(v)
    } else {
        Err(crate::errno::EFAULT)
    }
}
