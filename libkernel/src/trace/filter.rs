//! Event filter expressions (Linux's `kernel/trace/trace_events_filter.c`):
//! what `echo 'prev_pid > 100 && next_comm ~ "sh*"' > events/sched/
//! sched_switch/filter` writes. An expression is parsed once, against the
//! event's declared fields ([`super::trace_events::Field`]) and the common
//! ones (`common_pid`...), into a tree of predicates; a record is then
//! tested by reading each named field at its declared offset.
//!
//! The grammar is Linux's: `field op value` predicates joined by `&&` and
//! `||` (`&&` binds tighter), negated by `!`, grouped by parentheses.
//! Numeric fields take `== != < <= > >= &` and a number (decimal, `0x` hex,
//! leading-0 octal; negative for a signed field); string fields take
//! `== != ~` and a quoted string, `~` being a glob (`*`, `?`, `[a-z]`).
//! Errors carry Linux's message and the byte where parsing stopped, which
//! the kernel shows in `error_log`.

use super::trace_events::{ArgKind, Field, FieldValue};
use super::{Record, FLAG_HARDIRQ, FLAG_IRQS_OFF, FLAG_NEED_RESCHED, FLAG_SOFTIRQ, PAYLOAD};
use alloc::string::String;
use alloc::vec::Vec;

/// Nesting deeper than this is refused: evaluation recurses once per
/// level, and a kernel stack is small.
pub const MAX_DEPTH: usize = 32;
/// Predicates one expression may hold.
pub const MAX_PREDS: usize = 64;

/// Why an expression was refused: Linux's `FILT_ERR_*` texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterErr {
    /// `Invalid operator`.
    InvalidOp,
    /// `Too many '('`.
    TooManyOpen,
    /// `Too few '('`.
    TooManyClose,
    /// `Missing matching quote`.
    MissingQuote,
    /// `Operand too long`.
    OperandTooLong,
    /// `Expecting string field`.
    ExpectString,
    /// `Expecting numeric field`.
    ExpectDigit,
    /// `Illegal operation for field type`.
    IllegalFieldOp,
    /// `Field not found`.
    FieldNotFound,
    /// `Illegal integer value`.
    IllegalIntval,
    /// `Too many terms in predicate expression`.
    TooManyPreds,
    /// `Meaningless filter expression`.
    InvalidFilter,
    /// `Invalid value (did you forget quotes)?`.
    InvalidValue,
}

impl FilterErr {
    /// Linux's text for it.
    pub fn text(self) -> &'static str {
        match self {
            FilterErr::InvalidOp => "Invalid operator",
            FilterErr::TooManyOpen => "Too many '('",
            FilterErr::TooManyClose => "Too few '('",
            FilterErr::MissingQuote => "Missing matching quote",
            FilterErr::OperandTooLong => "Operand too long",
            FilterErr::ExpectString => "Expecting string field",
            FilterErr::ExpectDigit => "Expecting numeric field",
            FilterErr::IllegalFieldOp => "Illegal operation for field type",
            FilterErr::FieldNotFound => "Field not found",
            FilterErr::IllegalIntval => "Illegal integer value",
            FilterErr::TooManyPreds => "Too many terms in predicate expression",
            FilterErr::InvalidFilter => "Meaningless filter expression",
            FilterErr::InvalidValue => "Invalid value (did you forget quotes)?",
        }
    }
}

/// A refused expression: what was wrong and at which byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The reason.
    pub err: FilterErr,
    /// Byte offset in the expression where it was found.
    pub pos: usize,
}

/// A comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `&`: some bit in common.
    Band,
    /// `~`: glob match.
    Glob,
}

/// Where a predicate's field is read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    /// An event field, at its declared place in the payload.
    Event(Field),
    /// `common_type`: the event id.
    CommonType,
    /// `common_flags`: Linux's `TRACE_FLAG_*` bits.
    CommonFlags,
    /// `common_preempt_count`.
    CommonPreempt,
    /// `common_pid`.
    CommonPid,
    /// `cpu` / `CPU`: the CPU that recorded it.
    Cpu,
    /// `comm` / `COMM`: the running task's name.
    Comm,
}

