//! What `TRACE_EVENT` expands to (Linux's `include/trace/trace_events.h`
//! and the `format` file of `kernel/trace/trace_events.c`): an event is
//! declared once, in [`super::events`], by its fields and its `TP_printk`
//! format, and everything else is made from that declaration:
//!
//! - its id (`id::SCHED_SWITCH`) and its place in [`super::EVENTS`], which
//!   tracefs lists and enables;
//! - its payload layout: the fields in declaration order, each aligned as
//!   a C struct member, so the layout and the `format` file agree;
//! - `Entry { .. }.pack()`, the words a trace site stores (Linux's
//!   `TP_fast_assign`): every offset is a constant, so a packed entry folds
//!   into a few shifts and register moves;
//! - the text of the entry ([`TraceEvent::print`]): the format string is
//!   interpreted as printf would, with the fields as its arguments;
//! - the tracefs `format` file ([`TraceEvent::format_file`]).
//!
//! A format string whose conversions do not match its arguments (count, or
//! `%s` against a number) fails to compile: the check runs in a `const`.

use super::{Kallsyms, PAYLOAD};
use alloc::string::String;
use core::fmt::Write;

/// What a printf conversion prints: text (`%s`) or a number (`%d`...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// A NUL-terminated `char` array.
    Str,
    /// An integer.
    Num,
}

/// A field's value, read back from a record or given as a sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldValue<'a> {
    /// A `char` array, up to its NUL.
    Str(&'a str),
    /// An integer (sign-extended if its C type is signed).
    Int(i64),
}

/// A C type a field can have: how a trace site passes it, how it is
/// stored, and how the `format` file names it.
pub trait FieldType {
    /// What the trace site fills in.
    type Value: Copy;
    /// The C type (the element type, for an array).
    const C_TYPE: &'static str;
    /// Elements, for an array (`char comm[16]`); 0 otherwise.
    const ARRAY: usize;
    /// Bytes.
    const SIZE: usize;
    /// Alignment, as a C compiler for arm64 gives it.
    const ALIGN: usize;
    /// `signed:` in the `format` file (`char` is unsigned on arm64).
    const SIGNED: bool;
    /// Stores `v` at byte `off` of the payload words.
    fn put(w: &mut [u64], off: usize, v: Self::Value);
    /// `v` from a sample (host tests record every event generically);
    /// zero if the sample is missing or of the other kind.
    fn from_sample(v: Option<&FieldValue>) -> Self::Value;
}

/// Ors `v`, `n` bytes wide (1..=8), into the little-endian words at byte
/// `off`. Inlined with constant `off` and `n`, it is a shift and an or.
#[inline(always)]
pub fn put_bytes(w: &mut [u64], off: usize, v: u64, n: usize) {
    let (i, sh) = (off / 8, (off % 8) * 8);
    let v = if n < 8 {
        v & ((1u64 << (n * 8)) - 1)
    } else {
        v
    };
    if let Some(x) = w.get_mut(i) {
        *x |= v << sh;
    }
    if sh != 0 && sh + n * 8 > 64 {
        if let Some(x) = w.get_mut(i + 1) {
            *x |= v >> (64 - sh);
        }
    }
}

fn sample_int(v: Option<&FieldValue>) -> i64 {
    match v {
        Some(FieldValue::Int(n)) => *n,
        _ => 0,
    }
}

fn sample_bytes<const N: usize>(v: Option<&FieldValue>) -> [u8; N] {
    match v {
        Some(FieldValue::Str(s)) => chars(s.as_bytes()),
        _ => [0; N],
    }
}

/// `char comm[TASK_COMM_LEN]`: a task name, passed as the two
/// little-endian words `task_struct` keeps it in.
pub struct Comm;

impl FieldType for Comm {
    type Value = [u64; 2];
    const C_TYPE: &'static str = "char";
    const ARRAY: usize = 16;
    const SIZE: usize = 16;
    const ALIGN: usize = 1;
    const SIGNED: bool = false;
    #[inline(always)]
    fn put(w: &mut [u64], off: usize, v: [u64; 2]) {
        put_bytes(w, off, v[0], 8);
        put_bytes(w, off + 8, v[1], 8);
    }
    fn from_sample(v: Option<&FieldValue>) -> [u64; 2] {
        comm_words(&sample_bytes::<16>(v))
    }
}

