//! Suite `rt`: the runtime library itself (pikern-rt): print macros, the
//! panic handler, the brk heap, and its decoding helpers.

use crate::ktap::{Suite, TestResult};
use crate::util::*;
use alloc::alloc::{alloc, dealloc, Layout};
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use pikern_rt::consts::*;
use pikern_rt::process::{self, WaitStatus};
use pikern_rt::{heap, println, sys, Errno};

pub static SUITE: Suite = Suite {
    name: "rt",
    tests: tests![
        println_writes_whole_lines,
        panic_reports_and_exits_101,
        heap_vec_box_string,
        heap_large_alignment,
        heap_frees_newest_block,
        heap_reuses_freed_small_blocks,
        heap_failure_returns_null,
        wait_status_decoding,
        errno_decoding,
        signal_names,
    ],
};

/// Runs `f` in a child whose fd `target` is a pipe; returns the child's
/// status and what it wrote.
fn capture(target: i32, f: fn()) -> Result<(WaitStatus, Vec<u8>), Errno> {
    let [r, w] = sys::pipe2(0)?;
    let pid = match process::fork()? {
        0 => {
            let _ = sys::dup3(w, target, 0);
            let _ = sys::close(w);
            let _ = sys::close(r);
            f();
            sys::exit_group(0)
        }
        pid => pid,
    };
    let _ = sys::close(w);
    let mut out = vec![0u8; 8192];
    let n = read_to_end(r, &mut out);
    let _ = sys::close(r);
    let st = wait_for(pid)?;
    out.truncate(n?);
    Ok((st, out))
}

fn println_writes_whole_lines() -> TestResult {
    let r = capture(1, || {
        println!("hello {} {}", 42, "world");
        println!();
        let long = "x".repeat(3000);
        println!("{long}");
    });
    let (st, out) = match r {
        Err(Errno::ENOSYS) => skip!("pipe2 not implemented (ENOSYS)"),
        r => ok!(r),
    };
    check_eq!(st.exit_code(), Some(0));
    let mut want = String::from("hello 42 world\n\n");
    want.push_str(&"x".repeat(3000));
    want.push('\n');
    check!(
        out == want.as_bytes(),
        "captured {} bytes: {:?}...",
        out.len(),
        &out[..out.len().min(40)]
    );
    Ok(())
}

fn panic_reports_and_exits_101() -> TestResult {
    let r = capture(2, || {
        let n = core::hint::black_box(7);
        panic!("boom {n}");
    });
    let (st, out) = match r {
        Err(Errno::ENOSYS) => skip!("pipe2 not implemented (ENOSYS)"),
        r => ok!(r),
    };
    check_eq!(st.exit_code(), Some(101));
    let text = String::from_utf8_lossy(&out);
    check!(
        text.starts_with("panicked at ") && text.contains("rt.rs:"),
        "panic message {text:?}"
    );
    check!(
        text.contains("boom 7\n"),
        "panic message {text:?} lacks the payload"
    );
    Ok(())
}

fn heap_vec_box_string() -> TestResult {
    let mut v: Vec<u64> = Vec::new();
    for i in 0..(128 * 1024) {
        v.push(i * 3);
    }
    check!(
        v.iter().enumerate().all(|(i, &x)| x == i as u64 * 3),
        "Vec lost its contents"
    );
    let b = Box::new([7u8; 10_000]);
    check!(b.iter().all(|&x| x == 7), "Box lost its contents");
    let s = format!("{}-{}-{:?}", "a", 12, [1, 2]);
    check_eq!(s, "a-12-[1, 2]");
    let big = vec![0x5au8; 3 << 20];
    check!(
        big.iter().all(|&x| x == 0x5a),
        "3 MiB vector lost its contents"
    );
    Ok(())
}

fn heap_large_alignment() -> TestResult {
    for align in [8usize, 64, 4096, 65536] {
        let layout = ok!(Layout::from_size_align(100, align));
        // SAFETY: the layout has non-zero size; the block is freed below.
        let p = unsafe { alloc(layout) };
        check!(!p.is_null(), "alloc({align}-aligned) returned null");
        check!(
            (p as usize).is_multiple_of(align),
            "alloc returned {p:?}, not {align}-aligned"
        );
        // SAFETY: p is a live 100-byte block.
        unsafe {
            p.write_bytes(0xee, 100);
            dealloc(p, layout);
        }
    }
    Ok(())
}

fn heap_frees_newest_block() -> TestResult {
    let before = heap::live_bytes();
    let (top_before, _) = heap::bounds();
    {
        // black_box: otherwise the compiler may elide the allocation.
        let v = core::hint::black_box(vec![1u8; 100_000]);
        check_eq!(heap::live_bytes(), before + 100_000);
        check_eq!(v.len(), 100_000);
    }
    check_eq!(heap::live_bytes(), before);
    check_eq!(heap::bounds().0, top_before);
    Ok(())
}

