//! Suite `programs`: runs the initramfs's programs the way a user would
//! (stdout and stderr captured in files under `/tmp`) and checks what
//! they print and how they exit: hello and hello_c, vdso_c, both raspbian_fork
//! versions, the shell (`sh -c`, scripts, redirections, background jobs,
//! the interactive line editor, Ctrl-C) and the tools.
//!
//! `raspbian_fork_c` takes 6 s (the seed's timing); it runs only with
//! `usertests --slow`.

use crate::ktap::{Stop, Suite, TestResult};
use crate::procfs;
use crate::spawn::*;
use crate::util::*;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use pikern_rt::consts::*;
use pikern_rt::process::{self, cstring};
use pikern_rt::sys::{self, Stat};
use pikern_rt::Errno;

pub static SUITE: Suite = Suite {
    name: "programs",
    tests: tests![
        hello_rust,
        hello_c,
        jobctl_c,
        vdso_c,
        vdso_dyn_c,
        ptrace_c,
        syscalls2_c,
        raspbian_fork_rust,
        raspbian_fork_c_seed,
        sh_c_redirect_then_cat,
        sh_unknown_command_127,
        sh_status_and_sequencing,
        sh_redirections,
        sh_script_file,
        sh_background_and_wait,
        sh_cd_and_pwd,
        sh_pipeline,
        sh_interactive_editing,
        sh_interactive_eof_exit_status,
        sh_ctrl_c_kills_job_not_shell,
        echo_args,
        cat_files_and_stdin,
        ls_lists_directory,
        mkdir_parents,
        sleep_fractions,
        kill_signals,
        ps_lists_processes,
        true_false,
    ],
};

/// Fails unless stdout is exactly `want` and the exit status 0.
fn check_output(out: &Output, want: &str) -> TestResult {
    if out.status.exit_code() != Some(0) || out.stdout != want {
        fail!(
            "{:?}; stdout {:?}, expected {want:?}; stderr {:?}",
            out.status,
            out.stdout,
            out.stderr
        );
    }
    Ok(())
}

/// `sh -c LINE`.
fn sh_c(line: &str) -> Result<Output, Stop> {
    run("sh", &["-c", line], None)
}

fn cwd() -> String {
    let mut buf = [0u8; 512];
    let _ = sys::getcwd(&mut buf);
    let len = buf.iter().position(|&b| b == 0).unwrap_or(0);
    String::from_utf8_lossy(&buf[..len]).into_owned()
}

fn is_dir(path: &str) -> bool {
    let mut st = Stat::default();
    cstring(path).is_ok_and(|p| sys::newfstatat(AT_FDCWD, &p, &mut st, 0).is_ok())
        && st.file_type() == S_IFDIR
}

// ------------------------------------------------------------ hello, C

fn hello_rust() -> TestResult {
    let out = run("hello", &["one", "two words"], None)?;
    let want = format!(
        "Hello from user space! pid={} ppid={}\nargv[0]=hello\nargv[1]=one\nargv[2]=two words\n",
        out.pid,
        sys::getpid()
    );
    check_output(&out, &want)
}

fn hello_c() -> TestResult {
    let out = run("hello_c", &[], None)?;
    let want = format!("hello from C (glibc): pid {}, malloc ok\n", out.pid);
    check_output(&out, &want)
}

/// The checks jobctl.c makes (its `all[]`).
const JOBCTL_CHECKS: usize = 14;

/// user/c/jobctl.c (glibc): process groups and sessions, kill(-pgrp)
/// polled with waitpid(WNOHANG) as issue 18's program did, stop and
/// continue with WUNTRACED/WCONTINUED, SIGCHLD's siginfo, SA_RESTART, a
/// sleep across a stop, sigaltstack, sigtimedwait/sigqueue, prctl and
/// ITIMER_REAL: [`JOBCTL_CHECKS`] checks, all passing on Linux
/// (qemu-aarch64) too.
fn jobctl_c() -> TestResult {
    let out = run("jobctl_c", &[], None)?;
    check_c_program(&out, "jobctl", JOBCTL_CHECKS)
}

