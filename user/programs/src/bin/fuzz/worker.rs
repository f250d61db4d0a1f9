//! A fuzz worker: makes random system calls with random and hostile
//! arguments, and forks short-lived children for the calls that end a
//! process. Progress (calls, results per errno, anomalies) goes to the
//! master through a pipe at [`REPORT_FD`].
//!
//! Memory the kernel may write is only ever the scratch area (16 pages
//! between two `PROT_NONE` guard pages) or a hostile address (kernel,
//! unmapped, read-only text, unaligned, past the end of user space), so a
//! worker survives every call a correct kernel answers: a worker killed by
//! SIGSEGV, SIGBUS or SIGILL means the kernel broke it.

use crate::rng::Rng;
use core::fmt::Write;
use pikern_rt::consts::*;
use pikern_rt::sys;
use pikern_rt::syscall::{nr, syscall6};

/// The worker's end of its report pipe (kept out of the fuzzed fds).
pub const REPORT_FD: i32 = 250;
/// The console, for `-v` (kept out of the fuzzed fds).
pub const LOG_FD: i32 = 251;
/// Children (for the calls that end a process) alive at once, per worker.
pub const MAX_CHILDREN: usize = 4;
/// How long a child may live before its worker kills it.
const CHILD_NS: u64 = 300_000_000;
/// Calls between progress reports.
pub const REPORT_EVERY: u32 = 256;
/// Buckets of the result histogram: 0 success, 1..=133 errno, 134 other.
pub const HIST: usize = 135;
/// Calls a worker is asked for at most (the master hands out batches).
pub const MAX_BATCH: u64 = 4000;

/// Where the kernel is mapped (the upper half of a 39-bit address space).
const KERNEL_VA: u64 = 0xffff_ff80_0000_0000;
/// The end of user space.
const USER_VA_END: u64 = 1 << 39;
/// Where anonymous mappings go by default.
const MMAP_BASE: u64 = 0x40_0000_0000;
/// The area whose pages the worker maps, unmaps and protects at will.
const ARENA: u64 = 0x30_0000_0000;
const ARENA_LEN: u64 = 64 * 4096;
/// Guard page, then the scratch buffer, then another guard page.
const SCRATCH_MAP: u64 = 0x31_0000_0000;
const SCRATCH: u64 = SCRATCH_MAP + 4096;
const SCRATCH_LEN: u64 = 16 * 4096;
const FD_POOL: usize = 12;

/// What one record of the report stream is.
pub const REC_COUNTS: u32 = 1;
pub const REC_TEXT: u32 = 2;

/// System-call names for `-v` and anomaly reports.
pub fn name(n: u64) -> &'static str {
    match n as usize {
        nr::GETCWD => "getcwd",
        nr::DUP => "dup",
        nr::DUP3 => "dup3",
        nr::FCNTL => "fcntl",
        nr::IOCTL => "ioctl",
        nr::MKDIRAT => "mkdirat",
        nr::UNLINKAT => "unlinkat",
        nr::CHDIR => "chdir",
        nr::OPENAT => "openat",
        nr::CLOSE => "close",
        nr::PIPE2 => "pipe2",
        nr::GETDENTS64 => "getdents64",
        nr::LSEEK => "lseek",
        nr::READ => "read",
        nr::WRITE => "write",
        nr::READV => "readv",
        nr::WRITEV => "writev",
        nr::READLINKAT => "readlinkat",
        nr::NEWFSTATAT => "newfstatat",
        nr::FSTAT => "fstat",
        nr::EXIT => "exit",
        nr::EXIT_GROUP => "exit_group",
        nr::SET_TID_ADDRESS => "set_tid_address",
        nr::SET_ROBUST_LIST => "set_robust_list",
        nr::NANOSLEEP => "nanosleep",
        nr::CLOCK_GETTIME => "clock_gettime",
        nr::CLOCK_GETRES => "clock_getres",
        nr::CLOCK_NANOSLEEP => "clock_nanosleep",
        nr::SCHED_SETAFFINITY => "sched_setaffinity",
        nr::SCHED_GETAFFINITY => "sched_getaffinity",
        nr::SCHED_YIELD => "sched_yield",
        nr::KILL => "kill",
        nr::TKILL => "tkill",
        nr::TGKILL => "tgkill",
        nr::RT_SIGACTION => "rt_sigaction",
        nr::RT_SIGPROCMASK => "rt_sigprocmask",
        nr::RT_SIGRETURN => "rt_sigreturn",
        nr::SETPRIORITY => "setpriority",
        nr::GETPRIORITY => "getpriority",
        nr::UNAME => "uname",
        nr::GETRUSAGE => "getrusage",
        nr::GETCPU => "getcpu",
        nr::GETPID => "getpid",
        nr::GETPPID => "getppid",
        nr::GETUID => "getuid",
        nr::GETEUID => "geteuid",
        nr::GETGID => "getgid",
        nr::GETEGID => "getegid",
        nr::GETTID => "gettid",
        nr::BRK => "brk",
        nr::MUNMAP => "munmap",
        nr::CLONE => "clone",
        nr::EXECVE => "execve",
        nr::MMAP => "mmap",
        nr::MPROTECT => "mprotect",
        nr::WAIT4 => "wait4",
        nr::PRLIMIT64 => "prlimit64",
        nr::GETRANDOM => "getrandom",
        _ => "?",
    }
}

/// The numbers the kernel's table implements (kernel/src/syscall.rs),
/// except `reboot` and the calls that end the caller, which run in
/// children.
const IMPLEMENTED: &[usize] = &[
    nr::READ,
    nr::WRITE,
    nr::READV,
    nr::WRITEV,
    nr::OPENAT,
    nr::CLOSE,
    nr::LSEEK,
    nr::NEWFSTATAT,
    nr::FSTAT,
    nr::GETDENTS64,
    nr::IOCTL,
    nr::DUP,
    nr::DUP3,
    nr::FCNTL,
    nr::GETCWD,
    nr::CHDIR,
    nr::READLINKAT,
    nr::MKDIRAT,
    nr::PIPE2,
    nr::UNLINKAT,
    nr::GETCPU,
    nr::GETRUSAGE,
    nr::EXECVE,
    nr::WAIT4,
    nr::KILL,
    nr::TKILL,
    nr::TGKILL,
    nr::RT_SIGACTION,
    nr::RT_SIGPROCMASK,
    nr::GETPID,
    nr::GETTID,
    nr::GETPPID,
    nr::GETUID,
    nr::GETEUID,
    nr::GETGID,
    nr::GETEGID,
    nr::UNAME,
    nr::BRK,
    nr::MMAP,
    nr::MUNMAP,
    nr::MPROTECT,
    nr::SET_TID_ADDRESS,
    nr::SET_ROBUST_LIST,
    nr::PRLIMIT64,
    nr::GETRANDOM,
    nr::CLOCK_GETTIME,
    nr::CLOCK_GETRES,
    nr::CLOCK_NANOSLEEP,
    nr::NANOSLEEP,
    nr::SCHED_YIELD,
    nr::SCHED_SETAFFINITY,
    nr::SCHED_GETAFFINITY,
    nr::SETPRIORITY,
    nr::GETPRIORITY,
];

/// Signals the kernel raises for faults: a worker dying of one of these
/// was broken by the kernel (workers never send them to other processes).
pub const FAULT_SIGNALS: [u32; 7] = [SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGSYS];

/// Paths any call may use; opened without write access or `O_CREAT`.
const SYSTEM_PATHS: &[&str] = &[
    "/",
    "/bin",
    "/bin/true",
    "/bin/notelf",
    "/init",
    "/etc",
    "/etc/motd",
    "/proc",
    "/proc/meminfo",
    "/proc/self",
    "/proc/self/stat",
    "/proc/self/status",
    "/proc/self/comm",
    "/proc/1/stat",
    "/proc/2/status",
    "/proc/99999/stat",
    "/proc/cpuinfo",
    "/proc/uptime",
    "/sys",
    "/sys/kernel/tracing",
    "/sys/kernel/tracing/trace",
    "/sys/kernel/tracing/available_events",
    "/sys/kernel/tracing/events",
    "/dev",
    "/tmp",
    "/nonexistent",
    "/bin/true/x",
    "/dev/null/x",
    "",
    ".",
    "..",
    "/../../..",
    "//bin///true",
    "/proc/self/../1/stat",
];

/// Paths inside the worker's own directory (`/tmp/fz<slot>/`): anything
/// goes there.
const OWN_NAMES: &[&str] = &["a", "b", "d", "d/e", "d/a", "a/x", ""];

/// Executables an in-worker `execve` may name: each must fail.
const FAILING_EXEC: &[&str] = &[
    "/bin/notelf",
    "/nonexistent",
    "/bin",
    "/dev/null",
    "/proc/meminfo",
    "",
    "/bin/true/x",
];

