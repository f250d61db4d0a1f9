//! `bench [-q]`: the user-space half of `make bench` (docs/performance.md).
//!
//! Times system calls, process creation and scheduling with
//! `clock_gettime(CLOCK_MONOTONIC)` around loops and prints one line per
//! measurement, `bench: NAME ITERATIONS TOTAL [UNIT]` (TOTAL in ns unless
//! UNIT says otherwise), which the host tool `bench-report` turns into a
//! table and `build/bench.json`. Under QEMU's `-icount shift=0` every guest
//! instruction advances the clock by 1 ns, so the numbers are instruction
//! counts and the same on every run.
//!
//! The first line calibrates: a loop of exactly two instructions per
//! iteration must read 2.0 ns per iteration. Then, pinned to CPU 0 unless
//! said otherwise: a null system call (`getppid`), `clock_gettime` (the
//! system call, and the vDSO's function found through `AT_SYSINFO_EHDR`), fork +
//! exit + wait (alone, with 10 and 100 sleeping processes, unpinned),
//! `sched_yield` alone and as a ping-pong between two processes (per
//! context switch, counted with `getrusage`) and between two threads, a
//! futex wake/wait round trip between two threads, thread create + join,
//! fork + execve + exit + wait, the same for glibc's hello world static
//! and dynamically linked (its loader, libc and relocation included),
//! the fork loop with `sched:*`/`signal:*` events on and with the function
//! tracer too, the memory one sleeping process costs, the memory of 10
//! idle Debian bash processes (MemFree, Rss and Pss; `/usr/bin/bash`
//! comes from an `-initrd` of its own), the kernel's own
//! micro-benchmarks from `/proc/bench` (boot with `bench`), and last a real
//! shell at work: Debian's busybox `sh -c` running `/bin/true` in a loop
//! (fork + exec + wait from ash; `/bin/busybox` comes from the `-initrd`
//! `make bench` boots with); then the SD card's sequential write and read
//! throughput per KiB through `/dev/mmcblk0` (written with `fsync`, read
//! with the cache dropped), in boots with a scratch card attached.
//!
//! `-q` (the smoke test) runs every measurement with small counts;
//! `--only NAME` runs just that measurement and `--forks N` sets the fork
//! loops' count (for profiling one path, e.g. with QEMU's `-d exec`). Exits
//! 0 if every measurement ran, 1 otherwise (a `bench: error ...` line says
//! what failed). Without `/bin/busybox` the shell measurement is skipped
//! with a `bench: skip` line (`bench-report` reports it missing).

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use core::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use pikern_rt::consts::*;
use pikern_rt::process::{self, monotonic_ns};
use pikern_rt::syscall::{nr, syscall1};
use pikern_rt::{io, println, sys, thread, Errno};

pikern_rt::entry!(main);

/// Iteration counts of one run.
#[derive(Clone, Copy)]
struct Counts {
    syscall: u64,
    fork: u64,
    yields: u64,
    exec: u64,
    /// Runs of each hello world (glibc).
    hello: u64,
    shell: u64,
    /// Lines written to the framebuffer console.
    lines: u64,
    /// KiB the SD card measurements move.
    sd_kib: u64,
}

const FULL: Counts = Counts {
    syscall: 100_000,
    fork: 2_000,
    yields: 10_000,
    exec: 200,
    hello: 50,
    shell: 1_000,
    lines: 500,
    sd_kib: 1024,
};

const QUICK: Counts = Counts {
    syscall: 1_000,
    fork: 20,
    yields: 100,
    exec: 5,
    hello: 2,
    shell: 10,
    lines: 60,
    sd_kib: 128,
};

/// Iterations of the calibration loop.
const CALIBRATION: u64 = 1_000_000;

