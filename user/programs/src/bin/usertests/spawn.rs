//! Running the initramfs's other programs from the tests, with their
//! output captured in files under `/tmp`, and the pipe-based handshakes
//! the process tests use to order events between parent and child.
//!
//! Programs are looked up beside this one: `/bin/NAME` on pikern,
//! `build/initramfs/bin/NAME` when the host test runs
//! `build/initramfs/bin/usertests`. A Linux host without binfmt_misc
//! cannot exec aarch64 binaries (`ENOEXEC`); if `PIKERN_QEMU_USER` names
//! qemu-aarch64 (the host test sets it), the program is run through it
//! (`qemu-aarch64 -0 NAME PATH ARGS...`, with `-L $PIKERN_QEMU_LD_PREFIX`
//! for the dynamically linked `*_dyn_c`), else the test is skipped.

use crate::ktap::{Stop, TestResult};
use crate::util::*;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};
use pikern_rt::consts::*;
use pikern_rt::process::{self, cstring, WaitStatus};
use pikern_rt::{env, io, sys, Errno};

/// Exit statuses of a spawned child whose execve failed.
const EXEC_ENOEXEC: i32 = 200;
const EXEC_ENOENT: i32 = 201;
const EXEC_OTHER: i32 = 202;

/// How long a program may run before the test kills it.
pub const DEFAULT_TIMEOUT_MS: u64 = 20_000;

static SEQ: AtomicU32 = AtomicU32::new(0);

/// A fresh scratch path: `/tmp/usertests.<pid>.<n>.<what>`.
pub fn scratch(what: &str) -> String {
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    format!("/tmp/usertests.{}.{n}.{what}", sys::getpid())
}

/// Writes `data` to a new file at `path` (created or truncated).
pub fn write_file(path: &str, data: &[u8]) -> Result<(), Errno> {
    let fd = sys::openat(
        AT_FDCWD,
        &cstring(path)?,
        O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
        0o644,
    )?;
    let r = io::write_all(fd, data);
    let _ = sys::close(fd);
    r
}

/// The content of the file at `path`, as text.
pub fn read_text(path: &str) -> Result<String, Errno> {
    let bytes = io::read_file(&cstring(path)?)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Removes a scratch file (pikern has no unlink yet: errors are ignored).
pub fn remove(path: &str) {
    if let Ok(c) = cstring(path) {
        let _ = sys::unlinkat(AT_FDCWD, &c, 0);
    }
}

/// Removes scratch files and directories, in the order given (contents
/// before their directory); errors are ignored, as in [`remove`].
pub fn remove_all(paths: &[&str]) {
    for path in paths {
        if let Ok(c) = cstring(path) {
            if sys::unlinkat(AT_FDCWD, &c, 0) == Err(Errno::EISDIR) {
                let _ = sys::unlinkat(AT_FDCWD, &c, AT_REMOVEDIR);
            }
        }
    }
}

/// Where program `name` is installed: this program's directory (an
/// absolute `name` is taken as it is).
pub fn program_path(name: &str) -> String {
    if name.starts_with('/') {
        return String::from(name);
    }
    let me = self_path().to_str().unwrap_or("/bin/usertests");
    match me.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/{name}"),
        None => String::from(name),
    }
}

/// A program started by [`spawn`].
pub struct Spawned {
    pub pid: i32,
    path: String,
    pub stdout_path: String,
    pub stderr_path: String,
    stdin_path: Option<String>,
    start_ns: u64,
}

/// How a program ran.
pub struct Output {
    pub pid: i32,
    pub status: WaitStatus,
    pub stdout: String,
    pub stderr: String,
    pub elapsed_ms: u64,
}

impl Output {
    /// Stdout's lines.
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }
}