extern "C" fn noop_handler(_sig: i32) {}

/// The worker's pid, for [`fault_handler`].
static WORKER_PID: core::sync::atomic::AtomicI32 = core::sync::atomic::AtomicI32::new(0);
/// The worker's index, for [`fault_handler`].
static WORKER_IDX: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// A worker's SIGSEGV/SIGBUS/SIGILL handler: a fault in a worker means the
/// kernel broke it, so say where (pc, sp, lr from the signal frame) to the
/// master, then die of the signal.
extern "C" fn fault_handler(sig: i32, _info: usize, uc: usize) {
    let dfl = sys::SigAction::disposition(SIG_DFL);
    if sys::getpid() != WORKER_PID.load(core::sync::atomic::Ordering::Relaxed) {
        // A child (any signal may be sent to those) just after fork.
        // SAFETY: SIG_DFL runs no code.
        let _ = unsafe { sys::rt_sigaction(sig as u32, Some(&dfl), None) };
        let _ = sys::kill(sys::getpid(), sig as u32);
        return;
    }
    // struct ucontext: uc_mcontext at 176; regs[31], sp, pc after 8 bytes.
    let mc = uc + 176 + 8;
    // SAFETY: the kernel passed a signal frame on this stack.
    let word = |off: usize| unsafe { core::ptr::read_volatile((mc + off) as *const u64) };
    let (lr, sp, pc) = (word(30 * 8), word(31 * 8), word(32 * 8));
    let mut b = Buf::<160>::new();
    let _ = write!(
        b,
        "w{} died of signal {sig}: pc {pc:#x} sp {sp:#x} lr {lr:#x}",
        WORKER_IDX.load(core::sync::atomic::Ordering::Relaxed)
    );
    let mut rec = [0u8; 168];
    rec[..4].copy_from_slice(&REC_TEXT.to_le_bytes());
    rec[4..8].copy_from_slice(&(b.n as u32).to_le_bytes());
    rec[8..8 + b.n].copy_from_slice(b.bytes());
    let _ = sys::write(REPORT_FD, &rec[..8 + b.n]);
    // SAFETY: SIG_DFL runs no code; the return re-faults into the default
    // action.
    let _ = unsafe { sys::rt_sigaction(sig as u32, Some(&dfl), None) };
}

/// A system call about to be made.
#[derive(Clone, Copy)]
pub struct Call {
    pub nr: u64,
    pub a: [u64; 6],
    /// An output pointer is a kernel address: success is an anomaly.
    pub kout: bool,
}

/// The per-process fuzzing state.
pub struct Worker {
    pub rng: Rng,
    pub idx: u64,
    pub verbose: bool,
    pub master: i32,
    pub me: i32,
    pool: [i32; FD_POOL],
    npool: usize,
    closed: [i32; 8],
    children: [i32; MAX_CHILDREN],
    /// When each child was forked (ns): a child past [`CHILD_NS`] is
    /// killed (one that returned into garbage may loop for ever).
    born: [u64; MAX_CHILDREN],
    last_map: (u64, u64),
    pub hist: [u32; HIST],
    pub calls: u32,
    /// Calls made in this process's life (not reset by reports): the
    /// number `-v` prints.
    seq: u64,
    pub anomalies: u32,
    path: [u8; 5200],
    dir: [u8; 16],
    dir_len: usize,
    pub is_child: bool,
}

/// A small formatter into a stack buffer (no heap in the worker).
pub struct Buf<const N: usize> {
    pub b: [u8; N],
    pub n: usize,
}

impl<const N: usize> Buf<N> {
    pub fn new() -> Self {
        Buf { b: [0; N], n: 0 }
    }
    pub fn bytes(&self) -> &[u8] {
        &self.b[..self.n]
    }
}

impl<const N: usize> Write for Buf<N> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let k = s.len().min(N - self.n);
        self.b[self.n..self.n + k].copy_from_slice(&s.as_bytes()[..k]);
        self.n += k;
        Ok(())
    }
}

fn raw(c: &Call) -> i64 {
    let a = c.a;
    // SAFETY: every pointer argument is either the scratch area (mapped
    // between guard pages, owned by nobody else), memory the worker does
    // not use, or an address the kernel must refuse; see the module docs.
    unsafe {
        syscall6(
            c.nr as usize,
            a[0] as usize,
            a[1] as usize,
            a[2] as usize,
            a[3] as usize,
            a[4] as usize,
            a[5] as usize,
        ) as i64
    }
}

fn scratch() -> &'static mut [u8] {
    // SAFETY: the scratch area is mapped read-write by `Worker::new` before
    // any use and lives as long as the process; the kernel writing into it
    // concurrently is what it is for (the worker is single-threaded).
    unsafe { core::slice::from_raw_parts_mut(SCRATCH as *mut u8, SCRATCH_LEN as usize) }
}

fn put_u64(off: usize, v: u64) {
    scratch()[off..off + 8].copy_from_slice(&v.to_le_bytes());
}

fn now_ns() -> u64 {
    sys::clock_gettime(CLOCK_MONOTONIC).map_or(0, |t| t.as_ns())
}

fn text_addr() -> u64 {
    noop_handler as *const () as u64
}

impl Worker {
    /// Sets up a worker process: its descriptors, CPU, signal dispositions,
    /// scratch memory and directory.
    pub fn new(seed: u64, idx: u64, slot: usize, verbose: bool, master: i32) -> Worker {
        let mut w = Worker {
            rng: Rng::new(seed, idx),
            idx,

            verbose,
            master,
            me: sys::getpid(),
            pool: [-1; FD_POOL],
            npool: 0,
            closed: [-1; 8],
            children: [0; MAX_CHILDREN],
            born: [0; MAX_CHILDREN],
            last_map: (ARENA, 4096),
            hist: [0; HIST],
            calls: 0,
            seq: 0,
            anomalies: 0,
            path: [0; 5200],
            dir: [0; 16],
            dir_len: 0,
            is_child: false,
        };
        // Nothing inherited may be fuzzed: the console (a random write would
        // garble the KTAP), the master's pipes.
        for fd in 0..REPORT_FD {
            let _ = sys::close(fd);
        }
        let _ = sys::sched_setaffinity(0, &[1u8 << (slot % 4), 0, 0, 0, 0, 0, 0, 0]);
        // A write to a pipe without readers must fail with EPIPE, not kill.
        let ign = sys::SigAction::disposition(SIG_IGN);
        // SAFETY: SIG_IGN runs no code.
        let _ = unsafe { sys::rt_sigaction(SIGPIPE, Some(&ign), None) };
        WORKER_IDX.store(idx, core::sync::atomic::Ordering::Relaxed);
        WORKER_PID.store(w.me, core::sync::atomic::Ordering::Relaxed);
        let mut fault = sys::SigAction::handler(noop_handler, SA_SIGINFO | SA_NODEFER);
        fault.sa_handler = fault_handler as *const () as u64;
        for sig in [SIGSEGV, SIGBUS, SIGILL] {
            // SAFETY: fault_handler only reads its frame and makes system
            // calls.
            let _ = unsafe { sys::rt_sigaction(sig, Some(&fault), None) };
        }
        // SAFETY: fixed mappings at addresses this program never uses
        // otherwise (between the heap's limit and MMAP_BASE).
        unsafe {
            let flags = (MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED) as usize;
            syscall6(
                nr::MMAP,
                SCRATCH_MAP as usize,
                SCRATCH_LEN as usize + 8192,
                0,
                flags,
                usize::MAX,
                0,
            );
            syscall6(
                nr::MPROTECT,
                SCRATCH as usize,
                SCRATCH_LEN as usize,
                3,
                0,
                0,
                0,
            );
            syscall6(
                nr::MMAP,
                ARENA as usize,
                ARENA_LEN as usize,
                3,
                flags,
                usize::MAX,
                0,
            );
        }
        let mut d = Buf::<16>::new();
        let _ = write!(d, "/tmp/fz{slot}");
        w.dir[..d.n].copy_from_slice(d.bytes());
        w.dir_len = d.n;
        w
    }

    fn log(&self, args: core::fmt::Arguments<'_>) {
        if self.verbose {
            let mut b = Buf::<400>::new();
            let _ = write!(
                b,
                "fuzz[w{}{}] {}: ",
                self.idx,
                if self.is_child { "c" } else { "" },
                self.seq
            );
            let _ = b.write_fmt(args);
            let _ = b.write_str("\n");
            let _ = sys::write(LOG_FD, b.bytes());
        }
    }

    // ---------------------------------------------------------- arguments

