//! `#!` scripts (Linux's `fs/binfmt_script.c`): a file that starts with
//! `#!` names its interpreter, and maybe one argument for it, on its first
//! line. `execve` then runs the interpreter with argv
//! `[interpreter, argument (if any), script path, script's argv[1..]]`.

use crate::uapi::ENOEXEC;
use alloc::vec::Vec;

/// How much of the file's start Linux looks at (`BINPRM_BUF_SIZE`).
pub const BINPRM_BUF_SIZE: usize = 256;

/// How many interpreters deep an exec may go before `ELOOP`
/// (`BINPRM_MAX_RECURSION`: the file and 4 levels of interpreters).
pub const BINPRM_MAX_RECURSION: usize = 4;

/// The first line of a `#!` script.
#[derive(Debug, PartialEq, Eq)]
pub struct Shebang<'a> {
    /// The interpreter's path.
    pub interp: &'a [u8],
    /// Everything after it on the line, blanks trimmed, as one argument.
    pub arg: Option<&'a [u8]>,
}

fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// Reads the `#!` line at the start of `file`: `None` if the file is not a
/// script, `Err(ENOEXEC)` if it is one without a usable interpreter (none
/// named, or a name cut off by the 256-byte limit), as Linux does.
pub fn parse(file: &[u8]) -> Option<Result<Shebang<'_>, i32>> {
    if !file.starts_with(b"#!") {
        return None;
    }
    let buf = &file[..file.len().min(BINPRM_BUF_SIZE)];
    let (line, whole) = match buf.iter().position(|&c| c == b'\n') {
        Some(nl) => (&buf[2..nl], true),
        // Linux keeps its buffer's last byte for a NUL.
        None => (
            &buf[2..buf.len().min(BINPRM_BUF_SIZE - 1)],
            buf.len() == file.len(),
        ),
    };
    let start = line
        .iter()
        .position(|&c| !is_blank(c))
        .unwrap_or(line.len());
    let line = &line[start..];
    let name_len = line
        .iter()
        .position(|&c| is_blank(c) || c == 0)
        .unwrap_or(line.len());
    // A name that runs to the end of a cut-off first line may be cut too.
    if !whole && name_len == line.len() {
        return Some(Err(ENOEXEC));
    }
    let end = line
        .iter()
        .rposition(|&c| !is_blank(c))
        .map_or(0, |i| i + 1);
    let line = &line[..end];
    let line = &line[..line.iter().position(|&c| c == 0).unwrap_or(line.len())];
    if name_len == 0 {
        return Some(Err(ENOEXEC));
    }
    let interp = &line[..name_len.min(line.len())];
    let rest = &line[interp.len()..];
    let arg_start = rest.iter().position(|&c| !is_blank(c));
    Some(Ok(Shebang {
        interp,
        arg: arg_start.map(|s| &rest[s..]),
    }))
}

/// The interpreter's argv for a script at `path` run with `argv`
/// (`argv[0]` is replaced by the path the script was run by).
pub fn interp_argv(sb: &Shebang<'_>, path: &[u8], argv: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut out = Vec::with_capacity(argv.len() + 2);
    out.push(Vec::from(sb.interp));
    if let Some(arg) = sb.arg {
        out.push(Vec::from(arg));
    }
    out.push(Vec::from(path));
    out.extend(argv.iter().skip(1).cloned());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(file: &[u8]) -> (Vec<u8>, Option<Vec<u8>>) {
        let sb = parse(file).expect("a script").expect("a usable #! line");
        (sb.interp.to_vec(), sb.arg.map(|a| a.to_vec()))
    }

    #[test]
    fn a_file_without_hash_bang_is_not_a_script() {
        assert_eq!(parse(b"\x7fELF"), None);
        assert_eq!(parse(b"# comment\n"), None);
        assert_eq!(parse(b""), None);
    }

    #[test]
    fn interpreter_alone() {
        assert_eq!(ok(b"#!/bin/sh\necho hi\n"), (b"/bin/sh".to_vec(), None));
        assert_eq!(ok(b"#!/bin/sh"), (b"/bin/sh".to_vec(), None));
        assert_eq!(ok(b"#! \t/bin/sh \t\n"), (b"/bin/sh".to_vec(), None));
    }

    #[test]
    fn the_rest_of_the_line_is_one_argument() {
        assert_eq!(
            ok(b"#!/usr/bin/env  sh -e \n"),
            (b"/usr/bin/env".to_vec(), Some(b"sh -e".to_vec()))
        );
        assert_eq!(ok(b"#!/bin/sh -x\r\n").1, Some(b"-x\r".to_vec()));
    }

    #[test]
    fn no_interpreter_is_enoexec() {
        assert_eq!(parse(b"#!\n"), Some(Err(ENOEXEC)));
        assert_eq!(parse(b"#!   \t\n"), Some(Err(ENOEXEC)));
        assert_eq!(parse(b"#!"), Some(Err(ENOEXEC)));
    }

    #[test]
    fn a_name_cut_off_at_256_bytes_is_enoexec_but_an_argument_may_be_cut() {
        let mut long = b"#!/".to_vec();
        long.resize(300, b'a');
        long.push(b'\n');
        assert_eq!(parse(&long), Some(Err(ENOEXEC)));
        let mut arg = b"#!/bin/sh ".to_vec();
        arg.resize(300, b'x');
        let (interp, a) = ok(&arg);
        assert_eq!(interp, b"/bin/sh");
        assert_eq!(a.unwrap().len(), BINPRM_BUF_SIZE - 1 - b"#!/bin/sh ".len());
    }

    #[test]
    fn a_nul_ends_the_line() {
        assert_eq!(ok(b"#!/bin/sh\0junk\n"), (b"/bin/sh".to_vec(), None));
    }

    #[test]
    fn interpreter_argv_replaces_argv0_with_the_path() {
        let sb = Shebang {
            interp: b"/bin/sh",
            arg: Some(b"-e"),
        };
        let argv = [b"name".to_vec(), b"a".to_vec(), b"b".to_vec()];
        let got = interp_argv(&sb, b"./t.sh", &argv);
        let want: Vec<Vec<u8>> = [&b"/bin/sh"[..], b"-e", b"./t.sh", b"a", b"b"]
            .iter()
            .map(|s| s.to_vec())
            .collect();
        assert_eq!(got, want);
        let none = Shebang {
            interp: b"/bin/sh",
            arg: None,
        };
        assert_eq!(
            interp_argv(&none, b"t", &[]),
            vec![b"/bin/sh".to_vec(), b"t".to_vec()]
        );
    }
}
