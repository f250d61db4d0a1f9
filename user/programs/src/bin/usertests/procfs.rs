//! Suite `procfs`: `/proc` in Linux's formats, as `ps` and other Linux
//! tools read it: `/proc/<pid>/stat` (one line, 52 fields, the comm in
//! parentheses), `/proc/<pid>/status` (`Key:\tvalue` lines), `/proc/self`,
//! `/proc/meminfo`, `/proc/uptime` and `/proc/cpuinfo`. Every test skips
//! when there is no `/proc`.
//!
//! On Linux under qemu-aarch64, `/proc/self/...` and `/proc/<own
//! pid>/...` describe the emulated program (qemu fakes most fields), so
//! field checks are made on a forked child's real entry.

use crate::ktap::{Stop, Suite, TestResult};
use crate::spawn::{eventually, Gate};
use crate::util::*;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use pikern_rt::consts::*;
use pikern_rt::process::{self, cstring};
use pikern_rt::sys::{self, DirentIter};
use pikern_rt::{io, Errno};

pub static SUITE: Suite = Suite {
    name: "procfs",
    tests: tests![
        self_stat_is_this_process,
        child_stat_fields,
        child_status_fields,
        zombie_then_gone,
        readdir_lists_processes,
        meminfo_fields,
        uptime_advances,
        cpuinfo_lists_cpus,
    ],
};

/// Linux's `PF_KTHREAD`: never set for a user process.
const PF_KTHREAD: u64 = libkernel::sched::PF_KTHREAD as u64;

/// True if `/proc` is there (`/proc/self/stat` opens).
pub fn available() -> bool {
    match sys::open(c"/proc/self/stat", O_RDONLY | O_CLOEXEC) {
        Ok(fd) => {
            let _ = sys::close(fd);
            true
        }
        Err(_) => false,
    }
}

fn need_proc() -> TestResult {
    if !available() {
        skip!("no /proc (/proc/self/stat: ENOENT)");
    }
    Ok(())
}

/// A parsed `/proc/<pid>/stat` line.
#[derive(Debug)]
pub struct ProcStat {
    pub pid: i32,
    pub comm: String,
    /// Fields 3 onwards.
    rest: Vec<String>,
}

impl ProcStat {
    /// Field `n` in Linux's numbering (1 = pid, 2 = comm, 3 = state, ...)
    /// for n >= 3.
    pub fn field(&self, n: usize) -> Option<&str> {
        self.rest.get(n.checked_sub(3)?).map(String::as_str)
    }

    /// Field `n` as a number.
    pub fn num(&self, n: usize) -> Option<i64> {
        self.field(n)?.parse().ok()
    }

    /// Field 3, the state letter.
    pub fn state(&self) -> char {
        self.field(3).and_then(|s| s.chars().next()).unwrap_or('?')
    }

    /// How many fields the line has.
    pub fn count(&self) -> usize {
        2 + self.rest.len()
    }
}

/// Parses a stat line: the comm runs from the first `(` to the last `)`.
pub fn parse_stat(text: &str) -> Option<ProcStat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    Some(ProcStat {
        pid: text[..open].trim().parse().ok()?,
        comm: String::from(text.get(open + 1..close)?),
        rest: text[close + 1..]
            .split_ascii_whitespace()
            .map(String::from)
            .collect(),
    })
}

fn read(path: &str) -> Result<String, Errno> {
    let bytes = io::read_file(&cstring(path)?)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// `/proc/<pid>/stat`, parsed (`EINVAL` if it does not parse).
pub fn stat(pid: i32) -> Result<ProcStat, Errno> {
    parse_stat(&read(&format!("/proc/{pid}/stat"))?).ok_or(Errno::EINVAL)
}

/// The numeric entries of `/proc`.
fn pids() -> Result<Vec<i32>, Errno> {
    let fd = sys::open(c"/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC)?;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let r = loop {
        match sys::getdents64(fd, &mut buf) {
            Ok(0) => break Ok(out),
            Ok(n) => {
                for d in DirentIter::new(&buf[..n]) {
                    if let Some(pid) = core::str::from_utf8(d.name)
                        .ok()
                        .and_then(|s| s.parse().ok())
                    {
                        out.push(pid);
                    }
                }
            }
            Err(e) => break Err(e),
        }
    };
    let _ = sys::close(fd);
    r
}

/// The processes whose parent is `ppid`, with their comm.
pub fn children_of(ppid: i32) -> Vec<(i32, String)> {
    pids()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|pid| stat(pid).ok())
        .filter(|s| s.num(4) == Some(i64::from(ppid)))
        .map(|s| (s.pid, s.comm))
        .collect()
}