/// The checks vdso.c makes.
const VDSO_CHECKS: usize = 10;

/// user/c/vdso.c (glibc, static): glibc finds the vDSO through
/// `AT_SYSINFO_EHDR` and its clocks make no system call (the
/// `raw_syscalls:sys_enter` event sees none); every clock agrees with the
/// system call, `CLOCK_MONOTONIC` never goes back, `clock_getres`,
/// `gettimeofday`, `time` and the fallbacks: [`VDSO_CHECKS`] checks, all
/// passing on Linux (qemu-aarch64) too.
fn vdso_c() -> TestResult {
    let out = run("vdso_c", &[], None)?;
    check_c_program(&out, "vdso", VDSO_CHECKS)
}

/// The same checks dynamically linked: glibc's loader (`setup_vdso`)
/// finds the vDSO this time, by its dynamic symbols and version.
fn vdso_dyn_c() -> TestResult {
    let out = run("vdso_dyn_c", &[], None)?;
    check_c_program(&out, "vdso", VDSO_CHECKS)
}

/// The checks ptrace.c makes (its `all[]`).
const PTRACE_CHECKS: usize = 11;

/// user/c/ptrace.c (glibc): a mini strace (syscall stops, exec and exit
/// events, GET_SYSCALL_INFO), SEIZE and INTERRUPT, TRACEFORK, PEEK/POKE
/// of data, read-only data and text, register sets, signal-delivery
/// stops, a sibling as tracer (getppid, TracerPid, both parents told),
/// the error cases, a tracer's exit, a seized fork's first stop and a
/// seized group stop with PTRACE_LISTEN: [`PTRACE_CHECKS`] checks, with
/// Linux's values (qemu-user has no ptrace to compare with).
fn ptrace_c() -> TestResult {
    if on_linux() {
        skip!("qemu-user has no ptrace (its programs are not real tasks)");
    }
    let out = run("ptrace_c", &[], None)?;
    check_c_program(&out, "ptrace", PTRACE_CHECKS)
}

/// The checks syscalls2.c makes (its `all[]`).
const SYSCALLS2_CHECKS: usize = 15;

/// user/c/syscalls2.c (glibc): the calls Debian's programs got ENOSYS
/// for (waitid, preadv/pwritev and the -2 forms, close_range,
/// copy_file_range, fallocate, memfd_create, personality,
/// getrlimit/setrlimit, capget/capset, sethostname/setdomainname,
/// settimeofday/clock_settime) and the /proc/self/fd and exe links:
/// [`SYSCALLS2_CHECKS`] checks, all passing on Linux (qemu-aarch64) too,
/// where the ones that would rename the host or move its clock check
/// only their errors.
fn syscalls2_c() -> TestResult {
    let out = run("syscalls2_c", &[], None)?;
    check_c_program(&out, "syscalls2", SYSCALLS2_CHECKS)
}

// ------------------------------------------------------- raspbian_fork

/// `raspbian tracing ppid:P pid:C ` (with the seed's trailing space).
fn parse_tracing(line: &str) -> Option<(i32, i32)> {
    let rest = line.strip_prefix("raspbian tracing ppid:")?;
    let (ppid, pid) = rest.strip_suffix(' ')?.split_once(" pid:")?;
    Some((ppid.parse().ok()?, pid.parse().ok()?))
}