fn main(args: &[&str]) -> i32 {
    let quick = args.iter().skip(1).any(|a| *a == "-q");
    let only = args.windows(2).find(|w| w[0] == "--only").map(|w| w[1]);
    let forks = args
        .windows(2)
        .find(|w| w[0] == "--forks")
        .and_then(|w| w[1].parse().ok());
    let base = if quick { QUICK } else { FULL };
    let c = &Counts {
        fork: forks.unwrap_or(base.fork),
        ..base
    };
    println!("bench: mode {}", if quick { "quick" } else { "full" });
    console_drain();
    match run(c, &|name| only.is_none_or(|o| o == name)) {
        Ok(()) => {
            println!("bench: done");
            0
        }
        Err(e) => {
            println!("bench: error {e}");
            1
        }
    }
}

/// Prints one measurement.
fn report(name: &str, iterations: u64, total_ns: u64) {
    println!("bench: {name} {iterations} {total_ns}");
    console_drain();
}

/// `tcdrain(1)`: the console's output is out, the framebuffer console's
/// drawing included, rather than drawn at a tick inside the next
/// measurement. (On a serial console, as on Linux, it costs nothing.)
fn console_drain() {
    // SAFETY: TCSBRK with a non-zero argument reads and writes no memory.
    let _ = unsafe { sys::ioctl(1, TCSBRK, 1) };
}

/// Nanoseconds `f` takes.
fn timed(f: impl FnOnce() -> Result<(), Errno>) -> Result<u64, Errno> {
    let start = monotonic_ns();
    f()?;
    Ok(monotonic_ns() - start)
}