impl Source {
    fn is_string(&self) -> bool {
        match self {
            Source::Event(f) => f.kind() == ArgKind::Str,
            Source::Comm => true,
            _ => false,
        }
    }

    fn is_signed(&self) -> bool {
        match self {
            Source::Event(f) => f.signed,
            Source::CommonPid | Source::Cpu => true,
            _ => false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Value {
    Num(u64),
    Str(String),
}

/// One `field op value` test.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Pred {
    src: Source,
    op: Op,
    val: Value,
}

/// A step of the compiled expression, in postfix order (Linux also
/// compiles a filter into a flat program, `struct prog_entry`): no
/// recursion when a record is tested, whatever the nesting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Instr {
    /// Push the result of predicate `n`.
    Pred(usize),
    /// Pop two, push both.
    And,
    /// Pop two, push either.
    Or,
    /// Negate the top.
    Not,
}

/// A parsed expression, ready to test records of one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    text: String,
    preds: Vec<Pred>,
    prog: Vec<Instr>,
}

/// Linux's `TRACE_FLAG_*` bits, what `common_flags` compares against.
pub mod trace_flag {
    /// `TRACE_FLAG_IRQS_OFF`.
    pub const IRQS_OFF: u64 = 0x01;
    /// `TRACE_FLAG_NEED_RESCHED`.
    pub const NEED_RESCHED: u64 = 0x04;
    /// `TRACE_FLAG_HARDIRQ`.
    pub const HARDIRQ: u64 = 0x08;
    /// `TRACE_FLAG_SOFTIRQ`.
    pub const SOFTIRQ: u64 = 0x10;
}

/// What a filter reads: the record and the CPU it was recorded on.
pub struct FilterRecord<'a> {
    /// The record (payload in the event's layout).
    pub rec: &'a Record,
    /// The CPU.
    pub cpu: usize,
}

impl Filter {
    /// Parses `text` against an event's `fields`: a shunting-yard pass
    /// (no recursion, so no nesting can exhaust a kernel stack) into a
    /// postfix program.
    pub fn parse(text: &str, fields: &[Field]) -> Result<Filter, ParseError> {
        #[derive(Clone, Copy, PartialEq, Eq)]
        enum Tok {
            Open(usize),
            And,
            Or,
            Not,
        }
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
            fields,
        };
        let (mut preds, mut prog, mut ops) = (Vec::new(), Vec::new(), Vec::new());
        let mut depth = 0;
        let mut want_operand = true;
        // Moves operators that bind at least as tightly as `min` (Not
        // over And over Or) from the stack to the program.
        let pop = |ops: &mut Vec<Tok>, prog: &mut Vec<Instr>, min: Tok| {
            while let Some(&t) = ops.last() {
                let ok = matches!(
                    (t, min),
                    (Tok::Not, _) | (Tok::And, Tok::And | Tok::Or) | (Tok::Or, Tok::Or)
                );
                if !ok {
                    break;
                }
                ops.pop();
                prog.push(match t {
                    Tok::Not => Instr::Not,
                    Tok::And => Instr::And,
                    _ => Instr::Or,
                });
            }
        };
        loop {
            p.skip_ws();
            let at = p.i;
            let Some(&c) = p.s.get(at) else { break };
            if want_operand {
                if c == b'!' && p.s.get(at + 1) != Some(&b'=') {
                    p.i += 1;
                    ops.push(Tok::Not);
                } else if c == b'(' {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return p.err(FilterErr::TooManyOpen, at);
                    }
                    p.i += 1;
                    ops.push(Tok::Open(at));
                } else {
                    if preds.len() >= MAX_PREDS {
                        return p.err(FilterErr::TooManyPreds, at);
                    }
                    preds.push(p.pred()?);
                    prog.push(Instr::Pred(preds.len() - 1));
                    want_operand = false;
                }
            } else if p.eat(b"&&") {
                pop(&mut ops, &mut prog, Tok::And);
                ops.push(Tok::And);
                want_operand = true;
            } else if p.eat(b"||") {
                pop(&mut ops, &mut prog, Tok::Or);
                ops.push(Tok::Or);
                want_operand = true;
            } else if p.eat(b")") {
                pop(&mut ops, &mut prog, Tok::Or);
                match ops.pop() {
                    Some(Tok::Open(_)) => depth -= 1,
                    _ => return p.err(FilterErr::TooManyClose, at),
                }
                // A group is an operand: a `!` before it applies now.
                pop(&mut ops, &mut prog, Tok::Not);
            } else {
                return p.err(FilterErr::InvalidFilter, at);
            }
        }
        if want_operand {
            return p.err(FilterErr::InvalidFilter, p.i);
        }
        pop(&mut ops, &mut prog, Tok::Or);
        if let Some(Tok::Open(at)) = ops.last() {
            return p.err(FilterErr::TooManyOpen, *at);
        }
        Ok(Filter {
            text: String::from(text.trim()),
            preds,
            prog,
        })
    }

    /// The expression as written (what reading `filter` shows).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Does the record pass?
    pub fn matches(&self, r: &FilterRecord) -> bool {
        // Each predicate pushes one value, so MAX_PREDS bound the stack.
        let mut stack = [false; MAX_PREDS];
        let mut sp = 0;
        for ins in &self.prog {
            match *ins {
                Instr::Pred(n) => {
                    let p = &self.preds[n];
                    if let Some(slot) = stack.get_mut(sp) {
                        *slot = pred(&p.src, p.op, &p.val, r);
                    }
                    sp += 1;
                }
                Instr::Not if sp > 0 => stack[sp - 1] = !stack[sp - 1],
                Instr::And if sp > 1 => {
                    sp -= 1;
                    stack[sp - 1] &= stack[sp];
                }
                Instr::Or if sp > 1 => {
                    sp -= 1;
                    stack[sp - 1] |= stack[sp];
                }
                // The parser never builds these.
                _ => return false,
            }
        }
        sp == 1 && stack[0]
    }
}

