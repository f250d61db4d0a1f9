//! `sh`: pikern's shell.
//!
//! ```text
//! sh                       interactive if stdin and stderr are terminals,
//!                          else reads commands from stdin
//! sh -i                    interactive even if they are not
//! sh -c 'LINE' [NAME [ARG...]]   runs LINE ($0 = NAME, $1... = ARGs)
//! sh FILE [ARG...]         runs the script FILE ($0 = FILE)
//! ```
//!
//! # Language
//!
//! One command line at a time (grammar in `parse.rs`): programs with
//! arguments, found in `$PATH` (`/bin` if unset; names with a `/` are
//! used as given); `;` sequencing; `&&` and `||`; `|` pipes; `&`
//! background jobs; redirections `<`, `>`, `>>`, `N>`, `N>&M`; quotes
//! and backslashes; `$?`, `$$`, `$!`, `$#`, `$0`..`$9` and environment
//! variables; `#` comments. A script is one command line per line.
//!
//! Builtins: `cd [DIR]` (default `$HOME`, else `/`), `pwd`, `exit [N]`,
//! `wait [PID...]`, `jobs`, `:`. A builtin alone runs in the shell
//! itself, with its redirections applied and undone around it.
//!
//! # Statuses and messages
//!
//! `$?` is the exit code, or 128 + the signal that killed the command. An
//! unknown command prints `sh: NAME: command not found` (status 127); a
//! file that cannot be executed, `sh: NAME: <reason>` (126); a file
//! without `#!` that is not an ELF runs as a script of this shell. A
//! foreground job killed by a signal other than SIGINT or SIGPIPE prints
//! the signal's description (`Killed`, `Segmentation fault`).
//!
//! Background jobs: `cmd &` prints `[PID]` when interactive; its standard
//! input is `/dev/null` and it ignores SIGINT and SIGQUIT (POSIX, for a
//! shell without job control), so Ctrl-C never reaches it. `wait` waits
//! for every job (or the PIDs given) and prints, on stdout, one line per
//! job: `[PID] Done`, `[PID] Exit N`, or `[PID] <signal description>`.
//! An interactive shell also reports jobs that finished, the same way on
//! stderr, before each prompt.
//!
//! # Interactive use, Ctrl-C and end of input
//!
//! The prompt is `pikern:<cwd># `. While a line is read the terminal is
//! in raw mode (`TCSETS`: no `ICANON`, `ECHO`, `ISIG`, `IEXTEN`, `ICRNL`,
//! `IXON`) and the shell echoes and edits the line itself (`input.rs`:
//! Backspace/DEL, Ctrl-W, Ctrl-U, Ctrl-C, Ctrl-D); prompt and echo go to
//! stderr, as bash's do. Before a command runs the terminal gets its own
//! settings back (the line discipline's canonical mode), and at exit.
//!
//! Ctrl-C while typing abandons the line: `^C`, a new prompt, `$?` =
//! 130. In raw mode it arrives as byte 0x03; a SIGINT that ends the
//! blocked read with `EINTR` (a `kill -INT`) does the same.
//!
//! Ctrl-C while a foreground job runs: this shell has no job control, so
//! it and its commands share one process group, the terminal's foreground
//! group, and the terminal's `ISIG` sends SIGINT to all of them. The
//! shell survives: it catches SIGINT with a handler that only sets a flag
//! (its children get the default action back before exec), so a
//! foreground job dies and the shell prints a newline and continues. A
//! non-interactive shell whose foreground job died of SIGINT stops with
//! status 130, as bash does.
//!
//! End of input (a read returns 0, or Ctrl-D on an empty line) is `exit`:
//! the interactive shell prints `exit` and exits with `$?`. Mid-line a
//! Ctrl-D is ignored on a terminal, as bash ignores it there.
//!
//! An interactive shell ignores SIGQUIT and SIGTERM (as bash does); all
//! shells reset SIGCHLD to the default, so `wait4` sees their children
//! even if they were started with it ignored.
//!
//! Memory: the runtime's heap only reuses the most recently freed block,
//! so each command line leaves a few hundred bytes behind: fine for
//! interactive use and scripts, not for millions of lines.