/// `char name[N]`: a string, cut to `N - 1` bytes and a NUL ([`chars`]).
pub struct Chars<const N: usize>;

impl<const N: usize> FieldType for Chars<N> {
    type Value = [u8; N];
    const C_TYPE: &'static str = "char";
    const ARRAY: usize = N;
    const SIZE: usize = N;
    const ALIGN: usize = 1;
    const SIGNED: bool = false;
    #[inline]
    fn put(w: &mut [u64], off: usize, v: [u8; N]) {
        for (i, b) in v.iter().enumerate() {
            put_bytes(w, off + i, *b as u64, 1);
        }
    }
    fn from_sample(v: Option<&FieldValue>) -> [u8; N] {
        sample_bytes(v)
    }
}

/// Declares an integer field type.
macro_rules! int_type {
    ($(#[$doc:meta])* $name:ident, $rust:ty, $c:literal, $signed:literal) => {
        $(#[$doc])*
        pub struct $name;

        impl FieldType for $name {
            type Value = $rust;
            const C_TYPE: &'static str = $c;
            const ARRAY: usize = 0;
            const SIZE: usize = core::mem::size_of::<$rust>();
            const ALIGN: usize = core::mem::size_of::<$rust>();
            const SIGNED: bool = $signed;
            #[inline(always)]
            fn put(w: &mut [u64], off: usize, v: $rust) {
                put_bytes(w, off, v as u64, Self::SIZE);
            }
            fn from_sample(v: Option<&FieldValue>) -> $rust {
                sample_int(v) as $rust
            }
        }
    };
}

int_type!(
    /// `pid_t`.
    PidT, i32, "pid_t", true
);
int_type!(
    /// `int`.
    Int, i32, "int", true
);
int_type!(
    /// `u64`.
    U64, u64, "u64", false
);
int_type!(
    /// `unsigned int`.
    UInt, u32, "unsigned int", false
);
int_type!(
    /// `short`.
    Short, i16, "short", true
);
int_type!(
    /// `long` (64 bits on arm64).
    Long, i64, "long", true
);
int_type!(
    /// `unsigned long`.
    ULong, u64, "unsigned long", false
);
int_type!(
    /// `void *`: a kernel address (a timer, a function), printed with
    /// `%p` (or `%ps`, its symbol).
    Ptr, u64, "void *", false
);

/// `unsigned long name[N]` (`raw_syscalls:sys_enter`'s `args`); printf
/// arguments name its elements, `args[0]`.
pub struct ULongs<const N: usize>;

impl<const N: usize> FieldType for ULongs<N> {
    type Value = [u64; N];
    const C_TYPE: &'static str = "unsigned long";
    const ARRAY: usize = N;
    const SIZE: usize = 8 * N;
    const ALIGN: usize = 8;
    const SIGNED: bool = false;
    #[inline(always)]
    fn put(w: &mut [u64], off: usize, v: [u64; N]) {
        for (i, x) in v.iter().enumerate() {
            put_bytes(w, off + 8 * i, *x, 8);
        }
    }
    fn from_sample(v: Option<&FieldValue>) -> [u64; N] {
        [sample_int(v) as u64; N]
    }
}

/// `s` as a `char[N]`: at most `N - 1` bytes, then NULs (what a trace site
/// passes for a [`Chars`] field).
pub fn chars<const N: usize>(s: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    let n = s.len().min(N.saturating_sub(1));
    out[..n].copy_from_slice(&s[..n]);
    out
}

/// A 16-byte name as the two little-endian words a [`Comm`] takes.
pub fn comm_words(c: &[u8; 16]) -> [u64; 2] {
    let (lo, hi) = c.split_at(8);
    let word = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
    [word(lo), word(hi)]
}

/// One field of an event: a line of its `format` file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    /// Its name (`prev_comm`).
    pub name: &'static str,
    /// Its C type, the element type for an array.
    pub c_type: &'static str,
    /// Elements, for an array; 0 otherwise.
    pub array: usize,
    /// Byte offset in the payload (the `format` file adds the 8 bytes of
    /// common fields in front).
    pub offset: usize,
    /// Bytes.
    pub size: usize,
    /// Alignment.
    pub align: usize,
    /// Signed integer.
    pub signed: bool,
}

impl Field {
    /// Field `name` of type `T`, not yet placed (see [`layout`]).
    pub const fn of<T: FieldType>(name: &'static str) -> Field {
        Field {
            name,
            c_type: T::C_TYPE,
            array: T::ARRAY,
            offset: 0,
            size: T::SIZE,
            align: T::ALIGN,
            signed: T::SIGNED,
        }
    }

    /// How it prints: a `char` array as text, anything else (an element
    /// of a number array) as a number.
    pub const fn kind(&self) -> ArgKind {
        if self.is_text() {
            ArgKind::Str
        } else {
            ArgKind::Num
        }
    }

    const fn is_text(&self) -> bool {
        self.array > 0 && str_eq(self.c_type, "char")
    }

    /// Its value in `payload`.
    pub fn read<'a>(&self, payload: &'a [u8; PAYLOAD]) -> FieldValue<'a> {
        self.read_at(payload, 0)
    }

    /// Element `index` of a number array (the field itself otherwise).
    pub fn read_at<'a>(&self, payload: &'a [u8; PAYLOAD], index: usize) -> FieldValue<'a> {
        let (start, size) = if self.array > 0 && !self.is_text() {
            let each = self.size / self.array;
            (self.offset + each * index.min(self.array - 1), each)
        } else {
            (self.offset, self.size)
        };
        let b = payload.get(start..start + size).unwrap_or(&[]);
        if self.is_text() {
            let n = b.iter().position(|&x| x == 0).unwrap_or(b.len());
            return FieldValue::Str(core::str::from_utf8(&b[..n]).unwrap_or("?"));
        }
        let mut w = [0u8; 8];
        w[..b.len()].copy_from_slice(b);
        let v = u64::from_le_bytes(w);
        let bits = 8 * b.len() as u32;
        FieldValue::Int(if self.signed && bits < 64 {
            // Sign-extend from the field's width.
            ((v << (64 - bits)) as i64) >> (64 - bits)
        } else {
            v as i64
        })
    }
}

