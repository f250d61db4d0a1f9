//! The shell's grammar: a line is lexed into words and operators, then
//! parsed into a list of and-or lists of pipelines of commands.
//!
//! ```text
//! list     := and_or ((';' | '&') and_or)* [';' | '&']
//! and_or   := pipeline (('&&' | '||') pipeline)*
//! pipeline := command ('|' command)*
//! command  := (word | redirect)+
//! redirect := [fd] ('<' | '>' | '>>' | '>&') word
//! ```
//!
//! Words: `'...'` is literal; in `"..."` a backslash escapes `$ " \`;
//! outside quotes a backslash escapes any byte. `$?`, `$$`, `$!`, `$#`,
//! `$0`..`$9`, `$NAME` and `${NAME}` are kept as variables and expanded
//! when the command runs (so `false; echo $?` sees `false`'s status).
//! `#` at the start of a word begins a comment. Everything is bytes: a
//! line need not be UTF-8.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// A variable a word refers to.
#[derive(Debug, PartialEq, Eq)]
pub enum Var {
    /// `$?`: the last command's status.
    Status,
    /// `$$`: the shell's pid.
    Pid,
    /// `$!`: the last background job's pid.
    LastBg,
    /// `$#`: the number of positional parameters.
    Argc,
    /// `$0`..`$9`.
    Positional(usize),
    /// `$NAME`, `${NAME}`: from the environment.
    Name(Vec<u8>),
}

/// Part of a word: literal bytes or a variable.
#[derive(Debug, PartialEq, Eq)]
pub enum Part {
    Lit(Vec<u8>),
    Var(Var),
}

/// A word before expansion.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Word {
    pub parts: Vec<Part>,
    /// It had quotes: it stays an argument even if it expands to nothing.
    pub quoted: bool,
}

impl Word {
    fn push_lit(&mut self, b: u8) {
        match self.parts.last_mut() {
            Some(Part::Lit(v)) => v.push(b),
            _ => self.parts.push(Part::Lit(vec![b])),
        }
    }

    /// The text of a word made only of unquoted literal bytes.
    fn plain(&self) -> Option<&[u8]> {
        match self.parts.as_slice() {
            [Part::Lit(v)] if !self.quoted => Some(v),
            _ => None,
        }
    }
}

/// A redirection operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedirOp {
    /// `<`: open for reading.
    In,
    /// `>`: create or truncate.
    Out,
    /// `>>`: create or append.
    Append,
    /// `>&`: duplicate a descriptor (`2>&1`).
    Dup,
}

/// `fd OP target`.
#[derive(Debug, PartialEq, Eq)]
pub struct Redir {
    pub fd: i32,
    pub op: RedirOp,
    pub target: Word,
}

/// A simple command: words (the program and its arguments) and
/// redirections, applied left to right.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Command {
    pub words: Vec<Word>,
    pub redirs: Vec<Redir>,
}

/// Commands connected by pipes.
#[derive(Debug, PartialEq, Eq)]
pub struct Pipeline {
    pub cmds: Vec<Command>,
}

/// How a pipeline follows the previous one in an and-or list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connector {
    /// `&&`: only if the previous one succeeded.
    And,
    /// `||`: only if it failed.
    Or,
}

/// Pipelines joined by `&&`/`||`, run in the background if it ended with
/// `&`.
#[derive(Debug, PartialEq, Eq)]
pub struct AndOr {
    pub first: Pipeline,
    pub rest: Vec<(Connector, Pipeline)>,
    pub background: bool,
}

impl AndOr {
    /// The only command, if this is a single command without pipes.
    pub fn single_command(&self) -> Option<&Command> {
        match (self.rest.is_empty(), self.first.cmds.as_slice()) {
            (true, [cmd]) => Some(cmd),
            _ => None,
        }
    }
}

#[derive(Debug)]
enum Tok {
    Word(Word),
    Semi,
    Amp,
    Pipe,
    AndIf,
    OrIf,
    Redir(Option<i32>, RedirOp),
}

