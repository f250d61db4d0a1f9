//! The first tasks (Linux's `init/main.c`): `rest_init` starts init
//! (pid 1) and kthreadd (pid 2), then the boot CPU becomes its idle task.
//! init starts the test suites (test build) or a few demo kernel threads
//! and the console monitor, then reaps every child it is given, orphans
//! included.

use crate::exit::{do_wait, INIT_STARTED};
use crate::fork::{kernel_thread, CLONE_FILES, CLONE_FS};
use crate::kthread::{kthread_run, kthread_run_on};
use crate::sched::wait::msleep;
use crate::task::{self, EXIT_ZOMBIE, TASK_INTERRUPTIBLE};
use crate::{power, ps, tty};
use alloc::boxed::Box;
use core::sync::atomic::Ordering;
use libkernel::uapi::WNOHANG;

/// Starts pid 1 and pid 2, then idles (`rest_init`).
pub fn rest_init() -> ! {
    let init = kernel_thread(Box::new(kernel_init), "init", CLONE_FS | CLONE_FILES);
    let kthreadd = kernel_thread(
        Box::new(crate::kthread::kthreadd),
        "kthreadd",
        CLONE_FS | CLONE_FILES,
    );
    assert_eq!(init, Ok(1), "init must be pid 1");
    assert_eq!(kthreadd, Ok(2), "kthreadd must be pid 2");
    // init may already run on another CPU: it waits for this
    // (`kthreadd_done` in Linux).
    KTHREADD_DONE.store(true, Ordering::Release);
    KTHREADD_WAIT.wake_up_all();
    crate::sched::core::cpu_idle_loop()
}

static KTHREADD_DONE: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
static KTHREADD_WAIT: crate::sched::wait::WaitQueue = crate::sched::wait::WaitQueue::new();

/// pid 1.
fn kernel_init() -> i32 {
    KTHREADD_WAIT.wait_event(crate::task::TASK_UNINTERRUPTIBLE, || {
        KTHREADD_DONE.load(Ordering::Acquire)
    });
    INIT_STARTED.store(true, Ordering::Release);
    // Forked from CPU 0's idle task, init inherited its pinning: free it
    // (and so every process it starts) to use all CPUs, as Linux does.
    let _ = crate::sched::sched_setaffinity(&crate::task::current(), 0xf);
    crate::workqueue::init();
    crate::fs::init(external_initrd());
    crate::block::init();
    crate::trace::tracefs::init();
    #[cfg(feature = "ktest")]
    if crate::ktest::requested() {
        if let Err(e) = kthread_run(crate::ktest::run_from_cmdline, "ktest") {
            panic!("cannot start the test thread: errno {}", e.0);
        }
        reap_forever();
    }
    run_init_program();
    start_demo_threads();
    msleep(200);
    println!("init: tasks after boot:");
    ps::show();
    if let Err(e) = kthread_run(kshell, "kshell") {
        println!("init: cannot start kshell: errno {}", e.0);
    }
    reap_forever()
}

/// The initramfs the firmware or QEMU loaded (DTB `linux,initrd-*`).
fn external_initrd() -> Option<&'static [u8]> {
    let (start, end) = crate::dtb::get()?.initrd()?;
    // SAFETY: the range was reserved at boot (never handed to the page
    // allocator) and is mapped through the linear map.
    Some(unsafe {
        core::slice::from_raw_parts(
            crate::mm::phys_to_virt(start) as *const u8,
            (end - start) as usize,
        )
    })
}

/// Becomes the user-space init (`init=` on the command line, else
/// `/init`), with the words after `--` as its arguments. Returns only if
/// that fails; the kernel then keeps its own monitor running.
fn run_init_program() {
    let cl = crate::cmdline::get();
    let path = cl.get("init").unwrap_or("/init");
    if path.starts_with("/boot/") {
        mount_boot_for_init(path);
    }
    if crate::fs::lookup_path("/", path.as_bytes()).is_err() {
        println!("init: no {path} in the initramfs; staying in the kernel");
        return;
    }
    let mut argv = alloc::vec![path];
    argv.extend(cl.init_args());
    println!("init: running {path}");
    let e = crate::exec::kernel_execve(path, &argv, &["HOME=/", "TERM=linux", "PATH=/bin"]);
    println!("init: cannot run {path}: {e}");
}

/// The SD card's boot partition, mounted on `/boot` by user space's init.
const BOOT_DEV: &str = "/dev/mmcblk0p1";

/// `init=/boot/...`: a program on the SD card, which nobody has mounted
/// yet, since mounting it is the job of the init being replaced. So the
/// kernel mounts it first, as Linux's `prepare_namespace` mounts `root=`
/// before it runs init: Linux's init= names a file on the root it mounted,
/// and here the card is where a student without a serial cable puts it.
/// A failure is reported and the boot goes on (to "no such init").
fn mount_boot_for_init(path: &str) {
    match crate::fs::namespace::kern_mount("vfat", BOOT_DEV, "/boot") {
        Ok(()) => println!("init: mounted {BOOT_DEV} on /boot (vfat) for init={path}"),
        Err(e) => println!("init: cannot mount {BOOT_DEV} on /boot (vfat) for init={path}: {e}"),
    }
}

/// init's main loop: sleep until a child is a zombie, reap it.
fn reap_forever() -> ! {
    let me = task::current();
    loop {
        me.signal.wait_chldexit.wait_event(TASK_INTERRUPTIBLE, || {
            me.family
                .lock()
                .children
                .values()
                .any(|c| c.exit_state.load(Ordering::Relaxed) == EXIT_ZOMBIE)
        });
        while let Ok(Some(_)) = do_wait(-1, WNOHANG) {}
    }
}

/// A few kernel threads in different states for the `ps` listing: one
/// sleeping, one spinning on CPU 2, one that exits at once.
fn start_demo_threads() {
    let _ = kthread_run(
        || loop {
            msleep(1000);
        },
        "demo_sleeper",
    );
    let _ = kthread_run_on(
        || loop {
            core::hint::spin_loop();
        },
        "demo_spinner",
        1 << 2,
    );
    let _ = kthread_run(|| 0, "demo_exits");
}

/// A tiny console monitor: `ps` lists tasks, `poweroff` ends the machine.
/// It reads the console a line at a time like any program: the line
/// discipline echoes and edits (canonical mode).
fn kshell() -> i32 {
    println!("kshell: commands: ps, poweroff (Ctrl-A x quits QEMU)");
    let mut buf = [0u8; 256];
    loop {
        print!("pikern> ");
        // Ctrl-D (a read of 0) or a signal: a new prompt.
        let n = tty::tty_read(tty::TtyDev::Console, &mut buf, 0).unwrap_or_default();
        let line = core::str::from_utf8(&buf[..n]).unwrap_or("");
        match line.trim() {
            "" => {}
            "ps" => ps::show(),
            "poweroff" => power::power_off(0),
            other => println!("kshell: {other}: command not found"),
        }
    }
}
