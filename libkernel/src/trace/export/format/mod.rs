//! The ftrace text format (shared/spec/ftrace-format.md): typed lines, a
//! parser that holds every line to the spec byte for byte, and rendering
//! back to the same bytes. By job: `line` (one line: its context columns,
//! flags, function-tracer and stack-trace bodies, header and lost-events
//! lines), `event` (each event's fields, parsed from their `TP_printk`
//! text), `file` (the whole file and the rules across its lines).
//!
//! This parser is written by hand from the spec, on purpose apart from the
//! kernel's event declarations (`libkernel::trace::events`): it is the
//! independent check of what the kernel prints, and
//! `tools/tests/trace_events.rs` ties the two together.
//!
//! Rendering exists so that `perfetto` can rewrite a trace (sanitised comms,
//! synthesised `sched_waking` lines) without re-implementing the format, and
//! so that the round trip `parse -> render` can be tested to give the input
//! back unchanged: that round trip is what keeps the parser and the spec's
//! printf formats in step.
//!
//! Besides the shape of each line, the parser checks the facts the spec
//! states about the whole file: the exact header, timestamps that never go
//! back, the entry count in the header, CPU numbers below `#P`, and the
//! invariants of Linux's tracer (an entry's pid is the task running on that
//! CPU; `sched_switch` is recorded by the task switching out; fork and exit
//! events are recorded by the forking/exiting task).

use alloc::string::String;

use core::fmt;

mod event;
mod file;
mod line;
#[cfg(test)]
mod tests;

pub use event::*;
pub use file::*;
pub use line::*;

/// A problem with one line of a trace (or, with line 0, the whole input).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// 1-based line number in the trace text.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}