/// Checks a raspbian_fork run: `about` lines "About to fork process "
/// (allowed counts), then `times` tracing lines from the parent (ppid =
/// us) and `times` from its child (ppid = the parent, alive throughout).
fn check_raspbian(out: &Output, times: usize, about: &[usize]) -> TestResult {
    check!(
        out.status.exit_code() == Some(0),
        "{:?}; stderr {:?}",
        out.status,
        out.stderr
    );
    let lines = out.lines();
    let n_about = lines
        .iter()
        .filter(|l| **l == "About to fork process ")
        .count();
    check!(
        about.contains(&n_about),
        "{n_about} \"About to fork process \" lines in {lines:?}"
    );
    check!(
        lines[0] == "About to fork process ",
        "first line {:?}",
        lines[0]
    );
    let me = sys::getpid();
    let (mut parent, mut child, mut child_pid) = (0, 0, None);
    for line in lines.iter().filter(|l| l.starts_with("raspbian")) {
        let Some((ppid, pid)) = parse_tracing(line) else {
            fail!("malformed line {line:?}");
        };
        if pid == out.pid {
            check!(ppid == me, "parent says ppid {ppid}, expected {me}");
            parent += 1;
        } else {
            check!(
                ppid == out.pid,
                "child {pid} says ppid {ppid}, expected its parent {}",
                out.pid
            );
            check!(
                *child_pid.get_or_insert(pid) == pid,
                "tracing lines from a third process: {lines:?}"
            );
            child += 1;
        }
    }
    check!(
        parent == times && child == times,
        "{parent} parent and {child} child tracing lines, expected {times} each: {lines:?}"
    );
    let stray = lines.len() - n_about - 2 * times;
    check!(stray == 0, "unexpected lines in {lines:?}");
    Ok(())
}

/// The output is complete when the child (which exits after the parent
/// we waited for) has printed its lines too.
fn tracing_lines(text: &str) -> usize {
    text.lines().filter(|l| l.starts_with("raspbian")).count()
}

fn raspbian_fork_rust() -> TestResult {
    let sp = spawn("raspbian_fork", &["-n", "2", "-s", "0.2"], None)?;
    let out = sp.wait_for_output(DEFAULT_TIMEOUT_MS, |t| tracing_lines(t) >= 4)?;
    check_raspbian(&out, 2, &[1])?;
    // The parent printed, slept 0.2 s, printed and slept again.
    check!(
        out.elapsed_ms >= 380,
        "the parent exited after {} ms, expected >= 400",
        out.elapsed_ms
    );
    Ok(())
}

fn raspbian_fork_c_seed() -> TestResult {
    if !crate::slow_tests() {
        skip!("takes 6 s; run `usertests --slow programs`");
    }
    let sp = spawn("raspbian_fork_c", &[], None)?;
    let out = sp.wait_for_output(30_000, |t| tracing_lines(t) >= 6)?;
    // glibc buffers a non-terminal stdout fully: the unflushed "About to
    // fork" line is in both processes' buffers after fork, so it appears
    // twice here (once on a console).
    check_raspbian(&out, 3, &[1, 2])?;
    check!(
        out.elapsed_ms >= 5_900,
        "the parent exited after {} ms, expected >= 6000",
        out.elapsed_ms
    );
    Ok(())
}

// ---------------------------------------------------------------- sh

fn sh_c_redirect_then_cat() -> TestResult {
    let x = scratch("x");
    let out = sh_c(&format!("echo hi > {x}; cat {x}"))?;
    let file = read_text(&x);
    remove(&x);
    check_output(&out, "hi\n")?;
    check_eq!(file.as_deref(), Ok("hi\n"));
    Ok(())
}

fn sh_unknown_command_127() -> TestResult {
    let out = sh_c("nosuchcmd")?;
    check_eq!(out.status.exit_code(), Some(127));
    check_eq!(out.stdout.as_str(), "");
    check_eq!(out.stderr.as_str(), "sh: nosuchcmd: command not found\n");
    // A path that does not exist: the same status.
    let out = sh_c("/no/such/program")?;
    check_eq!(out.status.exit_code(), Some(127));
    check_eq!(
        out.stderr.as_str(),
        "sh: /no/such/program: No such file or directory\n"
    );
    Ok(())
}