    fn len(&mut self) -> u64 {
        match self.rng.below(20) {
            0 => 0,
            1 => 1,
            2 => 8,
            3 => self.rng.below(128),
            4 => 4095 + self.rng.below(3),
            5 => 65535 + self.rng.below(3),
            6 => self.rng.below(SCRATCH_LEN + 8192),
            7 => 1 << 20,
            8 => 1 << 31,
            9 => u32::MAX as u64,
            10 => 1 << 32,
            11 => i64::MAX as u64,
            12 => u64::MAX,
            13 => 1 << 63,
            14 => self.rng.next(),
            _ => self.rng.below(4096),
        }
    }

    /// A pointer the kernel will write `len` bytes to; the flag says it is
    /// a kernel address (so the call must not succeed).
    fn wptr(&mut self, len: u64) -> (u64, bool) {
        if self.rng.chance(55) {
            let room = SCRATCH_LEN - len.min(SCRATCH_LEN);
            let mut off = self.rng.below(room + 1) & !7;
            if self.rng.chance(10) {
                off = (off + self.rng.below(8)).min(SCRATCH_LEN - 1);
            }
            return (SCRATCH + off, false);
        }
        let p = self.hostile();
        (p, p >= USER_VA_END)
    }

    /// A pointer the kernel will read from.
    fn rptr(&mut self, len: u64) -> u64 {
        if self.rng.chance(15) {
            return text_addr() + self.rng.below(4096);
        }
        self.wptr(len).0
    }

    fn hostile(&mut self) -> u64 {
        let r = self.rng.below(22);
        match r {
            0 => 0,
            1 => 1,
            2 => 0xfff,
            3 => KERNEL_VA,
            4 => KERNEL_VA + 0x80000,
            5 => KERNEL_VA + (self.rng.below(1 << 30) & !7),
            6 => 0xffff_ffff_ffff_f000,
            7 => u64::MAX,
            8 => 1 << 63,
            9 => 1 << 47,
            10 => USER_VA_END,
            11 => USER_VA_END - 1,
            12 => USER_VA_END - 4,
            13 => text_addr(),
            14 => SCRATCH_MAP,
            15 => SCRATCH + SCRATCH_LEN - 3,
            16 => 0x10_0000_0000 + (self.rng.below(1 << 20) << 12),
            17 => ARENA + (self.rng.below(ARENA_LEN / 4096) << 12),
            18 => SCRATCH + 1 + self.rng.below(6),
            19 => KERNEL_VA - 4096,
            20 => 0xffff_0000_0000_0000,
            _ => self.rng.next(),
        }
    }

    fn protected(fd: u64) -> bool {
        let low = fd as u32 as i32;
        low == REPORT_FD || low == LOG_FD
    }

    fn fd(&mut self) -> u64 {
        let fd: i64 = if self.npool > 0 && self.rng.chance(60) {
            self.pool[self.rng.below(self.npool as u64) as usize] as i64
        } else {
            match self.rng.below(12) {
                0 => -1,
                1 => -100,
                2 => 1000,
                3 => 255,
                4 => 256,
                5 => i32::MAX as i64,
                6 => i32::MIN as i64,
                7 => (1i64 << 32) | self.rng.below(8) as i64,
                8 => self.closed[self.rng.below(8) as usize] as i64,
                9 => self.rng.next() as i64,
                _ => self.rng.below(40) as i64,
            }
        };
        if Self::protected(fd as u64) {
            -1i64 as u64
        } else {
            fd as u64
        }
    }

    /// A pid for calls that only look at or tune a process.
    fn pid(&mut self) -> u64 {
        let p: i64 = match self.rng.below(10) {
            0 => 0,
            1 => self.me as i64,
            2 => self.children[self.rng.below(MAX_CHILDREN as u64) as usize] as i64,
            3 => -1,
            4 => i32::MAX as i64,
            5 => self.rng.next() as i64,
            _ => self.rng.below(300) as i64,
        };
        p as u64
    }

    /// A pid `kill` may signal: never pid 1, the master, or a group.
    fn kill_pid(&mut self) -> (i64, bool) {
        loop {
            let (p, own) = match self.rng.below(10) {
                0 | 1 => (
                    self.children[self.rng.below(MAX_CHILDREN as u64) as usize] as i64,
                    true,
                ),
                2 => (self.me as i64, false),
                3 => (i32::MAX as i64, false),
                4 => (-(self.rng.below(300) as i64), false),
                5 => (self.rng.next() as i64, false),
                _ => (self.rng.below(300) as i64, false),
            };
            let q = p as i32 as i64;
            if p == 0
                || q == 0
                || q == -1
                || q.unsigned_abs() == 1
                || q.unsigned_abs() == self.master as u64
            {
                continue;
            }
            return (p, own && p != 0);
        }
    }

    fn signal(&mut self, any: bool) -> u64 {
        if self.rng.chance(8) {
            return self.rng.pick(&[-1i64 as u64, 65, 1000, 1 << 32 | 9]);
        }
        if !any && self.rng.chance(60) {
            // Mostly signals that do not end the target, so workers live
            // long enough to build up state (descriptors, mappings).
            return self.rng.pick(&[0, SIGCHLD as u64, SIGCONT as u64, 23, 28]);
        }
        loop {
            let s = self.rng.below(65) as u32;
            if any || !FAULT_SIGNALS.contains(&s) {
                return s as u64;
            }
        }
    }

    fn own_path(&mut self, name: &str) -> u64 {
        let n = self.dir_len;
        self.path[..n].copy_from_slice(&self.dir[..n]);
        let mut k = n;
        if !name.is_empty() {
            self.path[k] = b'/';
            k += 1;
            self.path[k..k + name.len()].copy_from_slice(name.as_bytes());
            k += name.len();
        }
        self.path[k] = 0;
        self.path.as_ptr() as u64
    }

    fn set_path(&mut self, s: &str) -> u64 {
        self.path[..s.len()].copy_from_slice(s.as_bytes());
        self.path[s.len()] = 0;
        self.path.as_ptr() as u64
    }

    /// A path pointer; the flag says it is a system path (open it without
    /// write access, never create or remove there).
    fn any_path(&mut self) -> (u64, bool) {
        match self.rng.below(16) {
            0..=6 => {
                let s = self.rng.pick(SYSTEM_PATHS);
                let writable = s == "/dev/null" || s.starts_with("/proc/");
                (self.set_path(s), !writable)
            }
            7 => (self.set_path("/dev/null"), false),
            8..=11 => {
                let s = self.rng.pick(OWN_NAMES);
                (self.own_path(s), false)
            }
            12 => {
                // Longer than PATH_MAX, or a component longer than NAME_MAX.
                let n = self.rng.pick(&[300usize, 4095, 4096, 5000]);
                let p = self.own_path("");
                let d = self.dir_len;
                self.path[d] = b'/';
                for b in &mut self.path[d + 1..d + 1 + n.min(5100)] {
                    *b = b'a';
                }
                self.path[d + 1 + n.min(5100)] = 0;
                (p, false)
            }
            13 => {
                let p = self.set_path("/tmp/\u{ff}\u{fe}x");
                self.path[5] = 0xff;
                (p, true)
            }
            14 => {
                // Unterminated: runs into the guard page after the scratch.
                let s = scratch();
                let n = s.len();
                for b in &mut s[n - 64..] {
                    *b = b'a';
                }
                (SCRATCH + SCRATCH_LEN - 64, true)
            }
            _ => (self.hostile(), true),
        }
    }

    /// A path for `unlinkat`/`mkdirat`: inside the worker's directory, or
    /// one that must fail.
    fn destructive_path(&mut self) -> u64 {
        match self.rng.below(8) {
            0..=4 => {
                let s = self.rng.pick(OWN_NAMES);
                self.own_path(s)
            }
            5 => {
                let s = self.rng.pick(&[
                    "/",
                    "/proc",
                    "/proc/meminfo",
                    "/proc/1",
                    "/bin",
                    "/bin/true/x",
                    "/nonexistent/x",
                    "",
                    "/sys/kernel/tracing/trace",
                    "/proc/self",
                ]);
                self.set_path(s)
            }
            6 => self.any_path_long(),
            // Never readable garbage: it could name a real file relative
            // to the working directory.
            _ => self.unreadable(),
        }
    }

    /// An address the kernel cannot read a path or a value from.
    fn unreadable(&mut self) -> u64 {
        let s = scratch();
        let n = s.len();
        for b in &mut s[n - 64..] {
            *b = b'a';
        }
        // The last 16 bytes of scratch: a string without its NUL, or a
        // struct (sigaction, timespec) that runs into the guard page.
        self.rng.pick(&[
            0,
            1,
            KERNEL_VA,
            u64::MAX,
            USER_VA_END - 8,
            SCRATCH_MAP,
            1 << 47,
            SCRATCH + SCRATCH_LEN - 16,
        ])
    }

