//! Suite `tty`: the terminal as Linux's `tty_io.c`, `tty_jobctrl.c` and
//! `n_tty.c` make it: how a session gets its controlling terminal
//! (`open`, `TIOCSCTTY`, never `/dev/console`; `/dev/tty` is `ENXIO`
//! without one), the foreground group and its checks (`TIOCSPGRP`,
//! `SIGTTIN` for a background read, `SIGTTOU` for a background write with
//! `TOSTOP` or a background `TCSETS`), line editing in canonical mode,
//! raw reads with `VMIN`/`VTIME`, `ISIG` to the foreground group, and
//! `FIONREAD`, `TCFLSH`, `TIOCSWINSZ` (with `SIGWINCH`), `TCXONC`.
//!
//! The terminal: on Linux a fresh pseudo-terminal for each test (its
//! master types the input); on pikern the console under its own name,
//! `/dev/ttyAMA0`, whose input the tests type with `TIOCSTI` through the
//! line discipline's real receive path. There the console is first given
//! up by this process's session (init made it our controlling terminal)
//! and taken back afterwards, with its settings restored and its input
//! flushed; tests turn echo off so typed bytes stay off the KTAP log.
//!
//! Every test runs in a child that starts its own session
//! (`setsid`) and so begins without a controlling terminal.

use crate::ktap::{Stop, Suite, TestResult};
use crate::util::*;
use alloc::ffi::CString;
use alloc::format;
use core::sync::atomic::{AtomicI32, Ordering};
use pikern_rt::consts::*;
use pikern_rt::process;
use pikern_rt::sys::{self, sigbit, SigAction, Termios};
use pikern_rt::Errno;

pub static SUITE: Suite = Suite {
    name: "tty",
    tests: tests![
        open_by_session_leader_acquires_ctty,
        noctty_and_non_leaders_do_not_acquire,
        dev_console_never_becomes_ctty,
        dev_tty_without_ctty_is_enxio,
        tiocsctty_rules,
        tiocspgrp_checks,
        background_read_gets_sigttin,
        background_read_when_ignored_or_orphaned_is_eio,
        background_reader_stops_then_reads_in_foreground,
        background_write_with_tostop_gets_sigttou,
        background_tcsets_gets_sigttou,
        canonical_read_edits_lines,
        intr_signals_the_whole_foreground_group,
        raw_read_follows_vmin_vtime,
        fionread_tcflsh_tcxonc,
        winsize_change_sends_sigwinch,
        termios_defaults_are_linux_std,
    ],
};

/// `TIOCSPTLCK`, `TIOCGPTN`: unlock a pty and name its slave (Linux).
const TIOCSPTLCK: u32 = 0x4004_5431;
const TIOCGPTN: u32 = 0x8004_5430;

/// The terminal a test uses, and how input is typed into it.
struct Term {
    path: CString,
    /// The pty master (Linux); `None`: the console, typed with `TIOCSTI`.
    master: Option<Fd>,
    /// The console's settings to restore (pikern).
    saved: Option<Termios>,
}

impl Term {
    /// A pseudo-terminal if the kernel has them, else the console (on
    /// pikern, released by this session for the test).
    fn new() -> Result<Term, Stop> {
        if let Ok(m) = Fd::open(c"/dev/ptmx", O_RDWR | O_NOCTTY) {
            let zero = 0i32;
            let mut n = 0u32;
            // SAFETY: TIOCSPTLCK reads an int, TIOCGPTN writes one.
            unsafe {
                ok!(sys::ioctl(
                    m.raw(),
                    TIOCSPTLCK,
                    &zero as *const i32 as usize
                ));
                ok!(sys::ioctl(m.raw(), TIOCGPTN, &mut n as *mut u32 as usize));
            }
            let path = ok!(CString::new(format!("/dev/pts/{n}")));
            return Ok(Term {
                path,
                master: Some(m),
                saved: None,
            });
        }
        if !on_pikern() {
            skip!("no pseudo-terminals to test with");
        }
        // Init made the console our session's controlling terminal: give
        // it up (the hang-up's SIGHUP ignored meanwhile) so the test's own
        // session can have it.
        let old = ignore(SIGHUP);
        if sys::tcgetsid(0).is_ok_and(|s| s == sys::getsid(0).unwrap_or(0) as i32) {
            // SAFETY: TIOCNOTTY takes no argument.
            ok!(unsafe { sys::ioctl(0, TIOCNOTTY, 0) });
        }
        restore(SIGHUP, &old);
        let saved = ok!(sys::tcgets(0));
        Ok(Term {
            path: c"/dev/ttyAMA0".into(),
            master: None,
            saved: Some(saved),
        })
    }