fn read_num(src: &Source, r: &FilterRecord) -> u64 {
    let rec = r.rec;
    match src {
        Source::Event(f) => match f.read(&rec.payload) {
            FieldValue::Int(v) => v as u64,
            FieldValue::Str(_) => 0,
        },
        Source::CommonType => rec.id as u64,
        Source::CommonFlags => {
            let mut f = 0;
            if rec.flags & FLAG_IRQS_OFF != 0 {
                f |= trace_flag::IRQS_OFF;
            }
            if rec.flags & FLAG_NEED_RESCHED != 0 {
                f |= trace_flag::NEED_RESCHED;
            }
            if rec.flags & FLAG_HARDIRQ != 0 {
                f |= trace_flag::HARDIRQ;
            }
            if rec.flags & FLAG_SOFTIRQ != 0 {
                f |= trace_flag::SOFTIRQ;
            }
            f
        }
        Source::CommonPreempt => rec.preempt as u64,
        Source::CommonPid => rec.pid as i64 as u64,
        Source::Cpu => r.cpu as u64,
        Source::Comm => 0,
    }
}

fn read_str<'a>(src: &Source, r: &'a FilterRecord) -> &'a str {
    let b: &[u8] = match src {
        Source::Event(f) => r
            .rec
            .payload
            .get(f.offset..(f.offset + f.size).min(PAYLOAD))
            .unwrap_or(&[]),
        Source::Comm => &r.rec.comm,
        _ => &[],
    };
    let n = b.iter().position(|&x| x == 0).unwrap_or(b.len());
    core::str::from_utf8(&b[..n]).unwrap_or("")
}

fn pred(src: &Source, op: Op, val: &Value, r: &FilterRecord) -> bool {
    match val {
        Value::Str(want) => {
            let s = read_str(src, r);
            match op {
                Op::Eq => s == want,
                Op::Ne => s != want,
                Op::Glob => glob_match(want.as_bytes(), s.as_bytes()),
                _ => false,
            }
        }
        Value::Num(want) => {
            let v = read_num(src, r);
            let ord = if src.is_signed() {
                (v as i64).cmp(&(*want as i64))
            } else {
                v.cmp(want)
            };
            match op {
                Op::Eq => v == *want,
                Op::Ne => v != *want,
                Op::Lt => ord.is_lt(),
                Op::Le => ord.is_le(),
                Op::Gt => ord.is_gt(),
                Op::Ge => ord.is_ge(),
                Op::Band => v & want != 0,
                Op::Glob => false,
            }
        }
    }
}

