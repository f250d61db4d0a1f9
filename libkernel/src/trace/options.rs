//! The tracer's options (Linux's `trace_options` file and `options/`
//! directory, `TRACE_FLAGS` in `kernel/trace/trace.h`): one table of
//! names and defaults, a bit each, and the text of `trace_options`
//! (`name` when set, `noname` when clear).

use alloc::string::String;

/// One option: its name and whether it starts set.
#[derive(Clone, Copy, Debug)]
pub struct TraceOption {
    /// Its name (`sym-offset`).
    pub name: &'static str,
    /// Set at boot.
    pub default: bool,
}

macro_rules! trace_options {
    ($($c:ident = $name:literal, $def:literal;)*) => {
        /// Bit numbers of the options, in [`TRACE_OPTIONS`] order.
        #[allow(non_camel_case_types, missing_docs)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u32)]
        pub enum Opt { $($c,)* }
        /// Every option, in Linux's `trace_options` order.
        pub const TRACE_OPTIONS: &[TraceOption] = &[
            $(TraceOption { name: $name, default: $def },)*
        ];
    };
}

// Linux 4.19's order; the lead adds the function_graph tracer's rows
// (`funcgraph-*`) at the end.
trace_options! {
    PRINT_PARENT = "print-parent", true;
    SYM_OFFSET = "sym-offset", true;
    SYM_ADDR = "sym-addr", false;
    VERBOSE = "verbose", false;
    RAW = "raw", false;
    HEX = "hex", false;
    BIN = "bin", false;
    BLOCK = "block", false;
    PRINTK = "trace_printk", true;
    ANNOTATE = "annotate", true;
    USERSTACKTRACE = "userstacktrace", false;
    SYM_USEROBJ = "sym-userobj", false;
    PRINTK_MSGONLY = "printk-msg-only", false;
    CONTEXT_INFO = "context-info", true;
    LATENCY_FORMAT = "latency-format", false;
    RECORD_CMD = "record-cmd", true;
    RECORD_TGID = "record-tgid", false;
    OVERWRITE = "overwrite", true;
    DISABLE_ON_FREE = "disable_on_free", false;
    IRQ_INFO = "irq-info", true;
    MARKERS = "markers", true;
    EVENT_FORK = "event-fork", false;
    FUNC_STACKTRACE = "func_stack_trace", false;
    STACKTRACE = "stacktrace", false;
}

impl Opt {
    /// Its bit in an option mask.
    pub const fn bit(self) -> u64 {
        1 << self as u32
    }
}

/// The mask with every option at its default.
pub fn defaults() -> u64 {
    TRACE_OPTIONS
        .iter()
        .enumerate()
        .filter(|(_, o)| o.default)
        .fold(0, |m, (i, _)| m | 1 << i)
}

/// The index of option `name`.
pub fn find(name: &str) -> Option<usize> {
    TRACE_OPTIONS.iter().position(|o| o.name == name)
}

/// A word written to `trace_options`: `name` sets, `noname` clears.
/// Returns the option's index and its new value.
pub fn parse(word: &str) -> Option<(usize, bool)> {
    let w = word.trim();
    if let Some(i) = find(w) {
        return Some((i, true));
    }
    find(w.strip_prefix("no")?).map(|i| (i, false))
}

/// The `trace_options` file for option mask `mask`.
pub fn text(mask: u64) -> String {
    let mut s = String::new();
    for (i, o) in TRACE_OPTIONS.iter().enumerate() {
        if mask & (1 << i) == 0 {
            s.push_str("no");
        }
        s.push_str(o.name);
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_options_lists_every_option_with_no_when_clear() {
        let t = text(defaults());
        assert!(
            t.starts_with("print-parent\nsym-offset\nnosym-addr\n"),
            "{t}"
        );
        assert!(t.contains("\nnorecord-tgid\n") && t.contains("\nirq-info\n"));
        assert!(t.ends_with("nostacktrace\n"));
        assert_eq!(t.lines().count(), TRACE_OPTIONS.len());
    }

    #[test]
    fn words_set_and_clear_options() {
        assert_eq!(
            parse("record-tgid"),
            Some((Opt::RECORD_TGID as usize, true))
        );
        assert_eq!(parse("noirq-info\n"), Some((Opt::IRQ_INFO as usize, false)));
        assert_eq!(parse("nosuch"), None);
        assert_eq!(parse("no"), None);
        assert_eq!(find("sym-offset"), Some(Opt::SYM_OFFSET as usize));
        assert!(defaults() & Opt::SYM_OFFSET.bit() != 0);
        assert!(defaults() & Opt::STACKTRACE.bit() == 0);
    }

    #[test]
    fn the_table_fits_a_mask_and_names_are_unique() {
        assert!(TRACE_OPTIONS.len() <= 64);
        for (i, o) in TRACE_OPTIONS.iter().enumerate() {
            assert_eq!(find(o.name), Some(i), "{} twice", o.name);
        }
    }
}
