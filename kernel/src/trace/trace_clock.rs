//! `trace_clock` (Linux's `kernel/trace/trace_clock.c` and the clock
//! table of `trace.c`): which clock the trace's timestamps are read in.
//! Entries hold raw counter ticks, so a clock is a way of reading them:
//! the ones counting nanoseconds since boot are the same clock here (one
//! architected counter, in step on every CPU); `counter` is the raw
//! count; `uptime` counts jiffies.

use crate::errno::*;
use alloc::string::String;
use core::sync::atomic::{AtomicUsize, Ordering};

/// Linux's clock names, in its order; all but `counter` and `uptime`
/// read nanoseconds.
pub const CLOCKS: [&str; 8] = [
    "local", "global", "counter", "uptime", "perf", "mono", "mono_raw", "boot",
];
const COUNTER: usize = 2;
const UPTIME: usize = 3;

static CLOCK: AtomicUsize = AtomicUsize::new(0);

/// The `trace_clock` file: every clock, the current one in brackets.
pub fn text() -> String {
    let cur = CLOCK.load(Ordering::Relaxed);
    let mut s = String::new();
    for (i, c) in CLOCKS.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        if i == cur {
            s.push('[');
            s.push_str(c);
            s.push(']');
        } else {
            s.push_str(c);
        }
    }
    s.push('\n');
    s
}

/// Selects a clock by name; the buffers are emptied, as Linux resets them
/// (old and new timestamps would not compare).
pub fn set(name: &str) -> Result<(), Errno> {
    let i = CLOCKS
        .iter()
        .position(|c| *c == name.trim())
        .ok_or(EINVAL)?;
    if CLOCK.swap(i, Ordering::Relaxed) != i {
        super::clear();
    }
    Ok(())
}

/// Does the clock count nanoseconds (printed as `secs.usecs`)?
pub fn in_ns() -> bool {
    !matches!(CLOCK.load(Ordering::Relaxed), COUNTER | UPTIME)
}

/// A recorded timestamp (counter ticks) in the current clock.
pub fn convert(ticks: u64) -> u64 {
    match CLOCK.load(Ordering::Relaxed) {
        COUNTER => ticks,
        UPTIME => crate::time::cycles_to_ns(ticks) / (1_000_000_000 / crate::time::HZ),
        _ => crate::time::cycles_to_ns(ticks),
    }
}