    fn any_path_long(&mut self) -> u64 {
        let p = self.own_path("");
        let d = self.dir_len;
        self.path[d] = b'/';
        for b in &mut self.path[d + 1..d + 1 + 4200] {
            *b = b'b';
        }
        self.path[d + 1 + 4200] = 0;
        p
    }

    fn dirfd(&mut self) -> u64 {
        if self.rng.chance(50) {
            -100i64 as u64
        } else {
            self.fd()
        }
    }

    /// A `dirfd` for a destructive call with a relative path: never one
    /// that could name a real directory.
    fn bad_dirfd(&mut self) -> u64 {
        self.rng.pick(&[-1i64 as u64, 1000, 255, (-7i64) as u64])
    }

    fn open_flags(&mut self, system: bool) -> u64 {
        let mut f = match self.rng.below(4) {
            0 => self.rng.next() as u32,
            _ => {
                let bits = [
                    O_RDONLY,
                    O_WRONLY,
                    O_RDWR,
                    O_CREAT,
                    O_EXCL,
                    O_TRUNC,
                    O_APPEND,
                    O_NONBLOCK,
                    O_DIRECTORY,
                    O_CLOEXEC,
                    0o10000000,
                    0o400000,
                    0o100000,
                ];
                let mut f = 0;
                for _ in 0..self.rng.below(4) {
                    f |= self.rng.pick(&bits);
                }
                f
            }
        };
        if system {
            f &= !(3 | O_CREAT | O_TRUNC | O_APPEND | 0o20000000);
        }
        f as u64
    }

    fn timespec(&mut self) -> u64 {
        let (sec, nsec): (i64, i64) = match self.rng.below(6) {
            0 => (0, self.rng.below(2_000_000) as i64),
            1 => (0, 1_000_000_000),
            2 => (-1, 0),
            3 => (0, -1),
            4 => (0, 0),
            _ => (0, self.rng.below(100_000) as i64),
        };
        if self.rng.chance(15) {
            // Only addresses that cannot be read: readable garbage could
            // be a valid timespec of years.
            return self.rng.pick(&[
                0,
                1,
                KERNEL_VA,
                u64::MAX,
                USER_VA_END - 8,
                SCRATCH_MAP,
                1 << 47,
            ]);
        }
        let off = (self.rng.below(SCRATCH_LEN / 16 - 1) * 16) as usize;
        put_u64(off, sec as u64);
        put_u64(off + 8, nsec as u64);
        SCRATCH + off as u64
    }

    // ------------------------------------------------------- descriptors

    fn pool_add(&mut self, fd: i32) {
        if Self::protected(fd as u64) {
            return;
        }
        if self.pool[..self.npool].contains(&fd) {
            return;
        }
        if self.npool == FD_POOL {
            let old = self.pool[0];
            let _ = sys::close(old);
            self.pool.copy_within(1.., 0);
            self.npool -= 1;
            self.closed_add(old);
        }
        self.pool[self.npool] = fd;
        self.npool += 1;
    }

    fn pool_remove(&mut self, fd: i32) {
        if let Some(i) = self.pool[..self.npool].iter().position(|&f| f == fd) {
            self.pool.copy_within(i + 1..self.npool, i);
            self.npool -= 1;
        }
        self.closed_add(fd);
    }

    fn closed_add(&mut self, fd: i32) {
        self.closed.copy_within(1.., 0);
        self.closed[7] = fd;
    }

    // ---------------------------------------------------------- children

    fn child_slot(&self) -> Option<usize> {
        self.children.iter().position(|&p| p == 0)
    }

    /// Reaps children that are done; with `all`, kills and reaps the rest.
    pub fn reap_children(&mut self, all: bool) {
        for i in 0..MAX_CHILDREN {
            let pid = self.children[i];
            if pid == 0 {
                continue;
            }
            let mut st = 0;
            let old = now_ns().saturating_sub(self.born[i]) > CHILD_NS;
            match sys::wait4(pid, Some(&mut st), WNOHANG | WUNTRACED) {
                Ok(0) if !all && !old => {}
                Ok(0) => {
                    // Still our child, so the pid cannot have been reused.
                    let _ = sys::kill(pid, SIGKILL);
                    while let Err(pikern_rt::Errno::EINTR) = sys::wait4(pid, Some(&mut st), 0) {}
                    self.children[i] = 0;
                }
                Ok(_) if st & 0xff == 0x7f => {
                    // Stopped by someone's random SIGSTOP: let it go on.
                    let _ = sys::kill(pid, SIGCONT);
                }
                _ => self.children[i] = 0,
            }
        }
    }

    // -------------------------------------------------------------- calls

