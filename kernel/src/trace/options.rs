//! The tracer's options as set now (Linux's `tr->trace_flags`): a bit per
//! row of `libkernel::trace::options::TRACE_OPTIONS`, the one table of
//! names and defaults, and what changing one does beyond its bit
//! ([`set`]). `trace_options` and `options/<name>` both come here.

use crate::errno::*;
use core::sync::atomic::{AtomicU64, Ordering};
pub use libkernel::trace::options::Opt;
use libkernel::trace::options::{self as opts, TRACE_OPTIONS};

/// The options' bits; [`init`] sets the defaults.
static TRACE_FLAGS: AtomicU64 = AtomicU64::new(0);

/// Sets every option to its default (boot).
pub fn init() {
    TRACE_FLAGS.store(opts::defaults(), Ordering::Relaxed);
    sync_statics();
}

/// Is option `o` set?
#[inline]
pub fn is_set(o: Opt) -> bool {
    TRACE_FLAGS.load(Ordering::Relaxed) & o.bit() != 0
}

/// All the bits (for `trace_options`).
pub fn mask() -> u64 {
    TRACE_FLAGS.load(Ordering::Relaxed)
}

/// Sets option number `i` (a row of `TRACE_OPTIONS`) to `on`, with what
/// the option does beyond its bit.
pub fn set(i: usize, on: bool) -> Result<(), Errno> {
    if i >= TRACE_OPTIONS.len() {
        return Err(EINVAL);
    }
    if on {
        TRACE_FLAGS.fetch_or(1 << i, Ordering::Relaxed);
    } else {
        TRACE_FLAGS.fetch_and(!(1 << i), Ordering::Relaxed);
    }
    sync_statics();
    // The stack-trace options and the pid list's fork rule are checked on
    // the slow path, which these bits switch on.
    super::event_file::recompute();
    Ok(())
}

/// Keeps the older single-option statics in step.
fn sync_statics() {
    super::OPT_SYM_OFFSET.store(is_set(Opt::SYM_OFFSET), Ordering::Relaxed);
    super::OPT_STACKTRACE.store(is_set(Opt::STACKTRACE), Ordering::Relaxed);
}

/// A word of `trace_options`: `name` or `noname`.
pub fn apply(word: &str) -> Result<(), Errno> {
    let (i, on) = opts::parse(word).ok_or(EINVAL)?;
    set(i, on)
}

/// The `trace_options` file.
pub fn text() -> alloc::string::String {
    opts::text(mask())
}