/// Forks a child that runs `setup`, reports ready and blocks (state S)
/// until `check` has looked at it; returns `check`'s verdict after the
/// child exited 0.
fn with_blocked_child(
    setup: impl FnOnce() -> TestResult,
    check: impl FnOnce(i32) -> TestResult,
) -> TestResult {
    let mut ready = Gate::new()?;
    let mut release = Gate::new()?;
    let pid = match process::fork() {
        Ok(0) => {
            ready.sender();
            release.receiver();
            let ok = setup().is_ok() && ready.open().is_ok();
            // Blocks in read until released (or the parent dies).
            let _ = release.wait();
            sys::exit_group(if ok { 0 } else { 1 })
        }
        Ok(pid) => pid,
        Err(e) => fail!("fork: {e:?}"),
    };
    ready.receiver();
    release.sender();
    let verdict = ready.wait().and_then(|_| check(pid));
    let _ = release.open();
    let st = wait_for(pid);
    verdict?;
    child_passed(st)
}

/// The child's stat once it is asleep (it may still be on its way into
/// the blocking read).
fn sleeping_stat(pid: i32) -> Result<ProcStat, Stop> {
    let mut last = Err(Errno::ENOENT);
    eventually(2_000, || {
        last = stat(pid);
        matches!(&last, Ok(s) if s.state() == 'S')
    });
    match last {
        Ok(s) if s.state() == 'S' => Ok(s),
        Ok(s) => fail!("child {pid} never showed state S: {s:?}"),
        Err(e) => fail!("/proc/{pid}/stat: {e:?}"),
    }
}

fn self_stat_is_this_process() -> TestResult {
    need_proc()?;
    let text = ok!(read("/proc/self/stat"));
    let Some(s) = parse_stat(&text) else {
        fail!("unparsable /proc/self/stat: {text:?}");
    };
    check_eq!(s.pid, sys::getpid());
    check_eq!(s.num(4), Some(i64::from(sys::getppid())));
    check!(!s.comm.is_empty(), "empty comm");
    check!(text.ends_with('\n'), "stat line without newline: {text:?}");
    // The same file through the pid.
    let by_pid = ok!(stat(sys::getpid()));
    check_eq!(by_pid.pid, s.pid);
    Ok(())
}

fn child_stat_fields() -> TestResult {
    need_proc()?;
    let nice = ok!(sys::getpriority(PRIO_PROCESS, 0));
    let want_nice = (nice + 3).min(19);
    let mut mask = [0u8; 128];
    let n = ok!(sys::sched_getaffinity(0, &mut mask));
    let Some(cpu) = (0..n * 8)
        .rev()
        .find(|&c| mask[c / 8] & (1 << (c % 8)) != 0)
    else {
        fail!("empty affinity mask");
    };
    let me = sys::getpid();
    with_blocked_child(
        || {
            ok!(sys::setpriority(PRIO_PROCESS, 0, want_nice));
            let mut one = [0u8; 128];
            one[cpu / 8] = 1 << (cpu % 8);
            ok!(sys::sched_setaffinity(0, &one[..n]));
            // Runs on that CPU from here on.
            ok!(sys::sched_yield());
            Ok(())
        },
        |pid| {
            let s = sleeping_stat(pid)?;
            check_eq!(s.pid, pid);
            check!(s.count() >= 52, "{} fields, Linux has 52: {s:?}", s.count());
            check_eq!(s.num(4), Some(i64::from(me)));
            check_eq!(s.num(19), Some(i64::from(want_nice)));
            // num_threads: 1 (qemu-user adds a thread of its own).
            let threads = s.num(20).unwrap_or(0);
            check!(
                threads == 1 || (on_linux() && threads >= 1),
                "num_threads {threads}"
            );
            check_eq!(s.num(38), Some(i64::from(SIGCHLD))); // exit_signal
            check_eq!(s.num(39), Some(cpu as i64)); // processor
            let Some(flags) = s.field(9).and_then(|f| f.parse::<u64>().ok()) else {
                fail!("flags field {:?}", s.field(9));
            };
            check!(
                flags & PF_KTHREAD == 0,
                "PF_KTHREAD set in a user process: {flags:#x}"
            );
            if on_pikern() {
                check_eq!(s.comm.as_str(), "usertests");
            }
            Ok(())
        },
    )
}

fn child_status_fields() -> TestResult {
    need_proc()?;
    let me = sys::getpid();
    with_blocked_child(
        || Ok(()),
        |pid| {
            sleeping_stat(pid)?;
            let text = ok!(read(&format!("/proc/{pid}/status")));
            let value = |key: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(key)?.strip_prefix(":\t"))
                    .map(String::from)
            };
            check!(
                value("Name").is_some_and(|n| !n.is_empty()),
                "no Name in {text:?}"
            );
            check_eq!(value("State").as_deref(), Some("S (sleeping)"));
            check_eq!(value("Tgid"), Some(format!("{pid}")));
            check_eq!(value("Pid"), Some(format!("{pid}")));
            check_eq!(value("PPid"), Some(format!("{me}")));
            if on_pikern() {
                check_eq!(value("Name").as_deref(), Some("usertests"));
            }
            Ok(())
        },
    )
}

