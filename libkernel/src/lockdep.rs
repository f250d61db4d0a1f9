//! The lock validator's hardware-free half (Linux's lockdep,
//! `kernel/locking/lockdep.c`): lock classes, the graph of "class A was
//! held while class B was taken" dependencies, each class's hard-IRQ usage,
//! and the reports Linux prints when an order or a usage could deadlock,
//! even if this run did not.
//!
//! The kernel side keeps each task's held-lock stack ([`HeldLocks`]) in the
//! task, serializes all calls on the one [`Graph`] with its own raw lock,
//! collects the return addresses of a [`Trace`], and calls [`lock_acquire`]
//! before it spins and [`lock_release`] after it unlocks. Nothing here
//! allocates: lockdep runs inside the spin locks it validates and under the
//! heap allocator's own lock, so every table is fixed-size and a [`Graph`]
//! can live in a `static` (about 240 KiB, mostly dependency traces).
//!
//! As in Linux, a report means lockdep's picture is no longer trustworthy
//! (the reported lock was not pushed, an edge may be missing): the kernel
//! prints the report once and turns lockdep off (`debug_locks = 0`).
//!
//! Usage strings: Linux prints `{+.+.}`, a character per IRQ state and
//! read/write (hardirq, hardirq-read, softirq, softirq-read). This kernel
//! tracks only hard IRQs and only exclusive locks, so its string is the one
//! hardirq character in braces: `{.}` unused so far, `{+}` taken with IRQs
//! enabled, `{-}` taken in hard-IRQ context, `{?}` both (always a bug).
//! `/proc/lockdep` prints the character without braces, as Linux does.

use core::fmt::{self, Write};

/// Lock classes the graph can hold.
pub const MAX_LOCKDEP_KEYS: usize = 256;
/// Dependency edges kept with their trace; more edges still go in the
/// adjacency bitmap, so cycles through them are found, just not explained.
pub const MAX_LOCKDEP_DEPS: usize = 2048;
/// Locks one task (with the IRQs on top of it) may hold at once.
pub const MAX_LOCK_DEPTH: usize = 24;
/// Return addresses kept per trace.
pub const TRACE_DEPTH: usize = 8;
/// Edges of a circular chain kept in a report.
pub const MAX_CHAIN: usize = 16;
/// Classes of a path to an IRQ-safe or IRQ-unsafe class kept in a report
/// (two such paths fit in one report of under 128 bytes).
pub const MAX_PATH: usize = 8;

const WORDS: usize = MAX_LOCKDEP_KEYS / 64;
// Twice the classes, so open addressing never probes far.
const HASH_SIZE: usize = 2 * MAX_LOCKDEP_KEYS;
const NO_CLASS: u16 = u16::MAX;
// Report::Circular keeps class ids in bytes.
const _: () = assert!(MAX_LOCKDEP_KEYS <= 256);

/// Index of a class in its [`Graph`].
pub type ClassId = u16;

/// Writes a code address the way the kernel symbolizes it
/// (`copy_process+0x40/0x800`).
pub type SymFn = dyn Fn(&mut dyn Write, usize) -> fmt::Result;

/// A usage bit number (Linux's `enum lock_usage_bit`); its mask is
/// `1 << bit`.
pub type UsageBit = u8;
/// The class was taken in hard-IRQ context ("IN-HARDIRQ-W").
pub const USED_IN_HARDIRQ: UsageBit = 0;
/// The class was taken with IRQs enabled ("HARDIRQ-ON-W").
pub const ENABLED_HARDIRQ: UsageBit = 1;

/// Linux's `usage_str[]` for a usage bit.
pub const fn usage_str(bit: UsageBit) -> &'static str {
    match bit {
        USED_IN_HARDIRQ => "IN-HARDIRQ-W",
        _ => "HARDIRQ-ON-W",
    }
}

/// Return addresses of one stack, innermost first; only the first `len`
/// entries are valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trace {
    pub entries: [usize; TRACE_DEPTH],
    pub len: u8,
}

impl Trace {
    /// No addresses.
    pub const EMPTY: Trace = Trace {
        entries: [0; TRACE_DEPTH],
        len: 0,
    };

    /// The first [`TRACE_DEPTH`] addresses of `s`.
    pub fn from_slice(s: &[usize]) -> Trace {
        let mut t = Trace::EMPTY;
        let n = s.len().min(TRACE_DEPTH);
        t.entries[..n].copy_from_slice(&s[..n]);
        t.len = n as u8;
        t
    }

    /// The valid addresses.
    pub fn as_slice(&self) -> &[usize] {
        &self.entries[..(self.len as usize).min(TRACE_DEPTH)]
    }
}

/// The IRQ state at an acquisition: in a hard-IRQ handler, and whether
/// IRQs were enabled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ctx {
    pub hardirq: bool,
    pub irqs_enabled: bool,
}

/// A lock class (Linux's `struct lock_class`): all locks initialised at one
/// place share it, so an order seen on one instance applies to all.
#[derive(Clone, Copy, Debug)]
pub struct Class {
    key: usize,
    // Option so that an unused slot is all zeroes.
    name: Option<&'static str>,
    subclass: u8,
    // Tells apart classes that share a name ("&rq->lock#2"), as Linux.
    name_version: u8,
    usage_mask: u8,
    usage_traces: [Trace; 2],
    ops: u64,
}

impl Class {
    const EMPTY: Class = Class {
        key: 0,
        name: None,
        subclass: 0,
        name_version: 0,
        usage_mask: 0,
        usage_traces: [Trace::EMPTY; 2],
        ops: 0,
    };

    /// The address the kernel chose as the class's key.
    pub fn key(&self) -> usize {
        self.key
    }
    /// The nesting subclass (`spin_lock_nested`).
    pub fn subclass(&self) -> u8 {
        self.subclass
    }
    /// The name given at registration.
    pub fn name(&self) -> &'static str {
        self.name.unwrap_or("")
    }
    /// The usage mask: `1 << USED_IN_HARDIRQ`, `1 << ENABLED_HARDIRQ`.
    pub fn usage(&self) -> u8 {
        self.usage_mask
    }
    /// Where a usage bit was first seen (empty if never).
    pub fn usage_trace(&self, bit: UsageBit) -> &Trace {
        &self.usage_traces[bit as usize]
    }
    /// Acquisitions of the class (Linux's `ops`, CONFIG_DEBUG_LOCKDEP).
    pub fn ops(&self) -> u64 {
        self.ops
    }
}

/// A kept dependency: `next` was taken while `prev` (acquired at
/// `prev_ip`) was held, first with the stack `trace`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dep {
    pub prev: ClassId,
    pub next: ClassId,
    pub prev_ip: usize,
    pub trace: Trace,
}

/// One entry of a task's held-lock stack (Linux's `struct held_lock`):
/// the lock object's address, where it was acquired, and whether in
/// hard-IRQ context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeldLock {
    pub class: ClassId,
    pub instance: usize,
    pub ip: usize,
    pub hardirq: bool,
}

/// A task's held locks, oldest first (Linux's `task->held_locks`).
#[derive(Clone, Copy, Debug)]
pub struct HeldLocks {
    locks: [HeldLock; MAX_LOCK_DEPTH],
    depth: usize,
}

impl Default for HeldLocks {
    fn default() -> Self {
        Self::new()
    }
}

impl HeldLocks {
    /// Nothing held.
    pub const fn new() -> Self {
        let none = HeldLock {
            class: 0,
            instance: 0,
            ip: 0,
            hardirq: false,
        };
        HeldLocks {
            locks: [none; MAX_LOCK_DEPTH],
            depth: 0,
        }
    }
    /// Locks held (Linux's `lockdep_depth`).
    pub fn depth(&self) -> usize {
        self.depth
    }
    /// The held locks, oldest first.
    pub fn as_slice(&self) -> &[HeldLock] {
        &self.locks[..self.depth]
    }
    /// Iterates the held locks, oldest first.
    pub fn iter(&self) -> core::slice::Iter<'_, HeldLock> {
        self.as_slice().iter()
    }
    /// Forgets every lock (a new task, or lockdep turned off).
    pub fn clear(&mut self) {
        self.depth = 0;
    }
    /// Pushes a lock without validating it (after a report the lock is
    /// taken all the same); dropped when the stack is full.
    pub fn push_unchecked(&mut self, class: ClassId, instance: usize, ip: usize, hardirq: bool) {
        if let Some(slot) = self.locks.get_mut(self.depth) {
            *slot = HeldLock {
                class,
                instance,
                ip,
                hardirq,
            };
            self.depth += 1;
        }
    }
}

