//! The tracer's hardware-free parts (Linux's `kernel/trace/`): compact
//! binary records, the per-CPU ring buffer they live in, merging CPUs by
//! timestamp, the kallsyms table, and formatting records as the lines of
//! Linux's `trace` file (see `shared/spec/ftrace-format.md`).
//!
//! Records are fixed-size (96 bytes) and written only by their own CPU;
//! each slot carries a sequence number (a seqlock), so a reader on another
//! CPU never sees a torn entry: it either gets the record whole or learns
//! that it was overwritten.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;
use core::sync::atomic::{AtomicU64, Ordering};

pub mod events;
pub mod export;
pub mod filter;
pub mod graph;
pub mod options;
pub mod ring_buffer_page;
pub mod syscalls;
pub mod trace_entries;
pub mod trace_events;
pub mod trigger;

pub use events::{prev_state_str, EVENTS, STATE_PREEMPTED};
pub use trace_events::TraceEvent;

/// Record ids: the declared events' ([`events`]), then the tracer's own
/// entries (Linux's `kernel/trace/trace_entries.h`), which are always on
/// with their tracer and have no `enable` file.
pub mod id {
    pub use super::events::id::*;
    /// `tracing_mark_write`: text written to `trace_marker`.
    pub const PRINT: u16 = LAST_EVENT + 1;
    /// A function-tracer entry: ip and parent ip.
    pub const FUNCTION: u16 = LAST_EVENT + 2;
    /// A stack trace: a count, then return addresses.
    pub const STACK_TRACE: u16 = LAST_EVENT + 3;
    /// Not a record id: the enable bit a system call's entry and exit
    /// test, set while `raw_syscalls:*` or any `syscalls:sys_enter_*`/
    /// `sys_exit_*` event is on (Linux's `TIF_SYSCALL_TRACEPOINT`). The
    /// `syscalls:*` ids are [`super::syscalls::SYSCALL_EVENT_BASE`] on,
    /// each with its bit in a bitmap of its own.
    pub const SYSCALL_EVENTS: u16 = LAST_EVENT + 4;
    /// A function_graph entry: function, depth.
    pub const FUNCGRAPH_ENTRY: u16 = LAST_EVENT + 5;
    /// A function_graph return: function, call time (ticks; ns once read),
    /// depth, overrun.
    pub const FUNCGRAPH_EXIT: u16 = LAST_EVENT + 6;
}

// The kernel keeps an enable bit per id below bit 62 (its tracers' bits).
const _: () = assert!(
    id::FUNCGRAPH_EXIT < 62 && id::SYSCALL_EVENTS < 62,
    "too many trace events for the enable mask"
);

/// The declared event with id `ev` (a `syscalls:*` one included).
pub fn event(ev: u16) -> Option<&'static TraceEvent> {
    if ev >= syscalls::SYSCALL_EVENT_BASE {
        return syscalls::event(ev);
    }
    EVENTS
        .get((ev as usize).wrapping_sub(1))
        .filter(|e| e.id == ev)
}

/// Every event tracefs lists: the declared ones, then the `syscalls:*`
/// ones made from the system-call table.
pub fn all_events() -> impl Iterator<Item = &'static TraceEvent> {
    EVENTS.iter().chain(syscalls::events().iter())
}

/// Payload words an entry uses (its fields' bytes, rounded up to words).
/// Only these are written into a ring slot (a recorded event costs little
/// more than its stores); the rest of the slot keeps an older entry's
/// words, which [`Record::from_words`] clears when it reads the slot.
pub fn payload_words(ev: u16) -> usize {
    match event(ev) {
        Some(e) => e.class.words,
        // ip and parent ip.
        None if ev == id::FUNCTION => 2,
        None if ev == id::FUNCGRAPH_ENTRY => 2,
        None if ev == id::FUNCGRAPH_EXIT => 4,
        None => PAYLOAD / 8,
    }
}

/// Header flag: IRQs were masked.
pub const FLAG_IRQS_OFF: u8 = 1;
/// Header flag: need-resched was set.
pub const FLAG_NEED_RESCHED: u8 = 2;
/// Header flag: recorded in hard-IRQ context.
pub const FLAG_HARDIRQ: u8 = 4;
/// Header flag: recorded while serving a softirq (Linux's
/// `TRACE_FLAG_SOFTIRQ`); with [`FLAG_HARDIRQ`], a hard IRQ that
/// interrupted a softirq (`H`).
pub const FLAG_SOFTIRQ: u8 = 8;

/// The third flag column (Linux's `trace_print_lat_fmt`): `H` a hard IRQ
/// inside a softirq, `h` a hard IRQ, `s` a softirq, else `.`.
pub fn irq_context_char(flags: u8) -> char {
    match (flags & FLAG_HARDIRQ != 0, flags & FLAG_SOFTIRQ != 0) {
        (true, true) => 'H',
        (true, false) => 'h',
        (false, true) => 's',
        (false, false) => '.',
    }
}

/// Bytes of event-specific payload.
pub const PAYLOAD: usize = 64;
/// 64-bit words a record takes in a ring slot.
pub const WORDS: usize = 12;

/// One trace entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// Time since boot: nanoseconds once read out of the kernel's rings,
    /// which hold counter ticks (converted at read time, not per event).
    pub ts: u64,
    /// The task that was running.
    pub pid: i32,
    /// `FLAG_*`.
    pub flags: u8,
    /// Preemption depth.
    pub preempt: u8,
    /// Event id.
    pub id: u16,
    /// The running task's name at record time.
    pub comm: [u8; 16],
    /// Event fields.
    pub payload: [u8; PAYLOAD],
}

