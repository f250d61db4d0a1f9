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
//!
//! This file is the worker's life: set-up, making a call and keeping its
//! descriptor pool and child list in step, reports, and the children that
//! end themselves. Which call comes next and with which arguments is
//! [`crate::gen`]'s table.

use crate::gen;
use crate::rng::Rng;
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, AtomicI32, Ordering};
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

/// The address-space layout the worker aims its pointers at: the kernel
/// half (`KERNEL_VA`), the end of user space, the mmap base.
pub use libkernel::arch::aarch64::memory::{MMAP_BASE, PAGE_OFFSET as KERNEL_VA, USER_VA_END};
/// The area whose pages the worker maps, unmaps and protects at will.
pub const ARENA: u64 = 0x30_0000_0000;
pub const ARENA_LEN: u64 = 64 * 4096;
/// Guard page, then the scratch buffer, then another guard page.
pub const SCRATCH_MAP: u64 = 0x31_0000_0000;
pub const SCRATCH: u64 = SCRATCH_MAP + 4096;
pub const SCRATCH_LEN: u64 = 16 * 4096;
const FD_POOL: usize = 12;

/// A report record: calls made, anomalies, the result histogram.
pub const REC_COUNTS: u32 = 1;
/// A report record: one line of text (an anomaly, a fault).
pub const REC_TEXT: u32 = 2;

/// Signals the kernel raises for faults: a worker dying of one of these
/// was broken by the kernel (workers never send them to other processes).
pub const FAULT_SIGNALS: [u32; 7] = [SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGSYS];

/// A handler that returns at once (installed by fuzzed `rt_sigaction`s).
pub extern "C" fn noop_handler(_sig: i32) {}

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
    /// Descriptors the worker opened (fuzzed calls draw from them).
    pub pool: [i32; FD_POOL],
    pub npool: usize,
    /// The last descriptors closed (fuzzed calls reuse them).
    pub closed: [i32; 8],
    /// Live children (0: free slot).
    pub children: [i32; MAX_CHILDREN],
    /// When each child was forked (ns): a child past [`CHILD_NS`] is
    /// killed (one that returned into garbage may loop for ever).
    born: [u64; MAX_CHILDREN],
    /// The last mapping `mmap` returned (address, length).
    pub last_map: (u64, u64),
    pub hist: [u32; HIST],
    pub calls: u32,
    /// Calls made in this process's life (not reset by reports): the
    /// number `-v` prints.
    seq: u64,
    pub anomalies: u32,
    /// Where path arguments are built.
    pub path: [u8; 5200],
    /// The worker's directory, `/tmp/fz<slot>`.
    pub dir: [u8; 16],
    pub dir_len: usize,
    pub is_child: bool,
    /// The sum of the call table's weights ([`crate::gen::total_weight`]).
    pub total_weight: u64,
    /// Their part for calls without a row ([`crate::gen::untabled_weight`]).
    pub untabled_weight: u32,
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

/// The scratch area, as a slice.
pub fn scratch() -> &'static mut [u8] {
    // SAFETY: the scratch area is mapped read-write by `Worker::new` before
    // any use and lives as long as the process; the kernel writing into it
    // concurrently is what it is for (the worker is single-threaded).
    unsafe { core::slice::from_raw_parts_mut(SCRATCH as *mut u8, SCRATCH_LEN as usize) }
}

/// Stores `v` at byte `off` of scratch.
pub fn put_u64(off: usize, v: u64) {
    scratch()[off..off + 8].copy_from_slice(&v.to_le_bytes());
}

/// Writes `b` at `off` in the scratch area (a structure a call reads).
pub fn put_bytes(off: usize, b: &[u8]) {
    scratch()[off..off + b.len()].copy_from_slice(b);
}

fn now_ns() -> u64 {
    sys::clock_gettime(CLOCK_MONOTONIC).map_or(0, |t| t.as_ns())
}