/// What lockdep found wrong; printed by [`write_report`]. `class`,
/// `instance` and `ip` are the lock being acquired (or released).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Report {
    /// "BUG: MAX_LOCKDEP_KEYS too low!"
    ClassesFull,
    /// "BUG: MAX_LOCK_DEPTH too low!"
    DepthOverflow,
    /// "possible recursive locking": the class is already held, at
    /// `held_index`, in the same context.
    Recursive {
        class: ClassId,
        instance: usize,
        ip: usize,
        held_index: u8,
    },
    /// "inconsistent lock state": the class was seen with `old_bit` and
    /// now with `new_bit`, under `ctx`; the two cannot both be safe.
    Inconsistent {
        class: ClassId,
        instance: usize,
        ip: usize,
        new_bit: UsageBit,
        old_bit: UsageBit,
        ctx: Ctx,
    },
    /// "possible circular locking dependency": the graph already has a
    /// path from `class` to the class of the lock held at `held_index`.
    /// `chain[..=len]` are the classes of its last `len` edges (`chain[0]`
    /// is `class` unless the path has more than [`MAX_CHAIN`] edges), as
    /// bytes: every id fits, and it keeps a report under 128 bytes, cheap
    /// to return by value where nothing may be boxed. `depth` counts all
    /// the path's edges; `trace` is this acquisition's stack.
    Circular {
        class: ClassId,
        instance: usize,
        ip: usize,
        held_index: u8,
        chain: [u8; MAX_CHAIN + 1],
        len: u8,
        depth: u16,
        trace: Trace,
    },
    /// "bad unlock balance": `instance` is not held; `ip` is 0 until
    /// [`Report::with_ip`] says where.
    BadUnlock { instance: usize, ip: usize },
    /// "HARDIRQ-safe -> HARDIRQ-unsafe lock order detected": taking
    /// `class` under the lock held at `held_index` would add a dependency
    /// that connects a class used in hard-IRQ context (`safe`: its first
    /// class, its last the held lock's) to a class taken with IRQs on
    /// (`unsafe_`: first the new class, last the IRQ-unsafe one). An IRQ
    /// that takes the safe lock on a CPU holding the unsafe one can then
    /// wait for a CPU that holds the safe lock with IRQs off and waits for
    /// the unsafe one.
    BadIrqDependency {
        class: ClassId,
        instance: usize,
        ip: usize,
        held_index: u8,
        ctx: Ctx,
        safe: Path,
        unsafe_: Path,
        trace: Trace,
    },
    /// "possible irq lock inversion dependency detected": `class` just
    /// got usage `new_bit` (taken in an IRQ, or with IRQs on, possibly
    /// while held when IRQs came back on), and `path` already links it to
    /// a class with the other usage: from `class` when it became IRQ-safe,
    /// to `class` when it became IRQ-unsafe.
    IrqInversion {
        class: ClassId,
        instance: usize,
        ip: usize,
        new_bit: UsageBit,
        ctx: Ctx,
        path: Path,
    },
}

impl Report {
    /// The report with the release site filled in ([`lock_release`] is
    /// not told where it was called from).
    pub fn with_ip(mut self, at: usize) -> Report {
        if let Report::BadUnlock { ip, .. } = &mut self {
            *ip = at;
        }
        self
    }

    /// The class being acquired, if the report is about one.
    pub fn new_class(&self) -> Option<ClassId> {
        match *self {
            Report::Recursive { class, .. }
            | Report::Inconsistent { class, .. }
            | Report::Circular { class, .. }
            | Report::BadIrqDependency { class, .. }
            | Report::IrqInversion { class, .. } => Some(class),
            _ => None,
        }
    }

    /// A circular report's path, from the new class to the held one.
    pub fn chain(&self) -> impl Iterator<Item = ClassId> + '_ {
        let chain: &[u8] = match self {
            Report::Circular { chain, len, .. } => &chain[..=*len as usize],
            _ => &[],
        };
        chain.iter().map(|&c| c as ClassId)
    }
}

/// The classes and their dependency graph (Linux's `lock_classes[]`,
/// `locks_after`/`locks_before` and `list_entries[]`).
pub struct Graph {
    classes: [Class; MAX_LOCKDEP_KEYS],
    nr_classes: usize,
    // ClassId + 1 per slot, 0 when empty, so a new table is all zeroes.
    hash: [u16; HASH_SIZE],
    // after[a] has bit b: a was held when b was taken. before[] is the
    // transpose, for backward counts without scanning every row.
    after: [[u64; WORDS]; MAX_LOCKDEP_KEYS],
    before: [[u64; WORDS]; MAX_LOCKDEP_KEYS],
    deps: [Dep; MAX_LOCKDEP_DEPS],
    nr_kept: usize,
    nr_deps: usize,
}

impl Default for Graph {
    fn default() -> Self {
        Self::new()
    }
}

impl Graph {
    /// No classes, no dependencies.
    pub const fn new() -> Self {
        let dep = Dep {
            prev: 0,
            next: 0,
            prev_ip: 0,
            trace: Trace::EMPTY,
        };
        Graph {
            classes: [Class::EMPTY; MAX_LOCKDEP_KEYS],
            nr_classes: 0,
            hash: [0; HASH_SIZE],
            after: [[0; WORDS]; MAX_LOCKDEP_KEYS],
            before: [[0; WORDS]; MAX_LOCKDEP_KEYS],
            deps: [dep; MAX_LOCKDEP_DEPS],
            nr_kept: 0,
            nr_deps: 0,
        }
    }