/// Starts program `name` with `args`; its stdin is `stdin` (through a
/// file) or `/dev/null`, its stdout and stderr go to scratch files. The
/// child starts with default signal dispositions and an empty signal
/// mask, whatever this process has.
pub fn spawn(name: &str, args: &[&str], stdin: Option<&[u8]>) -> Result<Spawned, Stop> {
    let path = program_path(name);
    let stdout_path = scratch("out");
    let stderr_path = scratch("err");
    let stdin_path = match stdin {
        Some(data) => {
            let p = scratch("in");
            if let Err(e) = write_file(&p, data) {
                fail!("cannot write {p}: {e:?}");
            }
            Some(p)
        }
        None => None,
    };
    let mut argv: Vec<&str> = Vec::with_capacity(args.len() + 1);
    argv.push(name);
    argv.extend_from_slice(args);
    let envs: Vec<&str> = env::vars().collect();
    let start_ns = process::monotonic_ns();
    let pid = match process::fork() {
        Ok(0) => {
            let input = stdin_path.as_deref().unwrap_or("/dev/null");
            child_setup(input, &stdout_path, &stderr_path);
            let err = process::exec(&path, &argv, &envs);
            let err = match (err, env::var("PIKERN_QEMU_USER")) {
                (Errno::ENOEXEC, Some(qemu)) if on_linux() => {
                    let mut q: Vec<&str> = alloc::vec![qemu, "-0", name];
                    // A dynamically linked test program finds its loader
                    // and libc in the tree (only it: `-L` redirects every
                    // path qemu-aarch64 opens, `/` included).
                    if let (true, Some(prefix)) =
                        (name.ends_with("_dyn_c"), env::var("PIKERN_QEMU_LD_PREFIX"))
                    {
                        q.extend_from_slice(&["-L", prefix]);
                    }
                    q.push(&path);
                    q.extend_from_slice(args);
                    process::exec(qemu, &q, &envs)
                }
                (e, _) => e,
            };
            sys::exit_group(match err {
                Errno::ENOEXEC => EXEC_ENOEXEC,
                Errno::ENOENT => EXEC_ENOENT,
                _ => EXEC_OTHER,
            })
        }
        Ok(pid) => pid,
        Err(e) => fail!("fork: {e:?}"),
    };
    Ok(Spawned {
        pid,
        path,
        stdout_path,
        stderr_path,
        stdin_path,
        start_ns,
    })
}

/// In the forked child: standard descriptors and signal state.
fn child_setup(stdin: &str, stdout: &str, stderr: &str) {
    for sig in 1..=31 {
        if sig != SIGKILL && sig != SIGSTOP {
            let dfl = sys::SigAction::disposition(SIG_DFL);
            // SAFETY: SIG_DFL runs no code.
            let _ = unsafe { sys::rt_sigaction(sig, Some(&dfl), None) };
        }
    }
    let _ = sys::rt_sigprocmask(SIG_SETMASK, Some(&0), None);
    let place = |path: &str, flags: u32, fd: i32| {
        let opened = cstring(path).and_then(|p| sys::openat(AT_FDCWD, &p, flags, 0o644));
        match opened {
            Ok(f) if f == fd => {}
            Ok(f) => {
                let _ = sys::dup3(f, fd, 0);
                let _ = sys::close(f);
            }
            Err(_) => sys::exit_group(EXEC_OTHER),
        }
    };
    place(stdin, O_RDONLY, 0);
    place(stdout, O_WRONLY | O_CREAT | O_TRUNC, 1);
    place(stderr, O_WRONLY | O_CREAT | O_TRUNC, 2);
}

impl Spawned {
    /// Waits for the program (killing it after `timeout_ms`) and collects
    /// its output. An exec failure skips the test (host without a way to
    /// run aarch64 binaries) or fails it (program missing).
    pub fn wait(self, timeout_ms: u64) -> Result<Output, Stop> {
        self.wait_for_output(timeout_ms, |_| true)
    }

    /// Like [`Spawned::wait`], but after the program exits, waits up to
    /// 5 s more until `complete(stdout)` holds: processes it left behind
    /// may still be writing to the same file.
    pub fn wait_for_output(
        self,
        timeout_ms: u64,
        mut complete: impl FnMut(&str) -> bool,
    ) -> Result<Output, Stop> {
        let status = match wait_timeout(self.pid, timeout_ms) {
            Ok(Some(st)) => st,
            Ok(None) => {
                let out = read_text(&self.stdout_path).unwrap_or_default();
                let err = read_text(&self.stderr_path).unwrap_or_default();
                self.cleanup();
                fail!(
                    "pid {} still running after {timeout_ms} ms, killed; stdout {out:?}, stderr {err:?}",
                    self.pid
                );
            }
            Err(e) => fail!("wait4({}): {e:?}", self.pid),
        };
        let elapsed_ms = (process::monotonic_ns() - self.start_ns) / 1_000_000;
        let exec_failed = matches!(
            status.exit_code(),
            Some(EXEC_ENOEXEC | EXEC_ENOENT | EXEC_OTHER)
        );
        if !exec_failed {
            eventually(5_000, || {
                complete(&read_text(&self.stdout_path).unwrap_or_default())
            });
        }
        let out = Output {
            pid: self.pid,
            status,
            stdout: read_text(&self.stdout_path).unwrap_or_default(),
            stderr: read_text(&self.stderr_path).unwrap_or_default(),
            elapsed_ms,
        };
        self.cleanup();
        match status.exit_code() {
            Some(EXEC_ENOEXEC) if on_linux() => skip!(
                "this host cannot exec aarch64 binaries (no binfmt_misc) and \
                 PIKERN_QEMU_USER is not set"
            ),
            Some(EXEC_ENOENT) => fail!("{} is not installed", self.path),
            Some(EXEC_ENOEXEC | EXEC_OTHER) => fail!("could not exec {}: {status:?}", self.path),
            _ => Ok(out),
        }
    }