    /// Opens the terminal (`O_RDWR` plus `flags`).
    fn open(&self, flags: u32) -> Result<Fd, Errno> {
        Fd::open(&self.path, O_RDWR | flags)
    }

    /// Types `bytes` into the terminal open as `fd`.
    fn type_in(&self, fd: i32, bytes: &[u8]) -> TestResult {
        match &self.master {
            Some(m) => {
                ok!(sys::write(m.raw(), bytes));
            }
            None => {
                for b in bytes {
                    // SAFETY: TIOCSTI reads one byte.
                    ok!(unsafe { sys::ioctl(fd, TIOCSTI, b as *const u8 as usize) });
                }
            }
        }
        // The pty's input travels through a work queue on Linux.
        let _ = process::sleep_ms(20);
        Ok(())
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        if let Some(t) = &self.saved {
            // Back to how the console was, and ours again.
            let _ = sys::tcsets(0, t);
            // SAFETY: TCFLSH takes a value.
            let _ = unsafe { sys::ioctl(0, TCFLSH, TCIFLUSH as usize) };
            let _ = sys::tiocsctty(0, 0);
        }
    }
}

fn ignore(sig: u32) -> SigAction {
    let mut old = SigAction::default();
    // SAFETY: SIG_IGN runs no code.
    let _ =
        unsafe { sys::rt_sigaction(sig, Some(&SigAction::disposition(SIG_IGN)), Some(&mut old)) };
    old
}

fn restore(sig: u32, old: &SigAction) {
    // SAFETY: the action was read back from the kernel.
    let _ = unsafe { sys::rt_sigaction(sig, Some(old), None) };
}

static CAUGHT: AtomicI32 = AtomicI32::new(0);

extern "C" fn catch(sig: i32) {
    CAUGHT.store(sig, Ordering::SeqCst);
}

/// Installs [`catch`] for `sig`, without `SA_RESTART`.
fn catch_signal(sig: u32) {
    let act = SigAction::handler(catch, 0);
    // SAFETY: the handler only stores to an atomic.
    let _ = unsafe { sys::rt_sigaction(sig, Some(&act), None) };
}

/// In a child that starts a session: opens the terminal, which becomes
/// its controlling terminal, with echo off; runs `f` with the fd.
fn as_leader(term: &Term, f: impl FnOnce(&Fd) -> TestResult) -> TestResult {
    child_passed(in_child(|| {
        ok!(sys::setsid());
        let fd = ok!(term.open(0));
        let mut t = ok!(sys::tcgets(fd.raw()));
        t.c_lflag &= !(ECHO | ECHONL);
        ok!(sys::tcsets(fd.raw(), &t));
        f(&fd)
    }))
}

/// Checks the terminal open as `fd` is the caller's controlling terminal,
/// of session `sid`. qemu-aarch64 hands `TIOCGSID` a NULL pointer (the
/// call "succeeds" and writes nothing), so under it the session is taken
/// as seen if `TIOCGPGRP`, which also needs the controlling terminal,
/// works.
fn check_ctty_sid(fd: i32, sid: i32) -> TestResult {
    if on_linux() {
        ok!(sys::tcgetpgrp(fd));
    } else {
        check_eq!(ok!(sys::tcgetsid(fd)), sid);
    }
    Ok(())
}

fn read_fd(fd: i32, buf: &mut [u8]) -> Result<usize, Errno> {
    sys::read(fd, buf)
}

