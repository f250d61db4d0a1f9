//! Suite `proc`: process life cycle: clone/fork, exit and exit_group,
//! wait4, kill, orphans, priorities and execve.

use crate::ktap::{Suite, TestResult};
use crate::util::*;
use alloc::format;
use alloc::vec::Vec;
use core::ptr;
use pikern_rt::consts::*;
use pikern_rt::process;
use pikern_rt::sys::{self, SigAction};
use pikern_rt::syscall::{nr, syscall3};
use pikern_rt::{env, Errno};

pub static SUITE: Suite = Suite {
    name: "proc",
    tests: tests![
        proc_self_exe_names_the_program,
        fork_returns_child_pid,
        exit_status_codes,
        wait4_without_children_echild,
        wait4_wnohang,
        wait4_specific_child,
        wait4_reaps_once,
        wait4_not_our_child_echild,
        wait4_bad_options_einval,
        many_children_all_reaped,
        kill_sigkill_child,
        kill_sigterm_default_terminates,
        kill_errors,
        clone_bad_flags_einval,
        clone_glibc_fork_flags,
        orphan_is_reparented,
        priority_get_set,
        priority_errors,
        execve_missing_file_enoent,
        execve_not_elf_enoexec,
        execve_directory_eacces,
        execve_bad_pointer_efault,
        execve_self_with_args_and_env,
        execve_script_runs_its_interpreter,
    ],
};

/// The exit status `--exec-check` reports success with.
pub const EXEC_CHECK_OK: i32 = 42;

fn fork_returns_child_pid() -> TestResult {
    let parent = sys::getpid();
    let pid = match ok!(process::fork()) {
        0 => {
            let ok = sys::getppid() == parent
                && sys::getpid() != parent
                && sys::gettid() == sys::getpid();
            sys::exit_group(if ok { 0 } else { 1 })
        }
        pid => pid,
    };
    check!(
        pid > 0 && pid != parent,
        "fork returned {pid} in the parent (pid {parent})"
    );
    let (got, st) = ok!(process::waitpid(-1, 0));
    check_eq!(got, pid);
    check_eq!(st.exit_code(), Some(0));
    Ok(())
}

fn exit_status_codes() -> TestResult {
    let cases: [(fn() -> !, i32); 4] = [
        (|| sys::exit_group(42), 42),
        (|| sys::exit(7), 7),
        (|| sys::exit_group(0x1ff), 0xff),
        (|| sys::exit_group(-1), 0xff),
    ];
    for (f, want) in cases {
        let st = ok!(in_child(|| f()));
        check!(
            st.exit_code() == Some(want),
            "child {st:?}, expected exit status {want}"
        );
        check!(!st.signaled(), "exited child reported as signaled: {st:?}");
    }
    Ok(())
}

fn wait4_without_children_echild() -> TestResult {
    check_err!(sys::wait4(-1, None, 0), Errno::ECHILD);
    check_err!(sys::wait4(-1, None, WNOHANG), Errno::ECHILD);
    Ok(())
}

fn wait4_wnohang() -> TestResult {
    let pid = match ok!(process::fork()) {
        0 => {
            let _ = process::sleep_ms(200);
            sys::exit_group(3)
        }
        pid => pid,
    };
    let mut status = -1;
    check_eq!(ok!(sys::wait4(pid, Some(&mut status), WNOHANG)), 0);
    let (got, st) = ok!(process::waitpid(pid, 0));
    check_eq!(got, pid);
    check_eq!(st.exit_code(), Some(3));
    Ok(())
}

fn spawn_exiting(code: i32, delay_ms: u64) -> Result<i32, Errno> {
    match process::fork()? {
        0 => {
            let _ = process::sleep_ms(delay_ms);
            sys::exit_group(code)
        }
        pid => Ok(pid),
    }
}

fn wait4_specific_child() -> TestResult {
    let first = ok!(spawn_exiting(1, 0));
    let second = ok!(spawn_exiting(2, 30));
    // Wait for the slower one first, by pid.
    let (got, st) = ok!(process::waitpid(second, 0));
    check_eq!(got, second);
    check_eq!(st.exit_code(), Some(2));
    let (got, st) = ok!(process::waitpid(first, 0));
    check_eq!(got, first);
    check_eq!(st.exit_code(), Some(1));
    Ok(())
}