fn sh_status_and_sequencing() -> TestResult {
    let out = sh_c(
        "false; echo $?; true && echo and; false || echo or; false && echo no; exit 7; echo not",
    )?;
    check_eq!(out.stdout.as_str(), "1\nand\nor\n");
    check_eq!(out.status.exit_code(), Some(7));
    // Quoting and variables.
    let out = sh_c("echo \"two  spaces\" 'single $HOME' a\\ b $# $0 $1")?;
    check_output(&out, "two  spaces single $HOME a b 0 sh\n")?;
    // A syntax error: status 2 and a message.
    let out = sh_c("echo a |; echo b")?;
    check_eq!(out.status.exit_code(), Some(2));
    check!(
        out.stderr.starts_with("sh: syntax error"),
        "stderr {:?}",
        out.stderr
    );
    check_eq!(out.stdout.as_str(), "");
    Ok(())
}

fn sh_redirections() -> TestResult {
    let f = scratch("f");
    let g = scratch("g");
    let out = sh_c(&format!(
        "echo a > {f}; echo b >> {f}; cat < {f}; cat /no/such 2> {g}; echo $?; cat {g}; pwd > {g}; echo c >> {g}"
    ))?;
    let g_text = read_text(&g);
    remove(&f);
    remove(&g);
    check_output(&out, "a\nb\n1\ncat: /no/such: No such file or directory\n")?;
    // A builtin's output redirected, then appended to.
    check_eq!(g_text, Ok(format!("{}\nc\n", cwd())));
    Ok(())
}

fn sh_script_file() -> TestResult {
    let script = scratch("script");
    let text = "# a comment line\n\necho first $1\necho second ; echo third   # trailing comment\nexit 5\necho never\n";
    if let Err(e) = write_file(&script, text.as_bytes()) {
        fail!("cannot write {script}: {e:?}");
    }
    let out = run("sh", &[&script, "arg"], None);
    remove(&script);
    let out = out?;
    check_eq!(out.stdout.as_str(), "first arg\nsecond\nthird\n");
    check_eq!(out.status.exit_code(), Some(5));
    // A script that does not exist.
    let out = run("sh", &["/no/such/script"], None)?;
    check_eq!(out.status.exit_code(), Some(127));
    Ok(())
}

fn sh_background_and_wait() -> TestResult {
    let out = sh_c("sleep 0.3 & echo started; wait; echo after; false & wait $!; echo $?")?;
    let lines = out.lines();
    check!(
        out.status.exit_code() == Some(0) && lines.len() == 5,
        "{:?}, stdout {:?}, stderr {:?}",
        out.status,
        out.stdout,
        out.stderr
    );
    check_eq!(lines[0], "started");
    let done = |line: &str, word: &str| {
        line.strip_prefix('[')
            .and_then(|l| l.split_once("] "))
            .is_some_and(|(pid, rest)| pid.parse::<u32>().is_ok() && rest == word)
    };
    check!(done(lines[1], "Done"), "wait printed {:?}", lines[1]);
    check_eq!(lines[2], "after");
    check!(done(lines[3], "Exit 1"), "wait printed {:?}", lines[3]);
    check_eq!(lines[4], "1");
    check!(
        out.elapsed_ms >= 290,
        "wait returned after {} ms, before the 0.3 s job ended",
        out.elapsed_ms
    );
    Ok(())
}

fn sh_cd_and_pwd() -> TestResult {
    let out = sh_c("cd /tmp; pwd; cd /no/such/dir; echo $?; cd; pwd")?;
    let home = pikern_rt::env::var("HOME").unwrap_or("/");
    check_eq!(out.stdout, format!("/tmp\n1\n{home}\n"));
    check_eq!(
        out.stderr.as_str(),
        "sh: cd: /no/such/dir: No such file or directory\n"
    );
    Ok(())
}

fn sh_pipeline() -> TestResult {
    match sys::pipe2(0) {
        Ok([r, w]) => {
            let _ = sys::close(r);
            let _ = sys::close(w);
        }
        Err(Errno::ENOSYS) => skip!("pipe2 not implemented (ENOSYS)"),
        Err(e) => fail!("pipe2: {e:?}"),
    }
    let out = sh_c("echo piped | cat; echo a b | cat | cat; true | false; echo $?")?;
    check_output(&out, "piped\na b\n1\n")
}

