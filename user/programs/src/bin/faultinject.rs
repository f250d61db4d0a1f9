//! `faultinject [ROUNDS]`: runs fork, exec, exit, wait, pipes, files, mmap
//! and brk in a process marked make-it-fail while the kernel's
//! `fail_alloc=` fault injection is on, and checks that every injected
//! allocation failure came back as an error (`ENOMEM`, or `EAGAIN` for
//! fork), or ended one process, and that the kernel's accounting returns
//! to its baseline afterwards. Prints KTAP (one suite, `fault_inject`).
//!
//! Boot with e.g. `fail_alloc=1,20,0,-1,task-filter init=/init --
//! /bin/faultinject`: 20% of the allocations of marked tasks fail.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use pikern_rt::consts::*;
use pikern_rt::process::{exec, fork, waitpid, WaitStatus};
use pikern_rt::{println, sys, Errno};

pikern_rt::entry!(main);

/// The accounting lines of /proc/meminfo that must come back.
const ACCOUNTED: [&str; 7] = [
    "MemFree:",
    "KernelStack:",
    "PageTables:",
    "UserPages:",
    "HeapUsed:",
    "Tasks:",
    "OpenFiles:",
];

fn read(path: &str) -> Result<String, Errno> {
    let c = pikern_rt::process::cstring(path)?;
    let bytes = pikern_rt::io::read_file(&c)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn write(path: &str, text: &str) -> Result<(), Errno> {
    let c = pikern_rt::process::cstring(path)?;
    let fd = sys::open(&c, O_WRONLY)?;
    let r = pikern_rt::io::write_all(fd, text.as_bytes());
    let _ = sys::close(fd);
    r
}

fn accounting() -> Vec<(String, u64)> {
    let text = read("/proc/meminfo").unwrap_or_default();
    text.lines()
        .filter(|l| ACCOUNTED.iter().any(|k| l.starts_with(k)))
        .map(|l| {
            let mut w = l.split_whitespace();
            let k = String::from(w.next().unwrap_or(""));
            (k, w.next().and_then(|v| v.parse().ok()).unwrap_or(0))
        })
        .collect()
}

/// [`accounting`] once it holds still (the same for four reads 25 ms
/// apart): a reaped task's descriptor is freed by a kworker a tick later,
/// so a baseline taken at once may still count the warm-up's last task.
fn settled_accounting() -> Vec<(String, u64)> {
    let mut last = accounting();
    let mut same = 0;
    for _ in 0..80 {
        let _ = pikern_rt::process::sleep_ms(25);
        let now = accounting();
        same = if now == last { same + 1 } else { 0 };
        last = now;
        if same == 4 {
            break;
        }
    }
    last
}

/// What the fault-injection counters say: (calls, failures).
fn injected() -> (u64, u64) {
    let text = read("/proc/fail_alloc").unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    (field("calls:"), field("failures:"))
}

/// An injected failure may show up as these errors.
fn expected(e: Errno) -> bool {
    matches!(e, Errno::ENOMEM | Errno::EAGAIN)
}

/// How a child may end under injection: a normal exit with one of our
/// codes, or killed (SIGKILL) because a page could not be given to it, or
/// (the dynamically linked program) 127 from the loader, whose `mmap` of
/// libc failed.
fn acceptable_end(st: WaitStatus) -> bool {
    matches!(st.exit_code(), Some(0 | 3 | 127)) || st.term_signal() == Some(9)
}

/// One round of work in the marked process. Returns a description of an
/// outcome that is NOT an acceptable result of allocation failure.
fn round(i: u32) -> Result<(), String> {
    match fork() {
        Ok(0) => {
            // The child: dirty some memory (copy-on-write and fresh pages),
            // then become /bin/true, or every other round the dynamically
            // linked hello (its interpreter loaded too, its output
            // dropped), or give up with 3 if exec fails.
            let mut v: Vec<u8> = Vec::new();
            if v.try_reserve(64 * 1024).is_ok() {
                v.resize(64 * 1024, i as u8);
            }
            let e = if i % 2 == 1 {
                if let Ok(null) = sys::open(c"/dev/null", O_WRONLY) {
                    let _ = sys::dup3(null, 1, 0);
                    let _ = sys::dup3(null, 2, 0);
                }
                exec("/bin/hello_dyn_c", &["hello_dyn_c"], &[])
            } else {
                exec("/bin/true", &["true"], &[])
            };
            sys::exit_group(if expected(e) { 3 } else { 4 });
        }
        Ok(pid) => match waitpid(pid, 0) {
            Ok((_, st)) if acceptable_end(st) => {}
            other => return Err(alloc::format!("child {pid}: {other:?}")),
        },
        Err(e) if expected(e) => {}
        Err(e) => return Err(alloc::format!("fork: {e:?}")),
    }
    match sys::pipe2(O_CLOEXEC) {
        Ok(fds) => {
            let _ = sys::close(fds[0]);
            let _ = sys::close(fds[1]);
        }
        Err(e) if expected(e) || e == Errno::EMFILE => {}
        Err(e) => return Err(alloc::format!("pipe2: {e:?}")),
    }
    let motd = pikern_rt::process::cstring("/etc/motd").map_err(|_| String::from("cstring"))?;
    match sys::open(&motd, O_RDONLY) {
        Ok(fd) => {
            let _ = sys::close(fd);
        }
        Err(e) if expected(e) => {}
        Err(e) => return Err(alloc::format!("open: {e:?}")),
    }
    // SAFETY: a fresh anonymous mapping, unmapped before anything else
    // could use the range.
    match unsafe {
        sys::mmap(
            0,
            8192,
            PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS,
            -1,
            0,
        )
    } {
        Ok(p) => {
            // SAFETY: as above.
            let _ = unsafe { sys::munmap(p, 8192) };
        }
        Err(e) if expected(e) => {}
        Err(e) => return Err(alloc::format!("mmap: {e:?}")),
    }
    let tmp =
        pikern_rt::process::cstring("/tmp/faultinject-map").map_err(|_| String::from("cstring"))?;
    match sys::open(&tmp, O_RDWR | O_CREAT | O_TRUNC) {
        Ok(fd) => {
            // Unlinked at once: a worker killed halfway leaves no file
            // (and no pages) behind.
            let _ = sys::unlinkat(AT_FDCWD, &tmp, 0);
            let r = file_mappings(fd);
            let _ = sys::close(fd);
            r?;
        }
        Err(e) if expected(e) => {}
        Err(e) => return Err(alloc::format!("open /tmp: {e:?}")),
    }
    Ok(())
}

/// The page cache and mappings of it: a file's pages written, then a
/// private (copy-on-write), a shared and a shared anonymous mapping, each
/// written once. A failed page for a write is ENOSPC (or ENOMEM); one for
/// a fault kills the process (SIGKILL), which [`acceptable_end`] allows.
fn file_mappings(fd: i32) -> Result<(), String> {
    // A short write (a page could not be had) leaves a shorter file,
    // whose second page would be past its end (SIGBUS, rightly).
    match sys::write(fd, &[7u8; 6000]) {
        Ok(6000) => {}
        Ok(_) => return Ok(()),
        Err(e) if expected(e) || e == Errno::ENOSPC => return Ok(()),
        Err(e) => return Err(alloc::format!("write: {e:?}")),
    }
    for flags in [MAP_PRIVATE, MAP_SHARED, MAP_SHARED | MAP_ANONYMOUS] {
        let fd = if flags & MAP_ANONYMOUS != 0 { -1 } else { fd };
        // SAFETY: a fresh mapping, unmapped before anything else could use
        // the range.
        match unsafe { sys::mmap(0, 8192, PROT_READ | PROT_WRITE, flags, fd, 0) } {
            Ok(p) => {
                // SAFETY: the mapping's second page, writable, inside the
                // file (6000 bytes) or the anonymous area.
                unsafe {
                    p.add(4096).write_volatile(1);
                    let _ = sys::munmap(p, 8192);
                }
            }
            Err(e) if expected(e) => {}
            Err(e) => return Err(alloc::format!("mmap {flags:#x}: {e:?}")),
        }
    }
    Ok(())
}

fn main(args: &[&str]) -> i32 {
    let rounds: u32 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(300);
    println!("KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: fault_inject\n    1..4");
    let mut fails = 0;
    let mut result = |n: u32, ok: bool, name: &str| {
        println!("    {} {n} {name}", if ok { "ok" } else { "not ok" });
        if !ok {
            fails += 1;
        }
    };

    let status = read("/proc/fail_alloc").unwrap_or_default();
    let attrs = status.lines().next().unwrap_or("");
    println!("    # /proc/fail_alloc: {attrs}");
    let on = attrs.split(',').nth(1).is_some_and(|p| p != "0") && attrs.ends_with("task-filter");
    result(1, on, "fail_alloc_from_the_command_line_is_in_force");

    // Warm up unmarked, so that kernel structures that grow once (pid and
    // timer trees, the first pipe) exist before the baseline.
    let _ = round(0);
    let before = settled_accounting();
    let (calls0, failures0) = injected();

    // Marked workers, one after the other: every allocation on their
    // behalf (and their children's) may fail. A worker may be killed by an
    // injected failure of its own page faults (SIGKILL, Linux's
    // out-of-memory answer); the next one carries on.
    const WORKERS: u32 = 10;
    let mut fine = true;
    let mut killed = 0;
    for w in 0..WORKERS {
        let worker = match fork() {
            Ok(0) => {
                if write("/proc/self/make-it-fail", "1").is_err() {
                    sys::exit_group(5);
                }
                for i in 0..rounds / WORKERS {
                    if let Err(what) = round(w * 1000 + i) {
                        println!("    # worker {w} round {i}: {what}");
                        sys::exit_group(1);
                    }
                }
                sys::exit_group(0);
            }
            Ok(pid) => pid,
            Err(e) => {
                println!("    # fork of worker {w}: {e:?}");
                fine = false;
                continue;
            }
        };
        match waitpid(worker, 0) {
            Ok((_, st)) if st.exit_code() == Some(0) => {}
            Ok((_, st)) if st.term_signal() == Some(9) => killed += 1,
            other => {
                println!("    # worker {w}: {other:?}");
                fine = false;
            }
        }
    }
    println!("    # {killed} of {WORKERS} workers were killed for want of a page");
    result(
        2,
        fine,
        "every_failure_is_an_error_or_the_end_of_one_process",
    );

    let (calls1, failures1) = injected();
    println!(
        "    # {} allocation failures injected in {} eligible calls",
        failures1 - failures0,
        calls1 - calls0
    );
    result(3, failures1 > failures0, "failures_were_injected");

    // A worker killed mid-round leaves its running child to init, which
    // reaps it a little later; the freeing of reaped tasks is deferred too
    // (the next task on that CPU frees the stack). Give that time to
    // happen: a real leak never settles.
    let mut after = accounting();
    for _ in 0..200 {
        if before == after {
            break;
        }
        let _ = pikern_rt::process::sleep_ms(50);
        after = accounting();
    }
    let same = before == after;
    if !same {
        for ((k, a), (_, b)) in before.iter().zip(after.iter()) {
            if a != b {
                println!("    # {k} {a} -> {b}");
            }
        }
    }
    result(4, same, "accounting_returns_to_the_baseline");
    let _ = write("/proc/fail_alloc", "1,0,0,-1");
    println!(
        "    # fault_inject: pass:{} fail:{fails} skip:0 total:4\n{} 1 fault_inject",
        4 - fails,
        if fails == 0 { "ok" } else { "not ok" }
    );
    i32::from(fails != 0)
}