fn wait4_reaps_once() -> TestResult {
    let pid = ok!(spawn_exiting(0, 0));
    // A NULL status pointer is allowed.
    check_eq!(ok!(sys::wait4(pid, None, 0)), pid);
    check_err!(sys::wait4(pid, None, 0), Errno::ECHILD);
    check_err!(sys::wait4(pid, None, WNOHANG), Errno::ECHILD);
    Ok(())
}

fn wait4_not_our_child_echild() -> TestResult {
    check_err!(sys::wait4(1, None, WNOHANG), Errno::ECHILD);
    check_err!(sys::wait4(sys::getppid(), None, WNOHANG), Errno::ECHILD);
    check_err!(sys::wait4(sys::getpid(), None, WNOHANG), Errno::ECHILD);
    Ok(())
}

fn wait4_bad_options_einval() -> TestResult {
    check_err!(sys::wait4(-1, None, 0x1000), Errno::EINVAL);
    Ok(())
}

fn many_children_all_reaped() -> TestResult {
    let mut pids = Vec::new();
    for i in 0..8 {
        pids.push(ok!(spawn_exiting(i + 1, (i as u64 % 3) * 5)));
    }
    let mut seen = Vec::new();
    let mut sum = 0;
    for _ in 0..8 {
        let (pid, st) = ok!(process::waitpid(-1, 0));
        check!(
            pids.contains(&pid),
            "wait4 returned {pid}, not one of our children {pids:?}"
        );
        check!(!seen.contains(&pid), "pid {pid} reaped twice");
        seen.push(pid);
        sum += ok!(st.exit_code().ok_or(st));
    }
    check_eq!(sum, 36);
    check_err!(sys::wait4(-1, None, WNOHANG), Errno::ECHILD);
    Ok(())
}

/// A child that sleeps until killed.
fn spawn_sleeper() -> Result<i32, Errno> {
    match process::fork()? {
        0 => loop {
            let _ = process::sleep_ms(1000);
        },
        pid => Ok(pid),
    }
}

fn kill_sigkill_child() -> TestResult {
    let pid = ok!(spawn_sleeper());
    let _ = process::sleep_ms(10);
    ok!(signal_child(pid, SIGKILL));
    child_killed_by(wait_for(pid), SIGKILL)
}

fn kill_sigterm_default_terminates() -> TestResult {
    let pid = ok!(spawn_sleeper());
    ok!(signal_child(pid, SIGTERM));
    let st = ok!(wait_for(pid));
    check!(
        st.term_signal() == Some(SIGTERM),
        "child {st:?}, expected killed by signal 15"
    );
    check!(!st.core_dumped(), "SIGTERM reported a core dump");
    Ok(())
}

fn kill_errors() -> TestResult {
    // Signal 0 only checks that the process exists.
    ok!(sys::kill(sys::getpid(), 0));
    check_err!(sys::kill(0x3fff_fff0, 0), Errno::ESRCH);
    check_err!(sys::kill(0x3fff_fff0, SIGKILL), Errno::ESRCH);
    check_err!(sys::kill(sys::getpid(), 1000), Errno::EINVAL);
    check_err!(sys::kill(sys::getpid(), -1i32 as u32), Errno::EINVAL);
    // A reaped child is gone.
    let pid = ok!(spawn_exiting(0, 0));
    ok!(wait_for(pid));
    check_err!(sys::kill(pid, 0), Errno::ESRCH);
    Ok(())
}

fn clone_bad_flags_einval() -> TestResult {
    for flags in [
        CLONE_THREAD | SIGCHLD as u64,
        CLONE_SIGHAND | SIGCHLD as u64,
    ] {
        // SAFETY: these flag sets are invalid without CLONE_VM and must be
        // refused; should a broken kernel create a child anyway, it only
        // calls exit (which ends just that thread or process).
        match unsafe { sys::clone(flags, 0, ptr::null_mut(), 0, ptr::null_mut()) } {
            Err(Errno::EINVAL) => {}
            Ok(0) => sys::exit(0),
            Ok(pid) => {
                let _ = process::waitpid(pid, __WALL);
                fail!("clone({flags:#x}) created pid {pid}, expected EINVAL");
            }
            Err(e) => fail!("clone({flags:#x}) = {e:?}, expected EINVAL"),
        }
    }
    Ok(())
}