fn describe(t: Option<&Tok>) -> String {
    let text = match t {
        None => return String::from("syntax error: unexpected end of line"),
        Some(Tok::Word(_)) => "word",
        Some(Tok::Semi) => ";",
        Some(Tok::Amp) => "&",
        Some(Tok::Pipe) => "|",
        Some(Tok::AndIf) => "&&",
        Some(Tok::OrIf) => "||",
        Some(Tok::Redir(_, RedirOp::In)) => "<",
        Some(Tok::Redir(_, RedirOp::Out)) => ">",
        Some(Tok::Redir(_, RedirOp::Append)) => ">>",
        Some(Tok::Redir(_, RedirOp::Dup)) => ">&",
    };
    format!("syntax error near unexpected token `{text}'")
}

/// Parses one line. Errors are messages for `sh: ...`.
pub fn parse(line: &[u8]) -> Result<Vec<AndOr>, String> {
    let mut toks = lex(line)?;
    toks.reverse();
    let mut p = Parser { toks };
    let mut list = Vec::new();
    while p.peek().is_some() {
        let mut and_or = p.and_or()?;
        match p.next() {
            None | Some(Tok::Semi) => {}
            Some(Tok::Amp) => and_or.background = true,
            Some(t) => return Err(describe(Some(&t))),
        }
        list.push(and_or);
    }
    Ok(list)
}

/// Tokens in reverse order, so the next one is popped off the end.
struct Parser {
    toks: Vec<Tok>,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.last()
    }

    fn next(&mut self) -> Option<Tok> {
        self.toks.pop()
    }

    fn and_or(&mut self) -> Result<AndOr, String> {
        let first = self.pipeline()?;
        let mut rest = Vec::new();
        loop {
            let conn = match self.peek() {
                Some(Tok::AndIf) => Connector::And,
                Some(Tok::OrIf) => Connector::Or,
                _ => break,
            };
            self.next();
            rest.push((conn, self.pipeline()?));
        }
        Ok(AndOr {
            first,
            rest,
            background: false,
        })
    }

    fn pipeline(&mut self) -> Result<Pipeline, String> {
        let mut cmds = vec![self.command()?];
        while let Some(Tok::Pipe) = self.peek() {
            self.next();
            cmds.push(self.command()?);
        }
        Ok(Pipeline { cmds })
    }

    fn command(&mut self) -> Result<Command, String> {
        let mut cmd = Command::default();
        loop {
            match self.peek() {
                Some(Tok::Word(_)) => {
                    if let Some(Tok::Word(w)) = self.next() {
                        cmd.words.push(w);
                    }
                }
                Some(Tok::Redir(..)) => {
                    let Some(Tok::Redir(fd, op)) = self.next() else {
                        unreachable!("peeked a redirection");
                    };
                    let target = match self.next() {
                        Some(Tok::Word(w)) => w,
                        other => return Err(describe(other.as_ref())),
                    };
                    let fd = fd.unwrap_or(if op == RedirOp::In { 0 } else { 1 });
                    cmd.redirs.push(Redir { fd, op, target });
                }
                _ => break,
            }
        }
        if cmd.words.is_empty() && cmd.redirs.is_empty() {
            return Err(describe(self.peek()));
        }
        Ok(cmd)
    }
}

fn is_meta(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b';' | b'&' | b'|' | b'<' | b'>')
}

/// The redirection operator at the start of `s` and its length.
fn redir_op(s: &[u8]) -> (RedirOp, usize) {
    match (s[0], s.get(1)) {
        (b'<', _) => (RedirOp::In, 1),
        (b'>', Some(b'>')) => (RedirOp::Append, 2),
        (b'>', Some(b'&')) => (RedirOp::Dup, 2),
        _ => (RedirOp::Out, 1),
    }
}

/// A descriptor number as written before a redirection (`2>`).
pub fn parse_fd(text: &[u8]) -> Option<i32> {
    if text.is_empty() || text.len() > 4 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    core::str::from_utf8(text).ok()?.parse().ok()
}