/// Linux's `glob_match` (`lib/glob.c`): `*` any run, `?` one byte,
/// `[abc]`, `[a-z]`, `[!a]` one byte of (or not of) a set. Backtracks only
/// to the last `*`, so it is linear in practice whatever the pattern.
pub fn glob_match(pat: &[u8], s: &[u8]) -> bool {
    let (mut p, mut i) = (0, 0);
    let mut back: Option<(usize, usize)> = None;
    loop {
        if p == pat.len() && i == s.len() {
            return true;
        }
        let step = match pat.get(p) {
            Some(b'*') => {
                back = Some((p + 1, i));
                p += 1;
                continue;
            }
            Some(b'?') if i < s.len() => Some(p + 1),
            Some(b'[') if i < s.len() => class(pat, p, s[i]),
            Some(&c) if i < s.len() && c == s[i] => Some(p + 1),
            _ => None,
        };
        match step {
            Some(np) => {
                p = np;
                i += 1;
            }
            None => match back {
                // Let the last `*` take one more byte.
                Some((bp, bi)) if bi < s.len() => {
                    back = Some((bp, bi + 1));
                    p = bp;
                    i = bi + 1;
                }
                _ => return false,
            },
        }
    }
}

/// Matches byte `c` against the class starting at `pat[p] == '['`: the
/// index after its `]` if it matches. An unclosed `[` is a literal.
fn class(pat: &[u8], p: usize, c: u8) -> Option<usize> {
    let mut j = p + 1;
    let neg = matches!(pat.get(j), Some(b'!') | Some(b'^'));
    if neg {
        j += 1;
    }
    let mut hit = false;
    let mut first = true;
    loop {
        let a = *pat.get(j)?;
        if a == b']' && !first {
            break;
        }
        first = false;
        if pat.get(j + 1) == Some(&b'-') && pat.get(j + 2).is_some_and(|&b| b != b']') {
            let b = pat[j + 2];
            hit |= a <= c && c <= b;
            j += 3;
        } else {
            hit |= a == c;
            j += 1;
        }
    }
    (hit != neg).then_some(j + 1)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    fields: &'a [Field],
}

