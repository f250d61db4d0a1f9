//! The argument generators every system-call generator draws from: lengths,
//! pointers the kernel may write or read, descriptors, pids, signals, paths,
//! flags and time values, each biased towards the values that break
//! kernels (0, page and guard-page boundaries, kernel addresses, huge
//! counts, closed descriptors). They are trinity's `ARG_*` generators
//! (`generic-sanitise.c`), and [`Worker::by_kind`] maps each
//! `uapi::ArgKind` of the system-call table to one of them.
//!
//! The safety rules live here: memory the kernel may write is only the
//! scratch area or a hostile address, destructive paths stay in the
//! worker's own directory, and `kill` never reaches pid 1, the master or a
//! process group (see the module docs of [`crate::worker`]).

use crate::worker::{
    put_u64, scratch, text_addr, Call, Worker, ARENA, ARENA_LEN, FAULT_SIGNALS, KERNEL_VA, LOG_FD,
    MAX_CHILDREN, REPORT_FD, SCRATCH, SCRATCH_LEN, SCRATCH_MAP, USER_VA_END,
};
use pikern_rt::consts::*;
use pikern_rt::uapi::ArgKind;

/// Paths any call may use; opened without write access or `O_CREAT`.
pub const SYSTEM_PATHS: &[&str] = &[
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
pub const OWN_NAMES: &[&str] = &["a", "b", "d", "d/e", "d/a", "a/x", ""];

/// Executables an in-worker `execve` may name: each must fail.
pub const FAILING_EXEC: &[&str] = &[
    "/bin/notelf",
    "/nonexistent",
    "/bin",
    "/dev/null",
    "/proc/meminfo",
    "",
    "/bin/true/x",
];

impl Worker {
    /// A length or count: 0, small, page and guard-page boundaries, huge.
    pub fn len(&mut self) -> u64 {
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
    pub fn wptr(&mut self, len: u64) -> (u64, bool) {
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
    pub fn rptr(&mut self, len: u64) -> u64 {
        if self.rng.chance(15) {
            return text_addr() + self.rng.below(4096);
        }
        self.wptr(len).0
    }

    /// An address no call may use: NULL, kernel, unmapped, past the end
    /// of user space, read-only text, guard pages, unaligned.
    pub fn hostile(&mut self) -> u64 {
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

    /// Whether `fd` (its low 32 bits, as the kernel reads it) is one the
    /// worker must keep: its report pipe or the `-v` console.
    pub fn protected(fd: u64) -> bool {
        let low = fd as u32 as i32;
        low == REPORT_FD || low == LOG_FD
    }

    /// A descriptor: one of the worker's own (the pool) or a bad one.
    pub fn fd(&mut self) -> u64 {
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
    pub fn pid(&mut self) -> u64 {
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
    pub fn kill_pid(&mut self) -> (i64, bool) {
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

    /// A signal number; without `any`, never one of [`FAULT_SIGNALS`] (a
    /// worker killed by those counts as broken by the kernel).
    pub fn signal(&mut self, any: bool) -> u64 {
        if self.rng.chance(8) {
            return self.rng.pick(&[-1i64 as u64, 65, 1000, 1 << 32 | 9]);
        }
        if !any && self.rng.chance(60) {
            // Mostly signals that do not end the target, so workers live
            // long enough to build up state (descriptors, mappings).
            return self
                .rng
                .pick(&[0, SIGCHLD, SIGCONT, SIGURG, SIGWINCH].map(u64::from));
        }
        loop {
            let s = self.rng.below(65) as u32;
            if any || !FAULT_SIGNALS.contains(&s) {
                return s as u64;
            }
        }
    }

    /// `/tmp/fz<slot>/<name>` in the path buffer; its address.
    pub fn own_path(&mut self, name: &str) -> u64 {
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

    /// `s` in the path buffer, NUL-terminated; its address.
    pub fn set_path(&mut self, s: &str) -> u64 {
        self.path[..s.len()].copy_from_slice(s.as_bytes());
        self.path[s.len()] = 0;
        self.path.as_ptr() as u64
    }

    /// A path pointer; the flag says it is a system path (open it without
    /// write access, never create or remove there).
    pub fn any_path(&mut self) -> (u64, bool) {
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
    pub fn destructive_path(&mut self) -> u64 {
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
    pub fn unreadable(&mut self) -> u64 {
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

    /// A path in the worker's directory longer than `PATH_MAX`.
    pub fn any_path_long(&mut self) -> u64 {
        let p = self.own_path("");
        let d = self.dir_len;
        self.path[d] = b'/';
        for b in &mut self.path[d + 1..d + 1 + 4200] {
            *b = b'b';
        }
        self.path[d + 1 + 4200] = 0;
        p
    }

    /// A `dirfd`: `AT_FDCWD` half of the time, else [`Worker::fd`].
    pub fn dirfd(&mut self) -> u64 {
        if self.rng.chance(50) {
            AT_FDCWD as u64
        } else {
            self.fd()
        }
    }

    /// A `dirfd` for a destructive call with a relative path: never one
    /// that could name a real directory.
    pub fn bad_dirfd(&mut self) -> u64 {
        self.rng.pick(&[-1i64 as u64, 1000, 255, (-7i64) as u64])
    }

    /// `openat` flags; for a system path, never write access or creation.
    pub fn open_flags(&mut self, system: bool) -> u64 {
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
                    O_PATH,
                    O_LARGEFILE,
                    O_NOFOLLOW,
                ];
                let mut f = 0;
                for _ in 0..self.rng.below(4) {
                    f |= self.rng.pick(&bits);
                }
                f
            }
        };
        if system {
            f &= !(O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND | (O_TMPFILE & !O_DIRECTORY));
        }
        f as u64
    }

    /// A `struct timespec` in scratch (short, zero, negative or
    /// out-of-range times), or an address that cannot be read.
    pub fn timespec(&mut self) -> u64 {
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

    /// An `argv`/`envp` array for `execve`: NULL, hostile, valid, hostile
    /// strings, unterminated, or too big (`E2BIG`).
    pub fn argv(&mut self) -> u64 {
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

    /// Arguments from the system-call table's kinds (`uapi::SYSCALLS`), for
    /// implemented calls without a bespoke generator: what trinity does for
    /// a syscall entry with only `.argtype`s. Every kind gets its most
    /// cautious generator, so a newly implemented call is fuzzed safely
    /// before anyone writes a generator for it: paths only where
    /// [`Worker::destructive_path`] allows (a new call may create or
    /// remove), pids only those `kill` may reach, addresses only in the
    /// arena or where nothing is mapped (a new call may unmap).
    pub fn by_kind(&mut self, args: &[(&str, ArgKind)], c: &mut Call) {
        let len = self.len();
        // The path first: a relative one needs a dirfd that names nothing.
        let mut relative = false;
        for (i, &(_, kind)) in args.iter().enumerate().take(6) {
            if kind == ArgKind::Path {
                let p = self.destructive_path();
                relative |= p == self.path.as_ptr() as u64 && self.path[0] != b'/';
                c.a[i] = p;
            }
        }
        for (i, &(_, kind)) in args.iter().enumerate().take(6) {
            c.a[i] = match kind {
                ArgKind::Path => continue,
                ArgKind::Fd if relative => self.bad_dirfd(),
                ArgKind::Fd => self.dirfd(),
                ArgKind::Buf => self.wptr(len).0,
                ArgKind::Ptr => self.wptr(256).0,
                ArgKind::Len => len,
                ArgKind::Flags => match self.rng.below(4) {
                    0 => 0,
                    1 => 1 << self.rng.below(32),
                    2 => self.rng.next() & 0xffff_ffff,
                    _ => u64::MAX,
                },
                ArgKind::Mode => self.rng.pick(&[0o644, 0o777, 0, 0o7777, u64::MAX]),
                ArgKind::Cmd => match self.rng.below(3) {
                    0 => self.rng.below(64),
                    1 => self
                        .rng
                        .pick(&[TCGETS, TIOCGWINSZ, FIONREAD, F_GETFL].map(u64::from)),
                    _ => self.rng.next(),
                },
                ArgKind::Pid => self.kill_pid().0 as u64,
                ArgKind::Signal => self.signal(false),
                ArgKind::Clock => self.rng.pick(&[0, 1, 2, 3, 4, 7, 11, 12, u64::MAX]),
                ArgKind::Addr => match self.rng.below(4) {
                    0 | 1 => ARENA + (self.rng.below(ARENA_LEN / 4096) << 12),
                    2 => ARENA + 1,
                    _ => self.rng.pick(&[0, KERNEL_VA, USER_VA_END, u64::MAX]),
                },
                ArgKind::Int => {
                    let any = self.rng.next();
                    self.rng
                        .pick(&[0, 1, 2, -1i64 as u64, i32::MAX as u64, 1 << 32, any])
                }
            };
        }
    }
}
