//! The function tracer. A traced function starts with `ftrace!(Fn::Name)`:
//! with the tracer off that is one load and one branch; on, it records
//! `name+off/size <-caller+off/size` from the frame-pointer chain (the
//! address inside the function and its return address), and, if the
//! function has a stack-trace trigger, a `<stack trace>` entry walking the
//! callers. Adding a function means one enum variant and one line.

use super::{active, record_words, FUNC_BIT};
use core::sync::atomic::{AtomicU64, Ordering};
use libkernel::trace::{id, PayloadWriter};

macro_rules! traced_functions {
    ($($v:ident = $name:literal,)*) => {
        /// The functions the tracer knows, by Linux name.
        #[allow(non_camel_case_types, missing_docs)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u32)]
        pub enum Fn { $($v,)* }
        /// Their names, in `Fn` order.
        pub const NAMES: &[&str] = &[$($name,)*];
    };
}

traced_functions! {
    sys_clone = "sys_clone",
    sys_clone3 = "sys_clone3",
    _do_fork = "_do_fork",
    copy_process = "copy_process",
    dup_task_struct = "dup_task_struct",
    wake_up_new_task = "wake_up_new_task",
    sys_exit_group = "sys_exit_group",
    do_group_exit = "do_group_exit",
    zap_other_threads = "zap_other_threads",
    do_exit = "do_exit",
    exit_notify = "exit_notify",
    do_task_dead = "do_task_dead",
    __schedule = "__schedule",
    context_switch = "context_switch",
    finish_task_switch = "finish_task_switch",
    put_task_stack = "put_task_stack",
    put_task_struct = "put_task_struct",
    release_task = "release_task",
    sys_wait4 = "sys_wait4",
    sys_execve = "sys_execve",
    do_execve = "do_execve",
    de_thread = "de_thread",
    try_to_wake_up = "try_to_wake_up",
    set_task_cpu = "set_task_cpu",
    do_futex = "do_futex",
    futex_wait = "futex_wait",
    futex_wake = "futex_wake",
}

/// Functions the filter lets through (all when `set_ftrace_filter` is
/// empty).
static FILTER: AtomicU64 = AtomicU64::new(0);
/// Functions with a stack-trace trigger.
static STACKTRACE: AtomicU64 = AtomicU64::new(0);

/// Records entry to function `f` if the function tracer is on. Must be
/// the first statement of the function: it reads the program counter and
/// the link register (still the function's return address, as no call has
/// happened yet), like Linux's `mcount` hook.
#[macro_export]
macro_rules! ftrace {
    ($f:ident) => {
        if $crate::trace::active($crate::trace::FUNC_BIT) {
            let (pc, lr, fp) = $crate::mcount_regs!();
            $crate::trace::function::trace_function($crate::trace::function::Fn::$f, pc, lr, fp);
        }
    };
}

fn selected(f: Fn) -> bool {
    let filter = FILTER.load(Ordering::Relaxed);
    filter == 0 || filter & (1 << f as u32) != 0
}

/// The out-of-line part of `ftrace!`: `pc` is inside the traced
/// function, `lr` its return address, `fp` the frame pointer at that point
/// (the function's own frame record, or its caller's if the prologue has
/// not run yet).
#[inline(never)]
pub fn trace_function(f: Fn, pc: usize, lr: usize, fp: usize) {
    if !active(FUNC_BIT) || !selected(f) {
        return;
    }
    record_words(id::FUNCTION, [pc as u64, lr as u64]);
    if STACKTRACE.load(Ordering::Relaxed) & (1 << f as u32) != 0 {
        record_stack(lr, fp);
    }
}

/// Records a `<stack trace>` entry: `first` (the traced function's return
/// address), then the return addresses found walking frame records from
/// `fp`.
pub fn record_stack(first: usize, fp: usize) {
    let mut frames = [0u64; 7];
    frames[0] = first as u64;
    let mut n = 1;
    crate::arch::backtrace::walk(fp, 8, |lr| {
        // The function's own record repeats `first`; user addresses (the
        // exception frame's link into user space) end the kernel stack.
        if (n == 1 && lr == first) || (lr as u64) < crate::mm::PAGE_OFFSET {
            return;
        }
        if n < 7 {
            frames[n] = lr as u64;
            n += 1;
        }
    });
    let mut w = PayloadWriter::default().u64(n as u64);
    for a in &frames[..n] {
        w = w.u64(*a);
    }
    record_words(id::STACK_TRACE, w.finish_words());
}

/// Simple glob match (`*` anywhere, `?` one character).
pub fn glob(pat: &str, name: &str) -> bool {
    fn m(p: &[u8], n: &[u8]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some(b'*'), _) => m(&p[1..], n) || (!n.is_empty() && m(p, &n[1..])),
            (Some(b'?'), Some(_)) => m(&p[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => m(&p[1..], &n[1..]),
            _ => false,
        }
    }
    m(pat.as_bytes(), name.as_bytes())
}

/// Adds functions matching `spec` to the filter; `name:stacktrace` also
/// sets a stack-trace trigger; `!name` removes. Returns how many matched.
pub fn add_filter(spec: &str) -> usize {
    let spec = spec.trim();
    if spec.is_empty() {
        return 0;
    }
    let (neg, spec) = match spec.strip_prefix('!') {
        Some(s) => (true, s),
        None => (false, spec),
    };
    let (pat, stack) = match spec.split_once(':') {
        Some((p, "stacktrace")) => (p, true),
        Some((p, _)) => (p, false),
        None => (spec, false),
    };
    let mut n = 0;
    for (i, name) in NAMES.iter().enumerate() {
        if glob(pat, name) {
            n += 1;
            let target = if stack { &STACKTRACE } else { &FILTER };
            if neg {
                target.fetch_and(!(1 << i), Ordering::Relaxed);
            } else {
                target.fetch_or(1 << i, Ordering::Relaxed);
                if stack {
                    FILTER.fetch_or(1 << i, Ordering::Relaxed);
                }
            }
        }
    }
    n
}

/// Clears the filter and the stack-trace triggers.
pub fn clear_filter() {
    FILTER.store(0, Ordering::Relaxed);
    STACKTRACE.store(0, Ordering::Relaxed);
}

/// The filter as `set_ftrace_filter` shows it.
pub fn filter_text() -> alloc::string::String {
    let mut s = alloc::string::String::new();
    let (f, st) = (
        FILTER.load(Ordering::Relaxed),
        STACKTRACE.load(Ordering::Relaxed),
    );
    if f == 0 {
        s.push_str("#### all functions enabled ####\n");
    }
    for (i, name) in NAMES.iter().enumerate() {
        if f & (1 << i) != 0 {
            s.push_str(name);
            s.push('\n');
        }
        if st & (1 << i) != 0 {
            s.push_str(name);
            s.push_str(":stacktrace:unlimited\n");
        }
    }
    s
}