/// Runs every measurement `want` accepts.
fn run(c: &Counts, want: &dyn Fn(&str) -> bool) -> Result<(), Errno> {
    if want("calibration_2insn_loop") {
        report(
            "calibration_2insn_loop",
            CALIBRATION,
            timed(|| {
                two_instruction_loop(CALIBRATION);
                Ok(())
            })?,
        );
    }
    pin(1)?;
    if want("getppid") {
        report(
            "getppid",
            c.syscall,
            timed(|| {
                for _ in 0..c.syscall {
                    core::hint::black_box(sys::getppid());
                }
                Ok(())
            })?,
        );
    }
    if want("clock_gettime") {
        report(
            "clock_gettime",
            c.syscall,
            timed(|| {
                for _ in 0..c.syscall {
                    sys::clock_gettime(CLOCK_MONOTONIC)?;
                }
                Ok(())
            })?,
        );
    }
    if want("clock_gettime_vdso") {
        // The vDSO's function, called as a C library calls it.
        let Some(f) = pikern_rt::env::vdso_symbol(b"__kernel_clock_gettime") else {
            println!("bench: error clock_gettime_vdso: no vDSO (AT_SYSINFO_EHDR)");
            return Err(Errno::ENOENT);
        };
        // SAFETY: the vDSO's `__kernel_clock_gettime`, whose C signature
        // this is (`int (clockid_t, struct timespec *)`).
        let f: unsafe extern "C" fn(i32, *mut [i64; 2]) -> i64 = unsafe { core::mem::transmute(f) };
        let mut ts = [0i64; 2];
        report(
            "clock_gettime_vdso",
            c.syscall,
            timed(|| {
                for _ in 0..c.syscall {
                    // SAFETY: a valid clock and a writable timespec.
                    if unsafe { f(CLOCK_MONOTONIC as i32, &mut ts) } != 0 {
                        return Err(Errno::EINVAL);
                    }
                    core::hint::black_box(&ts);
                }
                Ok(())
            })?,
        );
    }
    // The same loop alone and with 10 and 100 other processes alive. The
    // parent is brought to the same state first each time (the pipe, the
    // meminfo reads, the pause), so only the sleepers differ.
    for (k, name) in [
        (0, "fork_exit_wait"),
        (10, "fork_exit_wait_10_sleepers"),
        (100, "fork_exit_wait_100_sleepers"),
    ] {
        if !want(name) {
            continue;
        }
        let before = meminfo()?;
        let sleepers = Sleepers::spawn(k)?;
        let bytes = meminfo()?.bytes_since(&before);
        if k == 100 {
            // What each sleeping process costs: descriptor, kernel stack,
            // page tables and the pages it has of its own.
            println!("bench: task_bytes {k} {bytes} bytes");
        }
        let t = timed(|| fork_loop(c.fork));
        sleepers.reap()?;
        report(name, c.fork, t?);
    }
    if want("fork_exit_wait_unpinned") {
        pin(0xf)?;
        let t = timed(|| fork_loop(c.fork));
        pin(1)?;
        report("fork_exit_wait_unpinned", c.fork, t?);
    }
    if want("sched_yield") {
        report(
            "sched_yield",
            c.syscall,
            timed(|| {
                for _ in 0..c.syscall {
                    sys::sched_yield()?;
                }
                Ok(())
            })?,
        );
    }
    if want("yield_pingpong_per_switch") {
        let (ns, switches) = yield_ping_pong(c.yields)?;
        report("yield_pingpong_per_switch", switches, ns);
    }
    if want("yield_pingpong_threads_per_switch") {
        let (ns, switches) = yield_ping_pong_threads(c.yields)?;
        report("yield_pingpong_threads_per_switch", switches, ns);
    }
    if want("futex_wake_wait_roundtrip") {
        report(
            "futex_wake_wait_roundtrip",
            c.yields,
            futex_ping_pong(c.yields)?,
        );
    }
    if want("thread_create_join") {
        report(
            "thread_create_join",
            c.exec,
            timed(|| {
                for _ in 0..c.exec {
                    // SAFETY: the thread function touches no heap.
                    unsafe { thread::spawn(|_| {}, 0)? }.join();
                }
                Ok(())
            })?,
        );
    }
    if want("fork_execve_exit_wait") {
        report(
            "fork_execve_exit_wait",
            c.exec,
            timed(|| exec_loop(c.exec))?,
        );
    }
    for (name, path) in [
        ("exec_static_hello", "/bin/hello_c"),
        ("exec_dynamic_hello", "/bin/hello_dyn_c"),
    ] {
        if want(name) {
            report(name, c.hello, timed(|| hello_loop(path, c.hello))?);
        }
    }
    let events = [
        ("events/sched/enable", "1"),
        ("events/signal/enable", "1"),
        ("tracing_on", "1"),
    ];
    let off = [
        ("current_tracer", "nop"),
        ("events/sched/enable", "0"),
        ("events/signal/enable", "0"),
        ("trace", ""),
    ];
    if want("fork_exit_wait_events") {
        tracing(&events)?;
        let t = timed(|| fork_loop(c.fork));
        tracing(&off)?;
        report("fork_exit_wait_events", c.fork, t?);
    }
    if want("fork_exit_wait_function_tracer") {
        tracing(&events)?;
        tracing(&[("current_tracer", "function")])?;
        let t = timed(|| fork_loop(c.fork));
        tracing(&off)?;
        report("fork_exit_wait_function_tracer", c.fork, t?);
    }
    if want("fbcon_line") {
        report("fbcon_line", c.lines, fbcon_lines(c.lines)?);
    }
    if want("kernel") {
        kernel_benchmarks()?;
    }
    // Like the shell row, in a boot of its own with Debian's bash and its
    // libraries as -initrd (bench-report --bash-initrd).
    if want("bash_idle") {
        if exists(c"/usr/bin/bash") {
            bash_idle()?;
        } else {
            println!("bench: skip bash_idle: no /usr/bin/bash (boot with it as -initrd)");
        }
    }
    // Last, so that it changes nothing above. `make bench` runs it in a
    // boot of its own, the only one with busybox (bench-report --initrd).
    if want("busybox_sh_true") {
        if exists(c"/bin/busybox") {
            report(
                "busybox_sh_true",
                c.shell,
                timed(|| busybox_sh_true(c.shell))?,
            );
        } else {
            println!("bench: skip busybox_sh_true: no /bin/busybox (boot with it as -initrd)");
        }
    }
    // The SD card, in boots of their own with a scratch card attached
    // (bench-report --sdcard).
    for name in ["sd_write_seq", "sd_read_seq"] {
        if !want(name) {
            continue;
        }
        if exists(c"/dev/mmcblk0") {
            report(
                name,
                c.sd_kib,
                sd_sequential(name == "sd_write_seq", c.sd_kib)?,
            );
        } else {
            println!(
                "bench: skip {name}: no /dev/mmcblk0 (boot with a card: bench-report --sdcard)"
            );
        }
    }
    Ok(())
}