    /// Builds the next call (or returns `None` after doing a fork).
    fn gen(&mut self) -> Option<Call> {
        let mut c = Call {
            nr: 0,
            a: [0; 6],
            kout: false,
        };
        for a in &mut c.a {
            // Unused argument registers hold garbage too.
            *a = self.rng.next();
        }
        let kind = self.rng.below(100);
        match kind {
            0..=5 => {
                c.nr = nr::READ as u64;
                let len = self.len();
                c.a[0] = self.fd();
                c.a[1] = self.wptr(len).0;
                c.a[2] = len;
            }
            6..=10 => {
                c.nr = nr::WRITE as u64;
                let len = self.len();
                c.a[0] = self.fd();
                c.a[1] = self.rptr(len);
                c.a[2] = len;
            }
            11 | 12 => {
                c.nr = self.rng.pick(&[nr::READV, nr::WRITEV]) as u64;
                let cnt = self
                    .rng
                    .pick(&[0, 1, 2, 3, 8, 1024, 1025, u64::MAX, 1 << 32]);
                c.a[0] = self.fd();
                c.a[1] = if self.rng.chance(70) {
                    let off = 0;
                    for i in 0..8usize {
                        let len = if self.rng.chance(70) {
                            self.rng.below(512)
                        } else {
                            self.len()
                        };
                        let p = if c.nr == nr::READV as u64 {
                            self.wptr(len).0
                        } else {
                            self.rptr(len)
                        };
                        // The iovec array lives in the last page of scratch.
                        let at = (SCRATCH_LEN as usize - 4096) + off + 16 * i;
                        put_u64(at, p);
                        put_u64(at + 8, len);
                    }
                    SCRATCH + SCRATCH_LEN - 4096
                } else {
                    self.hostile()
                };
                c.a[2] = cnt;
            }
            13..=18 => {
                c.nr = nr::OPENAT as u64;
                c.a[0] = self.dirfd();
                let (p, system) = self.any_path();
                c.a[1] = p;
                c.a[2] = self.open_flags(system);
                c.a[3] = self.rng.pick(&[0o644, 0o777, 0, 0o7777, u64::MAX]);
                if system && c.a[0] != -100i64 as u64 && self.rng.chance(50) {
                    c.a[0] = -100i64 as u64;
                }
            }
            19..=22 => {
                c.nr = nr::CLOSE as u64;
                c.a[0] = self.fd();
            }
            23 | 24 => {
                c.nr = nr::LSEEK as u64;
                c.a[0] = self.fd();
                c.a[1] = match self.rng.below(6) {
                    0 => 0,
                    1 => self.rng.below(200_000),
                    2 => -1i64 as u64,
                    3 => i64::MAX as u64,
                    4 => i64::MIN as u64,
                    _ => self.rng.next(),
                };
                c.a[2] = self.rng.pick(&[0, 1, 2, 3, 4, u64::MAX]);
            }
            25 | 26 => {
                c.nr = nr::NEWFSTATAT as u64;
                c.a[0] = self.dirfd();
                c.a[1] = self.any_path().0;
                let (p, k) = self.wptr(128);
                c.a[2] = p;
                c.a[3] = self
                    .rng
                    .pick(&[0, 0x100, 0x1000, 0x800, 0x1900, u64::MAX, 0x200]);
                c.kout = k;
            }
            27 => {
                c.nr = nr::FSTAT as u64;
                c.a[0] = self.fd();
                let (p, k) = self.wptr(128);
                c.a[1] = p;
                c.kout = k;
            }
            28 | 29 => {
                c.nr = nr::GETDENTS64 as u64;
                let len = self.len();
                c.a[0] = self.fd();
                c.a[1] = self.wptr(len).0;
                c.a[2] = len;
            }
            30 => {
                c.nr = nr::IOCTL as u64;
                c.a[0] = self.fd();
                let any = self.rng.next();
                c.a[1] = self
                    .rng
                    .pick(&[0x5401, 0x5402, 0x5413, 0x540f, 0x5410, 0x5403, any]);
                c.a[2] = self.wptr(64).0;
            }
            31 => {
                c.nr = nr::DUP as u64;
                c.a[0] = self.fd();
            }
            32 => {
                c.nr = nr::DUP3 as u64;
                c.a[0] = self.fd();
                c.a[1] = self.fd();
                c.a[2] = self.rng.pick(&[0, O_CLOEXEC as u64, 1, u64::MAX]);
            }
            33 => {
                c.nr = nr::FCNTL as u64;
                c.a[0] = self.fd();
                c.a[1] = self.rng.pick(&[0, 1, 2, 3, 4, 1030, 1031, 9, u64::MAX]);
                c.a[2] = self.rng.pick(&[
                    0,
                    1,
                    3,
                    40,
                    249,
                    255,
                    256,
                    1 << 40,
                    u64::MAX,
                    O_NONBLOCK as u64,
                ]);
                if c.a[1] == 4 {
                    // F_SETFL: pipes stay non-blocking, or a read could
                    // hang the worker.
                    c.a[2] |= O_NONBLOCK as u64;
                }
            }
            34 => {
                c.nr = nr::GETCWD as u64;
                let len = self.len();
                let (p, k) = self.wptr(len);
                c.a[0] = p;
                c.a[1] = len;
                c.kout = k && len >= 4096;
            }
            35 => {
                c.nr = nr::CHDIR as u64;
                c.a[0] = self.any_path().0;
            }
            36 => {
                c.nr = nr::READLINKAT as u64;
                c.a[0] = self.dirfd();
                c.a[1] = if self.rng.chance(50) {
                    self.set_path("/proc/self")
                } else {
                    self.any_path().0
                };
                let len = self.len();
                c.a[2] = self.wptr(len).0;
                c.a[3] = len;
            }
            37 | 38 => {
                c.nr = self.rng.pick(&[nr::MKDIRAT, nr::UNLINKAT]) as u64;
                let p = self.destructive_path();
                // A relative path only with a descriptor that names nothing.
                let relative =
                    p < USER_VA_END && p == self.path.as_ptr() as u64 && self.path[0] != b'/';
                c.a[0] = if relative {
                    self.bad_dirfd()
                } else {
                    self.dirfd()
                };
                c.a[1] = p;
                c.a[2] = if c.nr == nr::MKDIRAT as u64 {
                    self.rng.pick(&[0o755, 0, 0o7777, u64::MAX])
                } else {
                    self.rng.pick(&[0, 0x200, 0x200, 1, u64::MAX])
                };
            }
            39 | 40 => {
                c.nr = nr::PIPE2 as u64;
                let (p, k) = if self.rng.chance(75) {
                    (SCRATCH + (self.rng.below(SCRATCH_LEN / 8 - 1) * 8), false)
                } else {
                    let p = self.hostile();
                    // Never a pipe whose descriptors the worker cannot learn
                    // (a blocking read on it would hang the worker).
                    if (ARENA..ARENA + ARENA_LEN).contains(&p)
                        || (SCRATCH..SCRATCH + SCRATCH_LEN).contains(&p)
                    {
                        (0, false)
                    } else {
                        (p, p >= USER_VA_END)
                    }
                };
                c.a[0] = p;
                c.a[1] = self.rng.pick(&[
                    0,
                    O_NONBLOCK as u64,
                    (O_NONBLOCK | O_CLOEXEC) as u64,
                    O_CLOEXEC as u64,
                    1,
                    u64::MAX,
                    O_NONBLOCK as u64,
                ]);
                c.kout = k;
            }
            41 => {
                c.nr = nr::GETCPU as u64;
                c.a[0] = if self.rng.chance(30) {
                    0
                } else {
                    self.wptr(4).0
                };
                c.a[1] = if self.rng.chance(30) {
                    0
                } else {
                    self.wptr(4).0
                };
            }
            42 => {
                c.nr = nr::GETRUSAGE as u64;
                c.a[0] = self.rng.pick(&[0, 1, -1i64 as u64, 2, u64::MAX]);
                let (p, k) = self.wptr(144);
                c.a[1] = p;
                c.kout = k && c.a[0] <= 1;
            }
            43 => {
                c.nr = nr::EXECVE as u64;
                c.a[0] = if self.rng.chance(80) {
                    let s = self.rng.pick(FAILING_EXEC);
                    self.set_path(s)
                } else {
                    // Readable garbage could name a real program.
                    self.unreadable()
                };
                c.a[1] = self.argv();
                c.a[2] = self.argv();
            }
            44..=46 => {
                c.nr = nr::WAIT4 as u64;
                c.a[0] = match self.rng.below(5) {
                    0 => -1i64 as u64,
                    1 => 0,
                    2 => self.children[self.rng.below(MAX_CHILDREN as u64) as usize] as u64,
                    3 => self.rng.below(300),
                    _ => self.rng.next(),
                };
                c.a[1] = if self.rng.chance(20) {
                    0
                } else {
                    self.wptr(4).0
                };
                let opts = self.rng.pick(&[
                    0,
                    2,
                    8,
                    0x4000_0000,
                    0x8000_0000,
                    0x0100_0000,
                    0xffff,
                    u64::MAX,
                ]);
                // Never block: the worker must not wait on a stopped child.
                c.a[2] = opts | WNOHANG as u64;
                c.a[3] = if self.rng.chance(60) {
                    0
                } else {
                    self.wptr(144).0
                };
            }
            47..=49 => {
                let (pid, own) = self.kill_pid();
                let sig = self.signal(own);
                match self.rng.below(4) {
                    0 => {
                        c.nr = nr::TKILL as u64;
                        // tid <= 0 is EINVAL for tkill, never a broadcast.
                        c.a[0] = if self.rng.chance(20) {
                            self.rng.pick(&[0, -1i64 as u64])
                        } else {
                            pid as u64
                        };
                        c.a[1] = sig;
                    }
                    1 => {
                        c.nr = nr::TGKILL as u64;
                        c.a[0] = if self.rng.chance(20) {
                            self.rng.pick(&[0, -1i64 as u64])
                        } else {
                            pid as u64
                        };
                        c.a[1] = if self.rng.chance(20) {
                            self.rng.pick(&[0, -1i64 as u64])
                        } else {
                            pid as u64
                        };
                        c.a[2] = sig;
                    }
                    _ => {
                        c.nr = nr::KILL as u64;
                        c.a[0] = pid as u64;
                        c.a[1] = sig;
                    }
                }
            }
            50..=52 => {
                c.nr = nr::RT_SIGACTION as u64;
                let mut sig = self.rng.pick(&[0u64, 65, u64::MAX, 1 << 32 | 10]);
                if self.rng.chance(85) {
                    sig = 1 + self.rng.below(64);
                }
                let act = if self.rng.chance(70) {
                    let handler = self.rng.pick(&[
                        SIG_DFL,
                        SIG_IGN,
                        noop_handler as *const () as u64,
                    ]);
                    let any = self.rng.next() & 0xffff_ffff;
                    let flags = self.rng.pick(&[
                        0,
                        SA_SIGINFO,
                        SA_NODEFER,
                        SA_RESETHAND,
                        SA_RESTART,
                        SA_ONSTACK,
                        any,
                    ]) | SA_RESTORER;
                    let off = (SCRATCH_LEN as usize) - 8192;
                    put_u64(off, handler);
                    put_u64(off + 8, flags);
                    put_u64(
                        off + 16,
                        pikern_rt::sys::SigAction::handler(noop_handler, 0).sa_restorer,
                    );
                    put_u64(off + 24, self.rng.next());
                    if [SIGPIPE, SIGSEGV, SIGBUS, SIGILL].contains(&(sig as u32)) {
                        // Those keep the worker's own dispositions.
                        sig = SIGUSR1 as u64;
                    }
                    SCRATCH + off as u64
                } else if self.rng.chance(50) {
                    0
                } else {
                    // Readable garbage would install a garbage handler.
                    self.unreadable()
                };
                c.a[0] = sig;
                c.a[1] = act;
                c.a[2] = if self.rng.chance(40) {
                    0
                } else {
                    self.wptr(32).0
                };
                c.a[3] = if self.rng.chance(85) {
                    8
                } else {
                    self.rng.pick(&[0, 4, 16, u64::MAX])
                };
            }
            53 | 54 => {
                c.nr = nr::RT_SIGPROCMASK as u64;
                c.a[0] = self.rng.pick(&[0, 1, 2, 3, u64::MAX]);
                c.a[1] = if self.rng.chance(70) {
                    let off = (SCRATCH_LEN as usize) - 8192 + 64;
                    put_u64(off, self.rng.next());
                    SCRATCH + off as u64
                } else if self.rng.chance(50) {
                    0
                } else {
                    self.hostile()
                };
                c.a[2] = if self.rng.chance(40) {
                    0
                } else {
                    self.wptr(8).0
                };
                c.a[3] = if self.rng.chance(85) {
                    8
                } else {
                    self.rng.pick(&[0, 4, 16, u64::MAX])
                };
            }
            55 | 56 => {
                c.nr = self.rng.pick(&[
                    nr::GETPID,
                    nr::GETTID,
                    nr::GETPPID,
                    nr::GETUID,
                    nr::GETEUID,
                    nr::GETGID,
                    nr::GETEGID,
                    nr::SCHED_YIELD,
                ]) as u64;
            }
            57 => {
                c.nr = nr::UNAME as u64;
                let (p, k) = self.wptr(390);
                c.a[0] = p;
                c.kout = k;
            }
            58 => {
                c.nr = nr::BRK as u64;
                c.a[0] = self.rng.pick(&[
                    0,
                    1,
                    0x40_0000,
                    KERNEL_VA,
                    u64::MAX,
                    MMAP_BASE,
                    MMAP_BASE - 4096,
                    USER_VA_END,
                    1 << 63,
                ]);
            }
            59..=61 => {
                c.nr = nr::MMAP as u64;
                let fixed_ok;
                c.a[0] = match self.rng.below(6) {
                    0 => {
                        fixed_ok = false;
                        0
                    }
                    1 | 2 => {
                        fixed_ok = true;
                        ARENA + (self.rng.below(ARENA_LEN / 4096) << 12)
                    }
                    3 => {
                        fixed_ok = false;
                        self.hostile()
                    }
                    4 => {
                        fixed_ok = false;
                        ARENA + 1
                    }
                    _ => {
                        fixed_ok = false;
                        self.rng.next()
                    }
                };
                let mut len = self.rng.pick(&[
                    4096,
                    8192,
                    3,
                    0,
                    1 << 20,
                    u64::MAX,
                    1 << 39,
                    1 << 40,
                    4096 * 16,
                ]);
                let mut flags = match self.rng.below(5) {
                    0 => self.rng.next() & 0xffff_ffff,
                    1 => (MAP_SHARED | MAP_ANONYMOUS) as u64,
                    2 => MAP_PRIVATE as u64,
                    _ => {
                        (MAP_PRIVATE | MAP_ANONYMOUS) as u64
                            | self.rng.pick(&[
                                0,
                                MAP_FIXED as u64,
                                MAP_NORESERVE as u64,
                                MAP_FIXED_NOREPLACE as u64,
                            ])
                    }
                };
                if flags & MAP_FIXED as u64 != 0 {
                    if !fixed_ok {
                        flags &= !(MAP_FIXED as u64);
                    } else if len < USER_VA_END {
                        // A fixed mapping stays inside the arena.
                        len = len.min(ARENA + ARENA_LEN - c.a[0]);
                    }
                }
                c.a[1] = len;
                c.a[2] = self.rng.pick(&[0, 1, 3, 5, 7, 8, u64::MAX]);
                c.a[3] = flags;
                c.a[4] = self.rng.pick(&[u64::MAX, 0, 3, 1000]);
                c.a[5] = self.rng.pick(&[0, 4096, 1, u64::MAX]);
            }
            62 | 63 => {
                c.nr = self.rng.pick(&[nr::MUNMAP, nr::MPROTECT]) as u64;
                let (addr, room) = match self.rng.below(4) {
                    0 => {
                        let a = ARENA + (self.rng.below(ARENA_LEN / 4096) << 12);
                        (a, ARENA + ARENA_LEN - a)
                    }
                    1 => self.last_map,
                    2 => (ARENA + 1 + self.rng.below(4095), 4096),
                    _ => (
                        self.rng.pick(&[
                            KERNEL_VA,
                            0xffff_ffff_ffff_f000,
                            USER_VA_END,
                            USER_VA_END + 4096,
                        ]),
                        u64::MAX,
                    ),
                };
                let len = match self.rng.below(4) {
                    0 => self.rng.pick(&[0, 1, 4096, 8192]),
                    1 => self.rng.pick(&[u64::MAX, 1 << 63, USER_VA_END, 1 << 40]),
                    _ => (self.rng.below(16) + 1) << 12,
                };
                c.a[0] = addr;
                c.a[1] = if len < USER_VA_END {
                    len.min(room)
                } else {
                    len
                };
                c.a[2] = self.rng.pick(&[0, 1, 2, 3, 4, 7, 8, u64::MAX]);
            }
            64 => {
                c.nr = nr::SET_TID_ADDRESS as u64;
                // Written (0) when the worker exits: never its own memory.
                c.a[0] = if self.rng.chance(50) {
                    SCRATCH + (self.rng.below(1000) << 2)
                } else {
                    self.hostile()
                };
            }
            65 => {
                c.nr = nr::SET_ROBUST_LIST as u64;
                c.a[0] = self.hostile();
                c.a[1] = self.rng.pick(&[24, 0, 23, u64::MAX]);
            }
            66 => {
                c.nr = nr::PRLIMIT64 as u64;
                let pid = self.pid();
                c.a[0] = pid;
                c.a[1] = self.rng.pick(&[0, 1, 3, 7, 15, 16, u64::MAX]);
                // New limits only for the worker itself (a limit set on the
                // master or init would change the run, not test the kernel).
                c.a[2] = if (pid == 0 || pid == self.me as u64) && self.rng.chance(50) {
                    let off = (SCRATCH_LEN as usize) - 8192 + 128;
                    let cur = self.rng.pick(&[0, 1024, u64::MAX, 8 << 20]);
                    let max = self.rng.pick(&[0, 1024, u64::MAX, 8 << 20]);
                    put_u64(off, cur);
                    put_u64(off + 8, max);
                    if c.a[1] == 7 {
                        // RLIMIT_NOFILE: keep room for the report pipe.
                        0
                    } else {
                        SCRATCH + off as u64
                    }
                } else if self.rng.chance(50) {
                    0
                } else {
                    let h = self.hostile();
                    if h < USER_VA_END {
                        0
                    } else {
                        h
                    }
                };
                c.a[3] = if self.rng.chance(30) {
                    0
                } else {
                    self.wptr(16).0
                };
            }
            67 => {
                c.nr = nr::GETRANDOM as u64;
                let len = self.len();
                c.a[0] = self.wptr(len).0;
                c.a[1] = len;
                c.a[2] = self.rng.pick(&[0, 1, 2, 4, 8, u64::MAX]);
            }
            68 | 69 => {
                c.nr = self.rng.pick(&[nr::CLOCK_GETTIME, nr::CLOCK_GETRES]) as u64;
                c.a[0] = self
                    .rng
                    .pick(&[0, 1, 2, 3, 4, 7, 11, 12, u64::MAX, -1i64 as u64]);
                let (p, k) = self.wptr(16);
                c.a[1] = p;
                c.kout = k && c.a[0] <= 11 && p != 0;
            }
            70 | 71 => {
                c.nr = self.rng.pick(&[nr::CLOCK_NANOSLEEP, nr::NANOSLEEP]) as u64;
                if c.nr == nr::NANOSLEEP as u64 {
                    c.a[0] = self.timespec();
                    c.a[1] = if self.rng.chance(50) {
                        0
                    } else {
                        self.wptr(16).0
                    };
                } else {
                    c.a[0] = self.rng.pick(&[0, 1, 7, 12, u64::MAX]);
                    // TIMER_ABSTIME with a tiny absolute time: already past.
                    c.a[1] = self.rng.pick(&[0, 1, 2, u64::MAX]);
                    c.a[2] = self.timespec();
                    c.a[3] = if self.rng.chance(50) {
                        0
                    } else {
                        self.wptr(16).0
                    };
                }
            }
            72 | 73 => {
                c.nr = self
                    .rng
                    .pick(&[nr::SCHED_SETAFFINITY, nr::SCHED_GETAFFINITY])
                    as u64;
                c.a[0] = self.pid();
                c.a[1] = self.rng.pick(&[0, 1, 4, 8, 16, 128, u64::MAX, 7]);
                let off = (SCRATCH_LEN as usize) - 8192 + 256;
                put_u64(off, self.rng.pick(&[0, 1, 2, 4, 8, 15, 0xf0, u64::MAX]));
                c.a[2] = if self.rng.chance(70) {
                    SCRATCH + off as u64
                } else {
                    self.wptr(8).0
                };
            }
            74 => {
                c.nr = self.rng.pick(&[nr::SETPRIORITY, nr::GETPRIORITY]) as u64;
                c.a[0] = self.rng.pick(&[0, 1, 2, 3, u64::MAX]);
                c.a[1] = self.pid();
                c.a[2] =
                    self.rng
                        .pick(&[0, 19, 20, -20i64 as u64, -21i64 as u64, 100, u64::MAX, 5]);
            }
            75..=78 => {
                // Numbers the kernel does not implement (ENOSYS), a few
                // real ones with garbage, and numbers past the table.
                c.nr = match self.rng.below(5) {
                    0 => self
                        .rng
                        .pick(&[98, 179, 167, 95, 53, 67, 68, 293, 435, 451, 1000]),
                    1 => self.rng.below(500),
                    2 => self.rng.next(),
                    3 => (1 << 32) | self.rng.pick(IMPLEMENTED) as u64,
                    _ => self.rng.pick(IMPLEMENTED) as u64,
                };
                if !self.safe_garbage_nr(c.nr) {
                    c.nr = nr::GETPID as u64;
                }
            }
            79..=81 => {
                if !self.is_child {
                    self.spawn_child();
                }
                return None;
            }
            82 | 83 => {
                self.reap_children(false);
                return None;
            }
            _ => {
                // More of the calls that move data.
                c.nr = self
                    .rng
                    .pick(&[nr::READ, nr::WRITE, nr::GETDENTS64, nr::OPENAT])
                    as u64;
                let (p, system) = self.any_path();
                let len = self.len();
                c.a[0] = if c.nr == nr::OPENAT as u64 {
                    self.dirfd()
                } else {
                    self.fd()
                };
                c.a[1] = if c.nr == nr::OPENAT as u64 {
                    p
                } else {
                    self.wptr(len).0
                };
                c.a[2] = if c.nr == nr::OPENAT as u64 {
                    self.open_flags(system)
                } else {
                    len
                };
                c.a[3] = 0o644;
            }
        }
        Some(c)
    }

