//! Suite `abi`: the system-call convention itself and the identity,
//! system-information, resource-limit, random and reboot calls.

use crate::ktap::{Suite, TestResult};
use crate::util::*;
use core::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use pikern_rt::consts::*;
use pikern_rt::sys::{self, RLimit};
use pikern_rt::syscall::{nr, syscall0, syscall1, syscall6};
use pikern_rt::Errno;

pub static SUITE: Suite = Suite {
    name: "abi",
    tests: tests![
        unknown_syscall_is_enosys,
        registers_preserved_across_svc,
        getpid_gettid_getppid,
        uname_fields,
        uname_bad_pointer_efault,
        set_tid_address_returns_tid,
        set_robust_list_checks_length,
        prlimit64_get,
        prlimit64_set_core,
        prlimit64_errors,
        getrandom_fills,
        getrandom_errors,
        reboot_bad_magic_refused,
        ioctl_tcgets_not_a_tty,
        ioctl_bad_fd_ebadf,
    ],
};

fn unknown_syscall_is_enosys() -> TestResult {
    for n in [4000usize, 1000, 0x1_0000] {
        // SAFETY: an unknown number does nothing but return -ENOSYS.
        check_err!(Errno::result(unsafe { syscall0(n) }), Errno::ENOSYS);
        // SAFETY: as above; the arguments are never used.
        let r = unsafe { syscall6(n, 1, 2, 3, 4, 5, 6) };
        check_err!(Errno::result(r), Errno::ENOSYS);
    }
    Ok(())
}

fn registers_preserved_across_svc() -> TestResult {
    // Linux returns from a system call with every register but x0
    // unchanged; the arguments too (x1 holds a pattern here).
    for a1 in [0x1111_2222_3333_4444usize, usize::MAX] {
        match gp_registers_across(nr::GETPID, 0, a1) {
            Ok(pid) => check_eq!(pid as i32, sys::getpid()),
            Err((name, before, after)) => {
                fail!("{name} changed across svc: {before:#x} -> {after:#x}")
            }
        }
    }
    Ok(())
}

fn getpid_gettid_getppid() -> TestResult {
    let pid = sys::getpid();
    check!(pid > 0, "getpid() = {pid}");
    check_eq!(sys::gettid(), pid);
    let ppid = sys::getppid();
    check!(ppid >= 0 && ppid != pid, "getppid() = {ppid} (pid {pid})");
    check_eq!(sys::getpid(), pid);
    Ok(())
}

fn uname_fields() -> TestResult {
    let u = ok!(sys::uname());
    let fields = [
        &u.sysname,
        &u.nodename,
        &u.release,
        &u.version,
        &u.machine,
        &u.domainname,
    ];
    for f in fields {
        check!(f.contains(&0), "a utsname field is not NUL-terminated");
    }
    let sysname = sys::field_str(&u.sysname);
    check!(
        sysname == "pikern" || sysname == "Linux",
        "sysname {sysname:?}, expected pikern or Linux"
    );
    check_eq!(sys::field_str(&u.machine), "aarch64");
    check!(!sys::field_str(&u.release).is_empty(), "release is empty");
    Ok(())
}

fn uname_bad_pointer_efault() -> TestResult {
    for p in [KERNEL_ADDR, 0] {
        // SAFETY: the kernel must refuse to write through these pointers.
        let r = unsafe { syscall1(nr::UNAME, p) };
        check_err!(Errno::result(r), Errno::EFAULT);
    }
    Ok(())
}

/// Where the kernel clears the tid at exit (must outlive the process).
static CLEAR_TID: AtomicI32 = AtomicI32::new(-1);

fn set_tid_address_returns_tid() -> TestResult {
    // SAFETY: CLEAR_TID is a static, valid for the process's lifetime.
    let tid = unsafe { sys::set_tid_address(CLEAR_TID.as_ptr()) };
    check_eq!(tid, sys::gettid());
    Ok(())
}

/// An empty robust-futex list: `struct robust_list_head` whose `next`
/// points at itself.
static ROBUST_HEAD: [AtomicUsize; 3] = [const { AtomicUsize::new(0) }; 3];

fn set_robust_list_checks_length() -> TestResult {
    let head = ROBUST_HEAD.as_ptr() as usize;
    ROBUST_HEAD[0].store(head, Ordering::Relaxed);
    // SAFETY: the head is a valid empty list in a static.
    match unsafe { sys::set_robust_list(head, 24) } {
        Err(Errno::ENOSYS) => skip!("set_robust_list not implemented (ENOSYS, as qemu-user)"),
        r => {
            ok!(r);
        }
    }
    // SAFETY: as above; the wrong length must be refused.
    check_err!(unsafe { sys::set_robust_list(head, 23) }, Errno::EINVAL);
    Ok(())
}