#![no_std]
#![no_main]

extern crate alloc;

mod input;
mod parse;

use alloc::ffi::CString;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::ffi::CStr;
use core::sync::atomic::{AtomicBool, Ordering};
use input::{Editor, Line};
use parse::{AndOr, Command, Connector, Part, Pipeline, RedirOp, Var, Word};
use pikern_rt::consts::*;
use pikern_rt::process::{self, WaitStatus};
use pikern_rt::sys::{self, SigAction, Termios};
use pikern_rt::{env, eprintln, io, println, signal, Errno};

pikern_rt::entry!(main);

/// Set by the SIGINT handler, cleared by whoever acts on it (the line
/// editor, `wait`).
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_sig: i32) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Where command lines come from.
enum Source {
    Stdin,
    Text(Vec<u8>),
}

/// A redirection with its target expanded.
struct Target {
    fd: i32,
    op: RedirOp,
    path: Vec<u8>,
}

struct Shell {
    interactive: bool,
    /// The terminal's own settings (Linux): restored after raw-mode reads.
    cooked: Option<Termios>,
    /// `$?`.
    status: i32,
    /// Set by `exit` (and fatal errors of a non-interactive shell).
    exit_request: Option<i32>,
    /// Background jobs not reaped yet.
    jobs: Vec<i32>,
    /// `$!`.
    last_bg: Option<i32>,
    /// `$$`: the shell's pid, also in its subshells.
    pid: i32,
    /// `$0`, `$1`, ...
    params: Vec<Vec<u8>>,
    /// Signals the shell was started with ignored: its commands inherit
    /// that (a shell run in the background must not become Ctrl-C-able).
    ignore_int: bool,
    ignore_quit: bool,
    ignore_term: bool,
    editor: Editor,
}

fn main(_args: &[&str]) -> i32 {
    let args: Vec<&'static str> = env::args().collect();
    let mut i = 1;
    let mut force_interactive = false;
    while args.get(i) == Some(&"-i") {
        force_interactive = true;
        i += 1;
    }
    let owned = |list: &[&str]| {
        list.iter()
            .map(|s| s.as_bytes().to_vec())
            .collect::<Vec<_>>()
    };
    let (source, params, interactive) = match args.get(i).copied() {
        Some("-c") => {
            let Some(line) = args.get(i + 1) else {
                eprintln!("sh: -c: option requires an argument");
                return 2;
            };
            let mut params = owned(&args[i + 2..]);
            if params.is_empty() {
                params.push(b"sh".to_vec());
            }
            let source = Source::Text(line.as_bytes().to_vec());
            (source, params, force_interactive)
        }
        Some(opt) if opt.starts_with('-') && opt.len() > 1 => {
            eprintln!("sh: {opt}: invalid option\nusage: sh [-i] [-c LINE [NAME [ARG...]] | FILE [ARG...]]");
            return 2;
        }
        Some(file) => {
            let text = match process::cstring(file).and_then(|p| io::read_file(&p)) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("sh: {file}: {}", e.message());
                    return 127;
                }
            };
            (Source::Text(text), owned(&args[i..]), force_interactive)
        }
        None => {
            let interactive = force_interactive || (sys::isatty(0) && sys::isatty(2));
            (Source::Stdin, owned(&args[..1]), interactive)
        }
    };

    let tty = sys::isatty(0);
    let mut sh = Shell {
        interactive,
        cooked: if interactive && tty {
            sys::tcgets(0).ok()
        } else {
            None
        },
        status: 0,
        exit_request: None,
        jobs: Vec::new(),
        last_bg: None,
        pid: sys::getpid(),
        params,
        ignore_int: false,
        ignore_quit: false,
        ignore_term: false,
        editor: Editor::new(tty),
    };
    sh.setup_signals();
    let status = match source {
        Source::Stdin => sh.run_stdin(),
        Source::Text(text) => sh.run_text(&text),
    };
    sh.restore_terminal();
    status
}