    /// Whether a call with all-garbage arguments cannot hurt the worker
    /// itself (it may still hurt the kernel: that is the point).
    fn safe_garbage_nr(&self, n: u64) -> bool {
        let n32 = n as u32 as usize;
        // Numbers that alias a real call when the kernel reads only the low
        // 32 bits (as Linux does) count as that call.
        let dangerous = [
            nr::READ,
            nr::READV,
            nr::GETDENTS64,
            nr::GETCWD,
            nr::READLINKAT,
            nr::EXIT,
            nr::EXIT_GROUP,
            nr::RT_SIGRETURN,
            nr::CLONE,
            nr::EXECVE,
            nr::MMAP,
            nr::MUNMAP,
            nr::MPROTECT,
            nr::BRK,
            nr::KILL,
            nr::TKILL,
            nr::TGKILL,
            nr::REBOOT,
            nr::PIPE2,
            nr::SET_TID_ADDRESS,
            nr::RT_SIGACTION,
            nr::PRLIMIT64,
            nr::DUP3,
            nr::CLOSE,
            nr::WAIT4,
            nr::NEWFSTATAT,
            nr::FSTAT,
            nr::UNAME,
            nr::GETRUSAGE,
            nr::GETCPU,
            nr::GETRANDOM,
            nr::CLOCK_GETTIME,
            nr::CLOCK_GETRES,
            nr::CLOCK_NANOSLEEP,
            nr::NANOSLEEP,
            nr::SCHED_GETAFFINITY,
            nr::RT_SIGPROCMASK,
            nr::WRITE,
            nr::WRITEV,
            nr::UNLINKAT,
            nr::MKDIRAT,
            nr::OPENAT,
            nr::IOCTL,
            nr::SCHED_SETAFFINITY,
            nr::SETPRIORITY,
            nr::CHDIR,
            nr::DUP,
            nr::FCNTL,
            nr::LSEEK,
        ];
        !dangerous.contains(&n32) && !dangerous.contains(&(n as usize))
    }