    /// Removes the scratch files.
    pub fn cleanup(&self) {
        remove(&self.stdout_path);
        remove(&self.stderr_path);
        if let Some(p) = &self.stdin_path {
            remove(p);
        }
    }
}

/// Runs program `name` to completion (see [`spawn`]).
pub fn run(name: &str, args: &[&str], stdin: Option<&[u8]>) -> Result<Output, Stop> {
    spawn(name, args, stdin)?.wait(DEFAULT_TIMEOUT_MS)
}

/// Waits for child `pid` for at most `timeout_ms`; `Ok(None)` if it was
/// still running then (it has been killed and reaped).
pub fn wait_timeout(pid: i32, timeout_ms: u64) -> Result<Option<WaitStatus>, Errno> {
    let deadline = process::monotonic_ns() + timeout_ms * 1_000_000;
    loop {
        let mut st = 0;
        match sys::wait4(pid, Some(&mut st), WNOHANG) {
            Ok(0) => {}
            Ok(_) => return Ok(Some(WaitStatus(st))),
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
        }
        if process::monotonic_ns() > deadline {
            let _ = signal_child(pid, SIGKILL);
            let _ = process::waitpid(pid, 0);
            return Ok(None);
        }
        let _ = process::sleep_ms(5);
    }
}

/// Polls `cond` every 5 ms for up to `timeout_ms`; true once it holds.
pub fn eventually(timeout_ms: u64, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = process::monotonic_ns() + timeout_ms * 1_000_000;
    loop {
        if cond() {
            return true;
        }
        if process::monotonic_ns() > deadline {
            return false;
        }
        let _ = process::sleep_ms(5);
    }
}

/// A one-way pipe for "I am ready" handshakes between a parent and a
/// forked child; skips the test if the kernel has no `pipe2`.
pub struct Gate {
    r: i32,
    w: i32,
}

impl Gate {
    pub fn new() -> Result<Gate, Stop> {
        match sys::pipe2(O_CLOEXEC) {
            Ok([r, w]) => Ok(Gate { r, w }),
            Err(Errno::ENOSYS) => skip!("pipe2 not implemented (ENOSYS)"),
            Err(e) => fail!("pipe2: {e:?}"),
        }
    }

    /// This side only writes: closes the read end.
    pub fn sender(&mut self) {
        let _ = sys::close(core::mem::replace(&mut self.r, -1));
    }

    /// This side only reads: closes the write end, so the read sees end
    /// of file if the other side dies.
    pub fn receiver(&mut self) {
        let _ = sys::close(core::mem::replace(&mut self.w, -1));
    }

    /// Sends `data`.
    pub fn send(&self, data: &[u8]) -> TestResult {
        match io::write_all(self.w, data) {
            Ok(()) => Ok(()),
            Err(e) => fail!("gate write: {e:?}"),
        }
    }

    /// Receives exactly `buf.len()` bytes (fails on end of file).
    pub fn recv(&self, buf: &mut [u8]) -> TestResult {
        let mut got = 0;
        while got < buf.len() {
            match sys::read(self.r, &mut buf[got..]) {
                Ok(0) => fail!("gate: the other side went away after {got} bytes"),
                Ok(n) => got += n,
                Err(Errno::EINTR) => {}
                Err(e) => fail!("gate read: {e:?}"),
            }
        }
        Ok(())
    }

    /// Sends one byte.
    pub fn open(&self) -> TestResult {
        self.send(b"!")
    }

    /// Waits for one byte.
    pub fn wait(&self) -> TestResult {
        self.recv(&mut [0u8])
    }

    /// Sends a u32.
    pub fn send_u32(&self, v: u32) -> TestResult {
        self.send(&v.to_le_bytes())
    }

    /// Receives a u32.
    pub fn recv_u32(&self) -> Result<u32, Stop> {
        let mut b = [0u8; 4];
        self.recv(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        for fd in [self.r, self.w] {
            if fd >= 0 {
                let _ = sys::close(fd);
            }
        }
    }
}

/// Checks the output of a C check program (user/c/check.h): exit status
/// 0, `checks` lines starting `ok `, and the last line
/// `NAME: checks/checks passed`; the failing lines are echoed as
/// diagnostics.
pub fn check_c_program(out: &Output, name: &str, checks: usize) -> TestResult {
    let oks = out.lines().iter().filter(|l| l.starts_with("ok ")).count();
    if out.status.exit_code() != Some(0)
        || oks != checks
        || !out
            .stdout
            .ends_with(&alloc::format!("{name}: {checks}/{checks} passed\n"))
    {
        for line in out.lines().iter().filter(|l| l.starts_with("not ok")) {
            diag!("{line}");
        }
        fail!(
            "{:?}; stdout {:?}; stderr {:?}",
            out.status,
            out.stdout,
            out.stderr
        );
    }
    Ok(())
}