// ------------------------------------------------------- the ctty rules

fn open_by_session_leader_acquires_ctty() -> TestResult {
    let term = Term::new()?;
    as_leader(&term, |fd| {
        let me = sys::getpid();
        check_ctty_sid(fd.raw(), me)?;
        check_eq!(ok!(sys::tcgetpgrp(fd.raw())), me);
        // /dev/tty is now this terminal.
        let tty = ok!(Fd::open(c"/dev/tty", O_RDWR));
        check_ctty_sid(tty.raw(), me)?;
        Ok(())
    })
}

fn noctty_and_non_leaders_do_not_acquire() -> TestResult {
    let term = Term::new()?;
    child_passed(in_child(|| {
        ok!(sys::setsid());
        let fd = ok!(term.open(O_NOCTTY));
        check_err!(sys::tcgetsid(fd.raw()), Errno::ENOTTY);
        check_err!(sys::tcgetpgrp(fd.raw()), Errno::ENOTTY);
        // A process of the session that does not lead it.
        child_passed(in_child(|| {
            let fd = ok!(term.open(0));
            check_err!(sys::tcgetsid(fd.raw()), Errno::ENOTTY);
            check_err!(Fd::open(c"/dev/tty", O_RDWR).map(|f| f.raw()), Errno::ENXIO);
            Ok(())
        }))
    }))
}

fn dev_console_never_becomes_ctty() -> TestResult {
    child_passed(in_child(|| {
        ok!(sys::setsid());
        let con = match Fd::open(c"/dev/console", O_RDWR) {
            Ok(f) => f,
            Err(e) if on_linux() => skip!("cannot open /dev/console here: {e:?}"),
            Err(e) => fail!("open /dev/console: {e:?}"),
        };
        check_err!(sys::tcgetsid(con.raw()), Errno::ENOTTY);
        check_err!(Fd::open(c"/dev/tty", O_RDWR).map(|f| f.raw()), Errno::ENXIO);
        Ok(())
    }))
}

fn dev_tty_without_ctty_is_enxio() -> TestResult {
    child_passed(in_child(|| {
        ok!(sys::setsid());
        check_err!(Fd::open(c"/dev/tty", O_RDWR).map(|f| f.raw()), Errno::ENXIO);
        Ok(())
    }))
}

fn tiocsctty_rules() -> TestResult {
    let term = Term::new()?;
    child_passed(in_child(|| {
        // Not a session leader (this child's parent leads the session).
        let fd = ok!(term.open(O_NOCTTY));
        check_err!(sys::tiocsctty(fd.raw(), 0), Errno::EPERM);
        ok!(sys::setsid());
        let me = sys::getpid();
        ok!(sys::tiocsctty(fd.raw(), 0));
        check_ctty_sid(fd.raw(), me)?;
        // Again: already ours, fine.
        ok!(sys::tiocsctty(fd.raw(), 0));
        // Another session's leader cannot take it without stealing.
        child_passed(in_child(|| {
            ok!(sys::setsid());
            let fd = ok!(term.open(O_NOCTTY));
            check_err!(sys::tiocsctty(fd.raw(), 0), Errno::EPERM);
            match sys::tiocsctty(fd.raw(), 1) {
                // Root steals it (CAP_SYS_ADMIN).
                Ok(_) => check_ctty_sid(fd.raw(), sys::getpid())?,
                // A container without CAP_SYS_ADMIN.
                Err(Errno::EPERM) if on_linux() => {}
                Err(e) => fail!("TIOCSCTTY 1: {e:?}"),
            }
            Ok(())
        }))
    }))
}

/// A pipe as two raw fds (the reader in an [`Fd`]).
fn pipe_pair() -> Result<(Fd, i32), Errno> {
    let [r, w] = sys::pipe2(0)?;
    Ok((Fd(r), w))
}

