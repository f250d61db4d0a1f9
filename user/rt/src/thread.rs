//! Threads: a minimal `pthread_create` / `pthread_join` on the raw
//! `clone` system call, as glibc's NPTL makes them (`nptl/pthread_create.c`,
//! `sysdeps/unix/sysv/linux/aarch64/clone.S`).
//!
//! [`spawn`] maps a stack with a guard page below it, writes a small
//! control block at its top and calls `clone` with glibc's flags
//! ([`THREAD_FLAGS`]): the new thread shares the address space, files,
//! signal handlers and thread group, and its `TPIDR_EL0` points at its
//! control block (`CLONE_SETTLS`; the runtime has no TLS of its own). The
//! thread starts on the new stack in the middle of the `clone` wrapper,
//! with nothing of the caller's frame usable, so the wrapper is assembly
//! (`__pikern_clone_thread`): in the new thread it calls the thread
//! function and then `exit` (93: this thread alone, not `exit_group`).
//!
//! [`Thread::join`] waits as `pthread_join` does: the kernel wrote the tid
//! into the control block before `clone` returned (`CLONE_PARENT_SETTID`),
//! and when the thread exits it stores 0 there and wakes the futex waiters
//! on that word (`CLONE_CHILD_CLEARTID`, Linux's `mm_release`). Join sleeps
//! in `FUTEX_WAIT` until the word is 0, then unmaps the stack, which the
//! exited thread no longer touches.
//!
//! The rest of the runtime stays single-threaded: a thread must not use
//! the heap (the allocator in [`crate::heap`] takes no lock). Printing is
//! fine: `println!` formats on the stack and makes one `write`.

use crate::consts::*;
use crate::errno::Errno;
use crate::sys;
use crate::syscall::nr;
use core::arch::global_asm;
use core::mem::size_of;
use core::sync::atomic::{AtomicI32, Ordering};

/// The `clone` flags of `pthread_create` (glibc's `create_thread`).
pub const THREAD_FLAGS: u64 = CLONE_VM
    | CLONE_FS
    | CLONE_FILES
    | CLONE_SIGHAND
    | CLONE_THREAD
    | CLONE_SYSVSEM
    | CLONE_SETTLS
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_CLEARTID;

/// Usable stack of a thread; `println!` needs about 2 KiB of it.
pub const STACK_SIZE: usize = 64 * 1024;

/// The inaccessible page below each stack: an overflow faults instead of
/// running into whatever is mapped there.
const GUARD_SIZE: usize = PAGE_SIZE as usize;

/// What the new thread needs, at the top of its stack.
#[repr(C)]
struct ControlBlock {
    /// The thread's tid while it runs; 0 once it has exited.
    tid: AtomicI32,
    f: fn(usize),
    arg: usize,
}

global_asm!(
    ".section .text.__pikern_clone_thread, \"ax\", %progbits",
    ".globl __pikern_clone_thread",
    ".type __pikern_clone_thread, %function",
    "__pikern_clone_thread:",
    // x0..x4: clone's arguments (flags, newsp, parent_tid, tls, child_tid);
    // x5: the control block. The new thread starts with the caller's
    // registers (x0 = 0, sp = newsp), so x9 carries the block across.
    "mov x9, x5",
    "mov x8, #{clone}",
    "svc #0",
    // The caller: the new tid, or -errno.
    "cbnz x0, 1f",
    // The new thread, on its own stack: end the frame-pointer chain.
    "mov x29, xzr",
    "mov x30, xzr",
    "mov x0, x9",
    "bl {thread_start}",
    "mov x0, #0",
    "mov x8, #{exit}",
    "svc #0",
    "udf #2",
    "1:",
    "ret",
    ".size __pikern_clone_thread, . - __pikern_clone_thread",
    clone = const nr::CLONE,
    exit = const nr::EXIT,
    thread_start = sym thread_start,
);