/// An address in the worker's read-only text.
pub fn text_addr() -> u64 {
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
            total_weight: gen::total_weight(),
            untabled_weight: gen::untabled_weight(),
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
                (PROT_READ | PROT_WRITE) as usize,
                0,
                0,
                0,
            );
            syscall6(
                nr::MMAP,
                ARENA as usize,
                ARENA_LEN as usize,
                (PROT_READ | PROT_WRITE) as usize,
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

    /// Makes one call and records its result.
    fn make(&mut self, c: &Call) {
        self.log(format_args!(
            "{}({:#x}, {:#x}, {:#x}, {:#x}, {:#x}, {:#x}) nr {}",
            gen::name(c.nr),
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
            gen::name(c.nr),
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
            _ if n == nr::FCNTL
                && (c.a[1] == F_DUPFD as u64 || c.a[1] == F_DUPFD_CLOEXEC as u64) =>
            {
                self.pool_add(r as i32)
            }
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
                    if c.a[2] & WUNTRACED as u64 == 0 {
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
    pub fn spawn_child(&mut self) {
        self.reap_children(false);
        let Some(slot) = self.child_slot() else {
            return;
        };
        let what = self.rng.below(10);
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
                self.log(format_args!("{}({code:#x})", gen::name(nr)));
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
                let prog = self.rng.pick(gen::args::FAILING_EXEC);
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
            9 => self.thread_storm(),
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

    /// Threads of this child process (as `pthread_create` makes them)
    /// sleeping on a futex, waking each other, yielding and exiting while
    /// this thread makes random calls. Then the process ends one of three
    /// ways: `exit_group` with the threads asleep (`zap_other_threads`),
    /// `execve` of a real program (`de_thread`), or this thread's `exit`
    /// alone (`delay_group_leader`) followed by a thread's `exit_group`.
    fn thread_storm(&mut self) -> ! {
        let n = 1 + self.rng.below(4) as usize;
        STORM_END.store(false, Ordering::Relaxed);
        for i in 0..n {
            // SAFETY: storm_thread uses atomics and system calls only; its
            // stack stays mapped until the process ends (never joined).
            match unsafe { pikern_rt::thread::spawn(storm_thread, i) } {
                Ok(t) => self.log(format_args!("thread {i}: tid {}", t.tid())),
                Err(e) => self.log(format_args!("thread {i}: {e}")),
            }
        }
        for _ in 0..20 {
            if let Some(c) = self.gen_child_call() {
                self.make(&c);
            }
        }
        match self.rng.below(3) {
            0 => {
                self.log(format_args!("execve(/bin/true) from a threaded process"));
                let argv = [c"true".as_ptr(), core::ptr::null()];
                let envp = [core::ptr::null()];
                // SAFETY: NULL-terminated arrays of NUL-terminated strings.
                let _ = unsafe { sys::execve(c"/bin/true", argv.as_ptr(), envp.as_ptr()) };
            }
            1 => {
                self.log(format_args!("exit() of the leader, threads go on"));
                STORM_END.store(true, Ordering::Release);
                sys::exit(0);
            }
            _ => {}
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
            & (CSIGNAL
                | CLONE_VM
                | CLONE_FS
                | CLONE_FILES
                | CLONE_SIGHAND
                | CLONE_VFORK
                | CLONE_PARENT
                | CLONE_THREAD
                | CLONE_SETTLS
                | CLONE_PARENT_SETTID
                | CLONE_CHILD_CLEARTID
                | CLONE_CHILD_SETTID
                | CLONE_NEWPID
                | CLONE_NEWNET);
        if self.rng.chance(20) {
            flags = self.rng.next();
        }
        if flags & CLONE_PARENT != 0 {
            // With CLONE_PARENT the exit signal goes to the worker: only
            // SIGCHLD, the one it expects.
            flags = (flags & !CSIGNAL) | SIGCHLD as u64;
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
                "mov x8, #{exit_group}",
                "svc #0",
                "udf #0",
                in("x8") nr::CLONE,
                in("x0") flags,
                in("x1") newsp,
                in("x2") ptid,
                in("x3") tls,
                in("x4") ctid,
                exit_group = const nr::EXIT_GROUP,
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

/// The futex word [`storm_thread`]s sleep on and wake each other with.
static STORM_WORD: AtomicI32 = AtomicI32::new(0);
/// The leader of a thread storm has exited: thread 0 ends the process.
static STORM_END: AtomicBool = AtomicBool::new(false);

/// One thread of [`Worker::thread_storm`]: futex waits with short
/// timeouts, wakes, yields; thread 0 ends the process once the leader is
/// gone, the others may leave early with `exit` (only themselves).
fn storm_thread(i: usize) {
    let mut k: u32 = 0;
    loop {
        k = k.wrapping_add(1);
        if i == 0 && STORM_END.load(Ordering::Acquire) {
            sys::exit_group(3);
        }
        match (k + i as u32) % 5 {
            0 | 1 => {
                let ts = sys::Timespec::from_ms(1);
                let _ = sys::futex_wait(&STORM_WORD, 0, Some(&ts));
            }
            2 => {
                let _ = sys::futex_wake(&STORM_WORD, 2);
            }
            3 => {
                let _ = sys::sched_yield();
            }
            _ if i != 0 && k > 200 => sys::exit(0),
            _ => {
                let _ = sys::gettid();
            }
        }
    }
}