fn clone_glibc_fork_flags() -> TestResult {
    // glibc's fork: CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD
    // with a child tid pointer (0x01200011).
    let flags = CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD as u64;
    check_eq!(flags, 0x0120_0011);
    let mut child_tid: i32 = 0;
    let ctid = &mut child_tid as *mut i32;
    // SAFETY: no CLONE_VM: the child runs on its own copy of this stack, so
    // the tid pointer is valid in the child.
    let pid = ok!(unsafe { sys::clone(flags, 0, ptr::null_mut(), 0, ctid) });
    if pid == 0 {
        // SAFETY: ctid points at this (copied) stack frame's variable.
        let seen = unsafe { ctid.read_volatile() };
        sys::exit_group(if seen == sys::gettid() { 0 } else { 1 });
    }
    check!(pid > 0, "clone returned {pid}");
    let st = wait_for(pid);
    check!(
        st.map(|s| s.exit_code()) == Ok(Some(0)),
        "child did not find its tid at child_tidptr: {st:?}"
    );
    // The parent's copy is untouched (CLONE_CHILD_SETTID writes the child's).
    // SAFETY: ctid points at child_tid in this frame.
    check_eq!(unsafe { ctid.read_volatile() }, 0);
    Ok(())
}

fn orphan_is_reparented() -> TestResult {
    let [r, w] = match sys::pipe2(0) {
        Ok(fds) => fds,
        Err(Errno::ENOSYS) => skip!("pipe2 not implemented (ENOSYS)"),
        Err(e) => fail!("pipe2: {e:?}"),
    };
    let (r, w) = (Fd(r), Fd(w));
    let middle = match ok!(process::fork()) {
        0 => {
            let me = sys::getpid();
            match process::fork() {
                Ok(0) => {
                    // The grandchild waits to be orphaned, then reports
                    // its new parent.
                    let mut ppid = sys::getppid();
                    for _ in 0..400 {
                        if ppid != me {
                            break;
                        }
                        let _ = process::sleep_ms(5);
                        ppid = sys::getppid();
                    }
                    let _ = sys::write(w.raw(), &ppid.to_le_bytes());
                    sys::exit_group(0)
                }
                Ok(_) => sys::exit_group(0),
                Err(_) => sys::exit_group(1),
            }
        }
        pid => pid,
    };
    drop(w);
    child_passed(wait_for(middle))?;
    let mut buf = [0u8; 8];
    check_eq!(ok!(read_to_end(r.raw(), &mut buf)), 4);
    let new_parent = i32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]);
    check!(
        new_parent != middle && new_parent > 0,
        "orphan's parent is {new_parent} (its dead parent was {middle})"
    );
    Ok(())
}

fn priority_get_set() -> TestResult {
    child_passed(in_child(|| {
        let nice = ok!(sys::getpriority(PRIO_PROCESS, 0));
        check!((-20..=19).contains(&nice), "nice {nice} out of range");
        check_eq!(ok!(sys::getpriority(PRIO_PROCESS, sys::getpid())), nice);
        if nice < 19 {
            // Raising one's own nice value needs no privilege.
            ok!(sys::setpriority(PRIO_PROCESS, 0, nice + 1));
            check_eq!(ok!(sys::getpriority(PRIO_PROCESS, 0)), nice + 1);
        }
        // Out-of-range values are clamped to 19.
        ok!(sys::setpriority(PRIO_PROCESS, 0, 100));
        check_eq!(ok!(sys::getpriority(PRIO_PROCESS, 0)), 19);
        Ok(())
    }))
}

fn priority_errors() -> TestResult {
    check_err!(sys::getpriority(99, 0), Errno::EINVAL);
    check_err!(sys::setpriority(99, 0, 0), Errno::EINVAL);
    check_err!(sys::getpriority(PRIO_PROCESS, 0x3fff_fff0), Errno::ESRCH);
    check_err!(sys::setpriority(PRIO_PROCESS, 0x3fff_fff0, 0), Errno::ESRCH);
    Ok(())
}

fn execve_missing_file_enoent() -> TestResult {
    check_eq!(
        process::exec("/no-such-program", &["x"], &[]),
        Errno::ENOENT
    );
    check_eq!(
        process::exec("/no-such-dir/prog", &["x"], &[]),
        Errno::ENOENT
    );
    Ok(())
}