    // The class of (key, subclass), or the empty slot where it would go.
    fn find(&self, key: usize, subclass: u8) -> Result<ClassId, usize> {
        let h = (key as u64 ^ subclass as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mut s = (h >> 32) as usize % HASH_SIZE;
        while let Some(id) = self.hash[s].checked_sub(1) {
            let c = &self.classes[id as usize];
            if c.key == key && c.subclass == subclass {
                return Ok(id);
            }
            s = (s + 1) % HASH_SIZE;
        }
        Err(s)
    }

    /// The class of `(key, subclass)` if registered (Linux's
    /// `look_up_lock_class`).
    pub fn lookup(&self, key: usize, subclass: u8) -> Option<ClassId> {
        self.find(key, subclass).ok()
    }

    /// The class of `(key, subclass)`, created on first use (Linux's
    /// `register_lock_class`).
    pub fn register(
        &mut self,
        key: usize,
        subclass: u8,
        name: &'static str,
    ) -> Result<ClassId, Report> {
        let slot = match self.find(key, subclass) {
            Ok(id) => return Ok(id),
            Err(slot) => slot,
        };
        if self.nr_classes >= MAX_LOCKDEP_KEYS {
            return Err(Report::ClassesFull);
        }
        // Linux's count_matching_names: the subclasses of a key share its
        // version; another key with the same name gets the next one.
        let mut version = 1u8;
        for c in &self.classes[..self.nr_classes] {
            if c.key == key {
                version = c.name_version;
                break;
            }
            if c.name() == name {
                version = version.max(c.name_version.saturating_add(1));
            }
        }
        let id = self.nr_classes as ClassId;
        let c = Class {
            key,
            name: Some(name),
            subclass,
            name_version: version,
            ..Class::EMPTY
        };
        self.classes[id as usize] = c;
        self.nr_classes += 1;
        self.hash[slot] = id + 1;
        Ok(id)
    }

    /// Classes registered.
    pub fn nr_classes(&self) -> usize {
        self.nr_classes
    }
    /// Dependencies in the graph, with or without a kept trace.
    pub fn nr_deps(&self) -> usize {
        self.nr_deps
    }
    /// Dependencies that got no trace because the table was full (Linux
    /// would say "MAX_LOCKDEP_ENTRIES too low!").
    pub fn nr_lost_deps(&self) -> usize {
        self.nr_deps - self.nr_kept
    }
    /// A registered class.
    pub fn class(&self, id: ClassId) -> &Class {
        &self.classes[id as usize]
    }
    /// Whether `next` has been taken while `prev` was held.
    pub fn has_dep(&self, prev: ClassId, next: ClassId) -> bool {
        self.after[prev as usize][next as usize / 64] & (1 << (next % 64)) != 0
    }
    /// The kept record of a dependency (a linear search: for reports).
    pub fn dep(&self, prev: ClassId, next: ClassId) -> Option<&Dep> {
        self.deps[..self.nr_kept]
            .iter()
            .find(|d| d.prev == prev && d.next == next)
    }

    fn add_dep(&mut self, prev: &HeldLock, next: ClassId, trace: &Trace) {
        let (p, n) = (prev.class as usize, next as usize);
        self.after[p][n / 64] |= 1 << (n % 64);
        self.before[n][p / 64] |= 1 << (p % 64);
        self.nr_deps += 1;
        if self.nr_kept < MAX_LOCKDEP_DEPS {
            let d = Dep {
                prev: prev.class,
                next,
                prev_ip: prev.ip,
                trace: *trace,
            };
            self.deps[self.nr_kept] = d;
            self.nr_kept += 1;
        }
    }

    // Breadth-first, as Linux's __bfs, so a reported path is a shortest
    // one. `parent` doubles as the visited set; with a queue slot per class
    // the queue cannot overflow. `from` itself is tested too, as Linux's
    // root entry is. Ok(the first class that `hit` accepts), else
    // Err(number of classes visited).
    fn bfs(
        adj: &[[u64; WORDS]; MAX_LOCKDEP_KEYS],
        from: ClassId,
        hit: &dyn Fn(ClassId) -> bool,
        parent: &mut [u16; MAX_LOCKDEP_KEYS],
    ) -> Result<ClassId, usize> {
        let mut queue = [0u16; MAX_LOCKDEP_KEYS];
        parent.fill(NO_CLASS);
        parent[from as usize] = from;
        queue[0] = from;
        let (mut head, mut tail) = (0, 1);
        while head < tail {
            let u = queue[head];
            head += 1;
            if hit(u) {
                return Ok(u);
            }
            for (w, &word) in adj[u as usize].iter().enumerate() {
                let mut bits = word;
                while bits != 0 {
                    let v = (w * 64) as u16 + bits.trailing_zeros() as u16;
                    bits &= bits - 1;
                    if parent[v as usize] == NO_CLASS {
                        parent[v as usize] = u;
                        queue[tail] = v;
                        tail += 1;
                    }
                }
            }
        }
        Err(tail)
    }

    /// Classes reachable from `id`, itself included (Linux's
    /// `lockdep_count_forward_deps`, the FD column).
    pub fn count_forward_deps(&self, id: ClassId) -> usize {
        Self::bfs(&self.after, id, &|_| false, &mut [0; MAX_LOCKDEP_KEYS]).unwrap_err()
    }

    /// Classes that reach `id`, itself included (the BD column).
    pub fn count_backward_deps(&self, id: ClassId) -> usize {
        Self::bfs(&self.before, id, &|_| false, &mut [0; MAX_LOCKDEP_KEYS]).unwrap_err()
    }

    // Linux's check_noncircular: a path next -> ... -> prev, as
    // (chain, kept edges, all edges) of Report::Circular.
    fn check_noncircular(
        &self,
        next: ClassId,
        prev: ClassId,
    ) -> Option<([u8; MAX_CHAIN + 1], u8, u16)> {
        let mut parent = [NO_CLASS; MAX_LOCKDEP_KEYS];
        Self::bfs(&self.after, next, &|c| c == prev, &mut parent).ok()?;
        let (mut depth, mut v) = (0, prev);
        while v != next {
            v = parent[v as usize];
            depth += 1;
        }
        let len = depth.min(MAX_CHAIN);
        let (mut chain, mut v) = ([0; MAX_CHAIN + 1], prev);
        for c in chain[..=len].iter_mut().rev() {
            *c = v as u8;
            v = parent[v as usize];
        }
        Some((chain, len as u8, depth as u16))
    }

    // A shortest path from `from` to a class with usage `bit`: forwards
    // (along "was held when ... was taken") or backwards. The classes are
    // kept in the graph's order, whichever way the search went.
    fn find_usage(&self, from: ClassId, bit: UsageBit, forwards: bool) -> Option<Path> {
        let adj = if forwards { &self.after } else { &self.before };
        let mut parent = [NO_CLASS; MAX_LOCKDEP_KEYS];
        let has = |c: ClassId| self.classes[c as usize].usage_mask & (1 << bit) != 0;
        let found = Self::bfs(adj, from, &has, &mut parent).ok()?;
        Some(Path::from_tree(&parent, from, found, forwards))
    }

    // Linux's mark_lock + mark_lock_irq for the hardirq state: sets `bit`
    // for the lock `this` and checks it against the class's other usage
    // ("inconsistent lock state") and against the classes the graph links
    // it to ("possible irq lock inversion dependency"). The checks run only
    // when a bit is new, so a class is reported once.
    fn mark_lock(
        &mut self,
        this: &HeldLock,
        bit: UsageBit,
        trace: &Trace,
        ctx: Ctx,
    ) -> Result<(), Report> {
        let (class, instance, ip) = (this.class, this.instance, this.ip);
        let c = &mut self.classes[class as usize];
        if c.usage_mask & (1 << bit) != 0 {
            return Ok(());
        }
        c.usage_mask |= 1 << bit;
        c.usage_traces[bit as usize] = *trace;
        let old_bit = bit ^ 1;
        if c.usage_mask & (1 << old_bit) != 0 {
            return Err(Report::Inconsistent {
                class,
                instance,
                ip,
                new_bit: bit,
                old_bit,
                ctx,
            });
        }
        // Newly used in an IRQ: does it take an IRQ-unsafe lock (Linux's
        // check_usage_forwards)? Newly taken with IRQs on: is it taken
        // under an IRQ-safe one (check_usage_backwards)?
        let forwards = bit == USED_IN_HARDIRQ;
        match self.find_usage(class, old_bit, forwards) {
            Some(path) => Err(Report::IrqInversion {
                class,
                instance,
                ip,
                new_bit: bit,
                ctx,
                path,
            }),
            None => Ok(()),
        }
    }

    // Linux's check_irq_usage: would the new dependency prev -> next
    // connect a class used in hard-IRQ context (prev or one taken before
    // it) to a class taken with IRQs on (next or one taken after it)?
    fn check_irq_usage(&self, prev: ClassId, next: ClassId) -> Option<(Path, Path)> {
        let safe = self.find_usage(prev, USED_IN_HARDIRQ, false)?;
        let unsafe_ = self.find_usage(next, ENABLED_HARDIRQ, true)?;
        Some((safe, unsafe_))
    }
}

/// A path in the dependency graph, classes in the graph's order (each
/// was held when the next was taken), as found by a shortest-path search
/// from one end. At most [`MAX_PATH`] classes are kept: those nearest
/// the end the search found; `edges` counts the whole path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Path {
    nodes: [u8; MAX_PATH],
    len: u8,
    edges: u16,
}

impl Path {
    // Walks the search tree from `found` back to `root`.
    fn from_tree(
        parent: &[u16; MAX_LOCKDEP_KEYS],
        root: ClassId,
        found: ClassId,
        forwards: bool,
    ) -> Path {
        let mut p = Path {
            nodes: [0; MAX_PATH],
            len: 0,
            edges: 0,
        };
        let mut v = found;
        loop {
            if (p.len as usize) < p.nodes.len() {
                p.nodes[p.len as usize] = v as u8;
                p.len += 1;
            }
            if v == root {
                break;
            }
            v = parent[v as usize];
            p.edges += 1;
        }
        // Walked against the search's direction: a forward search walks
        // the graph's order backwards.
        if forwards {
            p.nodes[..p.len as usize].reverse();
        }
        p
    }

    /// The kept classes, in the graph's order.
    pub fn classes(&self) -> impl Iterator<Item = ClassId> + '_ {
        self.nodes[..self.len as usize]
            .iter()
            .map(|&c| c as ClassId)
    }

    /// Edges on the whole path (0: one class).
    pub fn edges(&self) -> usize {
        self.edges as usize
    }

    fn first(&self) -> ClassId {
        self.nodes[0] as ClassId
    }

    fn last(&self) -> ClassId {
        self.nodes[self.len as usize - 1] as ClassId
    }
}

/// Validates taking lock `instance` of `class` at `ip` with stack `trace`
/// (Linux's `__lock_acquire`), adds the dependencies it creates and pushes
/// it on `held`. Call it before spinning, so that a real deadlock is still
/// reported. On `Err` nothing is pushed (see [`HeldLocks::push_unchecked`]).
pub fn lock_acquire(
    graph: &mut Graph,
    held: &mut HeldLocks,
    class: ClassId,
    instance: usize,
    ip: usize,
    trace: &Trace,
    ctx: Ctx,
) -> Result<(), Report> {
    graph.classes[class as usize].ops += 1;
    if held.depth >= MAX_LOCK_DEPTH {
        return Err(Report::DepthOverflow);
    }
    // A class held by the interrupted task is another context; if that
    // matters, the usage check catches it.
    let same = |h: &HeldLock| h.class == class && h.hardirq == ctx.hardirq;
    if let Some(i) = held.iter().position(same) {
        return Err(Report::Recursive {
            class,
            instance,
            ip,
            held_index: i as u8,
        });
    }
    let bit = match (ctx.hardirq, ctx.irqs_enabled) {
        (true, _) => Some(USED_IN_HARDIRQ),
        (false, true) => Some(ENABLED_HARDIRQ),
        (false, false) => None,
    };
    let this = HeldLock {
        class,
        instance,
        ip,
        hardirq: ctx.hardirq,
    };
    if let Some(b) = bit {
        graph.mark_lock(&this, b, trace, ctx)?;
    }
    // Newest first, as Linux's check_prevs_add. Unlike Linux every held
    // lock gets its direct edge, not only the newest: with out-of-order
    // releases the newest does not imply the others.
    for i in (0..held.depth).rev() {
        let prev = held.locks[i];
        if prev.hardirq != ctx.hardirq || graph.has_dep(prev.class, class) {
            continue;
        }
        if let Some((chain, len, depth)) = graph.check_noncircular(class, prev.class) {
            let held_index = i as u8;
            let trace = *trace;
            return Err(Report::Circular {
                class,
                instance,
                ip,
                held_index,
                chain,
                len,
                depth,
                trace,
            });
        }
        if let Some((safe, unsafe_)) = graph.check_irq_usage(prev.class, class) {
            return Err(Report::BadIrqDependency {
                class,
                instance,
                ip,
                held_index: i as u8,
                ctx,
                safe,
                unsafe_,
                trace: *trace,
            });
        }
        graph.add_dep(&prev, class, trace);
    }
    held.push_unchecked(class, instance, ip, ctx.hardirq);
    Ok(())
}