fn tiocspgrp_checks() -> TestResult {
    let term = Term::new()?;
    as_leader(&term, |fd| {
        let me = sys::getpid();
        let set = |pgrp: i32| sys::tcsetpgrp(fd.raw(), pgrp);
        ok!(set(me));
        check_err!(set(-1), Errno::EINVAL);
        // Init's group is in another session.
        check_err!(set(1), Errno::EPERM);
        check_err!(set(4_000_000), Errno::ESRCH);
        // A group of this session: fine, and this process is then in the
        // background.
        let (r, w) = ok!(pipe_pair());
        let child = match ok!(process::fork()) {
            0 => {
                let _ = sys::setpgid(0, 0);
                let mut b = [0u8; 1];
                let _ = sys::read(r.0, &mut b);
                sys::exit_group(0)
            }
            pid => pid,
        };
        let _ = sys::setpgid(child, child);
        ok!(set(child));
        check_eq!(ok!(sys::tcgetpgrp(fd.raw())), child);
        // Now in the background, from a group whose parent is in another
        // session (orphaned): EIO, which TIOCSPGRP reports as ENOTTY.
        check_err!(set(me), Errno::ENOTTY);
        // With SIGTTOU blocked it goes ahead.
        ok!(sys::rt_sigprocmask(SIG_BLOCK, Some(&sigbit(SIGTTOU)), None));
        ok!(set(me));
        check_eq!(ok!(sys::tcgetpgrp(fd.raw())), me);
        let _ = sys::write(w, b"x");
        let _ = sys::close(w);
        check_eq!(ok!(wait_for(child)).exit_code(), Some(0));
        Ok(())
    })?;
    // Without a controlling terminal: ENOTTY.
    child_passed(in_child(|| {
        ok!(sys::setsid());
        let fd = ok!(term.open(O_NOCTTY));
        check_err!(sys::tcsetpgrp(fd.raw(), sys::getpid()), Errno::ENOTTY);
        Ok(())
    }))
}

/// In the leader's session: runs `f` in a child in a group of its own
/// (so in the background); the child's exit status is the result.
fn in_background(f: impl FnOnce() -> TestResult) -> TestResult {
    child_passed(in_child(|| {
        ok!(sys::setpgid(0, 0));
        f()
    }))
}

fn background_read_gets_sigttin() -> TestResult {
    let term = Term::new()?;
    as_leader(&term, |fd| {
        in_background(|| {
            catch_signal(SIGTTIN);
            let mut b = [0u8; 8];
            check_err!(read_fd(fd.raw(), &mut b), Errno::EINTR);
            check_eq!(CAUGHT.load(Ordering::SeqCst), SIGTTIN as i32);
            // TCGETS is allowed from the background.
            ok!(sys::tcgets(fd.raw()));
            Ok(())
        })
    })
}

fn background_read_when_ignored_or_orphaned_is_eio() -> TestResult {
    let term = Term::new()?;
    as_leader(&term, |fd| {
        in_background(|| {
            ignore(SIGTTIN);
            let mut b = [0u8; 8];
            check_err!(read_fd(fd.raw(), &mut b), Errno::EIO);
            Ok(())
        })?;
        in_background(|| {
            ok!(sys::rt_sigprocmask(SIG_BLOCK, Some(&sigbit(SIGTTIN)), None));
            let mut b = [0u8; 8];
            check_err!(read_fd(fd.raw(), &mut b), Errno::EIO);
            Ok(())
        })?;
        // An orphaned group: its only member's parent (init, after the
        // middle process exits) is in another session.
        let (r, w) = ok!(pipe_pair());
        let mid = in_child(|| {
            ok!(sys::setpgid(0, 0));
            match ok!(process::fork()) {
                0 => {
                    let me = sys::getppid();
                    // Wait to be orphaned.
                    let mut n = 0;
                    while sys::getppid() == me && n < 500 {
                        let _ = process::sleep_ms(10);
                        n += 1;
                    }
                    let mut b = [0u8; 8];
                    let got = read_fd(fd.raw(), &mut b);
                    let verdict: &[u8] = if got == Err(Errno::EIO) { b"y" } else { b"n" };
                    let _ = sys::write(w, verdict);
                    sys::exit_group(0)
                }
                _ => Ok(()),
            }
        });
        let _ = sys::close(w);
        child_passed(mid)?;
        let mut b = [0u8; 1];
        check_eq!(ok!(sys::read(r.0, &mut b)), 1);
        check!(
            b[0] == b'y',
            "a read from an orphaned background group was not EIO"
        );
        Ok(())
    })
}