    fn argv(&mut self) -> u64 {
        match self.rng.below(6) {
            0 => 0,
            1 => self.hostile(),
            2 => {
                // A valid array of short strings.
                let base = (SCRATCH_LEN as usize) - 12288;
                let strs = base + 512;
                scratch()[strs..strs + 4].copy_from_slice(b"arg\0");
                for i in 0..8 {
                    put_u64(base + 8 * i, SCRATCH + strs as u64);
                }
                put_u64(base + 64, 0);
                SCRATCH + base as u64
            }
            3 => {
                // Pointers to hostile strings.
                let base = (SCRATCH_LEN as usize) - 12288;
                for i in 0..4 {
                    let h = self.hostile();
                    put_u64(base + 8 * i, h);
                }
                put_u64(base + 32, 0);
                SCRATCH + base as u64
            }
            4 => {
                // No NULL before the guard page.
                let s = scratch();
                let n = s.len();
                for b in &mut s[n - 256..] {
                    *b = 0x11;
                }
                SCRATCH + SCRATCH_LEN - 256
            }
            _ => {
                // Many pointers to one long string: E2BIG.
                let base = 0usize;
                let strs = 40960usize;
                for b in &mut scratch()[strs..strs + 4000] {
                    *b = b'x';
                }
                scratch()[strs + 4000] = 0;
                for i in 0..5000usize {
                    put_u64(base + 8 * i, SCRATCH + strs as u64);
                }
                put_u64(base + 8 * 5000, 0);
                SCRATCH
            }
        }
    }

    /// Makes one call and records its result.
    fn make(&mut self, c: &Call) {
        self.log(format_args!(
            "{}({:#x}, {:#x}, {:#x}, {:#x}, {:#x}, {:#x}) nr {}",
            name(c.nr),
            c.a[0],
            c.a[1],
            c.a[2],
            c.a[3],
            c.a[4],
            c.a[5],
            c.nr
        ));
        let r = raw(c);
        self.log(format_args!("= {r} ({r:#x})"));
        self.calls += 1;
        self.seq += 1;
        let bucket = if r >= 0 {
            0
        } else if r >= -133 {
            (-r) as usize
        } else {
            HIST - 1
        };
        self.hist[bucket] += 1;
        // No call returns an error number outside 1..=4095, and none may
        // succeed writing to a kernel address. mmap returns addresses below
        // the end of user space, everything else small values.
        let impossible = r < -4095
            || (c.kout && r >= 0)
            || (c.nr == nr::MMAP as u64 && r >= 0 && r as u64 >= USER_VA_END);
        if impossible {
            self.anomaly(c, r);
        }
        self.after(c, r);
    }

    fn anomaly(&mut self, c: &Call, r: i64) {
        self.anomalies += 1;
        let mut b = Buf::<300>::new();
        let _ = write!(
            b,
            "w{} call {}: {}({:#x}, {:#x}, {:#x}, {:#x}) nr {} returned {r:#x}",
            self.idx,
            self.calls,
            name(c.nr),
            c.a[0],
            c.a[1],
            c.a[2],
            c.a[3],
            c.nr
        );
        self.send(REC_TEXT, b.bytes());
    }

    /// Keeps the descriptor pool and the child list in step with a call's
    /// effect.
    fn after(&mut self, c: &Call, r: i64) {
        let n = c.nr as usize;
        if r < 0 {
            return;
        }
        match n {
            _ if n == nr::OPENAT || n == nr::DUP => self.pool_add(r as i32),
            _ if n == nr::DUP3 => self.pool_add(c.a[1] as i32),
            _ if n == nr::FCNTL && (c.a[1] == 0 || c.a[1] == 1030) => self.pool_add(r as i32),
            _ if n == nr::CLOSE => self.pool_remove(c.a[0] as i32),
            _ if n == nr::PIPE2 => {
                let p = c.a[0];
                if (SCRATCH..SCRATCH + SCRATCH_LEN).contains(&p) {
                    let off = (p - SCRATCH) as usize;
                    let s = scratch();
                    let rfd = i32::from_le_bytes(s[off..off + 4].try_into().unwrap_or([0; 4]));
                    let wfd = i32::from_le_bytes(s[off + 4..off + 8].try_into().unwrap_or([0; 4]));
                    if c.a[1] & O_NONBLOCK as u64 != 0 {
                        self.pool_add(rfd);
                        self.pool_add(wfd);
                    } else {
                        // A blocking pipe would let a read hang the worker.
                        let _ = sys::close(rfd);
                        let _ = sys::close(wfd);
                        self.closed_add(rfd);
                    }
                }
            }
            _ if n == nr::MMAP => self.last_map = (r as u64, c.a[1].min(1 << 30)),
            _ if n == nr::WAIT4 && r > 0 => {
                if let Some(i) = self.children.iter().position(|&p| p == r as i32) {
                    // Reaped by the fuzzed call (or only stopped: the
                    // final reap kills it either way).
                    if c.a[2] & 2 == 0 {
                        self.children[i] = 0;
                    }
                }
            }
            _ => {}
        }
    }

    // ------------------------------------------------------------ reports

    /// Sends one record to the master (retrying while the pipe is full).
    pub fn send(&mut self, kind: u32, payload: &[u8]) {
        if self.is_child {
            return;
        }
        let mut rec = [0u8; 8 + 4 * (2 + HIST)];
        let n = payload.len().min(rec.len() - 8);
        rec[..4].copy_from_slice(&kind.to_le_bytes());
        rec[4..8].copy_from_slice(&(n as u32).to_le_bytes());
        rec[8..8 + n].copy_from_slice(&payload[..n]);
        let mut done = 0;
        while done < 8 + n {
            match sys::write(REPORT_FD, &rec[done..8 + n]) {
                Ok(k) => done += k,
                Err(pikern_rt::Errno::EAGAIN) | Err(pikern_rt::Errno::EINTR) => {
                    let _ = sys::nanosleep(&sys::Timespec::from_ms(1), None);
                }
                Err(_) => return,
            }
        }
    }