fn lex(line: &[u8]) -> Result<Vec<Tok>, String> {
    let mut toks = Vec::new();
    let mut i = 0;
    while i < line.len() {
        let twice = line.get(i + 1) == Some(&line[i]);
        match line[i] {
            b' ' | b'\t' | b'\r' => i += 1,
            b'#' => break,
            b';' => {
                toks.push(Tok::Semi);
                i += 1;
            }
            b'&' => {
                toks.push(if twice { Tok::AndIf } else { Tok::Amp });
                i += if twice { 2 } else { 1 };
            }
            b'|' => {
                toks.push(if twice { Tok::OrIf } else { Tok::Pipe });
                i += if twice { 2 } else { 1 };
            }
            b'<' | b'>' => {
                let (op, n) = redir_op(&line[i..]);
                toks.push(Tok::Redir(None, op));
                i += n;
            }
            _ => {
                let (word, n) = lex_word(&line[i..])?;
                i += n;
                // "2>file": digits right before a redirection name its fd.
                if matches!(line.get(i), Some(b'<' | b'>')) {
                    if let Some(fd) = word.plain().and_then(parse_fd) {
                        let (op, n) = redir_op(&line[i..]);
                        toks.push(Tok::Redir(Some(fd), op));
                        i += n;
                        continue;
                    }
                }
                toks.push(Tok::Word(word));
            }
        }
    }
    Ok(toks)
}

/// One word at the start of `s`; returns it and the bytes it used.
fn lex_word(s: &[u8]) -> Result<(Word, usize), String> {
    let mut w = Word::default();
    let mut i = 0;
    while i < s.len() && !is_meta(s[i]) {
        match s[i] {
            b'\\' => {
                match s.get(i + 1) {
                    Some(&c) => w.push_lit(c),
                    None => w.push_lit(b'\\'),
                }
                i += 2;
            }
            b'\'' => {
                let Some(len) = s[i + 1..].iter().position(|&c| c == b'\'') else {
                    return Err(String::from("syntax error: unterminated '"));
                };
                for &c in &s[i + 1..i + 1 + len] {
                    w.push_lit(c);
                }
                w.quoted = true;
                i += len + 2;
            }
            b'"' => {
                w.quoted = true;
                i += 1;
                loop {
                    match s.get(i) {
                        None => return Err(String::from("syntax error: unterminated \"")),
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(b'\\') if matches!(s.get(i + 1), Some(b'$' | b'"' | b'\\')) => {
                            w.push_lit(s[i + 1]);
                            i += 2;
                        }
                        Some(b'$') => i += lex_var(&s[i..], &mut w),
                        Some(&c) => {
                            w.push_lit(c);
                            i += 1;
                        }
                    }
                }
            }
            b'$' => i += lex_var(&s[i..], &mut w),
            c => {
                w.push_lit(c);
                i += 1;
            }
        }
    }
    Ok((w, i.min(s.len())))
}

fn is_name_byte(c: u8) -> bool {
    c == b'_' || c.is_ascii_alphanumeric()
}

/// At a `$`: adds the variable it starts (or a literal `$`) to `w` and
/// returns the bytes used.
fn lex_var(s: &[u8], w: &mut Word) -> usize {
    let (var, len) = match s.get(1) {
        Some(b'?') => (Var::Status, 2),
        Some(b'$') => (Var::Pid, 2),
        Some(b'!') => (Var::LastBg, 2),
        Some(b'#') => (Var::Argc, 2),
        Some(&d) if d.is_ascii_digit() => (Var::Positional(usize::from(d - b'0')), 2),
        Some(&c) if c == b'_' || c.is_ascii_alphabetic() => {
            let n = s[1..].iter().take_while(|&&c| is_name_byte(c)).count();
            (Var::Name(s[1..1 + n].to_vec()), 1 + n)
        }
        Some(b'{') => {
            let n = s[2..].iter().take_while(|&&c| is_name_byte(c)).count();
            if n > 0 && s.get(2 + n) == Some(&b'}') {
                (Var::Name(s[2..2 + n].to_vec()), 3 + n)
            } else {
                w.push_lit(b'$');
                return 1;
            }
        }
        _ => {
            w.push_lit(b'$');
            return 1;
        }
    };
    w.parts.push(Part::Var(var));
    len
}