impl Parser<'_> {
    fn err<T>(&self, err: FilterErr, pos: usize) -> Result<T, ParseError> {
        Err(ParseError { err, pos })
    }

    fn skip_ws(&mut self) {
        while self.s.get(self.i).is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn eat(&mut self, tok: &[u8]) -> bool {
        self.skip_ws();
        if self.s[self.i..].starts_with(tok) {
            self.i += tok.len();
            true
        } else {
            false
        }
    }

    fn pred(&mut self) -> Result<Pred, ParseError> {
        self.skip_ws();
        let start = self.i;
        while self
            .s
            .get(self.i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            self.i += 1;
        }
        if self.i == start {
            let err = match self.s.get(self.i) {
                None | Some(b')') => FilterErr::InvalidFilter,
                Some(_) => FilterErr::InvalidOp,
            };
            return self.err(err, self.i);
        }
        let name = core::str::from_utf8(&self.s[start..self.i]).unwrap_or("");
        let src = self.find_field(name).ok_or(ParseError {
            err: FilterErr::FieldNotFound,
            pos: self.i,
        })?;
        // A number array (`args[6]`) has no one value to compare.
        if matches!(src, Source::Event(f) if f.array > 0 && f.kind() == ArgKind::Num) {
            return self.err(FilterErr::IllegalFieldOp, self.i);
        }
        self.skip_ws();
        let op_at = self.i;
        let op = self.op().ok_or(ParseError {
            err: FilterErr::InvalidOp,
            pos: op_at,
        })?;
        self.skip_ws();
        let vpos = self.i;
        let val = match self.s.get(self.i) {
            Some(&q) if q == b'"' || q == b'\'' => {
                if !src.is_string() {
                    return self.err(FilterErr::ExpectDigit, vpos);
                }
                let body = self.i + 1;
                let end = self.s[body..]
                    .iter()
                    .position(|&c| c == q)
                    .map(|n| body + n)
                    .ok_or(ParseError {
                        err: FilterErr::MissingQuote,
                        pos: vpos,
                    })?;
                self.i = end + 1;
                if end - body >= 256 {
                    return self.err(FilterErr::OperandTooLong, vpos);
                }
                if !matches!(op, Op::Eq | Op::Ne | Op::Glob) {
                    return self.err(FilterErr::IllegalFieldOp, op_at);
                }
                let v = core::str::from_utf8(&self.s[body..end]).unwrap_or("");
                Value::Str(String::from(v))
            }
            Some(c) if c.is_ascii_digit() || *c == b'-' => {
                if src.is_string() {
                    return self.err(FilterErr::ExpectString, vpos);
                }
                if op == Op::Glob {
                    return self.err(FilterErr::IllegalFieldOp, vpos);
                }
                if *c == b'-' {
                    self.i += 1;
                }
                while self
                    .s
                    .get(self.i)
                    .is_some_and(|c| c.is_ascii_alphanumeric())
                {
                    self.i += 1;
                }
                // 0xfeedfacedeadbeef is 18 characters.
                if self.i - vpos >= 24 {
                    return self.err(FilterErr::OperandTooLong, self.i);
                }
                let t = core::str::from_utf8(&self.s[vpos..self.i]).unwrap_or("");
                let n = parse_int(t, src.is_signed()).ok_or(ParseError {
                    err: FilterErr::IllegalIntval,
                    pos: vpos,
                })?;
                Value::Num(n)
            }
            _ => return self.err(FilterErr::InvalidValue, vpos),
        };
        Ok(Pred { src, op, val })
    }

    fn op(&mut self) -> Option<Op> {
        const OPS: [(&[u8], Op); 8] = [
            (b"==", Op::Eq),
            (b"!=", Op::Ne),
            (b"<=", Op::Le),
            (b">=", Op::Ge),
            (b"<", Op::Lt),
            (b">", Op::Gt),
            (b"~", Op::Glob),
            (b"&", Op::Band),
        ];
        let rest = &self.s[self.i..];
        let (tok, op) = OPS.iter().find(|(t, _)| rest.starts_with(t))?;
        // `a && b` after a field is a missing operator, not `&`.
        if *op == Op::Band && rest.starts_with(b"&&") {
            return None;
        }
        self.i += tok.len();
        Some(*op)
    }

    fn find_field(&self, name: &str) -> Option<Source> {
        // The event's own fields first: `comm` on sched_wakeup is the
        // woken task's, not the running one's.
        if let Some(f) = self.fields.iter().find(|f| f.name == name) {
            return Some(Source::Event(*f));
        }
        Some(match name {
            "common_type" => Source::CommonType,
            "common_flags" => Source::CommonFlags,
            "common_preempt_count" => Source::CommonPreempt,
            "common_pid" => Source::CommonPid,
            "cpu" | "CPU" => Source::Cpu,
            "comm" | "COMM" => Source::Comm,
            _ => return None,
        })
    }
}

/// `kstrtoll`/`kstrtoull` with base 0: decimal, `0x` hex, leading-0 octal;
/// a `-` only for a signed field.
pub fn parse_int(t: &str, signed: bool) -> Option<u64> {
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) if signed => (true, r),
        Some(_) => return None,
        None => (false, t),
    };
    let (radix, digits) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (16, h)
    } else if t.len() > 1 && t.starts_with('0') {
        (8, &t[1..])
    } else {
        (10, t)
    };
    if digits.is_empty() {
        return None;
    }
    let v = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        (v <= i64::MAX as u64 + 1).then(|| (v as i64).wrapping_neg() as u64)
    } else if signed {
        (v <= i64::MAX as u64).then_some(v)
    } else {
        Some(v)
    }
}

/// The `error_log` text for a refused expression, as Linux's
/// `tracing_log_err` prints it: time, where, the reason, the command and a
/// caret under the byte where parsing stopped.
pub fn error_log_entry(ts_ns: u64, loc: &str, cmd: &str, e: &ParseError) -> String {
    let mut s = String::new();
    let _ = core::fmt::Write::write_fmt(
        &mut s,
        format_args!(
            "[{:5}.{:06}] {loc}: error: {}\n  Command: {cmd}\n",
            ts_ns / 1_000_000_000,
            (ts_ns / 1000) % 1_000_000,
            e.err.text()
        ),
    );
    s.push_str("           ");
    for _ in 0..e.pos.min(cmd.len()) {
        s.push(' ');
    }
    s.push_str("^\n");
    s
}