/// Writes `n` log-like lines to `/dev/tty0`, the framebuffer console,
/// which draws each before `write` returns: the screen fills, then every
/// line scrolls it, and the cells whose glyph changed are drawn again (the
/// line number's digits in every row). Returns the time taken.
fn fbcon_lines(n: u64) -> Result<u64, Errno> {
    let fd = sys::open(c"/dev/tty0", O_WRONLY)?;
    let mut line = *b"[    0.000000] fbcon bench: line 000000 of a log-like stream\n";
    let t = timed(|| {
        for i in 0..n {
            let mut v = i;
            for d in line[34..40].iter_mut().rev() {
                *d = b'0' + (v % 10) as u8;
                v /= 10;
            }
            io::write_all(fd, &line)?;
        }
        Ok(())
    });
    let _ = sys::close(fd);
    t
}

/// Where on the scratch card the SD measurements read and write.
const SD_OFFSET: i64 = 16 << 20;

/// Sequential I/O on the whole card at [`SD_OFFSET`], 64 KiB per system
/// call: `kib` KiB written and `fsync`ed, or read after the block
/// layer's cache was dropped (`BLKFLSBUF`), so the card itself is read.
/// Returns the nanoseconds (instructions) taken.
fn sd_sequential(write: bool, kib: u64) -> Result<u64, Errno> {
    let fd = sys::open(c"/dev/mmcblk0", O_RDWR)?;
    let mut buf = alloc::vec![0u8; 64 << 10];
    for (i, b) in buf.iter_mut().enumerate() {
        *b = (i % 251) as u8;
    }
    // SAFETY: BLKFLSBUF takes no argument.
    unsafe { sys::ioctl(fd, BLKFLSBUF, 0) }?;
    let t = timed(|| {
        sys::lseek(fd, SD_OFFSET, SEEK_SET)?;
        let mut left = kib << 10;
        while left > 0 {
            let n = left.min(buf.len() as u64) as usize;
            let done = if write {
                sys::write(fd, &buf[..n])?
            } else {
                sys::read(fd, &mut buf[..n])?
            };
            if done != n {
                return Err(Errno::EIO);
            }
            left -= n as u64;
        }
        if write {
            // SAFETY: no memory is involved.
            Errno::result(unsafe { syscall1(nr::FSYNC, fd as usize) })?;
        }
        Ok(())
    });
    sys::close(fd)?;
    t
}

/// Prints the kernel's own measurements (`/proc/bench`, present when the
/// kernel was booted with `bench`). Not there at all, as on Linux (the
/// reference run, tools/linux-ref.sh): nothing to print; `bench-report`
/// still fails a pikern run whose kernel lines are missing.
fn kernel_benchmarks() -> Result<(), Errno> {
    let kernel = match io::read_file(c"/proc/bench") {
        Err(Errno::ENOENT) => return Ok(()),
        r => r?,
    };
    for line in core::str::from_utf8(&kernel)
        .map_err(|_| Errno::EINVAL)?
        .lines()
    {
        println!("{line}");
    }
    Ok(())
}