/// A shell's `fg`: a background job that reads is stopped by SIGTTIN;
/// made the foreground group and continued, its read starts again
/// (`ERESTARTSYS`) and gets the line typed then.
fn background_reader_stops_then_reads_in_foreground() -> TestResult {
    let term = Term::new()?;
    as_leader(&term, |fd| {
        let (r, w) = ok!(pipe_pair());
        let job = match ok!(process::fork()) {
            0 => {
                let _ = sys::setpgid(0, 0);
                let mut b = [0u8; 16];
                let n = read_fd(fd.raw(), &mut b).unwrap_or(0);
                let _ = sys::write(w, &b[..n]);
                sys::exit_group(0)
            }
            pid => pid,
        };
        let _ = sys::setpgid(job, job);
        let _ = sys::close(w);
        let (_, st) = ok!(process::waitpid(job, WUNTRACED));
        check!(
            st.stopped(),
            "the background reader was not stopped: {st:?}"
        );
        check_eq!((st.0 >> 8) & 0xff, SIGTTIN as i32);
        // fg: the job's group gets the terminal, then SIGCONT.
        ok!(sys::tcsetpgrp(fd.raw(), job));
        ok!(sys::kill(-job, SIGCONT));
        term.type_in(fd.raw(), b"resumed\n")?;
        let mut b = [0u8; 16];
        let n = ok!(read_to_end(r.0, &mut b));
        check_eq!(&b[..n], b"resumed\n");
        check_eq!(ok!(wait_for(job)).exit_code(), Some(0));
        // The leader takes the terminal back (SIGTTOU blocked: it is in
        // the background now).
        ok!(sys::rt_sigprocmask(SIG_BLOCK, Some(&sigbit(SIGTTOU)), None));
        ok!(sys::tcsetpgrp(fd.raw(), sys::getpid()));
        Ok(())
    })
}

fn background_write_with_tostop_gets_sigttou() -> TestResult {
    let term = Term::new()?;
    let line = b"    # tty: a background write\n";
    as_leader(&term, |fd| {
        // Without TOSTOP a background write goes out.
        in_background(|| {
            check_eq!(ok!(sys::write(fd.raw(), line)), line.len());
            Ok(())
        })?;
        let mut t = ok!(sys::tcgets(fd.raw()));
        t.c_lflag |= TOSTOP;
        ok!(sys::tcsets(fd.raw(), &t));
        in_background(|| {
            catch_signal(SIGTTOU);
            check_err!(sys::write(fd.raw(), line), Errno::EINTR);
            check_eq!(CAUGHT.load(Ordering::SeqCst), SIGTTOU as i32);
            // Ignored: the write goes ahead.
            ignore(SIGTTOU);
            check_eq!(ok!(sys::write(fd.raw(), line)), line.len());
            Ok(())
        })?;
        t.c_lflag &= !TOSTOP;
        ok!(sys::tcsets(fd.raw(), &t));
        Ok(())
    })
}

fn background_tcsets_gets_sigttou() -> TestResult {
    let term = Term::new()?;
    as_leader(&term, |fd| {
        in_background(|| {
            let t = ok!(sys::tcgets(fd.raw()));
            catch_signal(SIGTTOU);
            check_err!(sys::tcsets(fd.raw(), &t), Errno::EINTR);
            check_eq!(CAUGHT.load(Ordering::SeqCst), SIGTTOU as i32);
            ok!(sys::rt_sigprocmask(SIG_BLOCK, Some(&sigbit(SIGTTOU)), None));
            ok!(sys::tcsets(fd.raw(), &t));
            Ok(())
        })
    })
}

// ------------------------------------------------------ line discipline

