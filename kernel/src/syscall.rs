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
    fs::syscalls::*, futex::*, mm::syscalls::*, printk::sys_syslog, reboot::*, sched::core::*,
    signal::*, sys::*, time::hrtimer::*, time::posix_timers::*,
};

/// Runs the system call described by `regs` and stores its result
/// (`invoke_syscall`).
pub fn invoke_syscall(regs: &mut PtRegs) {
    let a = [
        regs.regs[0],
        regs.regs[1],
        regs.regs[2],
        regs.regs[3],
        regs.regs[4],
        regs.regs[5],
    ];
    // For oops reports: the frame of this task's latest system call. Not
    // cleared on return (one store instead of two on the hottest path);
    // the report says "latest", and the frame stays valid memory.
    let at = regs as *mut PtRegs as u64;
    task::with_current(|t| t.syscall_regs.store(at, Ordering::Relaxed));
    let r = dispatch(regs.regs[8] as usize, a, regs);
    regs.regs[0] = match r {
        Ok(v) => v as u64,
        Err(e) => e.as_neg() as u64,
    };
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

/// Calls `$f` with one register per table argument, in order, and the
/// saved registers last when the row says `+ regs`.
macro_rules! call_sys {
    ($f:ident, $a:ident, $r:ident, ($($arg:ident : $kind:ident),*)) => {
        call_sys!(@ $f, $a, [], [0 1 2 3 4 5], [$($arg)*], ())
    };
    ($f:ident, $a:ident, $r:ident, ($($arg:ident : $kind:ident),*) $_regs:ident) => {
        call_sys!(@ $f, $a, [], [0 1 2 3 4 5], [$($arg)*], ($r))
    };
    (@ $f:ident, $a:ident, [$($done:expr),*], [$i:tt $($is:tt)*], [$x:ident $($xs:ident)*], $tail:tt) => {
        call_sys!(@ $f, $a, [$($done,)* FromReg::from_reg($a[$i])], [$($is)*], [$($xs)*], $tail)
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
        fn dispatch(n: usize, a: [u64; 6], regs: &mut PtRegs) -> SysResult {
            match n {
                $($($nr => call_sys!($sys, a, regs, $args $($regs)?),)?)*
                _ => Err(ENOSYS),
            }
        }
    };
}

libkernel::syscall_table!(syscall_dispatch);
