//! The fuzz master: forks and pins the workers, collects their reports,
//! continues the ones a random `SIGSTOP` stopped, replaces the ones that
//! finish or die, and at the end checks the kernel's accounting.
//!
//! The master allocates nothing on the heap after the warm-up (its own
//! memory is part of what `/proc/meminfo` counts).

use crate::meminfo::{self, MemInfo, FIELDS};
use crate::worker::{
    self, Worker, FAULT_SIGNALS, HIST, MAX_BATCH, REC_COUNTS, REC_TEXT, REPORT_FD,
};
use crate::Options;
use core::fmt::Write;
use pikern_rt::consts::*;
use pikern_rt::{print, println, process, sys, Errno};

/// A worker without a report for this long is stuck (the kernel lost a
/// wake-up, or a task cannot be killed): the master kills it and fails.
const STALL_NS: u64 = 60_000_000_000;

const MAX_SLOTS: usize = 16;
const BUF: usize = 2048;

struct Slot {
    pid: i32,
    idx: u64,
    batch: u64,
    reported: u64,
    rfd: i32,
    last: u64,
    buf: [u8; BUF],
    len: usize,
}

/// What the run saw.
struct Tally {
    calls: u64,
    anomalies: u64,
    hist: [u64; HIST],
    spawned: u64,
    exited_ok: u64,
    exited_bad: u64,
    by_signal: [u64; 65],
    fault_deaths: u64,
    stalls: u64,
    continued: u64,
    texts: u64,
}

fn now_ns() -> u64 {
    sys::clock_gettime(CLOCK_MONOTONIC).map_or(0, |t| t.as_ns())
}

fn sleep_ms(ms: u64) {
    let _ = sys::nanosleep(&sys::Timespec::from_ms(ms), None);
}

fn sig_name(sig: u32) -> &'static str {
    pikern_rt::signal::name(sig).unwrap_or("SIG?")
}

