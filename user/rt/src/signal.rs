//! Signal names and descriptions, for programs that take or report
//! signals (`kill -TERM`, a shell's "Terminated").
//!
//! The numbers, names and descriptions are libkernel's (`uapi::signal_name`,
//! `uapi::signal_desc`, generated from the one `signals!` table the kernel
//! uses); this module only adds the shell spellings: names without the
//! `SIG` prefix, and parsing.

use libkernel::uapi;

/// The standard signals (1..`SIGRTMIN`), `(number, name without "SIG")`,
/// in number order.
pub fn all() -> impl Iterator<Item = (u32, &'static str)> {
    (1..uapi::SIGRTMIN).filter_map(|n| name(n).map(|s| (n, s)))
}

/// The name of `sig` without the `SIG` prefix (`"TERM"`).
pub fn name(sig: u32) -> Option<&'static str> {
    uapi::signal_name(sig).map(|s| s.strip_prefix("SIG").unwrap_or(s))
}

/// What a shell says when `sig` kills a job (`"Terminated"`,
/// `"Segmentation fault"`); `"Unknown signal"` outside the table.
pub fn description(sig: u32) -> &'static str {
    uapi::signal_desc(sig).unwrap_or("Unknown signal")
}

/// Parses a signal given as a number (`"9"`) or a name with or without
/// the `SIG` prefix, in any case (`"KILL"`, `"sigkill"`). Numbers are
/// accepted up to [`uapi::NSIG`]; 0 (the existence check) too.
pub fn parse(s: &str) -> Option<u32> {
    if let Ok(n) = s.parse::<u32>() {
        return (n <= uapi::NSIG).then_some(n);
    }
    let upper = |b: &u8| b.to_ascii_uppercase();
    let bytes = s.as_bytes();
    let bare = if bytes.len() > 3 && bytes[..3].iter().map(upper).eq(*b"SIG") {
        &bytes[3..]
    } else {
        bytes
    };
    all()
        .find(|(_, n)| n.len() == bare.len() && n.bytes().eq(bare.iter().map(upper)))
        .map(|(n, _)| n)
}