/// Debian's busybox ash runs `/bin/true` `n` times: `busybox sh -c 'i=0;
/// while [ $i -lt N ]; do /bin/true; i=$((i+1)); done'`. `[` and `$((...))`
/// are ash builtins; a command name with a slash is never an applet, so
/// each `/bin/true` is a real fork, execve of the file and wait4 in the
/// shell. The shell's own fork, exec and start are in the total, once.
fn busybox_sh_true(n: u64) -> Result<(), Errno> {
    let script = alloc::format!("i=0; while [ $i -lt {n} ]; do /bin/true; i=$((i+1)); done");
    let pid = process::fork()?;
    if pid == 0 {
        process::exec("/bin/busybox", &["sh", "-c", &script], &[]);
        sys::exit_group(127);
    }
    reap(pid, 0)
}

/// How many bash processes [`bash_idle`] starts.
const IDLE_BASH: u64 = 10;

/// The memory of ten idle Debian bash processes: each `bash -c 'read -r
/// x'` on one pipe whose write end only this process holds, so that all
/// sit in `read` once started. Prints, in bytes, how far MemFree fell
/// (`bash_idle_memfree`, everything the ten cost: their anonymous pages,
/// page tables, kernel stacks and descriptors) and the sums of their
/// `smaps_rollup` Rss and Pss (`bash_idle_rss`, `bash_idle_pss`): Rss
/// counts every mapped page in each process, Pss divides each page among
/// the processes that map it, so bash's and libc's text, which the page
/// cache holds once, is counted once in the Pss sum and ten times in the
/// Rss sum; `bash_idle_libc_text_pss` sums the Pss of libc's text over
/// the ten, `bash_idle_libc_text_rss` is that text's Rss in one of them:
/// the two agree when the ten share one copy. One `bash -c true` runs first, so that the once-only costs of
/// a first bash (dentries, the page cache of files the initramfs left
/// unread) are not in the figure.
fn bash_idle() -> Result<(), Errno> {
    const ENV: [&str; 2] = ["PATH=/usr/bin:/bin", "HOME=/"];
    let pid = process::fork()?;
    if pid == 0 {
        process::exec("/usr/bin/bash", &["bash", "-c", "true"], &ENV);
        sys::exit_group(127);
    }
    reap(pid, 0)?;
    let fds = sys::pipe2(O_CLOEXEC)?;
    let mut pids = Vec::with_capacity(IDLE_BASH as usize);
    process::sleep_ms(100)?;
    let before = meminfo_kb("MemFree:")?;
    for _ in 0..IDLE_BASH {
        let pid = process::fork()?;
        if pid == 0 {
            let _ = sys::dup3(fds[0], 0, 0);
            process::exec("/usr/bin/bash", &["bash", "-c", "read -r x"], &ENV);
            sys::exit_group(127);
        }
        pids.push(pid);
    }
    // Idle: every one asleep (in its read of the pipe), looked at every
    // 100 ms of virtual time.
    let mut tries = 0;
    while !pids.iter().all(|&p| task_state(p) == Some(b'S')) {
        tries += 1;
        if tries > 600 {
            println!("bench: bash_idle: the bash processes did not all go to sleep in 60 s");
            return Err(Errno::ETIMEDOUT);
        }
        process::sleep_ms(100)?;
    }
    let after = meminfo_kb("MemFree:")?;
    let (mut rss, mut pss, mut libc_pss) = (0, 0, 0);
    for &p in &pids {
        let path = alloc::format!("/proc/{p}/smaps_rollup");
        rss += proc_kb(&path, "Rss:")?;
        pss += proc_kb(&path, "Pss:")?;
        libc_pss += libc_text(p)?.1;
    }
    let libc_rss = libc_text(pids[0])?.0;
    // End of file on the pipe: each `read` fails, each bash exits 1.
    sys::close(fds[1])?;
    sys::close(fds[0])?;
    for &p in &pids {
        reap(p, 1)?;
    }
    let n = IDLE_BASH;
    println!(
        "bench: bash_idle_memfree {n} {} bytes",
        before.saturating_sub(after) * 1024
    );
    println!("bench: bash_idle_rss {n} {} bytes", rss * 1024);
    println!("bench: bash_idle_pss {n} {} bytes", pss * 1024);
    println!("bench: bash_idle_libc_text_rss 1 {} bytes", libc_rss * 1024);
    println!("bench: bash_idle_libc_text_pss 1 {} bytes", libc_pss * 1024);
    Ok(())
}