/// Every field name an event's filter may use: its own and the common
/// ones (tests and `README`).
pub fn field_names(fields: &[Field]) -> Vec<&str> {
    let mut v: Vec<&str> = fields.iter().map(|f| f.name).collect();
    v.extend([
        "common_type",
        "common_flags",
        "common_preempt_count",
        "common_pid",
        "cpu",
        "comm",
    ]);
    v
}

#[cfg(test)]
mod tests {
    use super::super::events::{sched_switch, sched_wakeup_template};
    use super::super::trace_events::comm_words;
    use super::super::{id, EVENTS};
    use super::*;

    fn name(s: &str) -> [u8; 16] {
        let mut c = [0u8; 16];
        c[..s.len()].copy_from_slice(s.as_bytes());
        c
    }

    fn switch_rec(prev: &str, prev_pid: i32, next: &str, next_pid: i32) -> Record {
        let words = sched_switch::Entry {
            prev_comm: comm_words(&name(prev)),
            next_comm: comm_words(&name(next)),
            prev_pid,
            prev_prio: 120,
            prev_state: 1,
            next_pid,
            next_prio: 120,
        }
        .pack();
        let mut r = Record {
            pid: prev_pid,
            id: id::SCHED_SWITCH,
            comm: name(prev),
            ..Record::default()
        };
        for (i, w) in words.iter().enumerate() {
            r.payload[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
        }
        r
    }

    fn fields(ev: u16) -> &'static [Field] {
        EVENTS.iter().find(|e| e.id == ev).unwrap().class.fields
    }

    fn f(text: &str) -> Filter {
        Filter::parse(text, fields(id::SCHED_SWITCH))
            .unwrap_or_else(|e| panic!("{text:?} refused: {e:?}"))
    }

    fn on(text: &str, r: &Record) -> bool {
        f(text).matches(&FilterRecord { rec: r, cpu: 2 })
    }

    fn err(text: &str) -> ParseError {
        Filter::parse(text, fields(id::SCHED_SWITCH)).expect_err(text)
    }

    #[test]
    fn numeric_comparisons_read_the_declared_field() {
        let r = switch_rec("bash", 100, "sh", 7);
        assert!(on("prev_pid == 100", &r));
        assert!(!on("prev_pid != 100", &r));
        assert!(on("next_pid < 8", &r));
        assert!(on("next_pid <= 7", &r));
        assert!(!on("next_pid > 7", &r));
        assert!(on("next_pid >= 7", &r));
        assert!(on("prev_pid & 4", &r), "100 has bit 2");
        assert!(!on("prev_pid & 3", &r));
        assert!(on("prev_pid == 0x64", &r), "hex");
        assert!(on("prev_pid == 0144", &r), "octal");
        assert!(on("prev_state == 1", &r));
    }

    #[test]
    fn signed_fields_compare_as_signed() {
        let r = switch_rec("a", -1, "b", 5);
        assert!(on("prev_pid < 0", &r));
        assert!(on("prev_pid == -1", &r));
        assert!(on("prev_pid > -2", &r));
    }

    #[test]
    fn strings_compare_exactly_or_by_glob() {
        let r = switch_rec("raspbian_fork", 9, "swapper/3", 0);
        assert!(on("prev_comm == \"raspbian_fork\"", &r));
        assert!(on("prev_comm == 'raspbian_fork'", &r), "single quotes");
        assert!(!on("prev_comm == \"raspbian\"", &r), "== is not a prefix");
        assert!(on("prev_comm != \"bash\"", &r));
        assert!(on("next_comm ~ \"swapper*\"", &r));
        assert!(on("next_comm ~ \"*/3\"", &r));
        assert!(on("next_comm ~ \"*app*\"", &r));
        assert!(on("next_comm ~ \"swapper/[0-3]\"", &r));
        assert!(!on("next_comm ~ \"swapper/[!0-3]\"", &r));
        assert!(on("prev_comm ~ \"r?spbian_fork\"", &r));
        assert!(!on("prev_comm ~ \"bash\"", &r));
    }

