//! Suite `mem`: the address space: brk, mmap, munmap, mprotect, fork's copy
//! of memory, and the faults the kernel must turn into SIGSEGV / SIGILL for
//! the faulting process only (each crash runs in a forked child).

use crate::ktap::{Suite, TestResult};
use crate::util::*;
use core::ptr;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use pikern_rt::consts::*;
use pikern_rt::sys;
use pikern_rt::{heap, Errno};

pub static SUITE: Suite = Suite {
    name: "mem",
    tests: tests![
        brk_query,
        brk_grow_touch_shrink,
        brk_regrown_memory_is_zero,
        brk_invalid_requests_keep_break,
        brk_released_memory_faults,
        mmap_anonymous_rw,
        mmap_large_region,
        mmap_errors,
        munmap_errors,
        munmapped_memory_faults,
        mmap_fixed_replaces,
        prot_none_faults,
        mprotect_read_only_then_write_faults,
        mprotect_none_hides_a_present_page,
        mprotect_errors,
        mprotect_of_nothing_changes_nothing,
        null_deref_sigsegv,
        kernel_address_access_sigsegv,
        write_to_text_sigsegv,
        write_to_rodata_sigsegv,
        execute_data_sigsegv,
        execute_stack_sigsegv,
        undefined_instruction_sigill,
        stack_128k_usable,
        fork_copies_memory,
    ],
};

extern "C" {
    /// End of the image's BSS (user.ld).
    static _end: u8;
}

const MAP_ANON_PRIVATE: u32 = MAP_PRIVATE | MAP_ANONYMOUS;
const RW: u32 = PROT_READ | PROT_WRITE;

/// An anonymous private read-write mapping.
fn map_anon(len: usize) -> Result<*mut u8, Errno> {
    // SAFETY: without MAP_FIXED the kernel picks an unused range.
    unsafe { sys::mmap(0, len, RW, MAP_ANON_PRIVATE, -1, 0) }
}

fn brk_query() -> TestResult {
    let b = sys::brk_current();
    check!(
        Errno::result(b as isize).is_ok() && b != 0,
        "brk(0) = {:#x}",
        b
    );
    let end = ptr::addr_of!(_end) as usize;
    check!(b >= end, "break {b:#x} below the end of the image {end:#x}");
    let (_, heap_end) = heap::bounds();
    check!(
        b >= heap_end,
        "break {b:#x} below the heap's end {heap_end:#x}"
    );
    check_eq!(sys::brk_current(), b);
    Ok(())
}

const BRK_GROW: usize = 64 * 1024;

fn brk_grow_touch_shrink() -> TestResult {
    // Nothing below may allocate: the heap sits right under the break.
    let base = sys::brk_current();
    // SAFETY: growing the break releases nothing.
    let grown = unsafe { sys::brk(base + BRK_GROW) };
    check!(
        grown >= base + BRK_GROW,
        "brk({:#x}) = {grown:#x}: did not grow",
        base + BRK_GROW
    );
    for off in (0..BRK_GROW).step_by(PAGE) {
        let p = (base + off) as *mut u64;
        // SAFETY: [base, base + BRK_GROW) was just added to the break.
        unsafe {
            check!(
                p.read_volatile() == 0,
                "new brk memory at {:#x} is not zero",
                p as usize
            );
            p.write_volatile(off as u64 ^ 0xabcd);
            check_eq!(p.read_volatile(), off as u64 ^ 0xabcd);
        }
    }
    // SAFETY: only the range added above is released; nothing uses it.
    let shrunk = unsafe { sys::brk(base) };
    check_eq!(shrunk, base);
    check_eq!(sys::brk_current(), base);
    Ok(())
}

fn brk_regrown_memory_is_zero() -> TestResult {
    let base = sys::brk_current();
    let p = (base + PAGE) as *mut u64;
    // SAFETY: grow, write, release, grow again: the range is ours while the
    // break covers it, and nothing else uses it.
    unsafe {
        check!(
            sys::brk(base + BRK_GROW) >= base + BRK_GROW,
            "brk did not grow"
        );
        p.write_volatile(0xdead_beef);
        check_eq!(sys::brk(base), base);
        check!(
            sys::brk(base + BRK_GROW) >= base + BRK_GROW,
            "brk did not grow again"
        );
        let v = p.read_volatile();
        check_eq!(sys::brk(base), base);
        check!(
            v == 0,
            "memory released by brk came back holding {v:#x}, expected 0"
        );
    }
    Ok(())
}

fn brk_invalid_requests_keep_break() -> TestResult {
    let base = sys::brk_current();
    // SAFETY: these requests must be refused, changing nothing.
    unsafe {
        check_eq!(sys::brk(1), base);
        check_eq!(sys::brk(1 << 47), base);
        check_eq!(sys::brk(KERNEL_ADDR), base);
    }
    check_eq!(sys::brk_current(), base);
    Ok(())
}