fn zombie_then_gone() -> TestResult {
    need_proc()?;
    let pid = match process::fork() {
        Ok(0) => sys::exit_group(3),
        Ok(pid) => pid,
        Err(e) => fail!("fork: {e:?}"),
    };
    // Exited, not reaped: a zombie, still listed.
    let zombie = eventually(2_000, || stat(pid).is_ok_and(|s| s.state() == 'Z'));
    let listed = pids().is_ok_and(|p| p.contains(&pid));
    let last = stat(pid);
    let st = wait_for(pid);
    check!(zombie, "child {pid} never showed state Z; last {last:?}");
    check!(listed, "zombie {pid} missing from /proc's listing");
    check_eq!(ok!(st).exit_code(), Some(3));
    // Reaped: gone.
    match stat(pid) {
        Err(Errno::ENOENT | Errno::ESRCH) => {}
        other => fail!("/proc/{pid}/stat after reaping: {other:?}"),
    }
    check!(
        !pids().is_ok_and(|p| p.contains(&pid)),
        "reaped {pid} still listed"
    );
    Ok(())
}

fn readdir_lists_processes() -> TestResult {
    need_proc()?;
    let listed = ok!(pids());
    check!(
        listed.contains(&sys::getpid()),
        "this process missing from /proc: {listed:?}"
    );
    if on_pikern() {
        check!(listed.contains(&1), "init missing from /proc: {listed:?}");
    }
    // /proc/self resolves to this process (Linux's link is "<pid>",
    // pikern's "/proc/<pid>": both name the same directory).
    let mut buf = [0u8; 64];
    let n = ok!(sys::readlinkat(AT_FDCWD, c"/proc/self", &mut buf));
    let target = String::from_utf8_lossy(&buf[..n]).into_owned();
    let me = format!("{}", sys::getpid());
    check!(
        target == me || target == format!("/proc/{me}"),
        "/proc/self -> {target:?}"
    );
    Ok(())
}

fn meminfo_fields() -> TestResult {
    need_proc()?;
    let text = ok!(read("/proc/meminfo"));
    let kb = |key: &str| {
        text.lines().find_map(|l| {
            let rest = l.strip_prefix(key)?.strip_prefix(':')?.trim();
            rest.strip_suffix(" kB")?.trim().parse::<u64>().ok()
        })
    };
    let (Some(total), Some(free)) = (kb("MemTotal"), kb("MemFree")) else {
        fail!("MemTotal/MemFree missing or not in kB: {text:?}");
    };
    check!(
        total > 0 && free > 0 && free <= total,
        "MemTotal {total} kB, MemFree {free} kB"
    );
    check!(kb("PageTables").is_some(), "no PageTables line: {text:?}");
    check!(kb("KernelStack").is_some(), "no KernelStack line: {text:?}");
    Ok(())
}

/// `/proc/uptime`'s first number, in hundredths of a second.
fn uptime_cs() -> Result<u64, Stop> {
    let text = ok!(read("/proc/uptime"));
    let parse = |s: &str| -> Option<u64> {
        let (whole, frac) = s.split_once('.')?;
        (frac.len() == 2).then_some(())?;
        Some(whole.parse::<u64>().ok()? * 100 + frac.parse::<u64>().ok()?)
    };
    let fields: Vec<&str> = text.split_ascii_whitespace().collect();
    match (fields.as_slice(), text.ends_with('\n')) {
        ([up, idle], true) if parse(idle).is_some() => match parse(up) {
            Some(cs) => Ok(cs),
            None => fail!("uptime {up:?} is not N.NN"),
        },
        _ => fail!("/proc/uptime is {text:?}, expected \"N.NN N.NN\\n\""),
    }
}

fn uptime_advances() -> TestResult {
    need_proc()?;
    let before = uptime_cs()?;
    check!(before > 0, "uptime 0");
    ok!(process::sleep_ms(120));
    let after = uptime_cs()?;
    check!(
        after >= before + 10,
        "uptime went from {before} to {after} (hundredths) over 0.12 s"
    );
    Ok(())
}

fn cpuinfo_lists_cpus() -> TestResult {
    need_proc()?;
    let text = ok!(read("/proc/cpuinfo"));
    let cpus: Vec<u32> = text
        .lines()
        .filter_map(|l| {
            let (key, value) = l.split_once(':')?;
            (key.trim() == "processor").then(|| value.trim().parse().ok())?
        })
        .collect();
    check!(!cpus.is_empty(), "no processor lines: {text:?}");
    check!(
        cpus.windows(2).all(|w| w[0] < w[1]),
        "processor numbers not increasing: {cpus:?}"
    );
    Ok(())
}