    #[test]
    fn and_or_not_and_parentheses() {
        let r = switch_rec("bash", 100, "sh", 7);
        assert!(on("prev_pid == 100 && next_pid == 7", &r));
        assert!(!on("prev_pid == 100 && next_pid == 8", &r));
        assert!(on("prev_pid == 1 || next_pid == 7", &r));
        assert!(on("!(prev_pid == 1)", &r));
        assert!(!on("!prev_pid == 100", &r));
        // && binds tighter than ||.
        assert!(on("prev_pid == 100 || next_pid == 1 && next_pid == 2", &r));
        assert!(!on(
            "(prev_pid == 100 || next_pid == 1) && next_pid == 2",
            &r
        ));
        assert!(on("((((prev_pid == 100))))", &r));
        assert!(on("prev_pid==100&&next_comm~\"s*\"", &r), "no spaces");
    }

    #[test]
    fn negated_groups_and_deep_nesting() {
        let r = switch_rec("bash", 100, "sh", 7);
        assert!(!on("!(prev_pid == 100 || next_pid == 1)", &r));
        assert!(on("!(prev_pid == 1) && !(next_pid == 1)", &r));
        assert!(on("!!(prev_pid == 100)", &r));
        assert!(on(
            "!(!(prev_pid == 100) || next_pid == 1) && next_pid == 7",
            &r
        ));
        let deep = alloc::format!(
            "{}prev_pid == 100{}",
            "(".repeat(MAX_DEPTH),
            ")".repeat(MAX_DEPTH)
        );
        assert!(on(&deep, &r));
        let deeper = alloc::format!("({deep})");
        assert_eq!(err(&deeper).err, FilterErr::TooManyOpen);
        assert_eq!(err("()").err, FilterErr::InvalidFilter);
        assert_eq!(
            err("(prev_pid == 1)(next_pid == 1)").err,
            FilterErr::InvalidFilter
        );
        assert_eq!(err("!").err, FilterErr::InvalidFilter);
        // A long chain is evaluated without recursion.
        let chain = alloc::vec!["prev_pid == 100"; MAX_PREDS].join(" && ");
        assert!(on(&chain, &r));
    }

    #[test]
    fn common_fields_come_from_the_record_header() {
        let mut r = switch_rec("bash", 100, "sh", 7);
        r.pid = 42;
        r.flags = FLAG_IRQS_OFF | FLAG_HARDIRQ | FLAG_SOFTIRQ;
        r.preempt = 2;
        assert!(on("common_pid == 42", &r));
        assert!(on("common_type == 1", &r) == (id::SCHED_SWITCH == 1));
        assert!(on(
            &alloc::format!("common_type == {}", id::SCHED_SWITCH),
            &r
        ));
        assert!(on("common_flags & 0x1", &r));
        assert!(on("common_flags & 0x8", &r));
        assert!(!on("common_flags & 0x4", &r));
        assert!(on("common_flags & 0x10", &r));
        assert!(on("common_preempt_count == 2", &r));
        assert!(on("cpu == 2 && CPU == 2", &r));
        assert!(on("comm == \"bash\"", &r));
    }