fn drain(s: &mut Slot, t: &mut Tally) {
    loop {
        match sys::read(s.rfd, &mut s.buf[s.len..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => s.len += n,
        }
        // Complete records: [kind u32, len u32, payload].
        let mut at = 0;
        while s.len - at >= 8 {
            let kind = u32::from_le_bytes(s.buf[at..at + 4].try_into().unwrap_or([0; 4]));
            let n = u32::from_le_bytes(s.buf[at + 4..at + 8].try_into().unwrap_or([0; 4])) as usize;
            if n > BUF - 8 {
                // Not a record: drop the stream rather than misread it.
                at = s.len;
                break;
            }
            if s.len - at < 8 + n {
                break;
            }
            let p = &s.buf[at + 8..at + 8 + n];
            let word = |i: usize| {
                u32::from_le_bytes(p[4 * i..4 * i + 4].try_into().unwrap_or([0; 4])) as u64
            };
            if kind == REC_COUNTS && n >= 8 + 4 * HIST {
                s.reported += word(0);
                t.calls += word(0);
                t.anomalies += word(1);
                for i in 0..HIST {
                    t.hist[i] += word(2 + i);
                }
                s.last = now_ns();
            } else if kind == REC_TEXT {
                t.texts += 1;
                if t.texts <= 20 {
                    println!(
                        "# fuzz: anomaly: {}",
                        core::str::from_utf8(p).unwrap_or("?")
                    );
                }
            }
            at += 8 + n;
        }
        s.buf.copy_within(at..s.len, 0);
        s.len -= at;
    }
}

/// Runs workers until `count` calls have been reported.
fn fuzz(o: &Options, count: u64, first_idx: u64, t: &mut Tally, slots: &mut [Option<Slot>]) {
    let master = sys::getpid();
    let mut next_idx = first_idx;
    let mut assigned = 0u64;
    loop {
        // Start workers for what is left.
        for (i, slot) in slots.iter_mut().enumerate() {
            if slot.is_some() || assigned >= count {
                continue;
            }
            let batch = (count - assigned).min(MAX_BATCH);
            let Ok([r, w]) = sys::pipe2(O_CLOEXEC | O_NONBLOCK) else {
                sleep_ms(5);
                continue;
            };
            match process::fork() {
                Ok(0) => {
                    if o.verbose {
                        let _ = sys::dup3(1, worker::LOG_FD, 0);
                    }
                    let _ = sys::dup3(w, REPORT_FD, O_CLOEXEC);
                    let mut wk = Worker::new(o.seed, next_idx, i, o.verbose, master);
                    wk.run(batch)
                }
                Ok(pid) => {
                    let _ = sys::close(w);
                    t.spawned += 1;
                    assigned += batch;
                    *slot = Some(Slot {
                        pid,
                        idx: next_idx,
                        batch,
                        reported: 0,
                        rfd: r,
                        last: now_ns(),
                        buf: [0; BUF],
                        len: 0,
                    });
                    next_idx += 1;
                }
                Err(e) => {
                    println!("# fuzz: fork failed: {e:?}");
                    let _ = sys::close(r);
                    let _ = sys::close(w);
                    sleep_ms(5);
                }
            }
        }
        let mut busy = false;
        for slot in slots.iter_mut().flatten() {
            drain(slot, t);
        }
        // Workers that stopped, exited or died.
        loop {
            let mut st = 0;
            let pid = match sys::wait4(-1, Some(&mut st), WNOHANG | WUNTRACED) {
                Ok(p) if p > 0 => p,
                _ => break,
            };
            busy = true;
            let status = process::WaitStatus(st);
            let Some(k) = slots
                .iter()
                .position(|s| s.as_ref().is_some_and(|s| s.pid == pid))
            else {
                continue; // an orphan adopted through CLONE_PARENT
            };
            if status.stopped() {
                t.continued += 1;
                let _ = sys::kill(pid, SIGCONT);
                continue;
            }
            let Some(mut s) = slots[k].take() else {
                continue;
            };
            drain(&mut s, t);
            let _ = sys::close(s.rfd);
            if let Some(sig) = status.term_signal() {
                t.by_signal[sig.min(64) as usize] += 1;
                if FAULT_SIGNALS.contains(&sig) {
                    t.fault_deaths += 1;
                    println!(
                        "# fuzz: worker {} (pid {pid}, seed {} index {}) killed by {} after {} calls",
                        s.idx,
                        o.seed,
                        s.idx,
                        sig_name(sig),
                        s.reported
                    );
                }
            } else if status.exit_code() == Some(0) {
                t.exited_ok += 1;
            } else {
                t.exited_bad += 1;
                println!(
                    "# fuzz: worker {} (pid {pid}) exited with status {:?}",
                    s.idx,
                    status.exit_code()
                );
            }
            // Calls a dead worker did not report are handed out again.
            assigned -= s.batch - s.reported.min(s.batch);
        }
        let now = now_ns();
        for slot in slots.iter_mut().flatten() {
            if now.saturating_sub(slot.last) > STALL_NS {
                t.stalls += 1;
                println!(
                    "# fuzz: worker {} (pid {}) made no progress for 60 s: killed",
                    slot.idx, slot.pid
                );
                describe_family(slot.pid);
                // Where it sleeps in the kernel: magic SysRq's task dump
                // (kernel call traces on the console), where the kernel
                // has one; the run goes on without it elsewhere.
                if let Ok(fd) = sys::open(c"/proc/sysrq-trigger", O_WRONLY) {
                    let _ = sys::write(fd, b"t");
                    let _ = sys::close(fd);
                }
                let _ = sys::kill(slot.pid, SIGKILL);
                slot.last = now;
            }
        }
        if assigned >= count && slots.iter().all(|s| s.is_none()) {
            return;
        }
        if !busy {
            sleep_ms(2);
        }
    }
}

/// Kills what is left of the run (orphans of killed workers, stopped or
/// not), removes the workers' directories and waits until the task count
/// is back to `tasks` (dead tasks are released asynchronously).
fn cleanup(slots: usize, tasks: Option<u64>) {
    let me = sys::getpid();
    for _round in 0..3 {
        if let Ok(fd) = sys::open(c"/proc", O_DIRECTORY) {
            let mut buf = [0u8; 4096];
            while let Ok(n) = sys::getdents64(fd, &mut buf) {
                if n == 0 {
                    break;
                }
                for d in sys::DirentIter::new(&buf[..n]) {
                    let Some(pid) = core::str::from_utf8(d.name)
                        .ok()
                        .and_then(|s| s.parse::<i32>().ok())
                    else {
                        continue;
                    };
                    if pid <= 1 || pid == me {
                        continue;
                    }
                    if is_fuzz_leftover(pid) {
                        let _ = sys::kill(pid, SIGKILL);
                    }
                }
            }
            let _ = sys::close(fd);
        }
        while let Ok(p) = sys::wait4(-1, None, WNOHANG) {
            if p <= 0 {
                break;
            }
        }
        sleep_ms(20);
    }
    for slot in 0..slots {
        remove_dir(slot);
    }
    let deadline = now_ns() + 30_000_000_000;
    if let Some(want) = tasks {
        while meminfo::tasks() > want && now_ns() < deadline {
            while let Ok(p) = sys::wait4(-1, None, WNOHANG) {
                if p <= 0 {
                    break;
                }
            }
            sleep_ms(20);
        }
    }
    // Once more, now that no process of the run is left: one that was
    // still dying (or escaped the kill by its name, renamed through
    // prctl) could have made its directory again, as a symlink even (a
    // heap-only accounting mismatch of one small inode, seen once).
    for slot in 0..slots {
        remove_dir(slot);
    }
}

/// A process the run left behind: one of ours by name, whatever its
/// parent now is.
fn is_fuzz_leftover(pid: i32) -> bool {
    let mut path = worker::Buf::<32>::new();
    let _ = write!(path, "/proc/{pid}/stat\0");
    let Ok(p) = core::ffi::CStr::from_bytes_until_nul(path.bytes()) else {
        return false;
    };
    let Ok(fd) = sys::open(p, 0) else {
        return false;
    };
    let mut b = [0u8; 256];
    let n = sys::read(fd, &mut b).unwrap_or(0);
    let _ = sys::close(fd);
    let s = &b[..n];
    ["(fuzz)", "(true)", "(false)"]
        .iter()
        .any(|c| s.windows(c.len()).any(|w| w == c.as_bytes()))
}

/// Reads `/proc/<pid>/<file>` into `buf`; the bytes read.
fn read_proc(pid: i32, file: &str, buf: &mut [u8]) -> usize {
    let mut path = worker::Buf::<48>::new();
    let _ = write!(path, "/proc/{pid}/{file}\0");
    let Ok(p) = core::ffi::CStr::from_bytes_until_nul(path.bytes()) else {
        return 0;
    };
    let Ok(fd) = sys::open(p, 0) else { return 0 };
    let n = sys::read(fd, buf).unwrap_or(0);
    let _ = sys::close(fd);
    n
}

/// Lists every file and directory under `path` (NUL-terminated in
/// `buf[..len+1]`), `depth` levels down, skipping `/proc`, `/sys` and
/// `/dev`: after a heap-only accounting mismatch, a file a worker left
/// outside its own directory is the usual suspect, and the list says
/// where. Fixed buffers only (the heap is what is being compared).
fn print_tree(buf: &mut [u8; 512], len: usize, depth: u32) {
    let Ok(dir) = core::ffi::CStr::from_bytes_until_nul(&buf[..=len]) else {
        return;
    };
    let Ok(fd) = sys::open(dir, O_DIRECTORY) else {
        return;
    };
    let mut dents = [0u8; 2048];
    while let Ok(n) = sys::getdents64(fd, &mut dents) {
        if n == 0 {
            break;
        }
        for d in sys::DirentIter::new(&dents[..n]) {
            let name = d.name;
            if name == b"." || name == b".." {
                continue;
            }
            if len == 1 && [&b"proc"[..], b"sys", b"dev"].contains(&name) {
                continue;
            }
            let sep = usize::from(len > 1);
            let end = len + sep + name.len();
            if end + 1 > buf.len() {
                continue;
            }
            if sep == 1 {
                buf[len] = b'/';
            }
            buf[len + sep..end].copy_from_slice(name);
            buf[end] = 0;
            let mut st = sys::Stat::default();
            let is_dir = core::ffi::CStr::from_bytes_until_nul(&buf[..=end])
                .ok()
                .and_then(|c| sys::newfstatat(AT_FDCWD, c, &mut st, AT_SYMLINK_NOFOLLOW).ok())
                .map(|_| st.st_mode & 0o170000 == 0o040000);
            let path = core::str::from_utf8(&buf[..end]).unwrap_or("?");
            println!(
                "fuzz: accounting:   {path} mode {:o} size {}",
                st.st_mode, st.st_size
            );
            if is_dir == Some(true) && depth > 0 {
                print_tree(buf, end, depth - 1);
            }
            buf[len] = 0;
        }
    }
    let _ = sys::close(fd);
}

/// Prints what the kernel says about a stalled worker and its children
/// (state, pending and blocked signals), so a stall can be diagnosed.
fn describe_family(worker: i32) {
    let Ok(fd) = sys::open(c"/proc", O_DIRECTORY) else {
        return;
    };
    let mut dents = [0u8; 4096];
    while let Ok(n) = sys::getdents64(fd, &mut dents) {
        if n == 0 {
            break;
        }
        for d in sys::DirentIter::new(&dents[..n]) {
            let Some(pid) = core::str::from_utf8(d.name)
                .ok()
                .and_then(|s| s.parse::<i32>().ok())
            else {
                continue;
            };
            let mut b = [0u8; 1024];
            let n = read_proc(pid, "status", &mut b);
            let text = core::str::from_utf8(&b[..n]).unwrap_or("");
            let field = |name: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(name))
                    .map_or("?", |v| v.trim())
            };
            let ppid: i32 = field("PPid:").parse().unwrap_or(0);
            if pid != worker && ppid != worker {
                continue;
            }
            // kstkeip, field 30 of stat: the user pc.
            let mut st = [0u8; 512];
            let n = read_proc(pid, "stat", &mut st);
            let stat = core::str::from_utf8(&st[..n]).unwrap_or("");
            let after_comm = stat.rsplit_once(") ").map_or("", |(_, r)| r);
            let pc: u64 = after_comm
                .split(' ')
                .nth(27)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            println!(
                "# fuzz:   pid {pid} ppid {ppid} {} state {} pending {} blocked {} cpus {} pc {pc:#x}",
                field("Name:"),
                field("State:"),
                field("SigPnd:"),
                field("SigBlk:"),
                field("Cpus_allowed:")
            );
        }
    }
    let _ = sys::close(fd);
}