fn prlimit64_get() -> TestResult {
    let mut stack = RLimit::default();
    ok!(sys::prlimit64(0, RLIMIT_STACK, None, Some(&mut stack)));
    check!(stack.rlim_cur > 0, "RLIMIT_STACK soft limit is 0");
    check!(
        stack.rlim_cur <= stack.rlim_max,
        "soft {stack:?} above hard limit"
    );
    let mut nofile = RLimit::default();
    ok!(sys::prlimit64(0, RLIMIT_NOFILE, None, Some(&mut nofile)));
    check!(nofile.rlim_cur >= 3, "RLIMIT_NOFILE {nofile:?} below 3");
    let mut again = RLimit::default();
    ok!(sys::prlimit64(
        sys::getpid(),
        RLIMIT_STACK,
        None,
        Some(&mut again)
    ));
    check_eq!(again, stack);
    Ok(())
}

fn prlimit64_set_core() -> TestResult {
    let mut old = RLimit::default();
    ok!(sys::prlimit64(0, RLIMIT_CORE, None, Some(&mut old)));
    let new = RLimit {
        rlim_cur: 0,
        rlim_max: old.rlim_max,
    };
    let mut prev = RLimit::default();
    ok!(sys::prlimit64(0, RLIMIT_CORE, Some(&new), Some(&mut prev)));
    check_eq!(prev, old);
    let mut now = RLimit::default();
    ok!(sys::prlimit64(0, RLIMIT_CORE, None, Some(&mut now)));
    check_eq!(now, new);
    Ok(())
}

fn prlimit64_errors() -> TestResult {
    let mut r = RLimit::default();
    check_err!(sys::prlimit64(0, 999, None, Some(&mut r)), Errno::EINVAL);
    let inverted = RLimit {
        rlim_cur: 10,
        rlim_max: 5,
    };
    check_err!(
        sys::prlimit64(0, RLIMIT_CORE, Some(&inverted), None),
        Errno::EINVAL
    );
    check_err!(
        sys::prlimit64(0x3fff_fff0, RLIMIT_STACK, None, Some(&mut r)),
        Errno::ESRCH
    );
    // SAFETY: the kernel must refuse to write through a kernel address.
    let ret = unsafe {
        pikern_rt::syscall::syscall4(nr::PRLIMIT64, 0, RLIMIT_STACK as usize, 0, KERNEL_ADDR)
    };
    check_err!(Errno::result(ret), Errno::EFAULT);
    Ok(())
}

fn getrandom_fills() -> TestResult {
    let (mut a, mut b) = ([0u8; 64], [0u8; 64]);
    check_eq!(ok!(sys::getrandom(&mut a, 0)), 64);
    check_eq!(ok!(sys::getrandom(&mut b, GRND_NONBLOCK)), 64);
    check!(a.iter().any(|&x| x != 0), "64 random bytes all zero");
    check!(a != b, "two getrandom calls gave the same 64 bytes");
    check_eq!(ok!(sys::getrandom(&mut [], 0)), 0);
    // glibc's start-up call: 8 bytes, GRND_NONBLOCK.
    let mut c = [0u8; 8];
    check_eq!(ok!(sys::getrandom(&mut c, GRND_NONBLOCK)), 8);
    Ok(())
}

fn getrandom_errors() -> TestResult {
    let mut a = [0u8; 8];
    check_err!(sys::getrandom(&mut a, 0x100), Errno::EINVAL);
    // SAFETY: the kernel must refuse to write to a kernel address.
    let r = unsafe { pikern_rt::syscall::syscall3(nr::GETRANDOM, KERNEL_ADDR, 16, 0) };
    check_err!(Errno::result(r), Errno::EFAULT);
    Ok(())
}

fn reboot_bad_magic_refused() -> TestResult {
    // Only wrong magic numbers (and an invalid command) are ever passed:
    // this must not reboot anything, anywhere. Without CAP_SYS_BOOT Linux
    // says EPERM before looking at the magic.
    let bad = [
        (0u32, LINUX_REBOOT_MAGIC2),
        (LINUX_REBOOT_MAGIC1, 0x1234_5678),
    ];
    for (m1, m2) in bad {
        match sys::reboot(m1, m2, 0x1234_5678, 0) {
            Err(Errno::EINVAL) | Err(Errno::EPERM) => {}
            other => fail!("reboot({m1:#x}, {m2:#x}) = {other:?}, expected EINVAL"),
        }
    }
    Ok(())
}

fn ioctl_tcgets_not_a_tty() -> TestResult {
    let null = ok!(Fd::open(c"/dev/null", O_RDWR));
    check_err!(sys::tcgets(null.raw()), Errno::ENOTTY);
    let mut ws = sys::WinSize::default();
    // SAFETY: TIOCGWINSZ writes a struct winsize.
    let r = unsafe { sys::ioctl(null.raw(), TIOCGWINSZ, &mut ws as *mut _ as usize) };
    check_err!(r, Errno::ENOTTY);
    let file = ok!(Fd::open(self_path(), O_RDONLY));
    check_err!(sys::tcgets(file.raw()), Errno::ENOTTY);
    Ok(())
}

fn ioctl_bad_fd_ebadf() -> TestResult {
    check_err!(sys::tcgets(999), Errno::EBADF);
    check_err!(sys::tcgets(-1), Errno::EBADF);
    Ok(())
}