fn canonical_read_edits_lines() -> TestResult {
    let term = Term::new()?;
    as_leader(&term, |fd| {
        let mut b = [0u8; 64];
        let mut line = |typed: &[u8]| -> Result<alloc::vec::Vec<u8>, Stop> {
            if !typed.is_empty() {
                term.type_in(fd.raw(), typed)?;
            }
            let n = ok!(read_fd(fd.raw(), &mut b));
            Ok(b[..n].to_vec())
        };
        // DEL erases, CR ends the line (ICRNL).
        check_eq!(line(b"abx\x7fc\r")?, b"abc\n");
        // Ctrl-U kills the line, Ctrl-W a word.
        check_eq!(line(b"junk\x15ok\n")?, b"ok\n");
        check_eq!(line(b"one two\x17three\n")?, b"one three\n");
        // Ctrl-D mid-line ends it without a newline; at a line's start
        // it is the end of input (read returns 0).
        check_eq!(line(b"ab\x04")?, b"ab");
        check_eq!(line(b"\x04")?, b"");
        // Two lines typed at once are read one at a time.
        check_eq!(line(b"1\n2\n")?, b"1\n");
        check_eq!(line(b"")?, b"2\n");
        Ok(())
    })
}

fn intr_signals_the_whole_foreground_group() -> TestResult {
    let term = Term::new()?;
    as_leader(&term, |fd| {
        // The leader survives its own Ctrl-C.
        ignore(SIGINT);
        let mut kids = [0i32; 3];
        for (i, k) in kids.iter_mut().enumerate() {
            *k = match ok!(process::fork()) {
                0 => {
                    let dfl = SigAction::disposition(SIG_DFL);
                    // SAFETY: SIG_DFL runs no code.
                    let _ = unsafe { sys::rt_sigaction(SIGINT, Some(&dfl), None) };
                    if i == 2 {
                        // A background group: the terminal's Ctrl-C is
                        // not for it.
                        let _ = sys::setpgid(0, 0);
                    }
                    let _ = process::sleep_ms(3000);
                    sys::exit_group(7)
                }
                pid => pid,
            };
        }
        let _ = sys::setpgid(kids[2], kids[2]);
        let _ = process::sleep_ms(100);
        term.type_in(fd.raw(), b"\x03")?;
        check_eq!(ok!(wait_for(kids[0])).term_signal(), Some(SIGINT));
        check_eq!(ok!(wait_for(kids[1])).term_signal(), Some(SIGINT));
        check_eq!(ok!(wait_for(kids[2])).exit_code(), Some(7));
        Ok(())
    })
}

fn raw_read_follows_vmin_vtime() -> TestResult {
    let term = Term::new()?;
    as_leader(&term, |fd| {
        let mut t = ok!(sys::tcgets(fd.raw()));
        t.c_lflag &= !(ICANON | ISIG | IEXTEN);
        t.c_iflag &= !(ICRNL | IXON);
        t.c_cc[VMIN] = 1;
        t.c_cc[VTIME] = 0;
        ok!(sys::tcsets(fd.raw(), &t));
        let mut b = [0u8; 16];
        // Bytes come as typed, no editing, no signals.
        term.type_in(fd.raw(), b"a\x7f\x03\r")?;
        check_eq!(ok!(read_fd(fd.raw(), &mut b)), 4);
        check_eq!(&b[..4], b"a\x7f\x03\r");
        // MIN 0, TIME 0: a poll, 0 bytes at once.
        t.c_cc[VMIN] = 0;
        ok!(sys::tcsets(fd.raw(), &t));
        check_eq!(ok!(read_fd(fd.raw(), &mut b)), 0);
        // MIN 0, TIME 2: 0 bytes after 0.2 s.
        t.c_cc[VTIME] = 2;
        ok!(sys::tcsets(fd.raw(), &t));
        let start = now_ms();
        check_eq!(ok!(read_fd(fd.raw(), &mut b)), 0);
        let took = now_ms() - start;
        check!((150..2000).contains(&took), "VTIME 2 read took {took} ms");
        // TCSETSF throws away what was typed.
        term.type_in(fd.raw(), b"gone")?;
        t.c_cc[VTIME] = 0;
        // SAFETY: TCSETSF reads one struct termios.
        ok!(unsafe { sys::ioctl(fd.raw(), TCSETSF, &t as *const Termios as usize) });
        check_eq!(ok!(read_fd(fd.raw(), &mut b)), 0);
        Ok(())
    })
}