fn execve_not_elf_enoexec() -> TestResult {
    if on_pikern() {
        let mut st = sys::Stat::default();
        if sys::newfstatat(AT_FDCWD, c"/bin/notelf", &mut st, 0).is_err() {
            fail!("/bin/notelf (an executable text file) is missing from the initramfs");
        }
        check_eq!(
            process::exec("/bin/notelf", &["notelf"], &[]),
            Errno::ENOEXEC
        );
        return Ok(());
    }
    // Elsewhere, make an executable text file (no "#!": not a script).
    let path = format!("/tmp/pikern-usertests-notelf-{}", sys::getpid());
    let cpath = ok!(process::cstring(&path));
    let fd = ok!(sys::openat(
        AT_FDCWD,
        &cpath,
        O_WRONLY | O_CREAT | O_TRUNC,
        0o755
    ));
    let wrote = sys::write(fd, b"this is not an ELF file\n");
    ok!(sys::close(fd));
    ok!(wrote);
    let err = process::exec(&path, &["notelf"], &[]);
    let _ = sys::unlinkat(AT_FDCWD, &cpath, 0);
    if err == Errno::EACCES {
        skip!("/tmp is mounted noexec here");
    }
    check_eq!(err, Errno::ENOEXEC);
    Ok(())
}

fn execve_directory_eacces() -> TestResult {
    check_eq!(process::exec("/", &["x"], &[]), Errno::EACCES);
    Ok(())
}

fn execve_bad_pointer_efault() -> TestResult {
    let argv = [c"x".as_ptr() as usize, 0usize];
    for p in [KERNEL_ADDR, 0] {
        // SAFETY: the kernel must refuse the path pointer and not exec.
        let r = unsafe { syscall3(nr::EXECVE, p, argv.as_ptr() as usize, 0) };
        check_err!(Errno::result(r), Errno::EFAULT);
    }
    // An unreadable argv array.
    // SAFETY: as above, for argv.
    let r = unsafe { syscall3(nr::EXECVE, self_path().as_ptr() as usize, KERNEL_ADDR, 0) };
    check_err!(Errno::result(r), Errno::EFAULT);
    Ok(())
}

/// The descriptor `--exec-check` expects closed (O_CLOEXEC) and the one it
/// expects still open.
const CLOEXEC_FD: i32 = 50;
const INHERITED_FD: i32 = 51;

extern "C" fn ignore_signal(_sig: i32) {}

fn execve_self_with_args_and_env() -> TestResult {
    let st = in_child(|| {
        let null = ok!(sys::open(c"/dev/null", O_RDONLY));
        ok!(sys::dup3(null, CLOEXEC_FD, O_CLOEXEC));
        ok!(sys::dup3(null, INHERITED_FD, 0));
        // A handled signal is reset to the default by execve, an ignored
        // one stays ignored.
        let handled = SigAction::handler(ignore_signal, 0);
        let ignored = SigAction::disposition(SIG_IGN);
        // SAFETY: the handler does nothing; SIG_IGN runs no code.
        let sig = unsafe {
            sys::rt_sigaction(SIGUSR1, Some(&handled), None).and(sys::rt_sigaction(
                SIGUSR2,
                Some(&ignored),
                None,
            ))
        };
        let sig_arg = if sig.is_ok() { "signals" } else { "nosignals" };
        // The thread pointer does not survive execve.
        sys::write_tpidr_el0(0x1234_5678);
        let path = ok!(self_path().to_str());
        let err = process::exec(
            path,
            &["usertests", "--exec-check", "arg one", sig_arg],
            &["PIKERN_EXEC_TEST=yes"],
        );
        sys::exit_group(if err == Errno::ENOEXEC { 200 } else { 201 })
    });
    match st {
        Ok(st) if st.exit_code() == Some(EXEC_CHECK_OK) => Ok(()),
        Ok(st) if st.exit_code() == Some(200) && on_linux() => {
            skip!("this Linux host cannot execute aarch64 binaries (no binfmt_misc)")
        }
        Ok(st) => fail!("exec'd child {st:?}, expected exit status {EXEC_CHECK_OK}"),
        Err(e) => fail!("fork/wait: {e:?}"),
    }
}

