//! The function tracer (Linux's `kernel/trace/trace_functions.c`): each
//! entry to a traced function records `name+off/size <-caller+off/size`
//! (the patched call inside the function and its return address), and, for
//! a function with a `:stacktrace` command, a `<stack trace>` entry walking
//! the callers. Which functions are traced is dynamic ftrace's business
//! ([`super::ftrace`]).

use super::record_words_irqflags;
use libkernel::trace::{id, PayloadWriter};

/// Records entry to a traced function: `ip` inside it, `parent` its return
/// address, `daif` its IRQ state. Runs under the tracer's recursion bit,
/// IRQs masked.
#[patchable_function_entry(prefix_nops = 0, entry_nops = 0)]
pub fn trace_function(ip: usize, parent: usize, daif: u64) {
    record_words_irqflags(id::FUNCTION, [ip as u64, parent as u64], daif);
}

/// Records a `<stack trace>` entry: `first` (the traced function's return
/// address), then the return addresses found walking frame records from
/// `fp`.
pub fn record_stack(first: usize, fp: usize, daif: u64) {
    let mut frames = [0u64; 7];
    frames[0] = first as u64;
    let mut n = 1;
    let cur = crate::arch::cpu::get_current();
    // SAFETY: SP_EL0 holds the running task while in the kernel (0 before
    // the scheduler starts).
    let task = (cur != 0).then(|| unsafe { &*(cur as *const crate::task::Task) });
    let mut hooked = 0;
    crate::arch::backtrace::walk(fp, 8, |lr| {
        // A return the graph tracer hooked reads `return_to_handler`.
        let lr = task.map_or(lr, |t| super::graph::ret_addr(t, lr, &mut hooked));
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
    record_words_irqflags(id::STACK_TRACE, w.finish_words(), daif);
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