/// Rss and Pss, in kB, of libc's text (its `r-xp` area) in process `pid`,
/// from `/proc/PID/smaps`.
fn libc_text(pid: i32) -> Result<(u64, u64), Errno> {
    let path = alloc::format!("/proc/{pid}/smaps\0");
    let c = core::ffi::CStr::from_bytes_with_nul(path.as_bytes()).map_err(|_| Errno::EINVAL)?;
    let text = io::read_file(c)?;
    let text = core::str::from_utf8(&text).map_err(|_| Errno::EINVAL)?;
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        let mut words = l.split_whitespace();
        let perms = words.nth(1);
        if perms != Some("r-xp") || !l.ends_with("/libc.so.6") {
            continue;
        }
        let (mut rss, mut pss) = (None, None);
        for l in lines.by_ref() {
            let mut w = l.split_whitespace();
            match (w.next(), w.next().and_then(|v| v.parse().ok())) {
                (Some("Rss:"), v) => rss = v,
                (Some("Pss:"), v) => pss = v,
                (Some(_), _) if pss.is_some() => break,
                _ => {}
            }
        }
        return rss.zip(pss).ok_or(Errno::EINVAL);
    }
    println!("bench: bash_idle: no libc text in /proc/{pid}/smaps");
    Err(Errno::ENOENT)
}

/// The state letter of `/proc/PID/stat` (the field after the command's
/// closing parenthesis).
fn task_state(pid: i32) -> Option<u8> {
    let path = alloc::format!("/proc/{pid}/stat\0");
    let c = core::ffi::CStr::from_bytes_with_nul(path.as_bytes()).ok()?;
    let stat = io::read_file(c).ok()?;
    let close = stat.iter().rposition(|&b| b == b')')?;
    stat.get(close + 2).copied()
}

/// The kB figure of the line starting with `field` in `/proc/meminfo`.
fn meminfo_kb(field: &str) -> Result<u64, Errno> {
    proc_kb("/proc/meminfo", field)
}

/// The kB figure of the line starting with `field` in the proc file `path`.
fn proc_kb(path: &str, field: &str) -> Result<u64, Errno> {
    let path = alloc::format!("{path}\0");
    let c = core::ffi::CStr::from_bytes_with_nul(path.as_bytes()).map_err(|_| Errno::EINVAL)?;
    let text = io::read_file(c)?;
    let text = core::str::from_utf8(&text).map_err(|_| Errno::EINVAL)?;
    text.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or(Errno::EINVAL)
}

fn exists(path: &core::ffi::CStr) -> bool {
    let mut st = sys::Stat::default();
    sys::newfstatat(AT_FDCWD, path, &mut st, 0).is_ok()
}

/// Exactly two instructions per iteration: `subs` and `b.ne`.
fn two_instruction_loop(n: u64) {
    // SAFETY: only a register and the flags change.
    unsafe {
        core::arch::asm!(
            "1: subs {n}, {n}, #1",
            "b.ne 1b",
            n = inout(reg) n => _,
            options(nomem, nostack)
        )
    };
}

/// Restricts this process (and the children it forks) to `mask`.
fn pin(mask: u8) -> Result<(), Errno> {
    sys::sched_setaffinity(0, &[mask, 0, 0, 0]).map(|_| ())
}

/// `n` times: fork a child that exits at once, wait for it.
fn fork_loop(n: u64) -> Result<(), Errno> {
    for _ in 0..n {
        let pid = process::fork()?;
        if pid == 0 {
            sys::exit_group(0);
        }
        reap(pid, 0)?;
    }
    Ok(())
}

