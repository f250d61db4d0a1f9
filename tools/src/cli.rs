//! A small command-line parser shared by the host tools.
//!
//! The tools take a handful of `--flag VALUE` options, so a full framework
//! would be more code to read than this. Both `--flag VALUE` and
//! `--flag=VALUE` are accepted, as users of GNU tools expect.

use std::ffi::OsString;
use std::time::Duration;

/// One command-line token, after splitting `--flag=value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    /// `--name` or `-x` (with its dashes).
    Flag(String),
    /// Anything else.
    Positional(String),
}

/// Walks the arguments; a flag's value is fetched with [`Args::value`].
#[derive(Debug)]
pub struct Args {
    rest: std::vec::IntoIter<String>,
    /// The `value` part of a `--flag=value` just returned.
    inline_value: Option<String>,
}

impl Args {
    /// The process's arguments, without the program name.
    pub fn from_env() -> Result<Self, String> {
        let args: Result<Vec<String>, OsString> = std::env::args_os()
            .skip(1)
            .map(|a| a.into_string())
            .collect();
        args.map(Self::new)
            .map_err(|bad| format!("argument {bad:?} is not valid UTF-8"))
    }

    pub fn new(args: Vec<String>) -> Self {
        Args {
            rest: args.into_iter(),
            inline_value: None,
        }
    }

    /// The next token; errors if the previous flag's `=value` was not used.
    pub fn next_arg(&mut self) -> Result<Option<Arg>, String> {
        if let Some(value) = self.inline_value.take() {
            return Err(format!("unexpected value `{value}`"));
        }
        let Some(arg) = self.rest.next() else {
            return Ok(None);
        };
        if arg.starts_with("--") && arg.len() > 2 {
            if let Some((flag, value)) = arg.split_once('=') {
                self.inline_value = Some(value.to_string());
                return Ok(Some(Arg::Flag(flag.to_string())));
            }
            return Ok(Some(Arg::Flag(arg)));
        }
        if arg.starts_with('-') && arg.len() > 1 {
            return Ok(Some(Arg::Flag(arg)));
        }
        Ok(Some(Arg::Positional(arg)))
    }

    /// The value of `flag`: its `=value`, else the next token.
    pub fn value(&mut self, flag: &str) -> Result<String, String> {
        if let Some(value) = self.inline_value.take() {
            return Ok(value);
        }
        self.rest
            .next()
            .ok_or_else(|| format!("{flag} needs a value"))
    }
}

/// Parses the process's arguments with `parse`, the way every tool starts:
/// `Ok(None)` (for `--help`) prints `usage` and exits 0; an error is
/// printed as `tool: error`, then `usage`, and exits 2.
pub fn parse_or_exit<T>(
    tool: &str,
    usage: &str,
    parse: impl FnOnce(Args) -> Result<Option<T>, String>,
) -> T {
    match Args::from_env().and_then(parse) {
        Ok(Some(o)) => o,
        Ok(None) => {
            println!("{usage}");
            std::process::exit(0);
        }
        Err(e) => {
            eprintln!("{tool}: {e}\n\n{usage}");
            std::process::exit(2);
        }
    }
}

/// Parses a duration in seconds (`120`, `2.5`) for `flag`.
pub fn parse_seconds(flag: &str, text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|secs| secs.is_finite() && *secs > 0.0)
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
        .ok_or_else(|| format!("{flag}: `{text}` is not a positive number of seconds"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Args {
        Args::new(list.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn splits_flags_values_and_positionals() {
        let mut a = args(&["selfcheck", "--board=rpi3", "--timeout", "2", "-h"]);
        assert_eq!(a.next_arg(), Ok(Some(Arg::Positional("selfcheck".into()))));
        assert_eq!(a.next_arg(), Ok(Some(Arg::Flag("--board".into()))));
        assert_eq!(a.value("--board"), Ok("rpi3".into()));
        assert_eq!(a.next_arg(), Ok(Some(Arg::Flag("--timeout".into()))));
        assert_eq!(a.value("--timeout"), Ok("2".into()));
        assert_eq!(a.next_arg(), Ok(Some(Arg::Flag("-h".into()))));
        assert_eq!(a.next_arg(), Ok(None));
    }

    #[test]
    fn missing_or_unused_values_are_errors() {
        let mut a = args(&["--log"]);
        a.next_arg().unwrap();
        assert!(a.value("--log").unwrap_err().contains("needs a value"));
        let mut a = args(&["--help=yes", "x"]);
        a.next_arg().unwrap();
        assert!(a.next_arg().is_err());
    }

    #[test]
    fn seconds_accept_fractions_and_reject_nonsense() {
        assert_eq!(parse_seconds("--timeout", "2"), Ok(Duration::from_secs(2)));
        assert_eq!(
            parse_seconds("--timeout", "0.5"),
            Ok(Duration::from_millis(500))
        );
        for bad in ["0", "-1", "abc", "inf", "NaN"] {
            assert!(parse_seconds("--timeout", bad).is_err(), "{bad}");
        }
    }
}
