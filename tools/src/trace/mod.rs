//! Host-side tools for the kernel's ftrace output (`pikern-trace`).
//!
//! The kernel prints its trace buffer over the UART in Linux's ftrace text
//! format (shared/spec/ftrace-format.md). These modules cut it out of a
//! console log (`extract`), parse and check it line by line (`format`),
//! rebuild who ran where and when (`timeline`), and turn it into what people
//! look at: a Perfetto-ready text trace (`perfetto`), Chrome trace-event
//! JSON (`json`), an SVG timeline (`svg`), a text report (`summary`), and
//! the end-to-end check of the fork experiment the seed notes describe
//! (`expect`).

pub mod expect;
pub mod extract;
pub mod perfetto;
pub mod summary;
pub mod tracedat;

// The parser and the two pictures are libkernel's, so that the board's
// /bin/tracesave draws the same bytes as pikern-trace does here.
pub use libkernel::trace::export::{format, json, svg, timeline};

pub use format::{parse_trace, parse_trace_lenient, Error, Trace};

/// The golden trace of the seed's fork experiment, for tests.
#[cfg(test)]
pub(crate) const SEED_TRACE: &str = include_str!("../../tests/fixtures/seed_fork.trace");