/// `n` times: fork a child that execs `/bin/true`, wait for it.
fn exec_loop(n: u64) -> Result<(), Errno> {
    for _ in 0..n {
        let pid = process::fork()?;
        if pid == 0 {
            process::exec("/bin/true", &["true"], &[]);
            sys::exit_group(127);
        }
        reap(pid, 0)?;
    }
    Ok(())
}

/// `n` times: fork a child that execs the hello world at `path` with its
/// output to `/dev/null`, wait for it to exit 0.
fn hello_loop(path: &str, n: u64) -> Result<(), Errno> {
    let name = path.rsplit('/').next().unwrap_or(path);
    for _ in 0..n {
        let pid = process::fork()?;
        if pid == 0 {
            if let Ok(null) = sys::open(c"/dev/null", O_WRONLY) {
                let _ = sys::dup3(null, 1, 0);
                let _ = sys::close(null);
            }
            process::exec(path, &[name], &[]);
            sys::exit_group(127);
        }
        reap(pid, 0)?;
    }
    Ok(())
}

/// Waits for `pid` and checks it ended with `code` (a signal number if
/// negative).
fn reap(pid: i32, code: i32) -> Result<(), Errno> {
    let (p, st) = process::waitpid(pid, 0)?;
    let ok = if code < 0 {
        st.term_signal() == Some(code.unsigned_abs())
    } else {
        st.exit_code() == Some(code)
    };
    if p != pid || !ok {
        println!("bench: child {pid} ended unexpectedly ({p}, {st:?})");
        return Err(Errno::ECHILD);
    }
    Ok(())
}

/// Processes blocked reading a pipe nobody writes to.
struct Sleepers {
    pids: Vec<i32>,
    fds: [i32; 2],
}

impl Sleepers {
    fn spawn(k: usize) -> Result<Sleepers, Errno> {
        let fds = sys::pipe2(0)?;
        // One capacity for every k: the parent heap looks the same.
        let mut pids = Vec::with_capacity(k.max(100));
        for _ in 0..k {
            let pid = process::fork()?;
            if pid == 0 {
                let mut b = [0u8; 1];
                let _ = sys::read(fds[0], &mut b);
                sys::exit_group(0);
            }
            pids.push(pid);
        }
        // Let every child run to its read and block there.
        process::sleep_ms(20)?;
        Ok(Sleepers { pids, fds })
    }

    /// Kills and reaps every sleeper.
    fn reap(self) -> Result<(), Errno> {
        for &pid in &self.pids {
            sys::kill(pid, SIGKILL)?;
        }
        for &pid in &self.pids {
            reap(pid, -(SIGKILL as i32))?;
        }
        sys::close(self.fds[0])?;
        sys::close(self.fds[1])?;
        Ok(())
    }
}

/// Two processes on CPU 0 yielding to each other: nanoseconds and context
/// switches (both processes' `ru_nvcsw + ru_nivcsw`) of the parent's loop.
fn yield_ping_pong(n: u64) -> Result<(u64, u64), Errno> {
    let switches = |u: sys::RUsage| (u.ru_nvcsw + u.ru_nivcsw) as u64;
    let children_before = switches(sys::getrusage(RUSAGE_CHILDREN)?);
    let pid = process::fork()?;
    if pid == 0 {
        for _ in 0..n {
            let _ = sys::sched_yield();
        }
        sys::exit_group(0);
    }
    let self_before = switches(sys::getrusage(RUSAGE_SELF)?);
    let start = monotonic_ns();
    for _ in 0..n {
        sys::sched_yield()?;
    }
    let ns = monotonic_ns() - start;
    let mine = switches(sys::getrusage(RUSAGE_SELF)?) - self_before;
    reap(pid, 0)?;
    let theirs = switches(sys::getrusage(RUSAGE_CHILDREN)?) - children_before;
    Ok((ns, (mine + theirs).max(1)))
}

/// Rounds the second thread of the thread benchmarks runs (it cannot
/// take arguments from the heap).
static ROUNDS: AtomicU64 = AtomicU64::new(0);
/// The futex word of [`futex_ping_pong`]: 1 is the second thread's turn.
static TURN: AtomicI32 = AtomicI32::new(0);