fn query_signal(sig: u32) -> Option<SigAction> {
    let mut old = SigAction::default();
    // SAFETY: only reads the current action.
    unsafe { sys::rt_sigaction(sig, None, Some(&mut old)) }
        .ok()
        .map(|_| old)
}

fn set_disposition(sig: u32, handler: u64) {
    // SAFETY: SIG_DFL and SIG_IGN run no code in this process.
    let _ = unsafe { sys::rt_sigaction(sig, Some(&SigAction::disposition(handler)), None) };
}

fn ignore_if(sig: u32, ignore: bool) {
    set_disposition(sig, if ignore { SIG_IGN } else { SIG_DFL });
}

/// `/dev/null` as standard input (background jobs).
fn null_stdin() {
    if let Ok(fd) = sys::open(c"/dev/null", O_RDONLY) {
        if fd != 0 {
            let _ = sys::dup3(fd, 0, 0);
            let _ = sys::close(fd);
        }
    }
}

fn is_builtin(name: &[u8]) -> bool {
    matches!(name, b"cd" | b"pwd" | b"exit" | b"wait" | b"jobs" | b":")
}

/// How `wait` and the job notices describe a finished job.
fn job_line(pid: i32, st: WaitStatus) -> String {
    match (st.exit_code(), st.term_signal()) {
        (Some(0), _) => format!("[{pid}] Done"),
        (Some(n), _) => format!("[{pid}] Exit {n}"),
        (None, Some(sig)) => {
            let core = if st.core_dumped() {
                " (core dumped)"
            } else {
                ""
            };
            format!("[{pid}] {}{core}", signal::description(sig))
        }
        _ => format!("[{pid}] {st}"),
    }
}

/// Applies one redirection to this process's descriptors.
fn apply_redir(r: &Target) -> Result<(), String> {
    let name = || String::from_utf8_lossy(&r.path);
    let flags = match r.op {
        RedirOp::Dup => {
            let Some(src) = parse::parse_fd(&r.path) else {
                return Err(format!("{}: bad file descriptor", name()));
            };
            if src != r.fd {
                sys::dup3(src, r.fd, 0).map_err(|e| format!("{src}: {}", e.message()))?;
            }
            return Ok(());
        }
        RedirOp::In => O_RDONLY,
        RedirOp::Out => O_WRONLY | O_CREAT | O_TRUNC,
        RedirOp::Append => O_WRONLY | O_CREAT | O_APPEND,
    };
    let path = CString::new(r.path.clone()).map_err(|_| format!("{}: bad file name", name()))?;
    let fd = sys::openat(AT_FDCWD, &path, flags, 0o666)
        .map_err(|e| format!("{}: {}", name(), e.message()))?;
    if fd != r.fd {
        let moved = sys::dup3(fd, r.fd, 0);
        let _ = sys::close(fd);
        moved.map_err(|e| format!("{}: {}", r.fd, e.message()))?;
    }
    Ok(())
}

/// True if the file at `path` starts like an ELF executable.
fn is_elf(path: &CStr) -> bool {
    let Ok(fd) = sys::open(path, O_RDONLY | O_CLOEXEC) else {
        return false;
    };
    let mut magic = [0u8; 4];
    let n = sys::read(fd, &mut magic);
    let _ = sys::close(fd);
    n == Ok(4) && magic == *b"\x7fELF"
}

