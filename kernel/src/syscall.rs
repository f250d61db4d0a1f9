//! The system-call table: Linux arm64 numbers (`x8`) to `sys_*` functions,
//! arguments in `x0`..`x5`, the result (or `-errno`) in `x0`.
//!
//! The table itself is `libkernel::syscall_table!` (one row per call, in
//! `libkernel/src/uapi/unistd.rs`); this file only turns it into the
//! dispatch `match`. Each `sys_*` lives with its subsystem, as Linux's
//! `SYSCALL_DEFINE`s do, and is found here by name through the imports
//! below. A row without a function, or a number without a row, is
//! `-ENOSYS`.

use crate::arch::exception::PtRegs;
use crate::errno::*;
use crate::task;
use core::sync::atomic::Ordering;

// Where the `sys_*` functions the table names live.
#[allow(unused_imports)]
use crate::{
    drivers::char::random::*, exec::*, exit::*, fork::*, fs::namespace::*, fs::select::*,
    fs::syscalls::*, futex::*, mm::syscalls::*, printk::sys_syslog, ptrace::*, reboot::*,
    sched::core::*, signal::*, sys::*, time::hrtimer::*, time::itimer::*, time::posix_timers::*,
};

/// Runs the system call described by `regs` and stores its result
/// (`invoke_syscall`). With work to do at entry or exit (a syscall
/// tracepoint on, a tracer's syscall stops: the task's `syscall_work`,
/// Linux's `_TIF_SYSCALL_WORK` test in `el0_svc_common`) the call goes
/// the traced way, out of line: the usual path pays one load of that
/// word and one branch.
pub fn invoke_syscall(regs: &mut PtRegs) {
    if task::with_current(|t| t.syscall_work.load(Ordering::Relaxed)) != 0 {
        invoke_syscall_traced(regs);
    } else {
        do_invoke_syscall::<false>(regs, regs.regs[8] as usize);
    }
}

/// [`invoke_syscall`] between `sys_enter` and `sys_exit`, and between a
/// tracer's syscall-entry and syscall-exit stops (`syscall_trace_enter`,
/// `syscall_trace_exit`).
#[cold]
#[inline(never)]
fn invoke_syscall_traced(regs: &mut PtRegs) {
    use crate::ptrace::{SYSCALL_WORK_CPU_TIMERS, SYSCALL_WORK_SYSCALL_TRACE};
    let mut work = task::with_current(|t| t.syscall_work.load(Ordering::Relaxed));
    if work & SYSCALL_WORK_CPU_TIMERS != 0 {
        crate::time::itimer::posix_cpu_timers_work();
        work &= !SYSCALL_WORK_CPU_TIMERS;
        if work == 0 {
            return do_invoke_syscall::<false>(regs, regs.regs[8] as usize);
        }
    }
    if work & SYSCALL_WORK_SYSCALL_TRACE == 0 {
        return do_invoke_syscall::<true>(regs, regs.regs[8] as usize);
    }
    // -1 asks for no call (`NO_SYSCALL`): it fails with ENOSYS unless the
    // tracer sets a result.
    if regs.regs[8] as i64 == -1 {
        regs.regs[0] = ENOSYS.as_neg() as u64;
    }
    if let Some(nr) = crate::ptrace::syscall_trace_enter(regs) {
        do_invoke_syscall::<true>(regs, nr);
    }
    // The tracer may have stopped tracing meanwhile (`PTRACE_CONT`).
    if task::with_current(|t| t.syscall_work.load(Ordering::Relaxed)) & SYSCALL_WORK_SYSCALL_TRACE
        != 0
    {
        crate::ptrace::syscall_trace_exit(regs);
    }
}

/// Sets or clears `SYSCALL_WORK_SYSCALL_TRACEPOINT` on every task as a
/// syscall tracepoint is turned on or off (Linux's `syscall_regfunc` and
/// `syscall_unregfunc`); `copy_process` sets it on new tasks under the
/// same lock.
pub fn set_syscall_tracepoint_all(on: bool) {
    use crate::ptrace::SYSCALL_WORK_SYSCALL_TRACEPOINT;
    let tl = crate::pid::TASKLIST.lock();
    for t in tl.iter() {
        if on {
            t.syscall_work
                .fetch_or(SYSCALL_WORK_SYSCALL_TRACEPOINT, Ordering::Relaxed);
        } else {
            t.syscall_work
                .fetch_and(!SYSCALL_WORK_SYSCALL_TRACEPOINT, Ordering::Relaxed);
        }
    }
    drop(tl);
}

#[inline(always)]
fn do_invoke_syscall<const TRACED: bool>(regs: &mut PtRegs, nr: usize) {
    let a = [
        regs.regs[0],
        regs.regs[1],
        regs.regs[2],
        regs.regs[3],
        regs.regs[4],
        regs.regs[5],
    ];
    if TRACED {
        crate::trace::events::trace_sys_enter(nr, &a);
    }
    let r = dispatch(nr, a, regs);
    if TRACED {
        // What the call returned, before a restart is sorted out: Linux's
        // sys_exit shows -ERESTARTSYS and friends too.
        crate::trace::events::trace_sys_exit(
            nr,
            match r {
                Ok(v) => v,
                Err(e) => e.as_neg(),
            },
        );
    }
    let ret = match r {
        Ok(v) => v as u64,
        // Interrupted by a signal: restarted or EINTR, as `do_signal`
        // decides (out of line: never on the fast path). The frame still
        // holds the first argument (read there, not kept across the call).
        Err(e) if e.0 >= ERESTARTSYS.0 => {
            let orig_x0 = regs.regs[0];
            return crate::signal::syscall_interrupted(regs, orig_x0, e);
        }
        Err(e) => e.as_neg() as u64,
    };
    regs.regs[0] = ret;
}