/// [`yield_ping_pong`] between two threads of this process (both pinned
/// to CPU 0, as the creator is): no address-space switch. Context
/// switches of the whole process (`RUSAGE_SELF` counts every thread).
fn yield_ping_pong_threads(n: u64) -> Result<(u64, u64), Errno> {
    let switches = |u: sys::RUsage| (u.ru_nvcsw + u.ru_nivcsw) as u64;
    ROUNDS.store(n, Ordering::Relaxed);
    let before = switches(sys::getrusage(RUSAGE_SELF)?);
    // SAFETY: the thread function touches no heap.
    let t = unsafe {
        thread::spawn(
            |_| {
                for _ in 0..ROUNDS.load(Ordering::Relaxed) {
                    let _ = sys::sched_yield();
                }
            },
            0,
        )?
    };
    let start = monotonic_ns();
    for _ in 0..n {
        sys::sched_yield()?;
    }
    let ns = monotonic_ns() - start;
    t.join();
    let all = switches(sys::getrusage(RUSAGE_SELF)?) - before;
    Ok((ns, all.max(1)))
}

/// Two threads on CPU 0 handing a futex word back and forth: each round
/// trip is a wake and a wait on each side. Nanoseconds for `n` rounds.
fn futex_ping_pong(n: u64) -> Result<u64, Errno> {
    ROUNDS.store(n, Ordering::Relaxed);
    TURN.store(0, Ordering::SeqCst);
    // SAFETY: the thread function touches no heap.
    let t = unsafe {
        thread::spawn(
            |_| {
                for _ in 0..ROUNDS.load(Ordering::Relaxed) {
                    while TURN.load(Ordering::Acquire) != 1 {
                        let _ = sys::futex_wait(&TURN, 0, None);
                    }
                    TURN.store(0, Ordering::Release);
                    let _ = sys::futex_wake(&TURN, 1);
                }
            },
            0,
        )?
    };
    let start = monotonic_ns();
    for _ in 0..n {
        TURN.store(1, Ordering::Release);
        sys::futex_wake(&TURN, 1)?;
        while TURN.load(Ordering::Acquire) == 1 {
            match sys::futex_wait(&TURN, 1, None) {
                Ok(_) | Err(Errno::EAGAIN) | Err(Errno::EINTR) => {}
                Err(e) => return Err(e),
            }
        }
    }
    let ns = monotonic_ns() - start;
    t.join();
    Ok(ns)
}

/// Writes `value` to each file under `/sys/kernel/tracing`.
fn tracing(settings: &[(&str, &str)]) -> Result<(), Errno> {
    for (file, value) in settings {
        let path = process::cstring(&alloc::format!("/sys/kernel/tracing/{file}"))?;
        let fd = sys::open(&path, O_WRONLY | O_TRUNC)?;
        let r = io::write_all(fd, value.as_bytes());
        sys::close(fd)?;
        r?;
    }
    Ok(())
}

/// The `/proc/meminfo` lines that grow with each process.
struct MemInfo {
    /// KernelStack + PageTables + UserPages, in kB.
    pages_kb: u64,
    /// HeapUsed, in bytes.
    heap: u64,
}

impl MemInfo {
    fn bytes_since(&self, before: &MemInfo) -> u64 {
        (self.pages_kb.saturating_sub(before.pages_kb)) * 1024
            + self.heap.saturating_sub(before.heap)
    }
}

fn meminfo() -> Result<MemInfo, Errno> {
    let text = io::read_file(c"/proc/meminfo")?;
    let text = core::str::from_utf8(&text).map_err(|_| Errno::EINVAL)?;
    let field = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Ok(MemInfo {
        pages_kb: field("KernelStack:") + field("PageTables:") + field("UserPages:"),
        heap: field("HeapUsed:"),
    })
}