fn heap_reuses_freed_small_blocks() -> TestResult {
    // b is allocated after a, so freeing a frees an older block: it goes
    // on its size class's list and the next block of that class reuses it.
    let a = core::hint::black_box(Box::new([1u8; 40]));
    let b = core::hint::black_box(Box::new([2u8; 40]));
    let a_addr = &*a as *const [u8; 40] as usize;
    drop(a);
    let c = core::hint::black_box(Box::new([3u8; 33]));
    check_eq!(&*c as *const [u8; 33] as usize, a_addr);
    check!(c.iter().all(|&x| x == 3), "reused block lost its contents");
    check!(
        b.iter().all(|&x| x == 2),
        "a neighbour block was overwritten"
    );
    drop(c);
    drop(b);
    // Many small blocks freed in allocation order (never the newest):
    // the heap must not grow with the number of rounds.
    let (top, _) = heap::bounds();
    for round in 0..2_000u32 {
        let words: Vec<String> = (0..8)
            .map(|i| format!("w{round}-{i:>width$}", width = i * 20))
            .collect();
        let text = core::hint::black_box(words.join(" "));
        check!(text.starts_with('w'), "{text}");
    }
    let grown = heap::bounds().0.saturating_sub(top);
    check!(
        grown < 64 * 1024,
        "the heap grew by {grown} bytes over 2000 rounds of small blocks"
    );
    Ok(())
}

fn heap_failure_returns_null() -> TestResult {
    // More than the 48-bit user address space can hold.
    let layout = ok!(Layout::from_size_align(1 << 48, 8));
    // SAFETY: a non-zero-size layout; the block is freed if it is (wrongly)
    // returned. black_box keeps the compiler from eliding the call.
    let p = core::hint::black_box(unsafe { alloc(layout) });
    if !p.is_null() {
        // SAFETY: p was allocated with layout.
        unsafe { dealloc(p, layout) };
        fail!("a 256 TiB allocation succeeded");
    }
    // The heap still works afterwards.
    let v = vec![3u8; 4096];
    check_eq!(v[4095], 3);
    Ok(())
}

fn wait_status_decoding() -> TestResult {
    let exited = WaitStatus(42 << 8);
    check_eq!(exited.exit_code(), Some(42));
    check!(exited.exited() && !exited.signaled(), "{exited:?}");
    let killed = WaitStatus(SIGSEGV as i32);
    check_eq!(killed.term_signal(), Some(SIGSEGV));
    check!(!killed.exited() && !killed.core_dumped(), "{killed:?}");
    let core = WaitStatus(SIGSEGV as i32 | 0x80);
    check!(core.core_dumped(), "{core:?}");
    check_eq!(core.term_signal(), Some(SIGSEGV));
    check_eq!(core.shell_status(), 128 + SIGSEGV as i32);
    let stopped = WaitStatus((SIGSTOP as i32) << 8 | 0x7f);
    check!(
        stopped.stopped() && !stopped.signaled() && !stopped.exited(),
        "{stopped:?}"
    );
    check_eq!(format!("{exited:?}"), "exited with status 42");
    check_eq!(format!("{killed:?}"), "killed by signal 11");
    Ok(())
}

fn signal_names() -> TestResult {
    use pikern_rt::signal;
    check_eq!(signal::name(SIGTERM), Some("TERM"));
    check_eq!(signal::description(SIGKILL), "Killed");
    check_eq!(signal::description(SIGSEGV), "Segmentation fault");
    for (text, want) in [
        ("9", Some(SIGKILL)),
        ("KILL", Some(SIGKILL)),
        ("sigint", Some(SIGINT)),
        ("SIGUSR1", Some(SIGUSR1)),
        ("0", Some(0)),
        ("65", None),
        ("SIG", None),
        ("BOGUS", None),
    ] {
        check!(signal::parse(text) == want, "parse({text:?}) != {want:?}");
    }
    check!(
        signal::all().count() == 31
            && signal::all().all(|(n, name)| signal::parse(name) == Some(n)),
        "signal table does not round-trip"
    );
    Ok(())
}

fn errno_decoding() -> TestResult {
    check_eq!(Errno::result(-1), Err(Errno::EPERM));
    check_eq!(Errno::result(-4095), Err(Errno(4095)));
    check_eq!(Errno::result(-4096), Ok((-4096isize) as usize));
    check_eq!(Errno::result(0), Ok(0));
    check_eq!(Errno::result(isize::MAX), Ok(isize::MAX as usize));
    check_eq!(Errno::ENOENT.name(), Some("ENOENT"));
    check_eq!(format!("{}", Errno::EFAULT), "EFAULT (14)");
    check_eq!(format!("{:?}", Errno(999)), "Errno(999)");
    check_eq!(Errno::ENOENT.message(), "No such file or directory");
    check_eq!(Errno(999).message(), "Unknown error");
    Ok(())
}