fn remove_dir(slot: usize) {
    let mut p = worker::Buf::<256>::new();
    let _ = write!(p, "/tmp/fz{slot}");
    remove_tree(p.bytes(), 0);
}

/// Removes `path` and, if it is a directory, everything under it: a
/// worker's renames and links can leave any tree of its own names. No heap:
/// the master's own memory is part of what the accounting compares.
fn remove_tree(path: &[u8], depth: usize) {
    let mut c = [0u8; 257];
    if path.len() >= c.len() {
        return;
    }
    c[..path.len()].copy_from_slice(path);
    let Ok(cpath) = core::ffi::CStr::from_bytes_until_nul(&c) else {
        return;
    };
    if sys::unlinkat(AT_FDCWD, cpath, 0).is_ok() || depth > 16 {
        return;
    }
    // One entry at a time, reading the directory afresh after each
    // removal, until it is empty (or an entry cannot be removed).
    for _ in 0..256 {
        let Ok(fd) = sys::open(cpath, O_DIRECTORY | O_NOFOLLOW) else {
            break;
        };
        let mut buf = [0u8; 1024];
        // Bytes, not text: a worker's names need not be UTF-8, and a
        // dropped component would name something outside its directory.
        let mut child = [0u8; 256];
        let mut len = 0;
        'read: while let Ok(n) = sys::getdents64(fd, &mut buf) {
            if n == 0 {
                break;
            }
            for d in sys::DirentIter::new(&buf[..n]) {
                if d.name != b"." && d.name != b".." && !d.name.is_empty() {
                    len = path.len() + 1 + d.name.len();
                    if len <= child.len() {
                        child[..path.len()].copy_from_slice(path);
                        child[path.len()] = b'/';
                        child[path.len() + 1..len].copy_from_slice(d.name);
                    } else {
                        len = 0;
                    }
                    break 'read;
                }
            }
        }
        let _ = sys::close(fd);
        if len == 0 {
            break;
        }
        remove_tree(&child[..len], depth + 1);
    }
    let _ = sys::unlinkat(AT_FDCWD, cpath, AT_REMOVEDIR);
}