fn sh_interactive_editing() -> TestResult {
    // Typed bytes: CR LF, DEL, Ctrl-U, Ctrl-C, an arrow key, Backspace,
    // Tab, Ctrl-W, then Ctrl-D on an empty line (the rest is never read).
    let input = b"echo one\r\nech\x7fho two\njunk\x15echo three\npartial\x03echo $?\n\
                  echo \x1b[Afour\nab\x08\x08echo fi\tve   x\x17six\n\x04echo never\n";
    let out = run("sh", &["-i"], Some(input))?;
    check_output(&out, "one\ntwo\nthree\n130\nfour\nfi ve six\n")?;
    let prompt = format!("pikern:{}# ", cwd());
    let want = [
        "echo one\n",
        "ech\x08 \x08ho two\n",
        "junk\x08 \x08\x08 \x08\x08 \x08\x08 \x08echo three\n",
        "partial^C\n",
        "echo $?\n",
        "echo four\n",
        "ab\x08 \x08\x08 \x08echo fi ve   x\x08 \x08six\n",
        "exit\n",
    ];
    let want: String = want.iter().map(|l| format!("{prompt}{l}")).collect();
    check_eq!(out.stderr, want);
    Ok(())
}

fn sh_interactive_eof_exit_status() -> TestResult {
    // Input ends (read returns 0) without Ctrl-D: the shell exits with
    // the last status.
    let out = run("sh", &["-i"], Some(b"false\n"))?;
    check_eq!(out.status.exit_code(), Some(1));
    check!(out.stderr.ends_with("# exit\n"), "stderr {:?}", out.stderr);
    // Non-interactive, from stdin.
    let out = run("sh", &[], Some(b"echo from stdin\nexit 4\necho no\n"))?;
    check_eq!(out.stdout.as_str(), "from stdin\n");
    check_eq!(out.status.exit_code(), Some(4));
    Ok(())
}

fn sh_ctrl_c_kills_job_not_shell() -> TestResult {
    if !procfs::available() {
        skip!("no /proc to find the shell's job");
    }
    let sp = spawn("sh", &["-i"], Some(b"sleep 5\necho survived $?\n"))?;
    // The job, once it has become `sleep` (before its exec it still has
    // the shell's SIGINT handler).
    let mut job = None;
    eventually(5_000, || {
        job = procfs::children_of(sp.pid)
            .into_iter()
            .find(|(_, comm)| comm == "sleep")
            .map(|(pid, _)| pid);
        job.is_some()
    });
    let Some(job) = job else {
        let _ = sys::kill(sp.pid, SIGKILL);
        let _ = sp.wait(DEFAULT_TIMEOUT_MS);
        fail!("the shell's `sleep` job did not show up in /proc");
    };
    // A Ctrl-C that reaches the shell itself (Linux's terminal signals
    // the whole process group): the shell must survive it.
    ok!(signal_child(sp.pid, SIGINT));
    let _ = process::sleep_ms(50);
    // What the console does for the registered foreground job.
    ok!(sys::kill(job, SIGINT));
    let out = sp.wait(DEFAULT_TIMEOUT_MS)?;
    check_output(&out, "survived 130\n")?;
    check!(
        out.elapsed_ms < 4_000,
        "the job was not interrupted: the shell ran {} ms",
        out.elapsed_ms
    );
    Ok(())
}

// -------------------------------------------------------------- tools

fn echo_args() -> TestResult {
    check_output(&run("echo", &["-n", "a", "b"], None)?, "a b")?;
    check_output(&run("echo", &[], None)?, "\n")?;
    check_output(&run("echo", &["x", "", "y"], None)?, "x  y\n")
}

fn cat_files_and_stdin() -> TestResult {
    let a = scratch("a");
    let b = scratch("b");
    ok!(write_file(&a, b"alpha\n"));
    ok!(write_file(&b, b"beta\n"));
    let both = run("cat", &[&a, &b], None);
    let missing = run("cat", &[&a, "/no/such", &b], None);
    let stdin = run("cat", &["-", &b], Some(b"from stdin\n"));
    remove(&a);
    remove(&b);
    check_output(&both?, "alpha\nbeta\n")?;
    let missing = missing?;
    check_eq!(missing.status.exit_code(), Some(1));
    check_eq!(missing.stdout.as_str(), "alpha\nbeta\n");
    check_eq!(
        missing.stderr.as_str(),
        "cat: /no/such: No such file or directory\n"
    );
    check_output(&stdin?, "from stdin\nbeta\n")
}