impl Shell {
    fn setup_signals(&mut self) {
        let ignored = |sig| query_signal(sig).is_some_and(|a| a.sa_handler == SIG_IGN);
        self.ignore_int = ignored(SIGINT);
        self.ignore_quit = ignored(SIGQUIT);
        self.ignore_term = ignored(SIGTERM);
        // Inherited SIG_IGN for SIGCHLD would make children vanish
        // unwaited and every status unknowable.
        set_disposition(SIGCHLD, SIG_DFL);
        if !self.ignore_int {
            // No SA_RESTART: a read or wait4 in progress returns EINTR.
            let act = SigAction::handler(on_sigint, 0);
            // SAFETY: the handler only stores to an atomic.
            let _ = unsafe { sys::rt_sigaction(SIGINT, Some(&act), None) };
        }
        if self.interactive {
            set_disposition(SIGQUIT, SIG_IGN);
            set_disposition(SIGTERM, SIG_IGN);
        }
    }

    /// In a forked child about to run a command: the signal dispositions
    /// the command must start with.
    fn child_signals(&self, background: bool) {
        ignore_if(SIGINT, background || self.ignore_int);
        ignore_if(SIGQUIT, background || self.ignore_quit);
        ignore_if(SIGTERM, self.ignore_term);
    }

    /// In a forked child: no prompts, no jobs, no terminal ownership.
    fn become_subshell(&mut self) {
        self.interactive = false;
        self.cooked = None;
        self.jobs.clear();
    }

    // ------------------------------------------------------------ terminal

    fn raw_terminal(&self) {
        if let Some(t) = &self.cooked {
            let mut raw = *t;
            raw.c_lflag &= !(ICANON | ECHO | ISIG | IEXTEN);
            raw.c_iflag &= !(ICRNL | IXON);
            raw.c_cc[VMIN] = 1;
            raw.c_cc[VTIME] = 0;
            let _ = sys::tcsets(0, &raw);
        }
    }

    fn restore_terminal(&self) {
        if let Some(t) = &self.cooked {
            let _ = sys::tcsets(0, t);
        }
    }

    // ------------------------------------------------------------- input

    fn prompt(&self) -> String {
        let mut buf = [0u8; 256];
        let cwd = match sys::getcwd(&mut buf) {
            Ok(_) => {
                let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
                String::from_utf8_lossy(&buf[..len]).into_owned()
            }
            Err(_) => String::from("?"),
        };
        format!("pikern:{cwd}# ")
    }

    fn run_stdin(&mut self) -> i32 {
        loop {
            let line = if self.interactive {
                self.reap_jobs(2);
                INTERRUPTED.store(false, Ordering::SeqCst);
                let prompt = self.prompt();
                self.raw_terminal();
                let line = self.editor.read_line(prompt.as_bytes());
                self.restore_terminal();
                line
            } else {
                input::read_plain_line()
            };
            match line {
                Line::Text(text) => self.run_line(&text),
                Line::Interrupted => self.status = 130,
                Line::Eof => {
                    if self.interactive {
                        let _ = io::write_all(2, b"exit\n");
                    }
                    return self.status;
                }
            }
            if let Some(code) = self.exit_request {
                return code;
            }
        }
    }

    fn run_text(&mut self, text: &[u8]) -> i32 {
        for line in text.split(|&b| b == b'\n') {
            self.run_line(line);
            if let Some(code) = self.exit_request {
                return code;
            }
        }
        self.status
    }

    fn run_line(&mut self, line: &[u8]) {
        match parse::parse(line) {
            Ok(list) => {
                for and_or in &list {
                    if and_or.background {
                        self.background(and_or);
                    } else {
                        self.status = self.run_and_or(and_or);
                    }
                    if self.exit_request.is_some() {
                        break;
                    }
                }
            }
            Err(msg) => {
                eprintln!("sh: {msg}");
                self.status = 2;
                if !self.interactive {
                    self.exit_request = Some(2);
                }
            }
        }
    }

    // --------------------------------------------------------- expansion