fn brk_released_memory_faults() -> TestResult {
    let base = sys::brk_current();
    let probe = base + BRK_GROW / 2;
    // SAFETY: the range is touched only while the break covers it.
    unsafe {
        check!(
            sys::brk(base + BRK_GROW) >= base + BRK_GROW,
            "brk did not grow"
        );
        (probe as *mut u8).write_volatile(1);
        check_eq!(sys::brk(base), base);
    }
    child_killed_by(
        crashing_child(|| {
            // SAFETY: deliberately reads memory brk has released; this
            // child must die of SIGSEGV.
            unsafe { (probe as *const u8).read_volatile() };
        }),
        SIGSEGV,
    )
}

fn mmap_anonymous_rw() -> TestResult {
    let len = 3 * PAGE;
    let p = ok!(map_anon(len));
    check!(
        (p as usize).is_multiple_of(PAGE),
        "mmap returned unaligned {p:?}"
    );
    // SAFETY: p maps len read-write bytes until the munmap below.
    let mem = unsafe { core::slice::from_raw_parts_mut(p, len) };
    check!(
        mem.iter().all(|&b| b == 0),
        "fresh anonymous memory is not zero"
    );
    for (i, b) in mem.iter_mut().enumerate() {
        *b = i as u8;
    }
    check!(
        mem.iter().enumerate().all(|(i, &b)| b == i as u8),
        "memory did not keep its contents"
    );
    // SAFETY: mem is not used after this.
    ok!(unsafe { sys::munmap(p, len) });
    Ok(())
}

fn mmap_large_region() -> TestResult {
    let len = 16 << 20;
    let p = ok!(map_anon(len));
    for off in [0, len / 2, len - 8] {
        let q = p.wrapping_add(off) as *mut u64;
        // SAFETY: q lies within the len-byte mapping.
        unsafe {
            check_eq!(q.read_volatile(), 0);
            q.write_volatile(off as u64 + 1);
            check_eq!(q.read_volatile(), off as u64 + 1);
        }
    }
    // SAFETY: unused from here on.
    ok!(unsafe { sys::munmap(p, len) });
    Ok(())
}

fn mmap_errors() -> TestResult {
    // SAFETY: every request below is invalid and must map nothing.
    unsafe {
        check_err!(sys::mmap(0, PAGE, RW, MAP_ANONYMOUS, -1, 0), Errno::EINVAL);
        check_err!(sys::mmap(0, 0, RW, MAP_ANON_PRIVATE, -1, 0), Errno::EINVAL);
        check_err!(
            sys::mmap(0, PAGE, RW, MAP_ANON_PRIVATE, -1, 100),
            Errno::EINVAL
        );
        check_err!(
            sys::mmap(0x1234_5001, PAGE, RW, MAP_ANON_PRIVATE | MAP_FIXED, -1, 0),
            Errno::EINVAL
        );
        check_err!(
            sys::mmap(0, PAGE, PROT_READ, MAP_PRIVATE, 999, 0),
            Errno::EBADF
        );
    }
    Ok(())
}

fn munmap_errors() -> TestResult {
    let p = ok!(map_anon(PAGE));
    // SAFETY: invalid requests change nothing; the final one releases the
    // page, which is not used afterwards.
    unsafe {
        check_err!(sys::munmap(p.wrapping_add(1), PAGE), Errno::EINVAL);
        check_err!(sys::munmap(p, 0), Errno::EINVAL);
        ok!(sys::munmap(p, PAGE));
        // Unmapping nothing is not an error.
        ok!(sys::munmap(p, PAGE));
    }
    Ok(())
}

fn munmapped_memory_faults() -> TestResult {
    let a = ok!(unmapped_address());
    child_killed_by(
        crashing_child(|| {
            // SAFETY: deliberately writes to an unmapped page; this child
            // must die of SIGSEGV.
            unsafe { (a as *mut u32).write_volatile(1) };
        }),
        SIGSEGV,
    )
}

fn mmap_fixed_replaces() -> TestResult {
    let p = ok!(map_anon(2 * PAGE));
    // SAFETY: p maps two pages; MAP_FIXED replaces the second, which we own.
    unsafe {
        ptr::write_bytes(p, 0xaa, 2 * PAGE);
        let second = p.add(PAGE);
        let q = ok!(sys::mmap(
            second as usize,
            PAGE,
            RW,
            MAP_ANON_PRIVATE | MAP_FIXED,
            -1,
            0
        ));
        check_eq!(q, second);
        check_eq!(q.read_volatile(), 0);
        check_eq!(p.read_volatile(), 0xaa);
        check_eq!(p.add(PAGE - 1).read_volatile(), 0xaa);
        ok!(sys::munmap(p, 2 * PAGE));
    }
    Ok(())
}