fn ls_lists_directory() -> TestResult {
    let dir = scratch("dir");
    let r = ls_in(&dir);
    let f = |name: &str| format!("{dir}/{name}");
    remove_all(&[&f("a"), &f("b"), &f(".hidden"), &f("c"), &dir]);
    r
}

fn ls_in(dir: &str) -> TestResult {
    let dir = String::from(dir);
    ok!(sys::mkdirat(AT_FDCWD, &ok!(cstring(&dir)), 0o755));
    ok!(write_file(&format!("{dir}/b"), b""));
    ok!(write_file(&format!("{dir}/a"), b"12345"));
    ok!(write_file(&format!("{dir}/.hidden"), b"x"));
    ok!(sys::mkdirat(
        AT_FDCWD,
        &ok!(cstring(&format!("{dir}/c"))),
        0o755
    ));
    check_output(&run("ls", &[&dir], None)?, "a\nb\nc\n")?;
    let all = run("ls", &["-a", &dir], None)?;
    check!(all.lines().contains(&".hidden"), "ls -a: {:?}", all.stdout);
    let long = run("ls", &["-l", &dir], None)?;
    check_eq!(long.status.exit_code(), Some(0));
    let lines = long.lines();
    check_eq!(lines.len(), 3);
    let fields: Vec<Vec<&str>> = lines
        .iter()
        .map(|l| l.split_ascii_whitespace().collect())
        .collect();
    check!(
        fields[0].len() == 3
            && fields[0][0].starts_with("-rw")
            && fields[0][1] == "5"
            && fields[0][2] == "a",
        "ls -l line {:?}",
        lines[0]
    );
    check!(
        fields[1][1] == "0" && fields[1][2] == "b",
        "ls -l line {:?}",
        lines[1]
    );
    check!(
        fields[2][0].starts_with('d') && fields[2][0].len() == 10 && fields[2][2] == "c",
        "ls -l line {:?}",
        lines[2]
    );
    let file = format!("{dir}/a");
    check_output(&run("ls", &[&file], None)?, &format!("{file}\n"))?;
    let missing = run("ls", &["/no/such"], None)?;
    check_eq!(missing.status.exit_code(), Some(2));
    check_eq!(
        missing.stderr.as_str(),
        "ls: cannot access '/no/such': No such file or directory\n"
    );
    Ok(())
}

fn mkdir_parents() -> TestResult {
    let dir = scratch("mk");
    let r = mkdir_in(&dir);
    let (x, y, new) = (
        format!("{dir}/x"),
        format!("{dir}/x/y"),
        format!("{dir}/new"),
    );
    remove_all(&[&y, &x, &new, &dir]);
    r
}

fn mkdir_in(dir: &str) -> TestResult {
    let dir = String::from(dir);
    let deep = format!("{dir}/x/y");
    check_output(&run("mkdir", &["-p", &deep], None)?, "")?;
    check!(is_dir(&deep), "{deep} is not a directory");
    // Again: existing directories are fine with -p.
    check_output(&run("mkdir", &["-p", &deep], None)?, "")?;
    let out = run("mkdir", &[&dir], None)?;
    check_eq!(out.status.exit_code(), Some(1));
    check_eq!(
        out.stderr,
        format!("mkdir: cannot create directory '{dir}': File exists\n")
    );
    let new = format!("{dir}/new");
    check_output(&run("mkdir", &[&new], None)?, "")?;
    check!(is_dir(&new), "{new} is not a directory");
    Ok(())
}

