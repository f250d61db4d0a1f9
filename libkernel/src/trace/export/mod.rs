//! Reading Linux's ftrace text back and drawing it: the parser of the
//! `trace` file (`format`), who ran where and when (`timeline`), and the two
//! pictures made from that, an SVG timeline (`svg`) and Chrome trace-event
//! JSON (`json`).
//!
//! They live here, not in the host tools, so that the same code runs in
//! both places: `pikern-trace` on the development machine, and
//! `/bin/tracesave` on the board, which writes the trace of the seed's
//! demo as text, SVG and JSON to the SD card (`/boot/trace/`) for a
//! student without a serial cable.

pub mod format;
pub mod json;
pub mod svg;
pub mod timeline;

pub use format::{parse_trace, parse_trace_lenient, Error, Trace};

/// The golden trace of the seed's fork experiment, for tests.
#[cfg(test)]
pub(crate) const SEED_TRACE: &str =
    include_str!("../../../../tools/tests/fixtures/seed_fork.trace");