/// A `#!` script: its interpreter (this program, in `--script-check`
/// mode) runs with argv `[interpreter, the line's argument, the script's
/// path, the script's argv[1..]]`; an empty `#!` line is `ENOEXEC`.
fn execve_script_runs_its_interpreter() -> TestResult {
    let path = format!("/tmp/pikern-usertests-script-{}", sys::getpid());
    let cpath = ok!(process::cstring(&path));
    let write_script = |text: &[u8]| -> Result<(), Errno> {
        let fd = sys::openat(AT_FDCWD, &cpath, O_WRONLY | O_CREAT | O_TRUNC, 0o755)?;
        let wrote = sys::write(fd, text);
        sys::close(fd)?;
        wrote.map(|_| ())
    };
    let interp = ok!(self_path().to_str());
    ok!(write_script(
        format!("#! {interp}  --script-check  with blanks \n\necho not run\n").as_bytes()
    ));
    let st = in_child(|| {
        let err = process::exec(&path, &["name", "a b", "c"], &[]);
        sys::exit_group(if err == Errno::ENOEXEC { 200 } else { 201 })
    });
    let result = match st {
        Ok(st) if st.exit_code() == Some(EXEC_CHECK_OK) => Ok(()),
        Ok(st) if st.exit_code() == Some(200) && on_linux() => {
            Err("this Linux host cannot execute aarch64 binaries (no binfmt_misc)")
        }
        Ok(st) => {
            let _ = sys::unlinkat(AT_FDCWD, &cpath, 0);
            fail!("script's child {st:?}, expected exit status {EXEC_CHECK_OK}")
        }
        Err(e) => {
            let _ = sys::unlinkat(AT_FDCWD, &cpath, 0);
            fail!("fork/wait: {e:?}")
        }
    };
    let empty = write_script(b"#!  \n").map(|()| process::exec(&path, &["name"], &[]));
    let _ = sys::unlinkat(AT_FDCWD, &cpath, 0);
    check_eq!(ok!(empty), Errno::ENOEXEC);
    if let Err(why) = result {
        skip!("{why}");
    }
    Ok(())
}

/// `usertests --script-check PATH`: the interpreter of the script that
/// `execve_script_runs_its_interpreter` runs; checks its argv.
pub fn script_check(args: &[&str]) -> i32 {
    let want_path = format!("/tmp/pikern-usertests-script-{}", sys::getppid());
    let ok = args.len() == 5
        // (AT_EXECFN, which self_path reads, is the script's path here.)
        && args[0].ends_with("usertests")
        && args[1] == "--script-check  with blanks"
        && args[2] == want_path
        && args[3] == "a b"
        && args[4] == "c";
    if ok {
        EXEC_CHECK_OK
    } else {
        1
    }
}

/// `usertests --exec-check ARG SIGNALS`: run by
/// `execve_self_with_args_and_env` after execve; checks what the new image
/// received and exits with [`EXEC_CHECK_OK`] if all is right.
pub fn exec_check(args: &[&str]) -> i32 {
    match exec_check_inner(args) {
        Ok(()) => EXEC_CHECK_OK,
        Err(_) => 1,
    }
}

fn exec_check_inner(args: &[&str]) -> TestResult {
    check_eq!(args.len(), 4);
    check_eq!(args[0], "usertests");
    check_eq!(args[2], "arg one");
    let vars: Vec<&str> = env::vars().collect();
    check_eq!(vars, ["PIKERN_EXEC_TEST=yes"]);
    check_eq!(env::var("PIKERN_EXEC_TEST"), Some("yes"));
    check_eq!(env::entry_registers_or(), 0);
    check_eq!(env::entry_tpidr(), 0);
    let mut st = sys::Stat::default();
    check_err!(sys::fstat(CLOEXEC_FD, &mut st), Errno::EBADF);
    ok!(sys::fstat(INHERITED_FD, &mut st));
    check_eq!(st.file_type(), S_IFCHR);
    if args[3] == "signals" {
        let mut old = SigAction::default();
        // SAFETY: only queries the current actions.
        ok!(unsafe { sys::rt_sigaction(SIGUSR1, None, Some(&mut old)) });
        check_eq!(old.sa_handler, SIG_DFL);
        // SAFETY: as above.
        ok!(unsafe { sys::rt_sigaction(SIGUSR2, None, Some(&mut old)) });
        check_eq!(old.sa_handler, SIG_IGN);
    }
    Ok(())
}

/// `/proc/self/exe` links to the running program (busybox runs its applets
/// again through it); under qemu-aarch64 it names the same file in the
/// host's tree.
fn proc_self_exe_names_the_program() -> TestResult {
    let mut buf = [0u8; 512];
    let n = ok!(pikern_rt::sys::readlinkat(
        pikern_rt::consts::AT_FDCWD,
        c"/proc/self/exe",
        &mut buf
    ));
    let target = core::str::from_utf8(&buf[..n]).unwrap_or("");
    check!(
        target.ends_with("/bin/usertests"),
        "/proc/self/exe -> {target:?}"
    );
    Ok(())
}