impl Default for Record {
    fn default() -> Self {
        Record {
            ts: 0,
            pid: 0,
            flags: 0,
            preempt: 0,
            id: 0,
            comm: [0; 16],
            payload: [0; PAYLOAD],
        }
    }
}

impl Record {
    /// The second word of a record in a ring slot: pid, flags, preemption
    /// depth and event id (the first is the timestamp, then two words of
    /// comm and eight of payload).
    #[inline]
    pub fn header_word(pid: i32, flags: u8, preempt: u8, id: u16) -> u64 {
        (pid as u32 as u64) | (flags as u64) << 32 | (preempt as u64) << 40 | (id as u64) << 48
    }

    #[inline]
    fn to_words(self) -> [u64; WORDS] {
        let mut w = [0u64; WORDS];
        w[0] = self.ts;
        w[1] = Self::header_word(self.pid, self.flags, self.preempt, self.id);
        w[2] = u64::from_le_bytes(self.comm[..8].try_into().unwrap_or([0; 8]));
        w[3] = u64::from_le_bytes(self.comm[8..].try_into().unwrap_or([0; 8]));
        for i in 0..8 {
            w[4 + i] =
                u64::from_le_bytes(self.payload[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
        }
        w
    }

    /// The record held in ring-slot words (payload words past what its
    /// event uses read as zero, whatever the slot still holds).
    pub fn from_words(w: &[u64; WORDS]) -> Record {
        let mut r = Record {
            ts: w[0],
            pid: w[1] as u32 as i32,
            flags: (w[1] >> 32) as u8,
            preempt: (w[1] >> 40) as u8,
            id: (w[1] >> 48) as u16,
            ..Record::default()
        };
        r.comm[..8].copy_from_slice(&w[2].to_le_bytes());
        r.comm[8..].copy_from_slice(&w[3].to_le_bytes());
        for i in 0..payload_words(r.id).min(PAYLOAD / 8) {
            r.payload[i * 8..i * 8 + 8].copy_from_slice(&w[4 + i].to_le_bytes());
        }
        r
    }
}

struct Slot {
    /// 2*index+1 while being written, 2*index+2 once complete.
    seq: AtomicU64,
    words: [AtomicU64; WORDS],
}

/// One CPU's ring buffer in overwrite mode.
pub struct Ring {
    slots: Vec<Slot>,
    head: AtomicU64,
}

impl Ring {
    /// A ring of `entries` records, rounded up to a power of two (at
    /// least 2): a slot is then found with a mask, not a division.
    pub fn new(entries: usize) -> Ring {
        let n = entries.max(2).next_power_of_two();
        let mut slots = Vec::with_capacity(n);
        for _ in 0..n {
            slots.push(Slot {
                seq: AtomicU64::new(0),
                words: [const { AtomicU64::new(0) }; WORDS],
            });
        }
        Ring {
            slots,
            head: AtomicU64::new(0),
        }
    }

    /// Records it can hold.
    pub fn capacity(&self) -> u64 {
        self.slots.len() as u64
    }

    /// Records ever written.
    pub fn written(&self) -> u64 {
        self.head.load(Ordering::Acquire)
    }

    /// Index of the oldest record still held.
    pub fn oldest(&self) -> u64 {
        self.written().saturating_sub(self.capacity())
    }

    /// Appends a record, overwriting the oldest when full. Only the ring's
    /// own CPU calls this, with IRQs masked.
    #[inline]
    pub fn push(&self, r: &Record) {
        self.push_words(&r.to_words());
    }

    /// [`Ring::push`] of a record already in slot form (see
    /// [`Record::header_word`]): what the kernel's trace sites use.
    #[inline]
    pub fn push_words(&self, w: &[u64; WORDS]) {
        let (head, payload) = w.split_at(4);
        let head: &[u64; 4] = head.try_into().unwrap_or(&[0; 4]);
        let payload: &[u64; WORDS - 4] = payload.try_into().unwrap_or(&[0; WORDS - 4]);
        self.push_record(head, payload);
    }

    /// Appends a record given as its four header words (time, pid/flags/
    /// id, comm) and the first `N` payload words, `N` at least what its
    /// event uses ([`payload_words`]); returns its index. Only the ring's
    /// own CPU calls this, with IRQs masked.
    #[inline(always)]
    pub fn push_record<const N: usize>(&self, head: &[u64; 4], payload: &[u64; N]) -> u64 {
        let idx = self.head.load(Ordering::Relaxed);
        let slot = &self.slots[(idx & (self.capacity() - 1)) as usize];
        slot.seq.store(2 * idx + 1, Ordering::Relaxed);
        core::sync::atomic::fence(Ordering::Release);
        for (d, s) in slot.words.iter().zip(head.iter().chain(payload.iter())) {
            d.store(*s, Ordering::Relaxed);
        }
        slot.seq.store(2 * idx + 2, Ordering::Release);
        self.head.store(idx + 1, Ordering::Release);
        idx
    }

    /// The record with index `idx`, if still held and complete.
    pub fn get(&self, idx: u64) -> Option<Record> {
        let slot = &self.slots[(idx & (self.capacity() - 1)) as usize];
        let want = 2 * idx + 2;
        if slot.seq.load(Ordering::Acquire) != want {
            return None;
        }
        let mut w = [0u64; WORDS];
        for (d, s) in w.iter_mut().zip(slot.words.iter()) {
            *d = s.load(Ordering::Relaxed);
        }
        core::sync::atomic::fence(Ordering::Acquire);
        (slot.seq.load(Ordering::Relaxed) == want).then(|| Record::from_words(&w))
    }

    /// Records from index `from` on, and how many before them were lost.
    pub fn read_from(&self, from: u64) -> (Vec<(u64, Record)>, u64) {
        let head = self.written();
        let start = from.max(head.saturating_sub(self.capacity()));
        let mut lost = start - from.min(start);
        let mut out = Vec::new();
        for i in start..head {
            match self.get(i) {
                Some(r) => out.push((i, r)),
                None => lost += 1,
            }
        }
        (out, lost)
    }
}

/// One line of the merged trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// An entry from `cpu`.
    Entry(usize, Record),
    /// `lost` entries of `cpu` were overwritten before being read.
    Lost(usize, u64),
}

/// Merges per-CPU record lists (each in time order) by timestamp; a CPU's
/// lost count comes before its first entry.
pub fn merge(per_cpu: Vec<(Vec<Record>, u64)>) -> Vec<Item> {
    let mut out = Vec::new();
    let mut pos = alloc::vec![0usize; per_cpu.len()];
    for (cpu, (_, lost)) in per_cpu.iter().enumerate() {
        if *lost > 0 {
            out.push(Item::Lost(cpu, *lost));
        }
    }
    loop {
        let mut best: Option<(usize, u64)> = None;
        for (cpu, (recs, _)) in per_cpu.iter().enumerate() {
            if let Some(r) = recs.get(pos[cpu]) {
                if best.is_none_or(|(_, ts)| r.ts < ts) {
                    best = Some((cpu, r.ts));
                }
            }
        }
        let Some((cpu, _)) = best else { break };
        out.push(Item::Entry(cpu, per_cpu[cpu].0[pos[cpu]]));
        pos[cpu] += 1;
    }
    out
}

// ---- payload encoding -------------------------------------------------

/// Writes a payload field after field, in little-endian byte order, as
/// the eight words a ring slot holds: what the tracer's own entries
/// (`trace_marker` text, stack traces) are built with. Declared events are
/// packed by their generated `Entry::pack` instead. Every method is
/// `#[inline(always)]` and works on whole words, so with constant offsets
/// a payload folds into shifts and register moves, not byte copies.
#[derive(Clone, Copy, Default)]
pub struct PayloadWriter {
    w: [u64; PAYLOAD / 8],
    pos: usize,
}

impl PayloadWriter {
    /// Ors `v`, `n` bytes wide (1..=8), in at the current position;
    /// bytes past the payload's end are dropped.
    #[inline(always)]
    fn put(&mut self, v: u64, n: usize) {
        let (i, sh) = (self.pos / 8, (self.pos % 8) * 8);
        let v = if n < 8 {
            v & ((1u64 << (n * 8)) - 1)
        } else {
            v
        };
        if i < self.w.len() {
            self.w[i] |= v << sh;
            if sh != 0 && sh + n * 8 > 64 && i + 1 < self.w.len() {
                self.w[i + 1] |= v >> (64 - sh);
            }
        }
        self.pos += n;
    }
    /// Appends a 16-byte name.
    #[inline(always)]
    pub fn comm(self, c: &[u8; 16]) -> Self {
        let (lo, hi) = c.split_at(8);
        let word = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
        self.comm_words([word(lo), word(hi)])
    }
    /// Appends a 16-byte name given as two little-endian words (what
    /// `task_struct` keeps).
    #[inline(always)]
    pub fn comm_words(mut self, c: [u64; 2]) -> Self {
        self.put(c[0], 8);
        self.put(c[1], 8);
        self
    }
    /// Appends an i32.
    #[inline(always)]
    pub fn i32(mut self, v: i32) -> Self {
        self.put(v as u32 as u64, 4);
        self
    }
    /// Appends a u64.
    #[inline(always)]
    pub fn u64(mut self, v: u64) -> Self {
        self.put(v, 8);
        self
    }
    /// Appends raw bytes (cut to what fits).
    #[inline]
    pub fn bytes(&mut self, b: &[u8]) {
        for &x in b.iter().take(PAYLOAD.saturating_sub(self.pos)) {
            self.put(x as u64, 1);
        }
    }
    /// The payload.
    #[inline]
    pub fn finish(self) -> [u8; PAYLOAD] {
        let mut out = [0u8; PAYLOAD];
        for (o, w) in out.chunks_exact_mut(8).zip(self.w) {
            o.copy_from_slice(&w.to_le_bytes());
        }
        out
    }
    /// The payload as the eight little-endian words a ring slot holds.
    #[inline(always)]
    pub fn finish_words(self) -> [u64; PAYLOAD / 8] {
        self.w
    }
}

/// Reads the tracer's own entries (function, stack trace) back.
struct PayloadReader<'a> {
    b: &'a [u8; PAYLOAD],
    pos: usize,
}