fn empty_slots() -> [Option<Slot>; MAX_SLOTS] {
    [const { None }; MAX_SLOTS]
}

fn new_tally() -> Tally {
    Tally {
        calls: 0,
        anomalies: 0,
        hist: [0; HIST],
        spawned: 0,
        exited_ok: 0,
        exited_bad: 0,
        by_signal: [0; 65],
        fault_deaths: 0,
        stalls: 0,
        continued: 0,
        texts: 0,
    }
}

fn print_summary(o: &Options, t: &Tally) {
    println!(
        "fuzz: calls: {} by {} worker processes ({} at a time)",
        t.calls, t.spawned, o.workers
    );
    let mut line = worker::Buf::<1500>::new();
    let _ = write!(line, "fuzz: results: ok {}", t.hist[0]);
    for (e, &n) in t.hist.iter().enumerate().skip(1) {
        if n > 0 {
            let name = if e == HIST - 1 {
                Some("other")
            } else {
                Errno(e as i32).name()
            };
            let _ = write!(line, ", {} {n}", name.unwrap_or("E?"));
        }
    }
    println!("{}", core::str::from_utf8(line.bytes()).unwrap_or(""));
    let mut line = worker::Buf::<1000>::new();
    let _ = write!(line, "fuzz: workers: {} finished", t.exited_ok);
    if t.exited_bad > 0 {
        let _ = write!(line, ", {} exited non-zero", t.exited_bad);
    }
    for (sig, &n) in t.by_signal.iter().enumerate().take(32) {
        if n > 0 {
            let _ = write!(line, ", {n} killed by {}", sig_name(sig as u32));
        }
    }
    let rt: u64 = t.by_signal[32..].iter().sum();
    if rt > 0 {
        let _ = write!(line, ", {rt} killed by real-time signals");
    }
    let _ = write!(
        line,
        "; {} stopped and continued; {} stalled",
        t.continued, t.stalls
    );
    println!("{}", core::str::from_utf8(line.bytes()).unwrap_or(""));
    if t.anomalies > 0 {
        println!(
            "fuzz: {} impossible results (see the anomaly lines)",
            t.anomalies
        );
    }
}