    #[test]
    fn an_event_field_named_comm_wins_over_the_common_one() {
        let words = sched_wakeup_template::Entry {
            comm: comm_words(&name("woken")),
            pid: 5,
            prio: 120,
            target_cpu: 1,
        }
        .pack();
        let mut r = Record {
            comm: name("waker"),
            id: id::SCHED_WAKEUP,
            ..Record::default()
        };
        for (i, w) in words.iter().enumerate() {
            r.payload[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
        }
        let flt = Filter::parse("comm == \"woken\"", fields(id::SCHED_WAKEUP)).unwrap();
        assert!(flt.matches(&FilterRecord { rec: &r, cpu: 0 }));
    }

    #[test]
    fn bad_expressions_say_why_and_where() {
        assert_eq!(err("prev_pid >> 1").err, FilterErr::InvalidValue);
        assert_eq!(
            err("prev_pid = 1"),
            ParseError {
                err: FilterErr::InvalidOp,
                pos: 9
            }
        );
        assert_eq!(err("nosuch == 1").err, FilterErr::FieldNotFound);
        assert_eq!(err("prev_comm == 1").err, FilterErr::ExpectString);
        assert_eq!(err("prev_pid == \"x\"").err, FilterErr::ExpectDigit);
        assert_eq!(err("prev_pid ~ 1").err, FilterErr::IllegalFieldOp);
        assert_eq!(err("prev_comm < \"a\"").err, FilterErr::IllegalFieldOp);
        assert_eq!(err("prev_comm == bash").err, FilterErr::InvalidValue);
        assert_eq!(err("prev_comm == \"bash").err, FilterErr::MissingQuote);
        assert_eq!(err("prev_pid == 12z").err, FilterErr::IllegalIntval);
        assert_eq!(
            err("prev_pid == 99999999999999999999").err,
            FilterErr::IllegalIntval
        );
        assert_eq!(err("(prev_pid == 1").err, FilterErr::TooManyOpen);
        assert_eq!(err("prev_pid == 1)").err, FilterErr::TooManyClose);
        assert_eq!(err("prev_pid == 1 &&").err, FilterErr::InvalidFilter);
        assert_eq!(err("").err, FilterErr::InvalidFilter);
        assert_eq!(
            err("prev_pid == 1 prev_pid == 2").err,
            FilterErr::InvalidFilter
        );
        assert_eq!(err("prev_pid && 1").err, FilterErr::InvalidOp);
        assert_eq!(err(&"(".repeat(100)).err, FilterErr::TooManyOpen);
        let many = alloc::vec!["prev_pid == 1"; MAX_PREDS + 1].join(" || ");
        assert_eq!(err(&many).err, FilterErr::TooManyPreds);
    }

    #[test]
    fn unsigned_fields_refuse_negative_numbers() {
        let flt = Filter::parse("common_flags == -1", fields(id::SCHED_SWITCH));
        assert_eq!(flt.unwrap_err().err, FilterErr::IllegalIntval);
    }

    #[test]
    fn error_log_points_at_the_byte() {
        let e = err("prev_pid = 1");
        let s = error_log_entry(
            12_345_678_000,
            "event filter parse error",
            "prev_pid = 1",
            &e,
        );
        assert_eq!(
            s,
            "[   12.345678] event filter parse error: error: Invalid operator\n  Command: prev_pid = 1\n                    ^\n"
        );
    }

    #[test]
    fn text_is_kept_as_written() {
        assert_eq!(f("  prev_pid == 1  ").text(), "prev_pid == 1");
    }

    #[test]
    fn glob_edge_cases() {
        assert!(glob_match(b"*", b""));
        assert!(glob_match(b"a*b*c", b"aXXbYYc"));
        assert!(!glob_match(b"a*b*c", b"aXXbYY"));
        assert!(glob_match(b"*a*a*a*a*b", b"aaaaaaaaaaaaaaaaaaaaaaaab"));
        assert!(!glob_match(b"*a*a*a*a*b", b"aaaaaaaaaaaaaaaaaaaaaaaaa"));
        assert!(glob_match(b"[ab]x", b"bx"));
        assert!(glob_match(b"[]]", b"]"));
        assert!(!glob_match(b"?", b""));
        assert!(!glob_match(b"[a", b"a"), "unclosed class never matches");
    }

    #[test]
    fn every_declared_field_can_be_filtered_on() {
        for e in super::super::all_events() {
            for fld in e.class.fields {
                if fld.array > 0 && fld.kind() == ArgKind::Num {
                    let text = alloc::format!("{} == 1", fld.name);
                    let er = Filter::parse(&text, e.class.fields).unwrap_err();
                    assert_eq!(er.err, FilterErr::IllegalFieldOp, "{}: {text}", e.name);
                    continue;
                }
                let text = if fld.kind() == ArgKind::Str {
                    alloc::format!("{} ~ \"*\"", fld.name)
                } else {
                    alloc::format!("{} >= 0", fld.name)
                };
                Filter::parse(&text, e.class.fields)
                    .unwrap_or_else(|er| panic!("{}: {text}: {er:?}", e.name));
            }
        }
        assert!(field_names(fields(id::SCHED_SWITCH)).contains(&"common_pid"));
    }
}