extern "C" {
    /// `clone(flags, newsp, parent_tid, tls, child_tid)` whose new thread
    /// runs the function of the [`ControlBlock`] at address `block`;
    /// returns the tid or `-errno`.
    fn __pikern_clone_thread(
        flags: u64,
        newsp: usize,
        parent_tid: *mut i32,
        tls: usize,
        child_tid: *mut i32,
        block: usize,
    ) -> isize;
}

/// The new thread's first Rust code; returning ends the thread.
///
/// # Safety
/// `block` is the address of the control block [`spawn`] wrote; it stays
/// mapped until [`Thread::join`] sees this thread gone.
unsafe extern "C" fn thread_start(block: usize) {
    let block = block as *const ControlBlock;
    // SAFETY: see above; f and arg are only read.
    let (f, arg) = unsafe { ((*block).f, (*block).arg) };
    f(arg);
}

/// A running (or finished, not yet joined) thread.
///
/// Dropping it without [`join`](Thread::join) detaches the thread; its
/// stack then stays mapped.
pub struct Thread {
    block: *const ControlBlock,
    map: *mut u8,
    map_len: usize,
    tid: i32,
}

/// Starts a thread running `f(arg)`; it ends when `f` returns.
///
/// # Safety
/// `f` runs at the same time as the caller: it must not use the heap
/// (the allocator is single-threaded), whatever it shares with other
/// threads must be synchronized (atomics, futexes), and anything `arg`
/// points at must stay valid until the thread has been joined.
pub unsafe fn spawn(f: fn(usize), arg: usize) -> Result<Thread, Errno> {
    let map_len = GUARD_SIZE + STACK_SIZE;
    // SAFETY: a fresh anonymous mapping replaces nothing.
    let map = unsafe {
        sys::mmap(
            0,
            map_len,
            PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
            -1,
            0,
        )?
    };
    // SAFETY: the guard page is the lowest of the new mapping, unused.
    if let Err(e) = unsafe { sys::mprotect(map, GUARD_SIZE, PROT_NONE) } {
        // SAFETY: nothing uses the mapping yet.
        let _ = unsafe { sys::munmap(map, map_len) };
        return Err(e);
    }
    // The block at the top, 16-byte aligned; the stack grows down from it.
    let block_addr = (map as usize + map_len - size_of::<ControlBlock>()) & !15;
    let block = block_addr as *mut ControlBlock;
    // SAFETY: block_addr is inside the writable part of the mapping and
    // aligned for ControlBlock.
    unsafe {
        block.write(ControlBlock {
            tid: AtomicI32::new(0),
            f,
            arg,
        })
    };
    // SAFETY: the thread gets a stack of its own below the block and
    // touches nothing of this frame; the tid word stays mapped until join.
    let r = unsafe {
        let tid_word = (*block).tid.as_ptr();
        __pikern_clone_thread(
            THREAD_FLAGS,
            block_addr,
            tid_word,
            block_addr,
            tid_word,
            block_addr,
        )
    };
    match Errno::result(r) {
        Ok(tid) => Ok(Thread {
            block,
            map,
            map_len,
            tid: tid as i32,
        }),
        Err(e) => {
            // SAFETY: no thread was created to use the mapping.
            let _ = unsafe { sys::munmap(map, map_len) };
            Err(e)
        }
    }
}

impl Thread {
    /// The thread's id (what `gettid()` returns in it).
    pub fn tid(&self) -> i32 {
        self.tid
    }

    /// Waits until the thread has exited, then frees its stack.
    pub fn join(self) {
        // SAFETY: the block stays mapped until the munmap below.
        let word = unsafe { &(*self.block).tid };
        loop {
            let tid = word.load(Ordering::Acquire);
            if tid == 0 {
                break;
            }
            // EAGAIN (the word changed) and EINTR: look again. Without
            // futexes (ENOSYS), yield while the kernel clears the word.
            if sys::futex_wait(word, tid, None) == Err(Errno::ENOSYS) {
                let _ = sys::sched_yield();
            }
        }
        // SAFETY: the thread has exited (the kernel cleared its tid word
        // after its last use of the stack); nothing else uses the mapping.
        let _ = unsafe { sys::munmap(self.map, self.map_len) };
    }
}