/// IRQs are about to be enabled with `held` held (Linux's
/// `lockdep_hardirqs_on` -> `mark_held_locks`): every lock held in task
/// context is now held with IRQs on, as if taken so, and is marked
/// HARDIRQ-ON-W with the stack `trace` that enables them. A lock taken
/// with IRQs masked and then kept across `local_irq_restore` is otherwise
/// never seen as IRQ-unsafe.
pub fn mark_held_locks(graph: &mut Graph, held: &HeldLocks, trace: &Trace) -> Result<(), Report> {
    // Linux prints the state before the enable: IRQs still off.
    let ctx = Ctx {
        hardirq: false,
        irqs_enabled: false,
    };
    for h in held.iter().filter(|h| !h.hardirq) {
        graph.mark_lock(h, ENABLED_HARDIRQ, trace, ctx)?;
    }
    Ok(())
}

/// Pops lock `instance` from `held` (Linux's `lock_release`): its newest
/// entry, wherever it is in the stack, as locks may be released out of
/// order. See [`Report::with_ip`] for the report.
pub fn lock_release(held: &mut HeldLocks, instance: usize) -> Result<(), Report> {
    let Some(i) = held.iter().rposition(|h| h.instance == instance) else {
        return Err(Report::BadUnlock { instance, ip: 0 });
    };
    held.locks.copy_within(i + 1..held.depth, i);
    held.depth -= 1;
    Ok(())
}

// Linux's get_usage_char.
fn usage_char(c: &Class) -> char {
    match (
        c.usage_mask & 1 << USED_IN_HARDIRQ,
        c.usage_mask & 1 << ENABLED_HARDIRQ,
    ) {
        (0, 0) => '.',
        (0, _) => '+',
        (_, 0) => '-',
        _ => '?',
    }
}

// Linux's __print_lock_name: "#version" tells apart keys sharing a name,
// "/subclass" the nesting levels of one key.
struct Name<'a>(&'a Class);

impl fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name())?;
        if self.0.name_version > 1 {
            write!(f, "#{}", self.0.name_version)?;
        }
        if self.0.subclass != 0 {
            write!(f, "/{}", self.0.subclass)?;
        }
        Ok(())
    }
}

// Linux's print_lock_name: " (name){u}".
struct LockName<'a>(&'a Class);

impl fmt::Display for LockName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, " ({}){{{}}}", Name(self.0), usage_char(self.0))
    }
}

// Linux's print_lock, without the newline.
struct Lock<'a>(&'a Graph, Option<&'a HeldLock>, &'a SymFn);

impl fmt::Display for Lock<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(h) = self.1 else {
            return f.write_str("<RELEASED>");
        };
        write!(
            f,
            "{:016x}{}, at: ",
            h.instance,
            LockName(self.0.class(h.class))
        )?;
        (self.2)(f, h.ip)
    }
}

// Linux's print_stack_trace(trace, spaces).
fn write_trace(out: &mut dyn Write, t: &Trace, spaces: usize, sym: &SymFn) -> fmt::Result {
    for &a in t.as_slice() {
        write!(out, "{:1$}", "", spaces + 1)?;
        sym(out, a)?;
        out.write_str("\n")?;
    }
    Ok(())
}

fn write_banner(out: &mut dyn Write, title: &str) -> fmt::Result {
    write_banner_width(out, title, title.len())
}

// Linux draws some banners narrower than their title.
fn write_banner_width(out: &mut dyn Write, title: &str, width: usize) -> fmt::Result {
    out.write_str("\n")?;
    (0..width).try_for_each(|_| out.write_char('='))?;
    write!(out, "\n{title}\n")?;
    (0..width).try_for_each(|_| out.write_char('-'))?;
    out.write_str("\n")
}

// Linux's print_irq_lock_scenario: how an IRQ that takes `safe` deadlocks
// against a CPU holding `unsafe_` with IRQs on, through `middle` (the
// class taken under `safe` on the way to `unsafe_`).
fn write_irq_scenario(
    out: &mut dyn Write,
    g: &Graph,
    safe: ClassId,
    unsafe_: ClassId,
    middle: ClassId,
) -> fmt::Result {
    let (s, u, m) = (
        Name(g.class(safe)),
        Name(g.class(unsafe_)),
        Name(g.class(middle)),
    );
    if middle != unsafe_ {
        write!(out, "Chain exists of:\n  {s} --> {m} --> {u}\n\n")?;
    }
    writeln!(out, " Possible interrupt unsafe locking scenario:\n")?;
    writeln!(out, "       CPU0                    CPU1")?;
    writeln!(out, "       ----                    ----\n  lock({u});")?;
    writeln!(out, "{CPU1}local_irq_disable();\n{CPU1}lock({s});")?;
    write!(
        out,
        "{CPU1}lock({m});\n  <Interrupt>\n    lock({s});\n{DEADLOCK}"
    )
}

// Linux's print_lock_class_header: a class, its usages and where each was
// first seen, indented by its distance from the search's start.
fn write_class_header(out: &mut dyn Write, c: &Class, depth: usize, sym: &SymFn) -> fmt::Result {
    writeln!(out, "{:depth$}->{} ops: {} {{", "", LockName(c), c.ops)?;
    for bit in [USED_IN_HARDIRQ, ENABLED_HARDIRQ] {
        if c.usage_mask & (1 << bit) != 0 {
            writeln!(out, "{:depth$}   {} at:", "", usage_str(bit))?;
            write_trace(out, c.usage_trace(bit), depth + 4, sym)?;
        }
    }
    writeln!(out, "{:depth$} }}", "")
}

// Linux's print_shortest_lock_dependencies: the path from the class the
// search found (the leaf, deepest) back to where it started (the root),
// each class with the stack that took it next to its neighbour on the
// path; the root's is the stack of this report. `forwards`: the search
// went along the graph's order, so the leaf is the path's last class.
fn write_shortest_deps(
    out: &mut dyn Write,
    g: &Graph,
    path: &Path,
    forwards: bool,
    now: &Trace,
    sym: &SymFn,
) -> fmt::Result {
    let n = path.len as usize;
    let at = |k: usize| path.nodes[k] as ClassId;
    for step in 0..n {
        // The leaf first; depth counts edges to the root.
        let (k, depth) = (if forwards { n - 1 - step } else { step }, n - 1 - step);
        write_class_header(out, g.class(at(k)), depth, sym)?;
        writeln!(out, "{:depth$} ... acquired at:", "")?;
        let dep = match (depth, forwards) {
            (0, _) => None,
            (_, true) => g.dep(at(k - 1), at(k)),
            (_, false) => g.dep(at(k), at(k + 1)),
        };
        write_trace(out, dep.map_or(now, |d| &d.trace), 2, sym)?;
        out.write_str("\n")?;
    }
    Ok(())
}

/// The "N locks held by comm/pid:" block (Linux's
/// `lockdep_print_held_locks`), also used by "scheduling while atomic".
pub fn write_held_locks(
    out: &mut dyn Write,
    held: &HeldLocks,
    g: &Graph,
    who: (&str, i32),
    sym: &SymFn,
) -> fmt::Result {
    let (comm, pid) = who;
    match held.depth() {
        0 => return writeln!(out, "no locks held by {comm}/{pid}."),
        1 => writeln!(out, "1 lock held by {comm}/{pid}:")?,
        n => writeln!(out, "{n} locks held by {comm}/{pid}:")?,
    }
    for (i, h) in held.iter().enumerate() {
        writeln!(out, " #{i}: {}", Lock(g, Some(h), sym))?;
    }
    Ok(())
}

const OTHER_INFO: &str = "\nother info that might help us debug this:\n";
const SCENARIO: &str = " Possible unsafe locking scenario:\n\n";
const DEADLOCK: &str = "\n *** DEADLOCK ***\n\n";
const CPU1: &str = "                               ";