impl PayloadReader<'_> {
    fn u64(&mut self) -> u64 {
        let v = u64::from_le_bytes(self.b[self.pos..self.pos + 8].try_into().unwrap_or([0; 8]));
        self.pos += 8;
        v
    }
}

// ---- kallsyms -----------------------------------------------------------

const KSYM_MAGIC: &[u8; 8] = b"PIKSYMS1";

/// Builds the symbol table blob: `(address, size, name)` of functions.
pub fn build_kallsyms(syms: &mut [(u64, u64, String)]) -> Vec<u8> {
    syms.sort_by_key(|s| s.0);
    let mut out = Vec::new();
    out.extend_from_slice(KSYM_MAGIC);
    out.extend_from_slice(&(syms.len() as u64).to_le_bytes());
    let mut names = Vec::new();
    for (addr, size, name) in syms.iter() {
        out.extend_from_slice(&addr.to_le_bytes());
        out.extend_from_slice(&(*size as u32).to_le_bytes());
        out.extend_from_slice(&(names.len() as u32).to_le_bytes());
        names.extend_from_slice(name.as_bytes());
        names.push(0);
    }
    out.extend_from_slice(&names);
    out
}

/// A symbol table blob, searched by address.
#[derive(Clone, Copy)]
pub struct Kallsyms<'a> {
    table: &'a [u8],
    names: &'a [u8],
    count: usize,
}