fn sleep_fractions() -> TestResult {
    let out = run("sleep", &["0.25"], None)?;
    check_output(&out, "")?;
    check!(
        (240..5_000).contains(&out.elapsed_ms),
        "sleep 0.25 took {} ms",
        out.elapsed_ms
    );
    let out = run("sleep", &["bogus"], None)?;
    check_eq!(out.status.exit_code(), Some(1));
    check_eq!(
        out.stderr.as_str(),
        "sleep: invalid time interval 'bogus'\n"
    );
    Ok(())
}

/// A child that sleeps until a signal kills it.
fn sleeper() -> Result<i32, Stop> {
    match process::fork() {
        Ok(0) => loop {
            let _ = process::sleep_ms(1000);
        },
        Ok(pid) => Ok(pid),
        Err(e) => fail!("fork: {e:?}"),
    }
}

fn kill_signals() -> TestResult {
    for (args, sig) in [
        (&["-TERM"][..], SIGTERM),
        (&["-9"][..], SIGKILL),
        (&["-s", "int"][..], SIGINT),
        (&["-SIGUSR1"][..], SIGUSR1),
        (&[][..], SIGTERM),
    ] {
        let pid = sleeper()?;
        let pid_text = format!("{pid}");
        let mut argv: Vec<&str> = args.to_vec();
        argv.push(&pid_text);
        // `kill -0` first: the process exists.
        let probe = run("kill", &["-0", &pid_text], None);
        let out = run("kill", &argv, None);
        let st = wait_timeout(pid, 5_000);
        check_output(&probe?, "")?;
        check_output(&out?, "")?;
        match st {
            Ok(Some(st)) if st.term_signal() == Some(sig) => {}
            other => fail!("kill {argv:?}: child ended {other:?}, expected signal {sig}"),
        }
    }
    let out = run("kill", &["1073741808"], None)?;
    check_eq!(out.status.exit_code(), Some(1));
    check_eq!(
        out.stderr.as_str(),
        "kill: (1073741808) - No such process\n"
    );
    let out = run("kill", &["-BOGUS", "1"], None)?;
    check_eq!(out.status.exit_code(), Some(2));
    Ok(())
}

fn ps_lists_processes() -> TestResult {
    let out = run("ps", &[], None)?;
    if out.status.exit_code() == Some(1) && out.stderr.contains("cannot read /proc") {
        skip!("no /proc: {}", out.stderr.trim_end());
    }
    check_eq!(out.status.exit_code(), Some(0));
    let lines = out.lines();
    check_eq!(lines[0], "  PID  PPID S CPU  NI    FLAGS CMD");
    let row = |pid: i32| {
        lines[1..]
            .iter()
            .map(|l| l.split_ascii_whitespace().collect::<Vec<_>>())
            .find(|f| f.first() == Some(&format!("{pid}").as_str()))
    };
    let Some(me) = row(sys::getpid()) else {
        fail!("no line for this process ({}) in {lines:?}", sys::getpid());
    };
    check!(me.len() >= 7, "short line {me:?}");
    check_eq!(me[1], format!("{}", sys::getppid()).as_str());
    check!(me[2] == "S" || me[2] == "R", "state {:?}", me[2]);
    check!(
        me[5].len() == 8 && u32::from_str_radix(me[5], 16).is_ok(),
        "FLAGS {:?} is not 8 hex digits",
        me[5]
    );
    let nice = ok!(sys::getpriority(PRIO_PROCESS, 0));
    check_eq!(me[4], format!("{nice}").as_str());
    let Some(ps) = row(out.pid) else {
        fail!("no line for ps itself ({}) in {lines:?}", out.pid);
    };
    check_eq!(ps[1], format!("{}", sys::getpid()).as_str());
    // ps reads its own stat while running.
    check_eq!(ps[2], "R");
    if on_pikern() {
        check_eq!(me[6], "usertests");
        check_eq!(ps[6], "ps");
    }
    Ok(())
}

fn true_false() -> TestResult {
    check_output(&run("true", &[], None)?, "")?;
    let out = run("false", &[], None)?;
    check_eq!(out.status.exit_code(), Some(1));
    Ok(())
}