/// Places `fields` one after the other, each at the next multiple of its
/// alignment, as a C compiler lays out a struct (Linux's `TP_STRUCT__entry`
/// becomes one). Fails to compile if they do not fit the payload.
pub const fn layout<const K: usize>(mut fields: [Field; K]) -> [Field; K] {
    let mut off = 0usize;
    let mut i = 0;
    while i < K {
        off = off.next_multiple_of(fields[i].align);
        fields[i].offset = off;
        off += fields[i].size;
        i += 1;
    }
    assert!(
        off <= PAYLOAD,
        "an event's fields must fit the 64-byte payload"
    );
    fields
}

/// Payload words that `fields` occupy: only these are stored per entry.
pub const fn words_of(fields: &[Field]) -> usize {
    match fields.last() {
        Some(f) => (f.offset + f.size).div_ceil(8),
        None => 0,
    }
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The index of field `name`; fails to compile if there is none.
pub const fn field_index(fields: &[Field], name: &str) -> usize {
    let mut i = 0;
    while i < fields.len() {
        if str_eq(fields[i].name, name) {
            return i;
        }
        i += 1;
    }
    panic!("TP_printk names a field the event does not have");
}

/// A print helper (Linux's `__print_flags` and friends): turns a field's
/// value into text, and shows as a C expression in the `format` file.
pub struct Helper {
    /// The expression, `$` standing for `REC->field`.
    pub c: &'static str,
    /// Appends the text for `value`.
    pub print: fn(&mut String, i64),
}

/// One argument of `TP_printk`: a field, or a helper applied to one.
#[derive(Clone, Copy)]
pub struct Arg {
    /// Index in the event's fields.
    pub field: usize,
    /// The helper, if any.
    pub helper: Option<&'static Helper>,
    /// The element, for a number array (`args[2]`); 0 otherwise.
    pub index: usize,
}

impl Arg {
    /// What the argument prints as.
    pub const fn kind(&self, fields: &[Field]) -> ArgKind {
        match self.helper {
            Some(_) => ArgKind::Str,
            None => fields[self.field].kind(),
        }
    }
}

/// One printf conversion: `%[-0][width][length]conv`.
#[derive(Clone, Copy)]
struct Spec {
    left: bool,
    zero: bool,
    width: usize,
    conv: u8,
    /// `%ps`/`%pf`: a kernel address printed as its symbol.
    sym: bool,
    /// Index just past it.
    end: usize,
}

/// The conversion starting at `fmt[at] == b'%'`.
const fn parse_spec(fmt: &[u8], at: usize) -> Spec {
    let mut i = at + 1;
    let (mut left, mut zero, mut width) = (false, false, 0);
    while i < fmt.len() && (fmt[i] == b'-' || fmt[i] == b'0') {
        if fmt[i] == b'-' {
            left = true;
        } else {
            zero = true;
        }
        i += 1;
    }
    while i < fmt.len() && fmt[i].is_ascii_digit() {
        width = width * 10 + (fmt[i] - b'0') as usize;
        i += 1;
    }
    // Length modifiers say how wide the C argument is; the field's own
    // type says that here.
    while i < fmt.len() && matches!(fmt[i], b'h' | b'l' | b'L' | b'z' | b'j' | b't') {
        i += 1;
    }
    let conv = if i < fmt.len() { fmt[i] } else { 0 };
    // `%p` takes an extension letter: `%ps`/`%pf` print the symbol.
    let sym = conv == b'p' && i + 1 < fmt.len() && matches!(fmt[i + 1], b's' | b'S' | b'f' | b'F');
    Spec {
        left,
        zero,
        width,
        conv,
        sym,
        end: i + 1 + sym as usize,
    }
}

/// Checks `fmt` against `args`, as the compiler checks a printf: one
/// argument per conversion, text for `%s`, a number for `%d %i %u %x %p`.
/// Called in a `const`, so a mismatch fails the build.
pub const fn check_printk(fmt: &str, fields: &[Field], args: &[Arg]) {
    let b = fmt.as_bytes();
    let (mut i, mut n) = (0, 0);
    while i < b.len() {
        if b[i] != b'%' {
            i += 1;
            continue;
        }
        let s = parse_spec(b, i);
        i = s.end;
        let want = match s.conv {
            b'%' => continue,
            b's' => ArgKind::Str,
            b'd' | b'i' | b'u' | b'x' | b'p' => ArgKind::Num,
            _ => panic!("TP_printk: only %s %d %i %u %x %p %ps and %% are supported"),
        };
        assert!(
            n < args.len(),
            "TP_printk has more conversions than arguments"
        );
        let got = args[n].kind(fields);
        assert!(
            matches!(
                (want, got),
                (ArgKind::Str, ArgKind::Str) | (ArgKind::Num, ArgKind::Num)
            ),
            "TP_printk: a conversion does not match its argument's type (%s takes a char array)"
        );
        n += 1;
    }
    assert!(
        n == args.len(),
        "TP_printk has more arguments than conversions"
    );
}

fn pad(out: &mut String, text: &str, s: &Spec) {
    let fill = s.width.saturating_sub(text.len());
    if s.left {
        out.push_str(text);
        out.extend(core::iter::repeat_n(' ', fill));
    } else if s.zero && s.conv != b's' {
        // Zeros go after a sign, as printf puts them.
        let (sign, digits) = match text.strip_prefix('-') {
            Some(d) => ("-", d),
            None => ("", text),
        };
        out.push_str(sign);
        out.extend(core::iter::repeat_n('0', fill));
        out.push_str(digits);
    } else {
        out.extend(core::iter::repeat_n(' ', fill));
        out.push_str(text);
    }
}

/// A class of events sharing fields and format (Linux's
/// `DECLARE_EVENT_CLASS`; a `TRACE_EVENT` is a class of one).
pub struct EventClass {
    /// The class name (`sched_wakeup_template`).
    pub name: &'static str,
    /// The fields, placed by [`layout`].
    pub fields: &'static [Field],
    /// Payload words the fields take.
    pub words: usize,
    /// The `TP_printk` format.
    pub fmt: &'static str,
    /// Its arguments.
    pub args: &'static [Arg],
    /// Packs sample values, one per field in order, with the same code a
    /// trace site uses (`Entry { .. }.pack()`): how host tests record
    /// every event without naming each.
    pub pack_sample: fn(&[FieldValue]) -> [u64; PAYLOAD / 8],
}

/// One event: what tracefs lists, enables and describes.
pub struct TraceEvent {
    /// Its id in records (and `ID:` in its `format` file).
    pub id: u16,
    /// Its subsystem (`events/<system>/`).
    pub system: &'static str,
    /// Its name.
    pub name: &'static str,
    /// Its fields and format.
    pub class: &'static EventClass,
}

/// The common fields every Linux entry starts with, as its `format` file
/// lists them: `(type, name, offset, size, signed)`. A pikern slot keeps
/// the same facts in its header word, so an event's own fields are listed
/// from offset 8, where Linux puts them.
const COMMON_FIELDS: [(&str, &str, usize, usize, bool); 4] = [
    ("unsigned short", "common_type", 0, 2, false),
    ("unsigned char", "common_flags", 2, 1, false),
    ("unsigned char", "common_preempt_count", 3, 1, false),
    ("int", "common_pid", 4, 4, true),
];
const COMMON_SIZE: usize = 8;

impl TraceEvent {
    /// Appends the entry's text after `name: ` (no newline): its format
    /// string with the fields in `payload` as the arguments.
    pub fn print(&self, out: &mut String, payload: &[u8; PAYLOAD]) {
        self.print_syms(out, payload, None);
    }

    /// [`TraceEvent::print`], with `%ps` addresses as their symbols
    /// (`syms`), as Linux's `trace` file shows them.
    pub fn print_syms(&self, out: &mut String, payload: &[u8; PAYLOAD], syms: Option<&Kallsyms>) {
        let c = self.class;
        let fmt = c.fmt.as_bytes();
        let mut args = c.args.iter();
        let (mut i, mut lit) = (0, 0);
        while i < fmt.len() {
            if fmt[i] != b'%' {
                i += 1;
                continue;
            }
            out.push_str(&c.fmt[lit..i]);
            let s = parse_spec(fmt, i);
            i = s.end.min(fmt.len());
            lit = i;
            if s.conv == b'%' {
                out.push('%');
                continue;
            }
            // check_printk has matched every conversion with an argument.
            let Some(arg) = args.next() else { break };
            let field = &c.fields[arg.field];
            let value = field.read_at(payload, arg.index);
            let mut text = String::new();
            match (arg.helper, value) {
                (Some(h), FieldValue::Int(v)) => (h.print)(&mut text, v),
                (_, FieldValue::Str(t)) => text.push_str(t),
                (None, FieldValue::Int(v)) if s.sym => {
                    // `%ps`: the symbol's name alone; an address with no
                    // symbol prints as `%p` would.
                    match syms.and_then(|k| k.lookup(v as u64)) {
                        Some((name, _, _)) => text.push_str(name),
                        None => {
                            let _ = write!(text, "0x{:x}", v as u64);
                        }
                    }
                }
                (None, FieldValue::Int(v)) => {
                    // %u and %x print the field's bits as unsigned.
                    let bits = 8 * field.size as u32;
                    let u = if bits < 64 {
                        v as u64 & ((1 << bits) - 1)
                    } else {
                        v as u64
                    };
                    let _ = match s.conv {
                        b'u' => write!(text, "{u}"),
                        b'x' => write!(text, "{u:x}"),
                        // Linux hashes `%p`; a bare-metal kernel has no
                        // secret to keep: the address, in the same width.
                        b'p' => write!(text, "{u:016x}"),
                        _ => write!(text, "{v}"),
                    };
                }
            }
            pad(out, &text, &s);
        }
        out.push_str(&c.fmt[lit..]);
    }

    /// The event's tracefs `format` file, as Linux's `f_show` prints it.
    pub fn format_file(&self) -> String {
        let mut s = String::new();
        let _ = write!(s, "name: {}\nID: {}\nformat:\n", self.name, self.id);
        for (ty, name, off, size, signed) in COMMON_FIELDS {
            let _ = writeln!(
                s,
                "\tfield:{ty} {name};\toffset:{off};\tsize:{size};\tsigned:{};",
                signed as u8
            );
        }
        s.push('\n');
        for f in self.class.fields {
            let _ = write!(s, "\tfield:{} {}", f.c_type, f.name);
            if f.array > 0 {
                let _ = write!(s, "[{}]", f.array);
            }
            let _ = writeln!(
                s,
                ";\toffset:{};\tsize:{};\tsigned:{};",
                COMMON_SIZE + f.offset,
                f.size,
                f.signed as u8
            );
        }
        s.push_str("\nprint fmt: \"");
        for ch in self.class.fmt.chars() {
            match ch {
                '"' | '\\' => {
                    s.push('\\');
                    s.push(ch);
                }
                _ => s.push(ch),
            }
        }
        s.push('"');
        for a in self.class.args {
            let f = &self.class.fields[a.field];
            let rec = if f.array > 0 && !f.is_text() {
                alloc::format!("REC->{}[{}]", f.name, a.index)
            } else {
                alloc::format!("REC->{}", f.name)
            };
            s.push_str(", ");
            match a.helper {
                Some(h) => s.push_str(&h.c.replace('$', &rec)),
                None => s.push_str(&rec),
            }
        }
        s.push('\n');
        s
    }
}

/// Declares an event class (Linux's `DECLARE_EVENT_CLASS`): a module with
/// its fields, layout, `Entry` (the values a trace site fills in) and its
/// [`EventClass`].
macro_rules! declare_event_class {
    (
        $(#[$doc:meta])*
        $class:ident { $( $field:ident : $ty:ty ),+ $(,)? }
        printk($fmt:literal $(, $arg:ident $( ( $of:ident ) )? $( [ $idx:literal ] )? )* $(,)?)
    ) => {
        $(#[$doc])*
        pub mod $class {
            #[allow(unused_imports)]
            use super::*;
            use $crate::trace::trace_events::{
                check_printk, field_index, layout, words_of, Arg, EventClass, Field,
                FieldType, FieldValue,
            };
            use $crate::trace::PAYLOAD;

            /// The fields, placed as a C struct's members.
            pub const FIELDS: &[Field] = &layout([$(Field::of::<$ty>(stringify!($field))),+]);
            /// Payload words an entry stores.
            pub const WORDS: usize = words_of(FIELDS);
            /// The `TP_printk` format.
            pub const FMT: &str = $fmt;
            /// Its arguments.
            pub const ARGS: &[Arg] = &[$(
                Arg {
                    field: field_index(FIELDS, $crate::trace::trace_events::__field_name!($arg $($of)?)),
                    helper: $crate::trace::trace_events::__helper!($arg $($of)?),
                    index: 0 $(+ $idx)?,
                }
            ),*];
            const _: () = check_printk(FMT, FIELDS, ARGS);

            /// An entry's values, as the trace site fills them in
            /// (Linux's `TP_fast_assign`).
            #[derive(Clone, Copy)]
            pub struct Entry {
                $(
                    #[doc = concat!("`", stringify!($field), "`.")]
                    pub $field: <$ty as FieldType>::Value,
                )+
            }

            impl Entry {
                /// The payload words of this entry: each field at its
                /// constant offset.
                #[inline(always)]
                pub fn pack(self) -> [u64; WORDS] {
                    let mut w = [0u64; WORDS];
                    $(
                        <$ty as FieldType>::put(
                            &mut w,
                            const { FIELDS[field_index(FIELDS, stringify!($field))].offset },
                            self.$field,
                        );
                    )+
                    w
                }
            }

            fn pack_sample(v: &[FieldValue]) -> [u64; PAYLOAD / 8] {
                let mut it = v.iter();
                let e = Entry { $($field: <$ty as FieldType>::from_sample(it.next())),+ };
                let mut out = [0u64; PAYLOAD / 8];
                out[..WORDS].copy_from_slice(&e.pack());
                out
            }

            /// The class.
            pub static CLASS: EventClass = EventClass {
                name: stringify!($class),
                fields: FIELDS,
                words: WORDS,
                fmt: FMT,
                args: ARGS,
                pack_sample,
            };
        }
    };
}

/// The field an argument prints: `prev_pid`, or the `prev_state` of
/// `task_state(prev_state)`.
#[doc(hidden)]
macro_rules! __field_name {
    ($f:ident) => {
        stringify!($f)
    };
    ($helper:ident $f:ident) => {
        stringify!($f)
    };
}

/// The helper an argument applies, if any.
#[doc(hidden)]
macro_rules! __helper {
    ($f:ident) => {
        None
    };
    ($helper:ident $f:ident) => {
        Some(&$helper)
    };
}

/// Declares every event (Linux's `TRACE_EVENT`/`DEFINE_EVENT`), one line
/// each: `system: name = ID (class);` for an event of a declared class, or
/// `system: name = ID { fields } printk(...);` for an event that is its
/// own class. Ids are given in order from 1; `id::ID` and `EVENTS` come
/// from here.
macro_rules! trace_events {
    (
        $(
            $(#[$doc:meta])*
            $system:ident : $name:ident = $id:ident
            $( ( $class:ident ) )?
            $( { $($f:ident : $ty:ty),+ $(,)? } printk $p:tt )?
            ;
        )+
    ) => {
        $(
            $(
                $crate::trace::trace_events::declare_event_class! {
                    #[doc = concat!("`", stringify!($name), "`'s fields and format.")]
                    $name { $($f: $ty),+ } printk $p
                }
            )?
        )+

        #[allow(non_camel_case_types, clippy::upper_case_acronyms, dead_code)]
        #[repr(u16)]
        enum EventIds {
            _None = 0,
            $($id,)+
            _End,
        }

        /// Event ids, in declaration order from 1 (the kernel's numbers,
        /// not Linux's).
        pub mod id {
            $(
                $(#[$doc])*
                pub const $id: u16 = super::EventIds::$id as u16;
            )+
            /// The highest event id.
            pub const LAST_EVENT: u16 = super::EventIds::_End as u16 - 1;
        }

        /// Every event that can be enabled, in id order
        /// (`EVENTS[i].id == i + 1`).
        pub static EVENTS: &[$crate::trace::trace_events::TraceEvent] = &[$(
            $crate::trace::trace_events::TraceEvent {
                id: id::$id,
                system: stringify!($system),
                name: stringify!($name),
                class: $crate::trace::trace_events::__class!($($class)? ; $name),
            }
        ),+];
    };
}

/// An event's class: the one named, or the event itself.
#[doc(hidden)]
macro_rules! __class {
    ($class:ident ; $name:ident) => {
        &$class::CLASS
    };
    (; $name:ident) => {
        &$name::CLASS
    };
}

#[doc(hidden)]
pub(crate) use {__class, __field_name, __helper};
pub(crate) use {declare_event_class, trace_events};

#[cfg(test)]
mod tests {
    use super::super::{event, events, id};
    use super::*;

    #[test]
    fn format_file_is_linuxs_for_sched_wakeup() {
        let ev = event(id::SCHED_WAKEUP).unwrap();
        assert_eq!(
            ev.format_file(),
            "name: sched_wakeup\nID: 3\nformat:\n\
             \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\
             \tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n\
             \tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n\
             \tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\
             \n\
             \tfield:char comm[16];\toffset:8;\tsize:16;\tsigned:0;\n\
             \tfield:pid_t pid;\toffset:24;\tsize:4;\tsigned:1;\n\
             \tfield:int prio;\toffset:28;\tsize:4;\tsigned:1;\n\
             \tfield:int target_cpu;\toffset:32;\tsize:4;\tsigned:1;\n\
             \n\
             print fmt: \"comm=%s pid=%d prio=%d target_cpu=%03d\", REC->comm, REC->pid, REC->prio, REC->target_cpu\n"
        );
    }

    #[test]
    fn format_file_shows_helpers_as_c_expressions() {
        let f = event(id::SCHED_SWITCH).unwrap().format_file();
        assert!(
            f.contains("\tfield:int prev_state;\toffset:48;\tsize:4;\tsigned:1;\n"),
            "{f}"
        );
        assert!(
            f.contains(", REC->prev_prio, (REC->prev_state & (0x100 - 1)) ? __print_flags(REC->prev_state & (0x100 - 1), \"|\", { 0x01, \"S\" },"),
            "{f}"
        );
        assert!(f.ends_with(": \"R\", REC->prev_state & 0x100 ? \"+\" : \"\", REC->next_comm, REC->next_pid, REC->next_prio\n"), "{f}");
        let f = event(id::SCHED_PROCESS_EXEC).unwrap().format_file();
        assert!(
            f.contains("\tfield:char filename[56];\toffset:16;\tsize:56;\tsigned:0;\n"),
            "{f}"
        );
    }

    #[test]
    fn every_event_fits_and_its_fields_do_not_overlap() {
        for ev in events::EVENTS {
            let f = ev.class.fields;
            for pair in f.windows(2) {
                assert!(
                    pair[0].offset + pair[0].size <= pair[1].offset,
                    "{}",
                    ev.name
                );
            }
            assert!(ev.class.words * 8 <= PAYLOAD, "{}", ev.name);
            for field in f.iter().filter(|x| x.size >= 16) {
                // Names start on a word: packing stays whole-word moves.
                assert_eq!(field.offset % 8, 0, "{}.{}", ev.name, field.name);
            }
        }
    }

    #[test]
    fn printf_widths_signs_and_unsigned() {
        let fields = layout([Field::of::<Int>("a"), Field::of::<Comm>("c")]);
        let class = |fmt: &'static str, args: &'static [Arg]| EventClass {
            name: "t",
            fields: alloc::boxed::Box::leak(alloc::boxed::Box::new(fields)),
            words: 3,
            fmt,
            args,
            pack_sample: |_| [0; PAYLOAD / 8],
        };
        let a = &Arg {
            field: 0,
            helper: None,
            index: 0,
        };
        let c = &Arg {
            field: 1,
            helper: None,
            index: 0,
        };
        let mut payload = [0u8; PAYLOAD];
        payload[..4].copy_from_slice(&(-7i32).to_le_bytes());
        payload[4..6].copy_from_slice(b"sh");
        for (fmt, args, want) in [
            ("%03d|%-4d|%d%%", &[*a, *a, *a][..], "-07|-7  |-7%"),
            ("%u %x", &[*a, *a][..], "4294967289 fffffff9"),
            ("[%5s][%-5s]", &[*c, *c][..], "[   sh][sh   ]"),
        ] {
            let args: &'static [Arg] = alloc::boxed::Box::leak(args.to_vec().into_boxed_slice());
            let class: &'static EventClass =
                alloc::boxed::Box::leak(alloc::boxed::Box::new(class(fmt, args)));
            let ev = TraceEvent {
                id: 99,
                system: "t",
                name: "t",
                class,
            };
            let mut out = String::new();
            ev.print(&mut out, &payload);
            assert_eq!(out, want, "{fmt}");
        }
    }

    #[test]
    #[should_panic(expected = "does not match")]
    fn a_format_that_does_not_match_its_arguments_is_refused() {
        let fields = layout([Field::of::<Int>("a")]);
        check_printk(
            "a=%s",
            &fields,
            &[Arg {
                field: 0,
                helper: None,
                index: 0,
            }],
        );
    }

    #[test]
    #[should_panic(expected = "more arguments")]
    fn an_argument_without_a_conversion_is_refused() {
        let fields = layout([Field::of::<Int>("a")]);
        check_printk(
            "a",
            &fields,
            &[Arg {
                field: 0,
                helper: None,
                index: 0,
            }],
        );
    }

    #[test]
    fn prev_state_text() {
        use events::{prev_state_str, STATE_PREEMPTED};
        assert_eq!(prev_state_str(0), "R");
        assert_eq!(prev_state_str(STATE_PREEMPTED), "R+");
        assert_eq!(prev_state_str(0x21), "S|Z");
        assert_eq!(prev_state_str(0x80), "I");
    }
}