impl<'a> Kallsyms<'a> {
    /// Parses a blob made by [`build_kallsyms`]; `None` if it is not one.
    pub fn new(blob: &'a [u8]) -> Option<Self> {
        if blob.len() < 16 || &blob[..8] != KSYM_MAGIC {
            return None;
        }
        let count = u64::from_le_bytes(blob[8..16].try_into().ok()?) as usize;
        let tlen = count.checked_mul(16)?;
        let table = blob.get(16..16 + tlen)?;
        let names = blob.get(16 + tlen..)?;
        Some(Kallsyms {
            table,
            names,
            count,
        })
    }

    fn entry(&self, i: usize) -> (u64, u64, u32) {
        let e = &self.table[i * 16..i * 16 + 16];
        (
            u64::from_le_bytes(e[..8].try_into().unwrap_or([0; 8])),
            u32::from_le_bytes(e[8..12].try_into().unwrap_or([0; 4])) as u64,
            u32::from_le_bytes(e[12..16].try_into().unwrap_or([0; 4])),
        )
    }

    fn name(&self, off: u32) -> &'a str {
        let s = self.names.get(off as usize..).unwrap_or(&[]);
        let n = s.iter().position(|&b| b == 0).unwrap_or(s.len());
        core::str::from_utf8(&s[..n]).unwrap_or("?")
    }

    /// The function containing `addr`: (name, offset, size).
    pub fn lookup(&self, addr: u64) -> Option<(&'a str, u64, u64)> {
        let (mut lo, mut hi) = (0usize, self.count);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.entry(mid).0 <= addr {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let i = lo.checked_sub(1)?;
        let (start, size, name) = self.entry(i);
        (addr - start < size.max(1)).then(|| (self.name(name), addr - start, size))
    }

    /// The address of function `name`.
    pub fn address_of(&self, name: &str) -> Option<u64> {
        (0..self.count)
            .map(|i| self.entry(i))
            .find(|e| self.name(e.2) == name)
            .map(|e| e.0)
    }

    /// Every symbol: (address, size, name), in address order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, u64, &'a str)> + '_ {
        (0..self.count).map(|i| {
            let (addr, size, name) = self.entry(i);
            (addr, size, self.name(name))
        })
    }

    /// Number of symbols.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True if empty.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

// ---- formatting ---------------------------------------------------------

/// `sym+0xoff/0xsize` (or without the offset), or `0x%08lx` when unknown.
pub fn format_sym(out: &mut String, syms: Option<&Kallsyms>, addr: u64, sym_offset: bool) {
    format_sym_at(out, syms.and_then(|k| k.lookup(addr)), addr, sym_offset);
}

/// Like [`format_sym`] for a return address: the symbol is looked up at
/// `addr - 1`, since a call that never returns can be a function's last
/// instruction and its return address the next function's first byte.
pub fn format_ret_sym(out: &mut String, syms: Option<&Kallsyms>, addr: u64, sym_offset: bool) {
    let hit = syms
        .and_then(|k| k.lookup(addr.saturating_sub(1)))
        .map(|(n, off, size)| (n, off + 1, size));
    format_sym_at(out, hit, addr, sym_offset);
}

fn format_sym_at(out: &mut String, hit: Option<(&str, u64, u64)>, addr: u64, sym_offset: bool) {
    match hit {
        Some((name, off, size)) if sym_offset => {
            let _ = write!(out, "{name}+{off:#x}/{size:#x}");
        }
        Some((name, _, _)) => out.push_str(name),
        None => {
            let _ = write!(out, "0x{addr:08x}");
        }
    }
}

fn comm_str(c: &[u8; 16]) -> &str {
    let n = c.iter().position(|&x| x == 0).unwrap_or(16);
    core::str::from_utf8(&c[..n]).unwrap_or("<...>")
}

/// How entries print: the options of `trace_options` that change the
/// text, and the clock's unit.
#[derive(Clone, Copy)]
pub struct PrintOpts<'a> {
    /// `sym-offset`: `+0xoff/0xsize` after symbols.
    pub sym_offset: bool,
    /// `sym-addr`: ` <address>` after symbols.
    pub sym_addr: bool,
    /// `print-parent`: the caller after a traced function.
    pub print_parent: bool,
    /// `irq-info`: the four latency columns (`d.h1`).
    pub irq_info: bool,
    /// `context-info`: the `comm-pid [cpu] flags time:` prefix at all.
    pub context_info: bool,
    /// `record-tgid`: the thread group id of a pid (`(tgid)` after it);
    /// `None` when the option is off, and a lookup giving `None` for a
    /// pid whose group is not known (`(-----)`).
    pub tgid: Option<&'a dyn Fn(i32) -> Option<i32>>,
    /// The clock counts nanoseconds (`secs.usecs`); if not (`counter`),
    /// the raw count is printed.
    pub time_in_ns: bool,
}