/// Prints `r` as Linux 4.19 does, up to (not including) "stack
/// backtrace:". `held` is the reporting task's stack (without the lock
/// being acquired), `who` its comm and pid.
pub fn write_report(
    out: &mut dyn Write,
    r: &Report,
    g: &Graph,
    held: &HeldLocks,
    who: (&str, i32),
    sym: &SymFn,
) -> fmt::Result {
    let (comm, pid) = who;
    let lock = |class, instance, ip| HeldLock {
        class,
        instance,
        ip,
        hardirq: false,
    };
    // The new lock, then the held one it conflicts with.
    let acquire = |out: &mut dyn Write, new: HeldLock, i: u8| {
        let old = Lock(g, held.as_slice().get(i as usize), sym);
        let new = Lock(g, Some(&new), sym);
        writeln!(out, "{comm}/{pid} is trying to acquire lock:\n{new}\n")?;
        writeln!(out, "but task is already holding lock:\n{old}")
    };
    match *r {
        Report::ClassesFull | Report::DepthOverflow => {
            let what = if *r == Report::ClassesFull {
                "MAX_LOCKDEP_KEYS"
            } else {
                "MAX_LOCK_DEPTH"
            };
            writeln!(
                out,
                "BUG: {what} too low!\nturning off the locking correctness validator."
            )?;
            if *r == Report::DepthOverflow {
                writeln!(out, "depth: {}  max: {MAX_LOCK_DEPTH}!", held.depth())?;
                write_held_locks(out, held, g, who, sym)?;
            }
            Ok(())
        }
        Report::Recursive {
            class,
            instance,
            ip,
            held_index,
        } => {
            let n = Name(g.class(class));
            write_banner(out, "WARNING: possible recursive locking detected")?;
            acquire(out, lock(class, instance, ip), held_index)?;
            write!(out, "{OTHER_INFO}{SCENARIO}       CPU0\n       ----\n")?;
            write!(out, "  lock({n});\n  lock({n});\n{DEADLOCK}")?;
            out.write_str(" May be due to missing lock nesting notation\n\n")?;
            write_held_locks(out, held, g, who, sym)
        }
        Report::Inconsistent {
            class,
            instance,
            ip,
            new_bit,
            old_bit,
            ctx,
        } => {
            let (old, n) = (usage_str(old_bit), Name(g.class(class)));
            let (hc, he) = (ctx.hardirq as u8, ctx.irqs_enabled as u8);
            write_banner(out, "WARNING: inconsistent lock state")?;
            writeln!(
                out,
                "inconsistent {{{old}}} -> {{{}}} usage.",
                usage_str(new_bit)
            )?;
            writeln!(out, "{comm}/{pid} [HC{hc}[{hc}]:SC0[0]:HE{he}:SE1] takes:")?;
            writeln!(out, "{}", Lock(g, Some(&lock(class, instance, ip)), sym))?;
            writeln!(out, "{{{old}}} state was registered at:")?;
            write_trace(out, g.class(class).usage_trace(old_bit), 1, sym)?;
            write!(out, "{OTHER_INFO}{SCENARIO}       CPU0\n       ----\n")?;
            write!(
                out,
                "  lock({n});\n  <Interrupt>\n    lock({n});\n{DEADLOCK}"
            )?;
            write_held_locks(out, held, g, who, sym)
        }
        Report::Circular {
            class,
            instance,
            ip,
            held_index,
            chain,
            len,
            depth,
            trace,
        } => {
            let (len, depth) = (len as usize, depth as usize);
            let at = |k: usize| chain[k] as ClassId;
            write_banner(
                out,
                "WARNING: possible circular locking dependency detected",
            )?;
            acquire(out, lock(class, instance, ip), held_index)?;
            out.write_str("\nwhich lock already depends on the new lock.\n\n")?;
            out.write_str("\nthe existing dependency chain (in reverse order) is:\n")?;
            // An entry is a class with the stack that took it under the one
            // before it on the path; #0 is this acquisition.
            for k in (1..=len).rev() {
                let nr = depth - len + k;
                writeln!(out, "\n-> #{nr}{}:", LockName(g.class(at(k))))?;
                if let Some(d) = g.dep(at(k - 1), at(k)) {
                    write_trace(out, &d.trace, 6, sym)?;
                }
            }
            writeln!(out, "\n-> #0{}:", LockName(g.class(class)))?;
            write_trace(out, &trace, 6, sym)?;
            // Linux's print_circular_lock_scenario.
            let s = Name(g.class(class));
            let (p, t) = (Name(g.class(at(len - 1))), Name(g.class(at(len))));
            writeln!(out, "{OTHER_INFO}")?;
            if at(len - 1) != class {
                write!(out, "Chain exists of:\n  {s} --> {p} --> {t}\n\n")?;
            }
            writeln!(out, "{SCENARIO}       CPU0                    CPU1")?;
            writeln!(out, "       ----                    ----\n  lock({t});")?;
            write!(
                out,
                "{CPU1}lock({p});\n{CPU1}lock({t});\n  lock({s});\n{DEADLOCK}"
            )?;
            write_held_locks(out, held, g, who, sym)
        }
        Report::BadIrqDependency {
            class,
            instance,
            ip,
            held_index,
            ctx,
            safe,
            unsafe_,
            trace,
        } => {
            let he = ctx.irqs_enabled as u8;
            let Some(prev) = held.as_slice().get(held_index as usize) else {
                return Ok(());
            };
            let (sc, uc) = (safe.first(), unsafe_.last());
            write_banner_width(
                out,
                "WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected",
                53,
            )?;
            writeln!(
                out,
                "{comm}/{pid} [HC0[0]:SC0[0]:HE{he}:SE1] is trying to acquire:"
            )?;
            writeln!(out, "{}", Lock(g, Some(&lock(class, instance, ip)), sym))?;
            writeln!(out, "\nand this task is already holding:")?;
            writeln!(out, "{}", Lock(g, Some(prev), sym))?;
            writeln!(out, "which would create a new lock dependency:")?;
            let (p, n) = (LockName(g.class(prev.class)), LockName(g.class(class)));
            writeln!(out, "{p} ->{n}")?;
            writeln!(
                out,
                "\nbut this new dependency connects a HARDIRQ-irq-safe lock:"
            )?;
            writeln!(out, "{}", LockName(g.class(sc)))?;
            writeln!(out, "\n... which became HARDIRQ-irq-safe at:")?;
            write_trace(out, g.class(sc).usage_trace(USED_IN_HARDIRQ), 1, sym)?;
            writeln!(out, "\nto a HARDIRQ-irq-unsafe lock:")?;
            writeln!(out, "{}", LockName(g.class(uc)))?;
            writeln!(out, "\n... which became HARDIRQ-irq-unsafe at:\n...")?;
            write_trace(out, g.class(uc).usage_trace(ENABLED_HARDIRQ), 1, sym)?;
            writeln!(out, "{OTHER_INFO}")?;
            let middle = if prev.class == sc { class } else { prev.class };
            write_irq_scenario(out, g, sc, uc, middle)?;
            write_held_locks(out, held, g, who, sym)?;
            writeln!(
                out,
                "\nthe dependencies between HARDIRQ-irq-safe lock and the holding lock:"
            )?;
            write_shortest_deps(out, g, &safe, false, &trace, sym)?;
            writeln!(
                out,
                "\nthe dependencies between the lock to be acquired and HARDIRQ-irq-unsafe lock:"
            )?;
            write_shortest_deps(out, g, &unsafe_, true, &trace, sym)
        }
        Report::IrqInversion {
            class,
            instance,
            ip,
            new_bit,
            ctx: _,
            path,
        } => {
            // Became IRQ-safe: the path runs from it to an unsafe class.
            let forwards = new_bit == USED_IN_HARDIRQ;
            let len = path.len as usize;
            let (other, middle, safe, unsafe_) = if forwards {
                let o = path.last();
                (o, path.nodes[1.min(len - 1)] as ClassId, class, o)
            } else {
                let o = path.first();
                (o, path.nodes[len.saturating_sub(2)] as ClassId, o, class)
            };
            write_banner(
                out,
                "WARNING: possible irq lock inversion dependency detected",
            )?;
            writeln!(out, "{comm}/{pid} just changed the state of lock:")?;
            writeln!(out, "{}", Lock(g, Some(&lock(class, instance, ip)), sym))?;
            if forwards {
                writeln!(
                    out,
                    "but this lock took another, HARDIRQ-unsafe lock in the past:"
                )?;
            } else {
                writeln!(
                    out,
                    "but this lock was taken by another, HARDIRQ-safe lock in the past:"
                )?;
            }
            writeln!(out, "{}", LockName(g.class(other)))?;
            writeln!(
                out,
                "\n\nand interrupts could create inverse lock ordering between them.\n"
            )?;
            writeln!(out, "{OTHER_INFO}")?;
            let middle = if middle == safe { unsafe_ } else { middle };
            write_irq_scenario(out, g, safe, unsafe_, middle)?;
            write_held_locks(out, held, g, who, sym)?;
            writeln!(
                out,
                "\nthe shortest dependencies between 2nd lock and 1st lock:"
            )?;
            let usage = g.class(class).usage_trace(new_bit);
            write_shortest_deps(out, g, &path, forwards, usage, sym)
        }
        Report::BadUnlock { instance, ip } => {
            write_banner(out, "WARNING: bad unlock balance detected!")?;
            writeln!(
                out,
                "{comm}/{pid} is trying to release lock ({instance:016x}) at:"
            )?;
            sym(out, ip)?;
            write!(
                out,
                "\nbut there are no more locks to release!\n{OTHER_INFO}"
            )?;
            write_held_locks(out, held, g, who, sym)
        }
    }
}