fn prot_none_faults() -> TestResult {
    // SAFETY: a fresh mapping nobody else uses.
    let p = ok!(unsafe { sys::mmap(0, PAGE, PROT_NONE, MAP_ANON_PRIVATE, -1, 0) }) as usize;
    let st = crashing_child(|| {
        // SAFETY: deliberately reads a PROT_NONE page; must die of SIGSEGV.
        unsafe { (p as *const u8).read_volatile() };
    });
    // SAFETY: unused from here on.
    ok!(unsafe { sys::munmap(p as *mut u8, PAGE) });
    child_killed_by(st, SIGSEGV)
}

/// A page already in memory made PROT_NONE: user space faults on it and
/// the kernel refuses it as a buffer, yet its contents come back with
/// PROT_READ (it was once left readable by the hardware mapping).
fn mprotect_none_hides_a_present_page() -> TestResult {
    let p = ok!(map_anon(PAGE));
    // SAFETY: the page is ours; the child's read of it while PROT_NONE is
    // the fault under test.
    unsafe {
        p.write_volatile(0x5a);
        ok!(sys::mprotect(p, PAGE, PROT_NONE));
        let addr = p as usize;
        let st = crashing_child(|| {
            core::hint::black_box((addr as *const u8).read_volatile());
        });
        child_killed_by(st, SIGSEGV)?;
        let null = ok!(sys::open(c"/dev/null", O_WRONLY));
        let w = sys::write(null, core::slice::from_raw_parts(p, 1));
        let _ = sys::close(null);
        check_err!(w, Errno::EFAULT);
        ok!(sys::mprotect(p, PAGE, PROT_READ));
        check_eq!(p.read_volatile(), 0x5a);
        ok!(sys::munmap(p, PAGE));
    }
    Ok(())
}

fn mprotect_read_only_then_write_faults() -> TestResult {
    let p = ok!(map_anon(PAGE));
    // SAFETY: the page is ours; it is only written while writable, and the
    // child's write to it while read-only is the fault under test.
    unsafe {
        p.write_volatile(0x42);
        ok!(sys::mprotect(p, PAGE, PROT_READ));
        check_eq!(p.read_volatile(), 0x42);
        let addr = p as usize;
        let st = crashing_child(|| (addr as *mut u8).write_volatile(0x43));
        child_killed_by(st, SIGSEGV)?;
        check_eq!(p.read_volatile(), 0x42);
        ok!(sys::mprotect(p, PAGE, RW));
        p.write_volatile(0x44);
        check_eq!(p.read_volatile(), 0x44);
        ok!(sys::munmap(p, PAGE));
    }
    Ok(())
}

fn mprotect_errors() -> TestResult {
    let p = ok!(map_anon(PAGE));
    let gone = ok!(unmapped_address()) as *mut u8;
    // SAFETY: invalid requests change nothing; then the page is released.
    unsafe {
        check_err!(
            sys::mprotect(p.wrapping_add(1), PAGE, PROT_READ),
            Errno::EINVAL
        );
        check_err!(sys::mprotect(p, PAGE, 0x80000), Errno::EINVAL);
        check_err!(sys::mprotect(gone, PAGE, PROT_READ), Errno::ENOMEM);
        ok!(sys::munmap(p, PAGE));
    }
    Ok(())
}

/// Found by the syscall fuzzer: `mprotect(addr, 0, ...)` inside an area
/// cut the area at `addr` and lost its upper part, whose pages stayed
/// mapped outside any area (leaked at exit). Linux returns 0 and changes
/// nothing.
fn mprotect_of_nothing_changes_nothing() -> TestResult {
    let p = ok!(map_anon(2 * PAGE));
    let second = p.wrapping_add(PAGE);
    // SAFETY: both pages are ours until the munmap at the end; the child
    // only writes the second page.
    unsafe {
        second.write_volatile(1);
        ok!(sys::mprotect(second, 0, PROT_READ));
        // Still mapped and still writable: the write must not fault.
        let addr = second as usize;
        let st = ok!(crashing_child(|| (addr as *mut u8).write_volatile(2)));
        check!(
            st.exit_code() == Some(0),
            "write after mprotect(len 0): {st:?}"
        );
        second.write_volatile(3);
        check_eq!(second.read_volatile(), 3);
        ok!(sys::munmap(p, 2 * PAGE));
    }
    Ok(())
}

fn null_deref_sigsegv() -> TestResult {
    child_killed_by(
        crashing_child(|| {
            let p = core::hint::black_box(0usize) as *const u32;
            // SAFETY: deliberately dereferences NULL; must die of SIGSEGV.
            unsafe { p.read_volatile() };
        }),
        SIGSEGV,
    )
}