impl PrintOpts<'_> {
    /// Linux's defaults, with `sym-offset` as given (what [`format_item`]
    /// prints).
    pub fn new(sym_offset: bool) -> PrintOpts<'static> {
        PrintOpts {
            sym_offset,
            sym_addr: false,
            print_parent: true,
            irq_info: true,
            context_info: true,
            tgid: None,
            time_in_ns: true,
        }
    }
}

/// The `# tracer:` header of the `trace` file.
pub fn format_header(out: &mut String, tracer: &str, in_buffer: u64, written: u64, cpus: usize) {
    format_header_opts(out, tracer, in_buffer, written, cpus, &PrintOpts::new(true));
}

/// [`format_header`] for the given options: without `irq-info` the
/// latency legend goes (`print_func_help_header`), with `record-tgid` a
/// TGID column comes (4.19's text, spaces included).
pub fn format_header_opts(
    out: &mut String,
    tracer: &str,
    in_buffer: u64,
    written: u64,
    cpus: usize,
    o: &PrintOpts,
) {
    let tgid = o.tgid.is_some();
    if !o.irq_info || tgid {
        let _ = write!(
            out,
            "# tracer: {tracer}\n#\n# entries-in-buffer/entries-written: {in_buffer}/{written}   #P:{cpus}\n#\n"
        );
    }
    if !o.irq_info {
        let _ = write!(
            out,
            "#           TASK-PID   CPU#   {}  TIMESTAMP  FUNCTION\n#              | |       |    {}     |         |\n",
            if tgid { "TGID     " } else { "" },
            if tgid { "  |      " } else { "" }
        );
        return;
    }
    if tgid {
        let sp = "          ";
        for l in [
            "  _-----=> irqs-off",
            " / _----=> need-resched",
            "| / _---=> hardirq/softirq",
            "|| / _--=> preempt-depth",
            "||| /     delay",
        ] {
            let _ = writeln!(out, "#                          {sp}{l}");
        }
        out.push_str("#           TASK-PID   CPU#   TGID   ||||    TIMESTAMP  FUNCTION\n");
        out.push_str("#              | |       |      |    ||||       |         |\n");
        return;
    }
    let _ = write!(
        out,
        "# tracer: {tracer}\n#\n# entries-in-buffer/entries-written: {in_buffer}/{written}   #P:{cpus}\n#\n\
#                              _-----=> irqs-off\n\
#                             / _----=> need-resched\n\
#                            | / _---=> hardirq/softirq\n\
#                            || / _--=> preempt-depth\n\
#                            ||| /     delay\n\
#           TASK-PID   CPU#  ||||    TIMESTAMP  FUNCTION\n\
#              | |       |   ||||       |         |\n"
    );
}

/// The context prefix: `<comm>-<pid> [cpu] flags secs.usecs: `.
fn format_ctx(out: &mut String, cpu: usize, r: &Record, o: &PrintOpts) {
    if !o.context_info {
        return;
    }
    let comm = if r.pid == 0 {
        "<idle>"
    } else {
        comm_str(&r.comm)
    };
    let comm = if comm.is_empty() { "<...>" } else { comm };
    let irq = if r.flags & FLAG_IRQS_OFF != 0 {
        'd'
    } else {
        '.'
    };
    let nr = if r.flags & FLAG_NEED_RESCHED != 0 {
        'n'
    } else {
        '.'
    };
    let hard = irq_context_char(r.flags);
    let depth = match r.preempt & 0xf {
        0 => '.',
        d => char::from_digit(d as u32, 16).unwrap_or('f'),
    };
    let _ = write!(out, "{comm:>16}-{:<5} ", r.pid);
    if let Some(tgid) = o.tgid {
        match tgid(r.pid) {
            Some(t) => {
                let _ = write!(out, "({t:5}) ");
            }
            None => out.push_str("(-----) "),
        }
    }
    let _ = write!(out, "[{cpu:03}] ");
    if o.irq_info {
        let _ = write!(out, "{irq}{nr}{hard}{depth}");
    }
    if o.time_in_ns {
        // Microseconds rounded to the nearest, as Linux's ns2usecs() does
        // (trace-cmd rounds the same way: the two agree on every entry).
        let us = r.ts.saturating_add(500) / 1000;
        let _ = write!(out, " {:5}.{:06}: ", us / 1_000_000, us % 1_000_000);
    } else {
        let _ = write!(out, " {:12}: ", r.ts);
    }
}

/// Formats one item as the line(s) of the `trace` file, newline included.
pub fn format_item(out: &mut String, item: &Item, syms: Option<&Kallsyms>, sym_offset: bool) {
    format_item_opts(out, item, syms, &PrintOpts::new(sym_offset));
}

fn sym_addr(out: &mut String, o: &PrintOpts, addr: u64) {
    if o.sym_addr {
        let _ = write!(out, " <{addr:016x}>");
    }
}