/// A register as a `sys_*` parameter: the C calling convention's
/// truncation or sign change (`as`), chosen by the parameter's type.
trait FromReg {
    fn from_reg(r: u64) -> Self;
}

macro_rules! from_reg {
    ($($t:ty),*) => {
        $(impl FromReg for $t {
            #[inline(always)]
            fn from_reg(r: u64) -> Self {
                r as $t
            }
        })*
    };
}

from_reg!(u64, i64, u32, i32, usize);

/// A register as the C type of an argument of kind `$kind`: descriptors,
/// pids and signals are `int` in Linux's prototypes, so only the low 32
/// bits count (`SYSCALL_DEFINE` truncates them). glibc's assembly stubs
/// leave `kill(-pgrp)`'s pid zero-extended in `x0`; read as 64 bits it
/// would be a large positive pid.
macro_rules! arg_reg {
    (Fd, $v:expr) => {
        $v as i32 as i64 as u64
    };
    (Pid, $v:expr) => {
        $v as i32 as i64 as u64
    };
    (Signal, $v:expr) => {
        $v as i32 as i64 as u64
    };
    ($other:ident, $v:expr) => {
        $v
    };
}

/// Calls `$f` with one register per table argument, in order, and the
/// saved registers last when the row says `+ regs`.
macro_rules! call_sys {
    ($f:ident, $a:ident, $r:ident, ($($arg:ident : $kind:ident),*)) => {
        call_sys!(@ $f, $a, [], [0 1 2 3 4 5], [$($kind)*], ())
    };
    ($f:ident, $a:ident, $r:ident, ($($arg:ident : $kind:ident),*) $_regs:ident) => {
        call_sys!(@ $f, $a, [], [0 1 2 3 4 5], [$($kind)*], ($r))
    };
    (@ $f:ident, $a:ident, [$($done:expr),*], [$i:tt $($is:tt)*], [$k:ident $($ks:ident)*], $tail:tt) => {
        call_sys!(@ $f, $a, [$($done,)* FromReg::from_reg(arg_reg!($k, $a[$i]))], [$($is)*], [$($ks)*], $tail)
    };
    (@ $f:ident, $a:ident, [$($done:expr),*], [$($is:tt)*], [], ()) => {
        $f($($done),*)
    };
    (@ $f:ident, $a:ident, [$($done:expr),*], [$($is:tt)*], [], ($r:ident)) => {
        $f($($done,)* $r)
    };
}

/// The dispatch `match`, one arm per row that names a function.
macro_rules! syscall_dispatch {
    ($($konst:ident $name:ident = $nr:literal $args:tt
        $(=> $sys:ident $(+ $regs:ident)?)?;)*) => {
        // Inlined into both ways in (the usual and the traced): out of
        // line it cost the null system call 19 instructions.
        #[inline(always)]
        fn dispatch(n: usize, a: [u64; 6], regs: &mut PtRegs) -> SysResult {
            match n {
                $($($nr => call_sys!($sys, a, regs, $args $($regs)?),)?)*
                _ => sys_ni_syscall(n),
            }
        }
    };
}

// The calls Debian's programs make on every run (issue 21's root
// filesystem), kept apart from the list above so branches merge cleanly.
#[allow(unused_imports)]
use crate::{fs::xattr::*, mm::fadvise::*, net::socket::*};

// The calls issue 21's programs still got ENOSYS for (waitid, preadv2,
// close_range, copy_file_range, memfd_create, ...).
#[allow(unused_imports)]
use crate::{fs::read_write::*, mm::memfd::*};

libkernel::syscall_table!(syscall_dispatch);

/// A system call pikern does not implement (`sys_ni_syscall`): `-ENOSYS`,
/// and the first one a process makes is named on the console, rate
/// limited, so a program that fails for want of a call says which.
#[cold]
#[inline(never)]
fn sys_ni_syscall(n: usize) -> SysResult {
    static LIMIT: crate::printk::RateLimit = crate::printk::RateLimit::new();
    // glibc registers rseq in every process and takes -ENOSYS as a kernel
    // built without CONFIG_RSEQ: not worth a line per process.
    if n == libkernel::uapi::nr::RSEQ {
        return Err(ENOSYS);
    }
    let me = task::current();
    if !me.ni_syscall_noted.swap(true, Ordering::Relaxed) && LIMIT.allow() {
        println!(
            "{}[{}]: system call {} ({n}) is not implemented: -ENOSYS",
            me.comm(),
            me.tgid,
            libkernel::uapi::syscall_name(n).unwrap_or("unknown"),
        );
    }
    Err(ENOSYS)
}