    fn push_var(&self, var: &Var, out: &mut Vec<u8>) {
        let number = |n: i64, out: &mut Vec<u8>| out.extend_from_slice(format!("{n}").as_bytes());
        match var {
            Var::Status => number(i64::from(self.status), out),
            Var::Pid => number(i64::from(self.pid), out),
            Var::LastBg => {
                if let Some(pid) = self.last_bg {
                    number(i64::from(pid), out);
                }
            }
            Var::Argc => number(self.params.len().saturating_sub(1) as i64, out),
            Var::Positional(n) => {
                if let Some(p) = self.params.get(*n) {
                    out.extend_from_slice(p);
                }
            }
            Var::Name(name) => {
                let value = core::str::from_utf8(name).ok().and_then(env::var);
                out.extend_from_slice(value.unwrap_or("").as_bytes());
            }
        }
    }

    /// A word's text; `None` for an unquoted word that expands to nothing
    /// (it is not an argument at all).
    fn expand(&self, w: &Word) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        for part in &w.parts {
            match part {
                Part::Lit(bytes) => out.extend_from_slice(bytes),
                Part::Var(var) => self.push_var(var, &mut out),
            }
        }
        (w.quoted || !out.is_empty()).then_some(out)
    }

    fn expand_words(&self, words: &[Word]) -> Vec<Vec<u8>> {
        words.iter().filter_map(|w| self.expand(w)).collect()
    }

    fn expand_redirs(&self, cmd: &Command) -> Vec<Target> {
        cmd.redirs
            .iter()
            .map(|r| Target {
                fd: r.fd,
                op: r.op,
                path: self.expand(&r.target).unwrap_or_default(),
            })
            .collect()
    }

    // --------------------------------------------------------- execution

    fn run_and_or(&mut self, and_or: &AndOr) -> i32 {
        let mut status = self.run_pipeline(&and_or.first);
        for (conn, pipeline) in &and_or.rest {
            if self.exit_request.is_some() {
                break;
            }
            // `$?` in the next pipeline is this one's status.
            self.status = status;
            let run = match conn {
                Connector::And => status == 0,
                Connector::Or => status != 0,
            };
            if run {
                status = self.run_pipeline(pipeline);
            }
        }
        status
    }

    fn run_pipeline(&mut self, pipeline: &Pipeline) -> i32 {
        if let [cmd] = pipeline.cmds.as_slice() {
            let argv = self.expand_words(&cmd.words);
            if argv.first().is_none_or(|name| is_builtin(name)) {
                return self.in_shell(cmd, &argv);
            }
        }
        let mut pids = Vec::new();
        let mut failed = false;
        let mut input: Option<i32> = None;
        let count = pipeline.cmds.len();
        for (i, cmd) in pipeline.cmds.iter().enumerate() {
            let pipe = if i + 1 < count {
                match sys::pipe2(O_CLOEXEC) {
                    Ok(fds) => Some(fds),
                    Err(e) => {
                        eprintln!("sh: pipe: {}", e.message());
                        failed = true;
                        break;
                    }
                }
            } else {
                None
            };
            let spawned = self.spawn(cmd, input, pipe.map(|p| p[1]), false);
            if let Some(fd) = input.take() {
                let _ = sys::close(fd);
            }
            if let Some([read_end, write_end]) = pipe {
                let _ = sys::close(write_end);
                input = Some(read_end);
            }
            match spawned {
                Ok(pid) => pids.push(pid),
                Err(e) => {
                    eprintln!("sh: fork: {}", e.message());
                    failed = true;
                }
            }
        }
        if let Some(fd) = input {
            let _ = sys::close(fd);
        }
        if pids.is_empty() {
            return 1;
        }
        let status = self.wait_foreground(&pids);
        if failed {
            1
        } else {
            status
        }
    }

    /// Runs a builtin (or a command of only redirections) in the shell,
    /// with its redirections applied and then undone.
    fn in_shell(&mut self, cmd: &Command, argv: &[Vec<u8>]) -> i32 {
        let mut saved: Vec<(i32, Option<i32>)> = Vec::new();
        let mut status = None;
        for r in &self.expand_redirs(cmd) {
            if !saved.iter().any(|s| s.0 == r.fd) {
                // Keep the original above the low descriptors, closed on
                // exec in case a builtin ever runs a program.
                let copy = sys::fcntl(r.fd, F_DUPFD_CLOEXEC, 10).ok();
                saved.push((r.fd, copy.map(|fd| fd as i32)));
            }
            if let Err(msg) = apply_redir(r) {
                eprintln!("sh: {msg}");
                status = Some(1);
                break;
            }
        }
        let status = match status {
            Some(s) => s,
            None if argv.is_empty() => 0,
            None => self.builtin(argv),
        };
        for (fd, copy) in saved.into_iter().rev() {
            match copy {
                Some(c) => {
                    let _ = sys::dup3(c, fd, 0);
                    let _ = sys::close(c);
                }
                None => {
                    let _ = sys::close(fd);
                }
            }
        }
        status
    }

    /// Forks a child running `cmd` with the given pipe ends as stdin and
    /// stdout; returns its pid.
    fn spawn(
        &mut self,
        cmd: &Command,
        stdin: Option<i32>,
        stdout: Option<i32>,
        background: bool,
    ) -> Result<i32, Errno> {
        // Expanded in the parent: `$?` and `$!` are the shell's.
        let argv = self.expand_words(&cmd.words);
        let redirs = self.expand_redirs(cmd);
        let pid = process::fork()?;
        if pid != 0 {
            return Ok(pid);
        }
        self.child_signals(background);
        match stdin {
            Some(fd) => {
                let _ = sys::dup3(fd, 0, 0);
            }
            None if background => null_stdin(),
            None => {}
        }
        if let Some(fd) = stdout {
            let _ = sys::dup3(fd, 1, 0);
        }
        for r in &redirs {
            if let Err(msg) = apply_redir(r) {
                eprintln!("sh: {msg}");
                sys::exit_group(1);
            }
        }
        self.become_subshell();
        if argv.is_empty() {
            sys::exit_group(0);
        }
        if is_builtin(&argv[0]) {
            let status = self.builtin(&argv);
            sys::exit_group(self.exit_request.unwrap_or(status));
        }
        self.exec(&argv)
    }

    /// In a forked child: runs the program `argv[0]`, searching `$PATH`.
    fn exec(&mut self, argv: &[Vec<u8>]) -> ! {
        let name = String::from_utf8_lossy(&argv[0]).into_owned();
        let Ok(cargs) = argv
            .iter()
            .map(|a| CString::new(a.clone()))
            .collect::<Result<Vec<_>, _>>()
        else {
            eprintln!("sh: {name}: argument contains a NUL byte");
            sys::exit_group(126);
        };
        let mut ptrs: Vec<*const u8> = cargs.iter().map(|c| c.as_ptr().cast()).collect();
        ptrs.push(core::ptr::null());
        let try_exec = |path: &CStr| {
            // SAFETY: ptrs is a NULL-terminated array of pointers into
            // cargs, alive until execve returns; the environment array is
            // the one the kernel gave this process, NULL-terminated too.
            unsafe { sys::execve(path, ptrs.as_ptr(), env::envp_raw()) }
        };
        if argv[0].contains(&b'/') {
            let err = try_exec(&cargs[0]);
            self.exec_failed(&cargs[0], argv, err);
        }
        let mut first_error: Option<(CString, Errno)> = None;
        for dir in env::var("PATH").unwrap_or("/bin").split(':') {
            let dir = if dir.is_empty() { "." } else { dir };
            let mut full = Vec::with_capacity(dir.len() + 1 + argv[0].len());
            full.extend_from_slice(dir.as_bytes());
            full.push(b'/');
            full.extend_from_slice(&argv[0]);
            let Ok(full) = CString::new(full) else {
                continue;
            };
            match try_exec(&full) {
                Errno::ENOENT | Errno::ENOTDIR => {}
                err => {
                    first_error.get_or_insert((full, err));
                }
            }
        }
        match first_error {
            Some((path, err)) => self.exec_failed(&path, argv, err),
            None => {
                eprintln!("sh: {name}: command not found");
                sys::exit_group(127)
            }
        }
    }

    /// In a forked child whose execve of `path` failed with `err`.
    fn exec_failed(&mut self, path: &CStr, argv: &[Vec<u8>], err: Errno) -> ! {
        if err == Errno::ENOEXEC && !is_elf(path) {
            // POSIX: a file the kernel will not run is a script of this
            // shell.
            if let Ok(text) = io::read_file(path) {
                self.params = argv.to_vec();
                let status = self.run_text(&text);
                sys::exit_group(status);
            }
        }
        let name = String::from_utf8_lossy(&argv[0]);
        let reason = match err {
            Errno::ENOEXEC => "cannot execute binary file: Exec format error",
            e => e.message(),
        };
        eprintln!("sh: {name}: {reason}");
        sys::exit_group(if err == Errno::ENOENT { 127 } else { 126 })
    }

    /// Waits for a foreground pipeline (Ctrl-C goes to its last command);
    /// returns the last command's shell status.
    fn wait_foreground(&mut self, pids: &[i32]) -> i32 {
        let last = pids[pids.len() - 1];
        let mut result = WaitStatus(0);
        for &pid in pids {
            let st = loop {
                let mut st = 0;
                match sys::wait4(pid, Some(&mut st), 0) {
                    Ok(_) => break Some(WaitStatus(st)),
                    // The job's Ctrl-C reached the shell too (Linux):
                    // keep waiting for the job to finish.
                    Err(Errno::EINTR) => {}
                    Err(_) => break None,
                }
            };
            if let (true, Some(st)) = (pid == last, st) {
                result = st;
            }
        }
        INTERRUPTED.store(false, Ordering::SeqCst);
        if let Some(sig) = result.term_signal() {
            if sig == SIGINT {
                let _ = io::write_all(2, b"\n");
                if !self.interactive {
                    self.exit_request = Some(128 + SIGINT as i32);
                }
            } else if sig != SIGPIPE {
                let core = if result.core_dumped() {
                    " (core dumped)"
                } else {
                    ""
                };
                eprintln!("{}{core}", signal::description(sig));
            }
        }
        result.shell_status()
    }

    /// Starts `and_or` in the background.
    fn background(&mut self, and_or: &AndOr) {
        let simple = and_or.single_command().filter(|cmd| {
            self.expand_words(&cmd.words)
                .first()
                .is_some_and(|name| !is_builtin(name))
        });
        let spawned = match simple {
            Some(cmd) => self.spawn(cmd, None, None, true),
            None => self.subshell(and_or),
        };
        match spawned {
            Ok(pid) => {
                self.jobs.push(pid);
                self.last_bg = Some(pid);
                if self.interactive {
                    eprintln!("[{pid}]");
                }
                self.status = 0;
            }
            Err(e) => {
                eprintln!("sh: fork: {}", e.message());
                self.status = 1;
            }
        }
    }

    /// Forks a copy of the shell that runs `and_or` and exits.
    fn subshell(&mut self, and_or: &AndOr) -> Result<i32, Errno> {
        let pid = process::fork()?;
        if pid != 0 {
            return Ok(pid);
        }
        self.become_subshell();
        self.ignore_int = true;
        self.ignore_quit = true;
        set_disposition(SIGINT, SIG_IGN);
        set_disposition(SIGQUIT, SIG_IGN);
        null_stdin();
        let status = self.run_and_or(and_or);
        sys::exit_group(self.exit_request.unwrap_or(status))
    }

    // ---------------------------------------------------------- builtins

    fn builtin(&mut self, argv: &[Vec<u8>]) -> i32 {
        match argv[0].as_slice() {
            b"cd" => self.cd(argv),
            b"pwd" => pwd(),
            b"exit" => self.exit(argv),
            b"wait" => self.wait(argv),
            b"jobs" => {
                self.reap_jobs(1);
                for pid in &self.jobs {
                    println!("[{pid}] Running");
                }
                0
            }
            _ => 0,
        }
    }

    fn cd(&mut self, argv: &[Vec<u8>]) -> i32 {
        let dir = match argv.get(1) {
            Some(d) => d.clone(),
            None => env::var("HOME").unwrap_or("/").as_bytes().to_vec(),
        };
        let name = String::from_utf8_lossy(&dir).into_owned();
        match CString::new(dir)
            .map_err(|_| Errno::EINVAL)
            .and_then(|d| sys::chdir(&d))
        {
            Ok(_) => 0,
            Err(e) => {
                eprintln!("sh: cd: {name}: {}", e.message());
                1
            }
        }
    }

    fn exit(&mut self, argv: &[Vec<u8>]) -> i32 {
        let code = match argv.get(1) {
            None => self.status,
            Some(arg) => match core::str::from_utf8(arg)
                .ok()
                .and_then(|s| s.parse::<i32>().ok())
            {
                Some(n) => n & 0xff,
                None => {
                    eprintln!(
                        "sh: exit: {}: numeric argument required",
                        String::from_utf8_lossy(arg)
                    );
                    2
                }
            },
        };
        self.exit_request = Some(code);
        code
    }

    /// `wait [PID...]`: waits for the jobs, printing how each ended. With
    /// PIDs the status is the last one's, else 0; 130 if interrupted.
    fn wait(&mut self, argv: &[Vec<u8>]) -> i32 {
        let targets: Vec<i32> = if argv.len() > 1 {
            let mut pids = Vec::new();
            for arg in &argv[1..] {
                match core::str::from_utf8(arg).ok().and_then(|s| s.parse().ok()) {
                    Some(pid) if self.jobs.contains(&pid) => pids.push(pid),
                    _ => {
                        eprintln!(
                            "sh: wait: {}: not a job of this shell",
                            String::from_utf8_lossy(arg)
                        );
                        return 127;
                    }
                }
            }
            pids
        } else {
            self.jobs.clone()
        };
        let mut status = 0;
        for pid in targets {
            loop {
                let mut st = 0;
                match sys::wait4(pid, Some(&mut st), 0) {
                    Ok(_) => {
                        let st = WaitStatus(st);
                        println!("{}", job_line(pid, st));
                        status = st.shell_status();
                        break;
                    }
                    Err(Errno::EINTR) => {
                        if INTERRUPTED.swap(false, Ordering::SeqCst) {
                            return 128 + SIGINT as i32;
                        }
                    }
                    Err(_) => break,
                }
            }
            self.jobs.retain(|&p| p != pid);
        }
        if argv.len() > 1 {
            status
        } else {
            0
        }
    }

    /// Reaps the jobs that have finished, without blocking, printing a
    /// line for each on `fd`.
    fn reap_jobs(&mut self, fd: i32) {
        let mut i = 0;
        while i < self.jobs.len() {
            let pid = self.jobs[i];
            let mut st = 0;
            match sys::wait4(pid, Some(&mut st), WNOHANG) {
                Ok(0) | Err(Errno::EINTR) => i += 1,
                Ok(_) => {
                    let line = job_line(pid, WaitStatus(st));
                    let _ = io::write_all(fd, format!("{line}\n").as_bytes());
                    self.jobs.remove(i);
                }
                Err(_) => {
                    self.jobs.remove(i);
                }
            }
        }
    }
}

fn pwd() -> i32 {
    let mut buf = vec![0u8; 4096];
    match sys::getcwd(&mut buf) {
        Ok(_) => {
            // The path ends at its NUL (Linux's result counts the NUL).
            let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len() - 1);
            buf[len] = b'\n';
            match io::write_all(1, &buf[..=len]) {
                Ok(()) => 0,
                Err(_) => 1,
            }
        }
        Err(e) => {
            eprintln!("sh: pwd: {}", e.message());
            1
        }
    }
}