fn kernel_address_access_sigsegv() -> TestResult {
    child_killed_by(
        crashing_child(|| {
            let p = core::hint::black_box(KERNEL_ADDR) as *const u64;
            // SAFETY: deliberately reads kernel memory from EL0; must die
            // of SIGSEGV.
            unsafe { p.read_volatile() };
        }),
        SIGSEGV,
    )
}

fn write_to_text_sigsegv() -> TestResult {
    child_killed_by(
        crashing_child(|| {
            let p = core::hint::black_box(write_to_text_sigsegv as *const () as usize) as *mut u32;
            // SAFETY: deliberately writes to read-only text; must die of
            // SIGSEGV.
            unsafe { p.write_volatile(0) };
        }),
        SIGSEGV,
    )
}

static RODATA_WORD: u64 = 0x1234;

fn write_to_rodata_sigsegv() -> TestResult {
    child_killed_by(
        crashing_child(|| {
            let p = core::hint::black_box(&RODATA_WORD as *const u64) as *mut u64;
            // SAFETY: deliberately writes to read-only data; must die of
            // SIGSEGV.
            unsafe { p.write_volatile(0) };
        }),
        SIGSEGV,
    )
}

/// `ret`, in writable (and therefore non-executable) data.
static DATA_CODE: [AtomicU32; 2] = [AtomicU32::new(0xd65f_03c0), AtomicU32::new(0xd65f_03c0)];

fn execute_data_sigsegv() -> TestResult {
    check_eq!(DATA_CODE[0].load(Ordering::Relaxed), 0xd65f_03c0);
    child_killed_by(
        crashing_child(|| {
            let addr = core::hint::black_box(DATA_CODE.as_ptr() as usize);
            // SAFETY: deliberately jumps into non-executable data; must die
            // of SIGSEGV before executing anything.
            let f: extern "C" fn() = unsafe { core::mem::transmute(addr) };
            f();
        }),
        SIGSEGV,
    )
}

fn execute_stack_sigsegv() -> TestResult {
    child_killed_by(
        crashing_child(|| {
            let code = [0xd65f_03c0u32; 4];
            let addr = core::hint::black_box(code.as_ptr() as usize);
            // SAFETY: deliberately jumps into the (non-executable) stack;
            // must die of SIGSEGV before executing anything.
            let f: extern "C" fn() = unsafe { core::mem::transmute(addr) };
            f();
            core::hint::black_box(&code);
        }),
        SIGSEGV,
    )
}

fn undefined_instruction_sigill() -> TestResult {
    child_killed_by(
        crashing_child(|| {
            // SAFETY: deliberately executes a permanently undefined
            // instruction; must die of SIGILL.
            unsafe { core::arch::asm!("udf #0", options(nomem, nostack)) };
        }),
        SIGILL,
    )
}

#[inline(never)]
fn use_stack(depth: usize) -> u64 {
    let mut frame = [0u8; 1024];
    frame[depth % 1024] = depth as u8;
    let frame = core::hint::black_box(&mut frame);
    if depth == 0 {
        return frame[0] as u64;
    }
    use_stack(depth - 1) + frame[depth % 1024] as u64
}

fn stack_128k_usable() -> TestResult {
    child_passed(in_child(|| {
        let r = use_stack(128);
        check!(r > 0, "recursion result {r}");
        Ok(())
    }))
}

static SHARED_BEFORE_FORK: AtomicU64 = AtomicU64::new(0);

fn fork_copies_memory() -> TestResult {
    SHARED_BEFORE_FORK.store(1, Ordering::Relaxed);
    let on_stack = core::hint::black_box(10u64);
    let heap = alloc::boxed::Box::new(100u64);
    let pid = match ok!(pikern_rt::process::fork()) {
        0 => {
            // Let the parent write its copy first; it must not show here.
            let _ = pikern_rt::process::sleep_ms(20);
            let seen = (SHARED_BEFORE_FORK.load(Ordering::Relaxed), on_stack, *heap);
            SHARED_BEFORE_FORK.store(2, Ordering::Relaxed);
            let code = if seen == (1, 10, 100) { 0 } else { 1 };
            if code != 0 {
                diag!("child saw {seen:?}, expected (1, 10, 100)");
            }
            sys::exit_group(code)
        }
        pid => pid,
    };
    SHARED_BEFORE_FORK.store(3, Ordering::Relaxed);
    child_passed(wait_for(pid))?;
    check_eq!(SHARED_BEFORE_FORK.load(Ordering::Relaxed), 3);
    check_eq!(core::hint::black_box(on_stack), 10);
    check_eq!(*heap, 100);
    Ok(())
}
