//! Signal names and descriptions, for programs that take or report
//! signals (`kill -TERM`, a shell's "Terminated").
//!
//! The numbers are Linux arm64's (asm-generic), the same as
//! [`crate::consts`]'s `SIG*` constants.

/// `(number, name without "SIG", description)` for the standard signals.
const TABLE: &[(i32, &str, &str)] = &[
    (1, "HUP", "Hangup"),
    (2, "INT", "Interrupt"),
    (3, "QUIT", "Quit"),
    (4, "ILL", "Illegal instruction"),
    (5, "TRAP", "Trace/breakpoint trap"),
    (6, "ABRT", "Aborted"),
    (7, "BUS", "Bus error"),
    (8, "FPE", "Floating point exception"),
    (9, "KILL", "Killed"),
    (10, "USR1", "User defined signal 1"),
    (11, "SEGV", "Segmentation fault"),
    (12, "USR2", "User defined signal 2"),
    (13, "PIPE", "Broken pipe"),
    (14, "ALRM", "Alarm clock"),
    (15, "TERM", "Terminated"),
    (16, "STKFLT", "Stack fault"),
    (17, "CHLD", "Child exited"),
    (18, "CONT", "Continued"),
    (19, "STOP", "Stopped (signal)"),
    (20, "TSTP", "Stopped"),
    (21, "TTIN", "Stopped (tty input)"),
    (22, "TTOU", "Stopped (tty output)"),
    (23, "URG", "Urgent I/O condition"),
    (24, "XCPU", "CPU time limit exceeded"),
    (25, "XFSZ", "File size limit exceeded"),
    (26, "VTALRM", "Virtual timer expired"),
    (27, "PROF", "Profiling timer expired"),
    (28, "WINCH", "Window changed"),
    (29, "IO", "I/O possible"),
    (30, "PWR", "Power failure"),
    (31, "SYS", "Bad system call"),
];

/// The standard signals, `(number, name without "SIG")`, in number order.
pub fn all() -> impl Iterator<Item = (i32, &'static str)> {
    TABLE.iter().map(|&(n, name, _)| (n, name))
}

/// The name of `sig` without the `SIG` prefix (`"TERM"`).
pub fn name(sig: i32) -> Option<&'static str> {
    TABLE.iter().find(|e| e.0 == sig).map(|e| e.1)
}

/// What a shell says when `sig` kills a job (`"Terminated"`,
/// `"Segmentation fault"`); `"Unknown signal"` outside the table.
pub fn description(sig: i32) -> &'static str {
    TABLE
        .iter()
        .find(|e| e.0 == sig)
        .map_or("Unknown signal", |e| e.2)
}

/// Parses a signal given as a number (`"9"`) or a name with or without
/// the `SIG` prefix, in any case (`"KILL"`, `"sigkill"`). Numbers are
/// accepted up to [`crate::consts::NSIG`]; 0 (the existence check) too.
pub fn parse(s: &str) -> Option<i32> {
    if let Ok(n) = s.parse::<i32>() {
        return (0..=crate::consts::NSIG).contains(&n).then_some(n);
    }
    let upper = |b: &u8| b.to_ascii_uppercase();
    let bytes = s.as_bytes();
    let bare = if bytes.len() > 3 && bytes[..3].iter().map(upper).eq(*b"SIG") {
        &bytes[3..]
    } else {
        bytes
    };
    TABLE
        .iter()
        .find(|e| e.1.len() == bare.len() && e.1.bytes().eq(bare.iter().map(upper)))
        .map(|e| e.0)
}