/// Runs the whole program; returns the exit status.
pub fn run(o: Options) -> i32 {
    println!("fuzz: seed {}", o.seed);
    println!(
        "fuzz: {} calls, {} workers; reproduce: fuzz -s {} -n {} -w {} -v",
        o.count, o.workers, o.seed, o.count, o.workers
    );
    // One KTAP suite: the runner's deadline covers the whole run, and a
    // crash anywhere fails it without a restart.
    println!("KTAP version 1");
    println!("1..1");
    println!("    KTAP version 1");
    println!("    # Subtest: fuzz");
    println!("    1..6");
    let mut slots = empty_slots();
    let slots = &mut slots[..o.workers];
    let mut failed = false;
    let mut check = |n: usize, ok: bool, name: &str| {
        println!("    {}ok {n} {name}", if ok { "" } else { "not " });
        failed |= !ok;
    };

    // Warm-up: the same work on a small scale, so kernel caches that
    // persist by design exist before the baseline is taken.
    let mut warm = new_tally();
    fuzz(
        &o,
        (o.workers as u64 * 300).min(o.count),
        1000,
        &mut warm,
        slots,
    );
    cleanup(o.workers, None);
    let _ = meminfo::read();
    cleanup(o.workers, None);
    let before = meminfo::settled();
    let slabs_before = meminfo::read_slabs();
    println!("    # warm-up made {} calls", warm.calls);
    check(1, before.is_some(), "warmup_and_baseline");
    let Some(before) = before else {
        println!("not ok 1 fuzz");
        return 1;
    };

    let mut t = new_tally();
    let start = now_ns();
    fuzz(&o, o.count, 0, &mut t, slots);
    let secs = (now_ns() - start) / 1_000_000_000;
    print_summary(&o, &t);
    println!("    # {} calls in {secs} s", t.calls);
    check(2, t.calls >= o.count, "all_calls_made");
    check(
        3,
        t.fault_deaths == 0 && t.exited_bad == 0,
        "no_worker_died_of_a_fault",
    );
    check(4, t.anomalies == 0, "no_impossible_results");
    check(5, t.stalls == 0, "no_worker_stalled");

    cleanup(o.workers, Some(before.values[5]));
    // Give deferred frees (a dead task's stack goes with the next switch
    // on its CPU) a moment to happen, then compare.
    let mut after: Option<MemInfo> = None;
    for _ in 0..50 {
        after = meminfo::read();
        if after == Some(before) {
            break;
        }
        sleep_ms(100);
    }
    let ok = after == Some(before);
    if ok {
        println!("fuzz: accounting: ok");
    } else {
        print!("fuzz: accounting:");
        if let Some(a) = after {
            for (i, f) in FIELDS.iter().enumerate() {
                if a.values[i] != before.values[i] {
                    let u = meminfo::unit(i);
                    print!(" {f} {}{u} -> {}{u}", before.values[i], a.values[i]);
                }
            }
        } else {
            print!(" /proc/meminfo unreadable");
        }
        println!();
        // Which kind of object the heap kept (/proc/slabinfo's caches).
        if let (Some(b), Some(a)) = (slabs_before, meminfo::read_slabs()) {
            print!("fuzz: accounting: live heap objects:");
            for i in 0..24 {
                if a.objs[i] != b.objs[i] {
                    print!(" kmalloc-{} {} -> {}", 1u64 << i, b.objs[i], a.objs[i]);
                }
            }
            println!();
        }
        println!("fuzz: accounting: the files left (outside /proc, /sys, /dev):");
        let mut path = [0u8; 512];
        path[0] = b'/';
        print_tree(&mut path, 1, 4);
    }
    check(6, ok, "accounting_back_to_baseline");
    println!("{}ok 1 fuzz", if failed { "not " } else { "" });
    i32::from(failed)
}