/// [`format_item`] with the print options of `trace_options`.
pub fn format_item_opts(out: &mut String, item: &Item, syms: Option<&Kallsyms>, o: &PrintOpts) {
    let sym_offset = o.sym_offset;
    let (cpu, r) = match item {
        Item::Lost(cpu, n) => {
            let _ = writeln!(out, "CPU:{cpu} [LOST {n} EVENTS]");
            return;
        }
        Item::Entry(cpu, r) => (*cpu, r),
    };
    format_ctx(out, cpu, r, o);
    let mut p = PayloadReader {
        b: &r.payload,
        pos: 0,
    };
    // Linux prints the syscalls:* events its own way, not by their format.
    if syscalls::format_syscall(out, r) {
        return;
    }
    if let Some(ev) = event(r.id) {
        out.push_str(ev.name);
        out.push_str(": ");
        ev.print_syms(out, &r.payload, syms);
        out.push('\n');
        return;
    }
    match r.id {
        id::PRINT => {
            let n = r.payload.iter().position(|&b| b == 0).unwrap_or(PAYLOAD);
            let text = String::from_utf8_lossy(&r.payload[..n]);
            let _ = writeln!(out, "tracing_mark_write: {}", text.trim_end_matches('\n'));
        }
        id::FUNCTION => {
            let (ip, parent) = (p.u64(), p.u64());
            format_sym(out, syms, ip, sym_offset);
            sym_addr(out, o, ip);
            if o.print_parent {
                out.push_str(" <-");
                format_ret_sym(out, syms, parent, sym_offset);
                sym_addr(out, o, parent);
            }
            out.push('\n');
        }
        id::FUNCGRAPH_ENTRY | id::FUNCGRAPH_EXIT => {
            // Outside the graph tracer's own output: Linux's raw
            // `funcgraph_entry`/`funcgraph_exit` text.
            let (func, second) = (p.u64(), p.u64());
            let arrow = if r.id == id::FUNCGRAPH_ENTRY {
                "-->"
            } else {
                "<--"
            };
            out.push_str(arrow);
            out.push(' ');
            format_sym(out, syms, func, false);
            let depth = if r.id == id::FUNCGRAPH_ENTRY {
                second
            } else {
                p.u64()
            };
            let _ = writeln!(out, " ({depth})");
        }
        id::STACK_TRACE => {
            out.push_str("<stack trace>\n");
            let n = p.u64().min(7);
            for _ in 0..n {
                let a = p.u64();
                out.push_str(" => ");
                format_ret_sym(out, syms, a, sym_offset);
                sym_addr(out, o, a);
                out.push('\n');
            }
        }
        other => {
            let _ = writeln!(out, "unknown_event: id={other}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn comm(s: &str) -> [u8; 16] {
        let mut c = [0u8; 16];
        c[..s.len()].copy_from_slice(s.as_bytes());
        c
    }

    fn rec(id: u16, pid: i32, name: &str, payload: [u8; PAYLOAD]) -> Record {
        Record {
            ts: 1_318_514_446_123,
            pid,
            flags: FLAG_IRQS_OFF,
            preempt: 0,
            id,
            comm: comm(name),
            payload,
        }
    }

    fn line(r: Record, cpu: usize) -> String {
        let mut s = String::new();
        format_item(&mut s, &Item::Entry(cpu, r), None, true);
        s
    }

    #[test]
    fn payload_holds_the_fields_bytes_at_any_offset() {
        let w = || {
            PayloadWriter::default()
                .i32(-2)
                .comm(b"abcdefghijklmno\0")
                .i32(7)
                .u64(0x1122_3344_5566_7788)
        };
        let mut want = alloc::vec::Vec::new();
        want.extend_from_slice(&(-2i32).to_le_bytes());
        want.extend_from_slice(b"abcdefghijklmno\0");
        want.extend_from_slice(&7i32.to_le_bytes());
        want.extend_from_slice(&0x1122_3344_5566_7788u64.to_le_bytes());
        want.resize(PAYLOAD, 0);
        assert_eq!(w().finish().to_vec(), want);
        let words = w().finish_words();
        assert_eq!(words[0], u64::from_le_bytes(want[..8].try_into().unwrap()));
        assert_eq!(
            words[3],
            u64::from_le_bytes(want[24..32].try_into().unwrap())
        );
    }

    #[test]
    fn payload_bytes_and_comm_words_match_the_byte_layout() {
        let name = *b"forkloop\0\0\0\0\0\0\0\0";
        let words = [
            u64::from_le_bytes(name[..8].try_into().unwrap()),
            u64::from_le_bytes(name[8..].try_into().unwrap()),
        ];
        let a = PayloadWriter::default().i32(9).comm(&name).finish();
        let b = PayloadWriter::default().i32(9).comm_words(words).finish();
        assert_eq!(a, b);
        let mut w = PayloadWriter::default().i32(3);
        w.bytes(b"/bin/a-long-file-name-that-runs-past-the-end-of-the-payload-area");
        let p = w.finish();
        assert_eq!(&p[..4], &3i32.to_le_bytes());
        assert_eq!(&p[4..13], b"/bin/a-lo");
        assert_eq!(
            p[63],
            b"/bin/a-long-file-name-that-runs-past-the-end-of-the-payload-area"[59]
        );
    }

    #[test]
    fn generated_packing_matches_the_writer_field_by_field() {
        let w = |c: &str| trace_events::comm_words(&comm(c));
        let words = events::sched_switch::Entry {
            prev_comm: w("raspbian_fork"),
            next_comm: w("swapper/3"),
            prev_pid: 17120,
            prev_prio: 120,
            prev_state: -1,
            next_pid: 0,
            next_prio: 120,
        }
        .pack();
        let writer = PayloadWriter::default()
            .comm(&comm("raspbian_fork"))
            .comm(&comm("swapper/3"))
            .i32(17120)
            .i32(120)
            .i32(-1)
            .i32(0)
            .i32(120)
            .finish_words();
        assert_eq!(words[..], writer[..7]);
        assert_eq!(events::sched_switch::WORDS, 7);
    }

    #[test]
    fn no_event_is_formatted_from_words_past_its_payload() {
        let ids = EVENTS.iter().map(|e| e.id).chain([id::FUNCTION]);
        for ev in ids {
            let mut full = rec(ev, 5, "t", [0x31; PAYLOAD]);
            full.payload[PAYLOAD - 1] = 0;
            let mut cut = full;
            cut.payload[payload_words(ev) * 8..].fill(0);
            let (a, b) = (line(full, 0), line(cut, 0));
            assert_eq!(
                a,
                b,
                "event {ev} reads past its {} words",
                payload_words(ev)
            );
            // And from_words keeps exactly those words.
            let back = Record::from_words(&full.to_words());
            assert_eq!(back, cut, "event {ev}");
        }
    }

    #[test]
    fn payload_is_cut_at_64_bytes() {
        let mut w = PayloadWriter::default().i32(1);
        for i in 0..8 {
            w = w.u64(u64::MAX - i);
        }
        let b = w.finish();
        assert_eq!(&b[..4], &1u32.to_le_bytes());
        assert_eq!(&b[4..12], &u64::MAX.to_le_bytes());
        // The last u64 only had 4 bytes of room left.
        assert_eq!(&b[60..], &(u64::MAX - 7).to_le_bytes()[..4]);
    }

    #[test]
    fn sched_switch_matches_the_spec_example() {
        let p = PayloadWriter::default()
            .comm(&comm("raspbian_fork"))
            .comm(&comm("swapper/3"))
            .i32(17120)
            .i32(120)
            .i32(1)
            .i32(0)
            .i32(120)
            .finish();
        assert_eq!(
            line(rec(id::SCHED_SWITCH, 17120, "raspbian_fork", p), 3),
            "   raspbian_fork-17120 [003] d...  1318.514446: sched_switch: prev_comm=raspbian_fork prev_pid=17120 prev_prio=120 prev_state=S ==> next_comm=swapper/3 next_pid=0 next_prio=120\n"
        );
    }

    #[test]
    fn idle_task_and_other_events() {
        let p = PayloadWriter::default()
            .comm(&comm("sh"))
            .i32(5)
            .i32(120)
            .i32(2)
            .finish();
        let mut r = rec(id::SCHED_WAKEUP, 0, "swapper/2", p);
        r.flags = FLAG_NEED_RESCHED | FLAG_HARDIRQ;
        r.preempt = 1;
        assert_eq!(
            line(r, 2),
            "          <idle>-0     [002] .nh1  1318.514446: sched_wakeup: comm=sh pid=5 prio=120 target_cpu=002\n"
        );
        let p = PayloadWriter::default()
            .comm(&comm("bash"))
            .i32(17)
            .i32(0)
            .i32(1)
            .i32(1000)
            .i32(1)
            .i32(0)
            .finish();
        assert!(line(rec(id::SIGNAL_GENERATE, 9, "a", p), 0)
            .ends_with("signal_generate: sig=17 errno=0 code=1 comm=bash pid=1000 grp=1 res=0\n"));
    }

    #[test]
    fn print_options_change_the_context_columns() {
        let p = PayloadWriter::default().u64(0x2014).u64(0x10b0).finish();
        let r = rec(id::FUNCTION, 7, "sh", p);
        let tg = |pid: i32| (pid == 7).then_some(5);
        let mut o = PrintOpts::new(true);
        let mut s = String::new();
        o.irq_info = false;
        format_item_opts(&mut s, &Item::Entry(1, r), None, &o);
        assert_eq!(
            s,
            "              sh-7     [001]   1318.514446: 0x00002014 <-0x000010b0\n"
        );
        o.irq_info = true;
        o.tgid = Some(&tg);
        o.print_parent = false;
        o.sym_addr = true;
        s.clear();
        format_item_opts(&mut s, &Item::Entry(1, r), None, &o);
        assert_eq!(
            s,
            "              sh-7     (    5) [001] d...  1318.514446: 0x00002014 <0000000000002014>\n"
        );
        let mut r2 = r;
        r2.pid = 8;
        r2.ts = 123;
        o.time_in_ns = false;
        s.clear();
        format_item_opts(&mut s, &Item::Entry(1, r2), None, &o);
        assert!(
            s.starts_with("              sh-8     (-----) [001] d...          123: "),
            "{s}"
        );
        o.context_info = false;
        s.clear();
        format_item_opts(&mut s, &Item::Entry(1, r2), None, &o);
        assert!(s.starts_with("0x00002014"), "{s}");
    }

    #[test]
    fn headers_follow_irq_info_and_record_tgid() {
        let mut s = String::new();
        format_header(&mut s, "nop", 1, 2, 4);
        let mut t = String::new();
        format_header_opts(&mut t, "nop", 1, 2, 4, &PrintOpts::new(true));
        assert_eq!(s, t);
        let mut o = PrintOpts::new(true);
        o.irq_info = false;
        s.clear();
        format_header_opts(&mut s, "nop", 1, 2, 4, &o);
        assert!(s.ends_with("#\n#           TASK-PID   CPU#     TIMESTAMP  FUNCTION\n#              | |       |         |         |\n"), "{s}");
        let tg = |_: i32| None;
        o.irq_info = true;
        o.tgid = Some(&tg);
        s.clear();
        format_header_opts(&mut s, "nop", 1, 2, 4, &o);
        assert!(
            s.contains("#                                      _-----=> irqs-off\n"),
            "{s}"
        );
        assert!(s.ends_with("#           TASK-PID   CPU#   TGID   ||||    TIMESTAMP  FUNCTION\n#              | |       |      |    ||||       |         |\n"), "{s}");
    }

    #[test]
    fn timestamps_round_to_the_nearest_microsecond_as_linux() {
        let mut r = rec(id::SCHED_WAKEUP, 1, "a", [0; PAYLOAD]);
        r.ts = 1_999_999_600;
        assert!(line(r, 0).contains(" 2.000000: "), "{}", line(r, 0));
        r.ts = 1_000_001_499;
        assert!(line(r, 0).contains(" 1.000001: "), "{}", line(r, 0));
    }

    #[test]
    fn prev_state_letters() {
        assert_eq!(prev_state_str(0), "R");
        assert_eq!(prev_state_str(STATE_PREEMPTED), "R+");
        assert_eq!(prev_state_str(1), "S");
        assert_eq!(prev_state_str(2), "D");
        assert_eq!(prev_state_str(0x20), "Z");
        assert_eq!(prev_state_str(0x10), "X");
        assert_eq!(prev_state_str(3), "S|D");
    }

    #[test]
    fn kallsyms_lookup_between_and_outside_symbols() {
        let mut syms = alloc::vec![
            (0x1000, 0x20, "_do_fork".to_string()),
            (0x2000, 0x17d8, "copy_process".to_string()),
        ];
        let blob = build_kallsyms(&mut syms);
        let k = Kallsyms::new(&blob).unwrap();
        assert_eq!(k.lookup(0x2014), Some(("copy_process", 0x14, 0x17d8)));
        assert_eq!(k.lookup(0x1000), Some(("_do_fork", 0, 0x20)));
        assert_eq!(k.lookup(0x1020), None, "gap after _do_fork");
        assert_eq!(k.lookup(0xfff), None, "before every symbol");
        assert_eq!(k.lookup(0x9000), None, "past the last one");
        assert_eq!(k.address_of("copy_process"), Some(0x2000));
        let mut s = String::new();
        format_sym(&mut s, Some(&k), 0x2014, true);
        s.push(' ');
        format_sym(&mut s, Some(&k), 0x5, true);
        assert_eq!(s, "copy_process+0x14/0x17d8 0x00000005");
        assert!(Kallsyms::new(b"garbage").is_none());
    }

    #[test]
    fn function_and_stack_lines() {
        let mut syms = alloc::vec![
            (0x1000, 0x3ec, "_do_fork".to_string()),
            (0x2000, 0x17d8, "copy_process".to_string()),
        ];
        let blob = build_kallsyms(&mut syms);
        let k = Kallsyms::new(&blob).unwrap();
        let p = PayloadWriter::default().u64(0x2014).u64(0x10b0).finish();
        let mut s = String::new();
        format_item(
            &mut s,
            &Item::Entry(3, rec(id::FUNCTION, 7, "x", p)),
            Some(&k),
            true,
        );
        assert!(
            s.ends_with(": copy_process+0x14/0x17d8 <-_do_fork+0xb0/0x3ec\n"),
            "{s}"
        );
        let p = PayloadWriter::default().u64(1).u64(0x10b0).finish();
        let mut s = String::new();
        format_item(
            &mut s,
            &Item::Entry(3, rec(id::STACK_TRACE, 7, "x", p)),
            Some(&k),
            true,
        );
        assert!(
            s.ends_with(": <stack trace>\n => _do_fork+0xb0/0x3ec\n"),
            "{s}"
        );
    }

    #[test]
    fn ring_overwrites_oldest_and_counts_lost() {
        assert_eq!(Ring::new(21).capacity(), 32);
        assert_eq!(Ring::new(0).capacity(), 2);
        let ring = Ring::new(4);
        for i in 0..10u64 {
            ring.push(&Record {
                ts: i,
                ..Record::default()
            });
        }
        assert_eq!(ring.written(), 10);
        let (recs, lost) = ring.read_from(0);
        assert_eq!(lost, 6);
        assert_eq!(
            recs.iter().map(|(_, r)| r.ts).collect::<Vec<_>>(),
            [6, 7, 8, 9]
        );
        let (recs, lost) = ring.read_from(8);
        assert_eq!((recs.len(), lost), (2, 0));
    }

    #[test]
    fn merge_orders_by_time_and_reports_loss_first() {
        let r = |ts| Record {
            ts,
            ..Record::default()
        };
        let m = merge(alloc::vec![
            (alloc::vec![r(1), r(5)], 0),
            (alloc::vec![r(2), r(3)], 7)
        ]);
        let order: Vec<String> = m
            .iter()
            .map(|i| match i {
                Item::Lost(c, n) => alloc::format!("L{c}:{n}"),
                Item::Entry(c, r) => alloc::format!("{c}@{}", r.ts),
            })
            .collect();
        assert_eq!(order, ["L1:7", "0@1", "1@2", "1@3", "0@5"]);
    }

    #[test]
    fn concurrent_writer_never_yields_torn_records() {
        use std::sync::Arc;
        let ring = Arc::new(Ring::new(64));
        let w = ring.clone();
        let writer = std::thread::spawn(move || {
            for i in 0..200_000u64 {
                let mut r = Record {
                    ts: i,
                    pid: i as i32,
                    ..Record::default()
                };
                r.payload = [(i % 251) as u8; PAYLOAD];
                w.push(&r);
            }
        });
        let mut seen = 0u64;
        while !writer.is_finished() {
            let (recs, _) = ring.read_from(ring.oldest());
            for (idx, r) in recs {
                assert_eq!(r.ts, idx, "record in the wrong slot");
                assert_eq!(r.pid as u64, r.ts);
                assert!(
                    r.payload.iter().all(|&b| b == (r.ts % 251) as u8),
                    "torn payload"
                );
                seen += 1;
            }
        }
        writer.join().unwrap();
        assert!(seen > 0);
    }
}
