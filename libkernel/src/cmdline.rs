//! The kernel command line: `key=value` options and bare flags.
//!
//! Linux keeps its parameters as words separated by spaces; a word is either
//! `key=value` or a bare `flag`. Everything after a lone `--` belongs to init
//! (its argv), as with Linux's `init=` handling. Values may be quoted with
//! double quotes to hold spaces.

/// A parsed view over the command line string; it borrows and never copies.
#[derive(Clone, Copy, Debug)]
pub struct Cmdline<'a> {
    kernel: &'a str,
    init_args: &'a str,
}

/// One word of the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param<'a> {
    /// The key (the whole word for a flag).
    pub key: &'a str,
    /// The value after `=`, without quotes; `None` for a bare flag.
    pub value: Option<&'a str>,
}

impl<'a> Cmdline<'a> {
    /// Splits `s` into the kernel part and the init part (after ` -- `).
    pub fn new(s: &'a str) -> Self {
        let s = s.trim_matches(|c: char| c == '\0' || c.is_whitespace());
        let mut kernel = s;
        let mut init_args = "";
        for (i, w) in Words::new(s).positions() {
            if w == "--" {
                kernel = &s[..i];
                init_args = s[i + 2..].trim();
                break;
            }
        }
        Cmdline { kernel, init_args }
    }

    /// The kernel's own parameters, in order.
    pub fn params(&self) -> impl Iterator<Item = Param<'a>> {
        Words::new(self.kernel).map(|w| match w.split_once('=') {
            Some((k, v)) => Param {
                key: k,
                value: Some(v.trim_matches('"')),
            },
            None => Param {
                key: w,
                value: None,
            },
        })
    }

    /// The value of the last `key=value` for `key` (Linux lets later win).
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.params()
            .filter(|p| p.key == key)
            .filter_map(|p| p.value)
            .last()
    }

    /// True when `key` appears as a bare flag or with any value.
    pub fn has(&self, key: &str) -> bool {
        self.params().any(|p| p.key == key)
    }

    /// Parses the value of `key` as an unsigned number (decimal or `0x` hex).
    pub fn get_u64(&self, key: &str) -> Option<u64> {
        parse_u64(self.get(key)?)
    }

    /// The words after ` -- `, which become init's arguments.
    pub fn init_args(&self) -> impl Iterator<Item = &'a str> {
        Words::new(self.init_args).map(|w| w.trim_matches('"'))
    }

    /// The kernel part as written.
    pub fn as_str(&self) -> &'a str {
        self.kernel
    }
}

/// Parses decimal or `0x`-prefixed hexadecimal.
pub fn parse_u64(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// Splits on spaces, keeping double-quoted runs together.
struct Words<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Words<'a> {
    fn new(s: &'a str) -> Self {
        Words { s, pos: 0 }
    }

    fn positions(self) -> impl Iterator<Item = (usize, &'a str)> {
        let s = self.s;
        self.map(move |w| (w.as_ptr() as usize - s.as_ptr() as usize, w))
    }
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let bytes = self.s.as_bytes();
        while self.pos < bytes.len() && bytes[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
        if self.pos >= bytes.len() {
            return None;
        }
        let start = self.pos;
        let mut quoted = false;
        while self.pos < bytes.len() {
            match bytes[self.pos] {
                b'"' => quoted = !quoted,
                c if c.is_ascii_whitespace() && !quoted => break,
                _ => {}
            }
            self.pos += 1;
        }
        Some(&self.s[start..self.pos])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_values_and_flags() {
        let c = Cmdline::new("ktest=all  quiet trace_buf_size=0x1000 init=/bin/sh");
        assert_eq!(c.get("ktest"), Some("all"));
        assert!(c.has("quiet"));
        assert_eq!(c.get("quiet"), None);
        assert_eq!(c.get_u64("trace_buf_size"), Some(0x1000));
        assert_eq!(c.get("init"), Some("/bin/sh"));
        assert_eq!(c.get("missing"), None);
    }

    #[test]
    fn later_value_wins_and_quotes_hold_spaces() {
        let c = Cmdline::new("a=1 msg=\"hello world\" a=2");
        assert_eq!(c.get("a"), Some("2"));
        assert_eq!(c.get("msg"), Some("hello world"));
    }

    #[test]
    fn double_dash_starts_init_args() {
        let c = Cmdline::new("init=/bin/echo -- hi \"there you\"\0");
        assert_eq!(c.get("init"), Some("/bin/echo"));
        let args: Vec<_> = c.init_args().collect();
        assert_eq!(args, ["hi", "there you"]);
        assert!(!c.has("hi"));
    }

    #[test]
    fn empty_and_bad_numbers() {
        let c = Cmdline::new("   ");
        assert_eq!(c.params().count(), 0);
        let c = Cmdline::new("n=12x");
        assert_eq!(c.get_u64("n"), None);
    }
}