    /// Sends the calls and results since the last report.
    pub fn flush(&mut self) {
        let mut p = [0u8; 4 * (2 + HIST)];
        p[..4].copy_from_slice(&self.calls.to_le_bytes());
        p[4..8].copy_from_slice(&self.anomalies.to_le_bytes());
        for (i, h) in self.hist.iter().enumerate() {
            p[8 + 4 * i..12 + 4 * i].copy_from_slice(&h.to_le_bytes());
        }
        self.send(REC_COUNTS, &p);
        self.calls = 0;
        self.anomalies = 0;
        self.hist = [0; HIST];
    }

    // ----------------------------------------------------------- children

    /// Forks a child that does one of the things that end a process.
    fn spawn_child(&mut self) {
        self.reap_children(false);
        let Some(slot) = self.child_slot() else {
            return;
        };
        let what = self.rng.below(9);
        self.log(format_args!("fork (child does {what})"));
        self.calls += 1;
        self.seq += 1;
        match pikern_rt::process::fork() {
            Ok(0) => {
                self.is_child = true;
                // Its own pid, and no children: a child's "own children"
                // are not its siblings (it may send them any signal).
                self.me = sys::getpid();
                self.children = [0; MAX_CHILDREN];
                // The child's generator differs from the parent's.
                self.rng = Rng::new(self.rng.next(), self.idx);
                let _ = sys::close(REPORT_FD);
                self.child(what)
            }
            Ok(pid) => {
                self.hist[0] += 1;
                self.children[slot] = pid;
                self.born[slot] = now_ns();
            }
            Err(e) => self.hist[(e.0 as usize).min(HIST - 1)] += 1,
        }
    }

    fn child(&mut self, what: u64) -> ! {
        match what {
            0 => {
                let code = self.rng.next();
                let nr = self.rng.pick(&[nr::EXIT, nr::EXIT_GROUP]) as u64;
                self.log(format_args!("{}({code:#x})", name(nr)));
                raw(&Call {
                    nr,
                    a: [code, 0, 0, 0, 0, 0],
                    kout: false,
                });
            }
            1 => {
                // A real program, with arguments good or bad.
                let prog = self.rng.pick(&["/bin/true", "/bin/false"]);
                let path = self.set_path(prog);
                let argv = self.argv();
                let envp = self.argv();
                let c = Call {
                    nr: nr::EXECVE as u64,
                    a: [path, argv, envp, 0, 0, 0],
                    kout: false,
                };
                self.make(&c);
            }
            2 => {
                let prog = self.rng.pick(FAILING_EXEC);
                let mut c = Call {
                    nr: nr::EXECVE as u64,
                    a: [0, self.argv(), 0, 0, 0, 0],
                    kout: false,
                };
                c.a[0] = self.set_path(prog);
                self.make(&c);
            }
            3 => {
                // rt_sigreturn without a signal frame: whatever is on the
                // stack becomes the registers (death by a signal, usually).
                self.log(format_args!("rt_sigreturn()"));
                raw(&Call {
                    nr: nr::RT_SIGRETURN as u64,
                    a: [0; 6],
                    kout: false,
                });
            }
            4 => self.chaos_clone(),
            5 => self.touch_kernel(),
            6 => {
                for _ in 0..50 {
                    if let Some(c) = self.gen_child_call() {
                        self.make(&c);
                    }
                }
            }
            7 => {
                let _ = sys::nanosleep(&sys::Timespec::from_ms(1 + self.rng.below(20)), None);
            }
            _ => {
                // Exit while holding descriptors, a mapping and a pending
                // signal.
                let _ = sys::open(c"/proc/meminfo", 0);
                let _ = pikern_rt::sys::pipe2(O_NONBLOCK);
                let _ = sys::kill(sys::getpid(), SIGUSR2);
            }
        }
        sys::exit_group(self.rng.below(256) as i32)
    }

    /// A call for a child: anything a worker makes, but no more children.
    fn gen_child_call(&mut self) -> Option<Call> {
        loop {
            let c = self.gen();
            if c.is_some() {
                return c;
            }
        }
    }

    /// `clone` with random flags; parent and child both exit at once
    /// without touching memory (with `CLONE_VM` they share the stack).
    fn chaos_clone(&mut self) -> ! {
        let mut flags = self.rng.next()
            & (0xff
                | 0x100
                | 0x200
                | 0x400
                | 0x800
                | 0x4000
                | 0x8000
                | 0x10000
                | 0x80000
                | 0x100000
                | 0x200000
                | 0x1000000
                | 0x2000_0000
                | 0x4000_0000);
        if self.rng.chance(20) {
            flags = self.rng.next();
        }
        if flags & 0x8000 != 0 {
            // With CLONE_PARENT the exit signal goes to the worker: only
            // SIGCHLD, the one it expects.
            flags = (flags & !0xff) | SIGCHLD as u64;
        }
        let newsp = self.rng.pick(&[0, SCRATCH + SCRATCH_LEN, KERNEL_VA, 1]);
        let ptid = self.rng.pick(&[0, SCRATCH, KERNEL_VA, text_addr(), 1]);
        let tls = self.rng.next();
        let ctid = self
            .rng
            .pick(&[0, SCRATCH + 64, KERNEL_VA + 64, text_addr(), 3]);
        self.log(format_args!(
            "clone({flags:#x}, {newsp:#x}, {ptid:#x}, {tls:#x}, {ctid:#x})"
        ));
        // SAFETY: after the svc both tasks go straight to exit_group, using
        // no memory (not even the stack they may now share).
        unsafe {
            core::arch::asm!(
                "svc #0",
                "mov x0, #0",
                "mov x8, #94",
                "svc #0",
                "udf #0",
                in("x8") nr::CLONE,
                in("x0") flags,
                in("x1") newsp,
                in("x2") ptid,
                in("x3") tls,
                in("x4") ctid,
                options(noreturn, nostack)
            )
        }
    }

    /// User accesses to kernel and read-only memory: SIGSEGV, not a
    /// kernel fault.
    fn touch_kernel(&mut self) -> ! {
        // A handler inherited from the worker would return to the faulting
        // instruction for ever (as on Linux): the default action is tested.
        let dfl = sys::SigAction::disposition(SIG_DFL);
        for sig in [SIGSEGV, SIGBUS, SIGILL] {
            // SAFETY: SIG_DFL runs no code.
            let _ = unsafe { sys::rt_sigaction(sig, Some(&dfl), None) };
        }
        let _ = sys::rt_sigprocmask(SIG_SETMASK, Some(&0), None);
        let how = self.rng.below(3);
        let mut addr = self.rng.pick(&[
            KERNEL_VA,
            KERNEL_VA + 0x80000,
            0xffff_ffff_ffff_f000,
            text_addr(),
            1 << 47,
        ]);
        if how != 1 && addr == text_addr() {
            // Reading or jumping to the text is allowed: only a store faults.
            addr = KERNEL_VA;
        }
        self.log(format_args!("touch {addr:#x} ({how})"));
        // SAFETY: each access faults (kernel memory is not accessible from
        // EL0, the text is read-only, 1 << 47 is not mapped): the kernel
        // kills this child with SIGSEGV, which is what is tested.
        unsafe {
            match how {
                0 => core::arch::asm!("ldr x0, [{0}]", in(reg) addr, out("x0") _, options(nostack)),
                1 => core::arch::asm!("str xzr, [{0}]", in(reg) addr, options(nostack)),
                _ => core::arch::asm!("br {0}", in(reg) addr, options(noreturn, nostack)),
            }
        }
        sys::exit_group(0)
    }

    /// The worker's life: `count` calls, reported every [`REPORT_EVERY`].
    pub fn run(&mut self, count: u64) -> ! {
        let _ = sys::mkdirat(AT_FDCWD, self.cstr_dir(), 0o755);
        let mut since = 0;
        let mut made = 0u64;
        while made < count {
            if let Some(c) = self.gen() {
                self.make(&c);
            }
            made += 1;
            since += 1;
            if since >= REPORT_EVERY {
                self.flush();
                since = 0;
            }
        }
        self.reap_children(true);
        self.flush();
        sys::exit_group(0)
    }

    fn cstr_dir(&mut self) -> &core::ffi::CStr {
        let n = self.dir_len;
        self.path[..n].copy_from_slice(&self.dir[..n]);
        self.path[n] = 0;
        core::ffi::CStr::from_bytes_with_nul(&self.path[..=n]).unwrap_or(c"/tmp")
    }
}