/// The text of `/proc/lockdep` (Linux's `l_show`): each class with its
/// acquisitions, transitive forward and backward dependency counts (itself
/// included), usage character and direct dependencies.
pub fn write_proc_lockdep(out: &mut dyn Write, g: &Graph) -> fmt::Result {
    out.write_str("all lock classes:\n")?;
    for id in 0..g.nr_classes() as ClassId {
        let (c, fd, bd) = (
            g.class(id),
            g.count_forward_deps(id),
            g.count_backward_deps(id),
        );
        let (key, ops, u, n) = (c.key, c.ops, usage_char(c), Name(c));
        writeln!(out, "{key:016x} OPS:{ops:8} FD:{fd:5} BD:{bd:5} {u}: {n}")?;
        for next in (0..g.nr_classes() as ClassId).filter(|&n| g.has_dep(id, n)) {
            let next = g.class(next);
            writeln!(out, " -> [{:016x}] {}", next.key, Name(next))?;
        }
        out.write_str("\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::boxed::Box;
    use alloc::string::String;
    use alloc::vec::Vec;

    const fn ctx(hardirq: bool, irqs_enabled: bool) -> Ctx {
        Ctx {
            hardirq,
            irqs_enabled,
        }
    }
    // Task context with IRQs masked (spin_lock_irqsave), with IRQs on, and
    // a hard-IRQ handler.
    const TASK: Ctx = ctx(false, false);
    const IRQS_ON: Ctx = ctx(false, true);
    const IRQ: Ctx = ctx(true, false);

    fn sym(out: &mut dyn Write, a: usize) -> fmt::Result {
        write!(out, "f{a:x}")
    }

    // Boxed: a Graph is too big to move around the test thread's stack.
    fn graph(names: &[&'static str]) -> (Box<Graph>, Vec<ClassId>) {
        let mut g = Box::new(Graph::new());
        let reg = |(i, n): (usize, &&'static str)| g.register(0x1000 * (i + 1), 0, n).unwrap();
        let ids = names.iter().enumerate().map(reg).collect();
        (g, ids)
    }

    // Takes `inst` of `c` at `ip`, with the stack [ip, ip + 1].
    fn take(
        g: &mut Graph,
        h: &mut HeldLocks,
        c: ClassId,
        inst: usize,
        ip: usize,
        x: Ctx,
    ) -> Result<(), Report> {
        lock_acquire(g, h, c, inst, ip, &Trace::from_slice(&[ip, ip + 1]), x)
    }

    fn text(r: &Report, g: &Graph, h: &HeldLocks) -> String {
        let mut s = String::new();
        write_report(&mut s, r, g, h, ("test", 7), &sym).unwrap();
        s
    }

    #[track_caller]
    fn has(s: &str, part: &str) {
        assert!(s.contains(part), "{part:?} not in:\n{s}");
    }

    #[test]
    fn ab_then_ba_reports_circular_dependency_first_time_the_inversion_is_possible() {
        let (mut g, id) = graph(&["&a->lock", "&b->lock"]);
        let (a, b) = (id[0], id[1]);
        let mut t1 = HeldLocks::new();
        take(&mut g, &mut t1, a, 0xa0, 0x100, TASK).unwrap();
        take(&mut g, &mut t1, b, 0xb0, 0x200, TASK).unwrap();
        lock_release(&mut t1, 0xb0).unwrap();
        lock_release(&mut t1, 0xa0).unwrap();

        let mut t2 = HeldLocks::new();
        take(&mut g, &mut t2, b, 0xb1, 0x300, TASK).unwrap();
        let r = take(&mut g, &mut t2, a, 0xa1, 0x400, TASK).unwrap_err();
        assert!(matches!(r, Report::Circular { held_index: 0, .. }));
        assert_eq!(r.new_class(), Some(a));
        assert_eq!(r.chain().collect::<Vec<_>>(), [a, b]);
        assert!(!g.has_dep(b, a), "the inverting edge is not added");
        assert_eq!(t2.depth(), 1, "the reported lock is not pushed");
        let expected = "
======================================================
WARNING: possible circular locking dependency detected
------------------------------------------------------
test/7 is trying to acquire lock:
00000000000000a1 (&a->lock){.}, at: f400

but task is already holding lock:
00000000000000b1 (&b->lock){.}, at: f300

which lock already depends on the new lock.


the existing dependency chain (in reverse order) is:

-> #1 (&b->lock){.}:
       f200
       f201

-> #0 (&a->lock){.}:
       f400
       f401

other info that might help us debug this:

 Possible unsafe locking scenario:

       CPU0                    CPU1
       ----                    ----
  lock(&b->lock);
                               lock(&a->lock);
                               lock(&b->lock);
  lock(&a->lock);

 *** DEADLOCK ***

1 lock held by test/7:
 #0: 00000000000000b1 (&b->lock){.}, at: f300
";
        assert_eq!(text(&r, &g, &t2), expected);
    }

    #[test]
    fn three_lock_cycle_reports_the_existing_chain_in_order() {
        let (mut g, id) = graph(&["A", "B", "C"]);
        let mut t = HeldLocks::new();
        for (p, n, ip) in [(id[0], id[1], 0x100), (id[1], id[2], 0x300)] {
            take(&mut g, &mut t, p, 1, ip, TASK).unwrap();
            take(&mut g, &mut t, n, 2, ip + 0x100, TASK).unwrap();
            t.clear();
        }
        take(&mut g, &mut t, id[2], 3, 0x500, TASK).unwrap();
        let r = take(&mut g, &mut t, id[0], 4, 0x600, TASK).unwrap_err();
        assert_eq!(r.chain().collect::<Vec<_>>(), id);
        let s = text(&r, &g, &t);
        has(
            &s,
            "\n-> #2 (C){.}:\n       f400\n       f401\n\n-> #1 (B){.}:\n       f200\n",
        );
        has(&s, "\n       f201\n\n-> #0 (A){.}:\n       f600\n");
        has(&s, "Chain exists of:\n  A --> B --> C\n\n Possible");
        has(&s, "  lock(C);\n                               lock(B);\n");
    }

    #[test]
    fn same_order_twice_adds_one_edge_and_keeps_the_first_trace() {
        let (mut g, id) = graph(&["A", "B"]);
        for ip in [0x100, 0x900] {
            let mut t = HeldLocks::new();
            take(&mut g, &mut t, id[0], 0xa0, ip, TASK).unwrap();
            take(&mut g, &mut t, id[1], 0xb0, ip + 0x10, TASK).unwrap();
        }
        assert_eq!((g.nr_deps(), g.class(id[0]).ops()), (1, 2));
        let d = g.dep(id[0], id[1]).unwrap();
        assert_eq!(
            (d.prev_ip, d.trace.as_slice()),
            (0x100, &[0x110, 0x111][..])
        );
    }

    #[test]
    fn edges_beyond_the_table_still_order_locks_without_a_trace() {
        let mut g = Box::new(Graph::new());
        let id: Vec<_> = (0..70)
            .map(|i| g.register(0x1000 + i * 8, 0, "L").unwrap())
            .collect();
        let mut t = HeldLocks::new();
        for (i, &p) in id.iter().enumerate() {
            for &n in &id[i + 1..] {
                take(&mut g, &mut t, p, 1, 1, TASK).unwrap();
                take(&mut g, &mut t, n, 2, 2, TASK).unwrap();
                t.clear();
            }
        }
        assert_eq!(g.nr_deps(), 70 * 69 / 2);
        assert_eq!(g.nr_lost_deps(), 70 * 69 / 2 - MAX_LOCKDEP_DEPS);
        let (x, y) = (id[68], id[69]);
        assert!(g.dep(x, y).is_none());
        take(&mut g, &mut t, y, 1, 1, TASK).unwrap();
        let r = take(&mut g, &mut t, x, 2, 2, TASK).unwrap_err();
        assert_eq!(r.chain().collect::<Vec<_>>(), [x, y]);
        // One name, many keys: numbered as Linux's name_version does.
        has(
            &text(&r, &g, &t),
            "\n-> #1 (L#70){.}:\n\n-> #0 (L#69){.}:\n       f2\n",
        );
    }

    #[test]
    fn lock_taken_in_irq_and_with_irqs_enabled_is_inconsistent() {
        // In an IRQ first, then with IRQs enabled.
        let (mut g, id) = graph(&["&port->lock"]);
        let mut t = HeldLocks::new();
        for (ip, ctx) in [(0x100, IRQ), (0x200, TASK)] {
            take(&mut g, &mut t, id[0], 0xa0, ip, ctx).unwrap();
            lock_release(&mut t, 0xa0).unwrap();
        }
        let r = take(&mut g, &mut t, id[0], 0xa0, 0x300, IRQS_ON).unwrap_err();
        let (new_bit, old_bit) = (ENABLED_HARDIRQ, USED_IN_HARDIRQ);
        let (class, instance, ip, ctx) = (id[0], 0xa0, 0x300, IRQS_ON);
        assert_eq!(
            r,
            Report::Inconsistent {
                class,
                instance,
                ip,
                new_bit,
                old_bit,
                ctx
            }
        );
        let s = text(&r, &g, &t);
        has(
            &s,
            "\n================================\nWARNING: inconsistent lock state\n",
        );
        has(
            &s,
            "\ninconsistent {IN-HARDIRQ-W} -> {HARDIRQ-ON-W} usage.\n",
        );
        has(&s, "\ntest/7 [HC0[0]:SC0[0]:HE1:SE1] takes:\n");
        has(&s, "\n00000000000000a0 (&port->lock){?}, at: f300\n");
        has(
            &s,
            "\n{IN-HARDIRQ-W} state was registered at:\n  f100\n  f101\n",
        );
        has(
            &s,
            "\n  lock(&port->lock);\n  <Interrupt>\n    lock(&port->lock);\n",
        );
        assert!(
            s.ends_with(" *** DEADLOCK ***\n\nno locks held by test/7.\n"),
            "{s}"
        );

        // With IRQs enabled first, then in an IRQ.
        let (mut g, id) = graph(&["&port->lock"]);
        take(&mut g, &mut t, id[0], 0xa0, 0x100, IRQS_ON).unwrap();
        lock_release(&mut t, 0xa0).unwrap();
        let r = take(&mut g, &mut t, id[0], 0xa0, 0x200, IRQ).unwrap_err();
        let bits = (USED_IN_HARDIRQ, ENABLED_HARDIRQ);
        assert!(
            matches!(r, Report::Inconsistent { new_bit, old_bit, .. } if (new_bit, old_bit) == bits)
        );
        let s = text(&r, &g, &t);
        has(
            &s,
            "\ninconsistent {HARDIRQ-ON-W} -> {IN-HARDIRQ-W} usage.\n",
        );
        has(&s, " [HC1[1]:SC0[0]:HE0:SE1] takes:\n");
        has(&s, "\n{HARDIRQ-ON-W} state was registered at:\n  f100\n");
    }

    #[test]
    fn irq_safe_lock_taking_an_irq_unsafe_lock_is_a_bad_irq_dependency() {
        let (mut g, id) = graph(&["&safe", "&unsafe"]);
        let (s, u) = (id[0], id[1]);
        let mut t = HeldLocks::new();
        take(&mut g, &mut t, s, 0xa0, 0x100, IRQ).unwrap();
        lock_release(&mut t, 0xa0).unwrap();
        take(&mut g, &mut t, u, 0xb0, 0x200, IRQS_ON).unwrap();
        lock_release(&mut t, 0xb0).unwrap();
        take(&mut g, &mut t, s, 0xa0, 0x300, TASK).unwrap();
        let r = take(&mut g, &mut t, u, 0xb0, 0x400, TASK).unwrap_err();
        let Report::BadIrqDependency { safe, unsafe_, .. } = r else {
            panic!("{r:?}");
        };
        assert_eq!(safe.classes().collect::<Vec<_>>(), [s]);
        assert_eq!(unsafe_.classes().collect::<Vec<_>>(), [u]);
        assert!(!g.has_dep(s, u), "the bad edge is not added");
        let expected = "
=====================================================
WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected
-----------------------------------------------------
test/7 [HC0[0]:SC0[0]:HE0:SE1] is trying to acquire:
00000000000000b0 (&unsafe){+}, at: f400

and this task is already holding:
00000000000000a0 (&safe){-}, at: f300
which would create a new lock dependency:
 (&safe){-} -> (&unsafe){+}

but this new dependency connects a HARDIRQ-irq-safe lock:
 (&safe){-}

... which became HARDIRQ-irq-safe at:
  f100
  f101

to a HARDIRQ-irq-unsafe lock:
 (&unsafe){+}

... which became HARDIRQ-irq-unsafe at:
...
  f200
  f201

other info that might help us debug this:

 Possible interrupt unsafe locking scenario:

       CPU0                    CPU1
       ----                    ----
  lock(&unsafe);
                               local_irq_disable();
                               lock(&safe);
                               lock(&unsafe);
  <Interrupt>
    lock(&safe);

 *** DEADLOCK ***

1 lock held by test/7:
 #0: 00000000000000a0 (&safe){-}, at: f300

the dependencies between HARDIRQ-irq-safe lock and the holding lock:
-> (&safe){-} ops: 2 {
   IN-HARDIRQ-W at:
     f100
     f101
 }
 ... acquired at:
   f400
   f401


the dependencies between the lock to be acquired and HARDIRQ-irq-unsafe lock:
-> (&unsafe){+} ops: 2 {
   HARDIRQ-ON-W at:
     f200
     f201
 }
 ... acquired at:
   f400
   f401

";
        assert_eq!(text(&r, &g, &t), expected);
    }

    #[test]
    fn bad_irq_dependency_through_chains_prints_both_chains() {
        // safe -> P and N -> unsafe exist; P -> N would join them.
        let (mut g, id) = graph(&["S", "P", "N", "U"]);
        let (s, p, n, u) = (id[0], id[1], id[2], id[3]);
        let mut t = HeldLocks::new();
        take(&mut g, &mut t, s, 0xa0, 0x100, IRQ).unwrap();
        t.clear();
        take(&mut g, &mut t, s, 0xa0, 0x150, TASK).unwrap();
        take(&mut g, &mut t, p, 0xb0, 0x200, TASK).unwrap();
        t.clear();
        take(&mut g, &mut t, n, 0xc0, 0x300, TASK).unwrap();
        take(&mut g, &mut t, u, 0xd0, 0x400, IRQS_ON).unwrap();
        t.clear();
        take(&mut g, &mut t, p, 0xb0, 0x500, TASK).unwrap();
        let r = take(&mut g, &mut t, n, 0xc0, 0x600, TASK).unwrap_err();
        let Report::BadIrqDependency { safe, unsafe_, .. } = r else {
            panic!("{r:?}");
        };
        assert_eq!(safe.classes().collect::<Vec<_>>(), [s, p]);
        assert_eq!(unsafe_.classes().collect::<Vec<_>>(), [n, u]);
        let x = text(&r, &g, &t);
        has(&x, " (P){.} -> (N){.}\n");
        has(&x, "a HARDIRQ-irq-safe lock:\n (S){-}\n");
        has(&x, "a HARDIRQ-irq-unsafe lock:\n (U){+}\n");
        has(&x, "Chain exists of:\n  S --> P --> U\n");
        // The safe chain from S (one edge away) to the held P; the unsafe
        // chain from U back to N, the lock being taken.
        has(
            &x,
            "holding lock:\n -> (S){-} ops: 2 {\n    IN-HARDIRQ-W at:\n      f100\n",
        );
        has(
            &x,
            "\n  ... acquired at:\n   f200\n   f201\n\n-> (P){.} ops: 2 {\n }\n",
        );
        has(
            &x,
            " ... acquired at:\n   f600\n   f601\n\n\nthe dependencies between the lock",
        );
        has(
            &x,
            "unsafe lock:\n -> (U){+} ops: 1 {\n    HARDIRQ-ON-W at:\n      f400\n",
        );
        has(
            &x,
            "\n  ... acquired at:\n   f400\n   f401\n\n-> (N){.} ops: 2 {\n",
        );
        assert!(
            x.ends_with(" ... acquired at:\n   f600\n   f601\n\n"),
            "{x}"
        );
    }

    #[test]
    fn locks_never_used_in_irqs_may_take_irq_unsafe_locks() {
        let (mut g, id) = graph(&["A", "U"]);
        let mut t = HeldLocks::new();
        take(&mut g, &mut t, id[1], 0xb0, 0x100, IRQS_ON).unwrap();
        t.clear();
        take(&mut g, &mut t, id[0], 0xa0, 0x200, TASK).unwrap();
        take(&mut g, &mut t, id[1], 0xb0, 0x300, TASK).unwrap();
        assert!(g.has_dep(id[0], id[1]));
    }

    #[test]
    fn a_class_becoming_irq_safe_or_unsafe_after_the_order_is_an_inversion() {
        // S -> U recorded first; U then taken with IRQs on, S then in an IRQ.
        let (mut g, id) = graph(&["S", "U"]);
        let (s, u) = (id[0], id[1]);
        let mut t = HeldLocks::new();
        take(&mut g, &mut t, s, 0xa0, 0x100, TASK).unwrap();
        take(&mut g, &mut t, u, 0xb0, 0x200, TASK).unwrap();
        t.clear();
        take(&mut g, &mut t, u, 0xb0, 0x300, IRQS_ON).unwrap();
        t.clear();
        let r = take(&mut g, &mut t, s, 0xa0, 0x400, IRQ).unwrap_err();
        let Report::IrqInversion { new_bit, path, .. } = r else {
            panic!("{r:?}");
        };
        assert_eq!(new_bit, USED_IN_HARDIRQ);
        assert_eq!(path.classes().collect::<Vec<_>>(), [s, u]);
        let x = text(&r, &g, &t);
        let head = "
========================================================
WARNING: possible irq lock inversion dependency detected
--------------------------------------------------------
test/7 just changed the state of lock:
00000000000000a0 (S){-}, at: f400
but this lock took another, HARDIRQ-unsafe lock in the past:
 (U){+}


and interrupts could create inverse lock ordering between them.


other info that might help us debug this:

 Possible interrupt unsafe locking scenario:
";
        assert!(x.starts_with(head), "{x}");
        has(
            &x,
            "\nthe shortest dependencies between 2nd lock and 1st lock:\n -> (U){+}",
        );
        has(
            &x,
            " ... acquired at:\n   f200\n   f201\n\n-> (S){-} ops: 2 {\n",
        );

        // The other way: S used in an IRQ and S -> U recorded; then U is
        // taken with IRQs on.
        let (mut g, id) = graph(&["S", "U"]);
        let (s, u) = (id[0], id[1]);
        take(&mut g, &mut t, s, 0xa0, 0x100, IRQ).unwrap();
        t.clear();
        take(&mut g, &mut t, s, 0xa0, 0x200, TASK).unwrap();
        take(&mut g, &mut t, u, 0xb0, 0x300, TASK).unwrap();
        t.clear();
        let r = take(&mut g, &mut t, u, 0xb0, 0x400, IRQS_ON).unwrap_err();
        let Report::IrqInversion { new_bit, path, .. } = r else {
            panic!("{r:?}");
        };
        assert_eq!(new_bit, ENABLED_HARDIRQ);
        assert_eq!(path.classes().collect::<Vec<_>>(), [s, u]);
        has(
            &text(&r, &g, &t),
            "taken by another, HARDIRQ-safe lock in the past:\n (S){-}\n",
        );
    }

    #[test]
    fn a_lock_held_when_irqs_come_back_on_is_marked_irq_unsafe() {
        let (mut g, id) = graph(&["&l", "&irq"]);
        let (l, i) = (id[0], id[1]);
        let mut t = HeldLocks::new();
        take(&mut g, &mut t, l, 0xa0, 0x100, TASK).unwrap();
        take(&mut g, &mut t, i, 0xb0, 0x200, IRQ).unwrap();
        mark_held_locks(&mut g, &t, &Trace::from_slice(&[0x300])).unwrap();
        assert_eq!(g.class(l).usage(), 1 << ENABLED_HARDIRQ);
        assert_eq!(g.class(l).usage_trace(ENABLED_HARDIRQ).as_slice(), [0x300]);
        assert_eq!(g.class(i).usage(), 1 << USED_IN_HARDIRQ, "IRQ locks stay");
        // Already used in an IRQ: inconsistent when re-marked.
        let (mut g, id) = graph(&["&l"]);
        let mut t = HeldLocks::new();
        take(&mut g, &mut t, id[0], 0xa0, 0x100, IRQ).unwrap();
        t.clear();
        take(&mut g, &mut t, id[0], 0xa0, 0x200, TASK).unwrap();
        let r = mark_held_locks(&mut g, &t, &Trace::from_slice(&[0x300])).unwrap_err();
        assert!(matches!(
            r,
            Report::Inconsistent {
                new_bit: ENABLED_HARDIRQ,
                ..
            }
        ));
        let x = text(&r, &g, &t);
        has(&x, "inconsistent {IN-HARDIRQ-W} -> {HARDIRQ-ON-W} usage.\n");
        has(
            &x,
            "test/7 [HC0[0]:SC0[0]:HE0:SE1] takes:\n00000000000000a0 (&l){?}, at: f200\n",
        );
    }

    #[test]
    fn irq_context_locks_do_not_order_against_the_interrupted_tasks_locks() {
        let (mut g, id) = graph(&["A", "B", "C"]);
        let (a, b, c) = (id[0], id[1], id[2]);
        let mut t = HeldLocks::new();
        take(&mut g, &mut t, a, 0xa0, 0x100, TASK).unwrap();
        take(&mut g, &mut t, b, 0xb0, 0x200, IRQ).unwrap();
        take(&mut g, &mut t, c, 0xc0, 0x300, IRQ).unwrap();
        assert!(!g.has_dep(a, b) && !g.has_dep(a, c));
        assert!(g.has_dep(b, c), "locks inside the handler still order");
        // The task's class again in the handler is not recursion.
        take(&mut g, &mut t, a, 0xa1, 0x400, IRQ).unwrap();
        for inst in [0xa1, 0xc0, 0xb0, 0xa0] {
            lock_release(&mut t, inst).unwrap();
        }
        take(&mut g, &mut t, b, 0xb0, 0x500, TASK).unwrap();
        take(&mut g, &mut t, a, 0xa0, 0x600, TASK).unwrap();
    }

    #[test]
    fn same_class_twice_is_recursive_but_subclasses_are_distinct() {
        let (mut g, id) = graph(&["&rq->lock"]);
        let (rq0, rq1) = (id[0], g.register(0x1000, 1, "&rq->lock").unwrap());
        assert_ne!(rq0, rq1);
        assert_eq!(g.register(0x1000, 1, "&rq->lock"), Ok(rq1));
        assert_eq!(
            (g.lookup(0x1000, 1), g.lookup(0x1000, 2)),
            (Some(rq1), None)
        );
        let mut t = HeldLocks::new();
        take(&mut g, &mut t, rq0, 0xa0, 0x100, TASK).unwrap();
        take(&mut g, &mut t, rq1, 0xb0, 0x200, TASK).unwrap();
        let r = take(&mut g, &mut t, rq0, 0xc0, 0x300, TASK).unwrap_err();
        let (class, instance, ip) = (rq0, 0xc0, 0x300);
        assert_eq!(
            r,
            Report::Recursive {
                class,
                instance,
                ip,
                held_index: 0
            }
        );
        let s = text(&r, &g, &t);
        let head = "
============================================
WARNING: possible recursive locking detected
--------------------------------------------
test/7 is trying to acquire lock:
00000000000000c0 (&rq->lock){.}, at: f300

but task is already holding lock:
00000000000000a0 (&rq->lock){.}, at: f100

other info that might help us debug this:
 Possible unsafe locking scenario:

       CPU0
       ----
  lock(&rq->lock);
  lock(&rq->lock);

 *** DEADLOCK ***

 May be due to missing lock nesting notation

2 locks held by test/7:
";
        assert!(s.starts_with(head), "{s}");
        assert!(
            s.ends_with(" #1: 00000000000000b0 (&rq->lock/1){.}, at: f200\n"),
            "{s}"
        );
    }

    #[test]
    fn out_of_order_release_works_and_unheld_release_is_bad_unlock() {
        let (mut g, id) = graph(&["A", "B", "C"]);
        let mut t = HeldLocks::new();
        for (i, &c) in id.iter().enumerate() {
            take(&mut g, &mut t, c, 0xa0 + i, 0x100, TASK).unwrap();
        }
        lock_release(&mut t, 0xa0).unwrap();
        assert_eq!(
            t.iter().map(|h| h.instance).collect::<Vec<_>>(),
            [0xa1, 0xa2]
        );
        let r = lock_release(&mut t, 0xa0).unwrap_err().with_ip(0x400);
        assert_eq!(
            r,
            Report::BadUnlock {
                instance: 0xa0,
                ip: 0x400
            }
        );
        let head = "
=====================================
WARNING: bad unlock balance detected!
-------------------------------------
test/7 is trying to release lock (00000000000000a0) at:
f400
but there are no more locks to release!

other info that might help us debug this:
2 locks held by test/7:
";
        assert!(text(&r, &g, &t).starts_with(head));
    }

    #[test]
    fn depth_overflow_and_full_class_table_are_reported() {
        let mut g = Box::new(Graph::new());
        for i in 0..MAX_LOCKDEP_KEYS {
            g.register(0x1000 + i * 16, 0, "L").unwrap();
        }
        assert_eq!(
            g.register(0x1010, 0, "L"),
            Ok(1),
            "known classes still resolve"
        );
        let r = g.register(0x10, 0, "late").unwrap_err();
        assert_eq!(r, Report::ClassesFull);
        let mut t = HeldLocks::new();
        let off = "turning off the locking correctness validator.\n";
        assert_eq!(
            text(&r, &g, &t),
            String::from("BUG: MAX_LOCKDEP_KEYS too low!\n") + off
        );
        for i in 0..MAX_LOCK_DEPTH {
            take(&mut g, &mut t, i as ClassId, i, i, TASK).unwrap();
        }
        let r = take(&mut g, &mut t, 200, 200, 200, TASK).unwrap_err();
        assert_eq!(r, Report::DepthOverflow);
        let s = text(&r, &g, &t);
        assert!(s.starts_with("BUG: MAX_LOCK_DEPTH too low!\n"), "{s}");
        has(
            &s,
            "validator.\ndepth: 24  max: 24!\n24 locks held by test/7:\n #0: ",
        );
    }

    #[test]
    fn held_locks_block_says_no_locks_one_lock_and_n_locks() {
        let (mut g, id) = graph(&["A", "B"]);
        let mut t = HeldLocks::new();
        let block = |t: &HeldLocks, g: &Graph| {
            let mut s = String::new();
            write_held_locks(&mut s, t, g, ("sh", 12), &sym).unwrap();
            s
        };
        assert_eq!(block(&t, &g), "no locks held by sh/12.\n");
        take(&mut g, &mut t, id[0], 0xa0, 0x100, IRQS_ON).unwrap();
        let one = "1 lock held by sh/12:\n #0: 00000000000000a0 (A){+}, at: f100\n";
        assert_eq!(block(&t, &g), one);
        take(&mut g, &mut t, id[1], 0xb0, 0x200, TASK).unwrap();
        let two = "2 locks held by sh/12:
 #0: 00000000000000a0 (A){+}, at: f100
 #1: 00000000000000b0 (B){.}, at: f200
";
        assert_eq!(block(&t, &g), two);
    }

    #[test]
    fn proc_lockdep_lists_classes_and_their_direct_deps() {
        let (mut g, id) = graph(&["A", "B", "C"]);
        let mut t = HeldLocks::new();
        take(&mut g, &mut t, id[0], 0xa0, 0x100, IRQS_ON).unwrap();
        take(&mut g, &mut t, id[1], 0xb0, 0x200, TASK).unwrap();
        lock_release(&mut t, 0xa0).unwrap();
        take(&mut g, &mut t, id[2], 0xc0, 0x300, TASK).unwrap();
        t.clear();
        take(&mut g, &mut t, id[2], 0xc0, 0x400, IRQ).unwrap();
        let mut s = String::new();
        write_proc_lockdep(&mut s, &g).unwrap();
        let expected = "all lock classes:
0000000000001000 OPS:       1 FD:    3 BD:    1 +: A
 -> [0000000000002000] B

0000000000002000 OPS:       1 FD:    2 BD:    2 .: B
 -> [0000000000003000] C

0000000000003000 OPS:       2 FD:    1 BD:    3 -: C

";
        assert_eq!(s, expected);
    }
}