fn now_ms() -> u64 {
    sys::clock_gettime(CLOCK_MONOTONIC).map_or(0, |t| t.as_ns() / 1_000_000)
}

fn fionread_tcflsh_tcxonc() -> TestResult {
    let term = Term::new()?;
    as_leader(&term, |fd| {
        let inq = || {
            let mut n = 0i32;
            // SAFETY: FIONREAD writes an int.
            unsafe { sys::ioctl(fd.raw(), FIONREAD, &mut n as *mut i32 as usize) }.map(|_| n)
        };
        term.type_in(fd.raw(), b"ab\ncd")?;
        // Canonical mode counts complete lines only.
        check_eq!(ok!(inq()), 3);
        // SAFETY: TCFLSH and TCXONC take values.
        unsafe {
            ok!(sys::ioctl(fd.raw(), TCFLSH, TCIFLUSH as usize));
            check_eq!(ok!(inq()), 0);
            check_err!(sys::ioctl(fd.raw(), TCFLSH, 7), Errno::EINVAL);
            ok!(sys::ioctl(fd.raw(), TCXONC, TCOON as usize));
            check_err!(sys::ioctl(fd.raw(), TCXONC, 9), Errno::EINVAL);
            let mut q = -1i32;
            ok!(sys::ioctl(fd.raw(), TIOCOUTQ, &mut q as *mut i32 as usize));
            check_eq!(q, 0);
        }
        Ok(())
    })
}

fn winsize_change_sends_sigwinch() -> TestResult {
    let term = Term::new()?;
    as_leader(&term, |fd| {
        catch_signal(SIGWINCH);
        let mut ws = [0u16; 4];
        // SAFETY: TIOCGWINSZ writes a struct winsize (4 u16).
        ok!(unsafe { sys::ioctl(fd.raw(), TIOCGWINSZ, ws.as_mut_ptr() as usize) });
        let old = ws;
        let new = [old[0] + 7, old[1] + 3, 0, 0];
        // SAFETY: TIOCSWINSZ reads a struct winsize.
        ok!(unsafe { sys::ioctl(fd.raw(), TIOCSWINSZ, new.as_ptr() as usize) });
        check_eq!(CAUGHT.load(Ordering::SeqCst), SIGWINCH as i32);
        // SAFETY: as above.
        ok!(unsafe { sys::ioctl(fd.raw(), TIOCGWINSZ, ws.as_mut_ptr() as usize) });
        check_eq!(ws, new);
        // The same size again: no signal.
        CAUGHT.store(0, Ordering::SeqCst);
        // SAFETY: as above.
        ok!(unsafe { sys::ioctl(fd.raw(), TIOCSWINSZ, new.as_ptr() as usize) });
        check_eq!(CAUGHT.load(Ordering::SeqCst), 0);
        // SAFETY: as above.
        ok!(unsafe { sys::ioctl(fd.raw(), TIOCSWINSZ, old.as_ptr() as usize) });
        Ok(())
    })
}

fn termios_defaults_are_linux_std() -> TestResult {
    let term = Term::new()?;
    child_passed(in_child(|| {
        ok!(sys::setsid());
        let fd = ok!(term.open(0));
        let t = ok!(sys::tcgets(fd.raw()));
        let std = pikern_rt::uapi::Termios::linux_default();
        check_eq!(t.c_iflag, std.c_iflag);
        check_eq!(t.c_oflag, std.c_oflag);
        check_eq!(t.c_lflag, std.c_lflag);
        check_eq!(t.c_cc, std.c_cc);
        // A pty's slave has no HUPCL (pts_driver's init_termios).
        if on_pikern() {
            check_eq!(t.c_cflag, std.c_cflag);
        }
        Ok(())
    }))
}
