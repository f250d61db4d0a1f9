//! Generators for the memory calls (`mm/` in Linux): `brk`, `mmap`,
//! `munmap`, `mprotect`.
//!
//! A fixed mapping, an unmap or a protection change only ever touches the
//! arena (the worker's own playground) or addresses where nothing of the
//! worker's is mapped: never its image, stack, heap or scratch.

use crate::worker::{Call, Worker, ARENA, ARENA_LEN, KERNEL_VA, MMAP_BASE, USER_VA_END};
use pikern_rt::consts::*;

/// `brk(addr)`: never below the heap's current end in a way that matters
/// (the values are either tiny, which the kernel refuses, or far above).
pub fn brk(w: &mut Worker, c: &mut Call) {
    c.a[0] = w.rng.pick(&[
        0,
        1,
        0x40_0000,
        KERNEL_VA,
        u64::MAX,
        MMAP_BASE,
        MMAP_BASE - 4096,
        USER_VA_END,
        1 << 63,
    ]);
}

/// `mmap(addr, len, prot, flags, fd, off)`: `MAP_FIXED` only inside the
/// arena.
pub fn mmap(w: &mut Worker, c: &mut Call) {
    let fixed_ok;
    c.a[0] = match w.rng.below(6) {
        0 => {
            fixed_ok = false;
            0
        }
        1 | 2 => {
            fixed_ok = true;
            ARENA + (w.rng.below(ARENA_LEN / 4096) << 12)
        }
        3 => {
            fixed_ok = false;
            w.hostile()
        }
        4 => {
            fixed_ok = false;
            ARENA + 1
        }
        _ => {
            fixed_ok = false;
            w.rng.next()
        }
    };
    let mut len = w.rng.pick(&[
        4096,
        8192,
        3,
        0,
        1 << 20,
        u64::MAX,
        1 << 39,
        1 << 40,
        4096 * 16,
    ]);
    let mut flags = match w.rng.below(5) {
        0 => w.rng.next() & 0xffff_ffff,
        1 => (MAP_SHARED | MAP_ANONYMOUS) as u64,
        2 => MAP_PRIVATE as u64,
        _ => {
            (MAP_PRIVATE | MAP_ANONYMOUS) as u64
                | w.rng.pick(&[
                    0,
                    MAP_FIXED as u64,
                    MAP_NORESERVE as u64,
                    MAP_FIXED_NOREPLACE as u64,
                ])
        }
    };
    if flags & MAP_FIXED as u64 != 0 {
        if !fixed_ok {
            flags &= !(MAP_FIXED as u64);
        } else if len < USER_VA_END {
            // A fixed mapping stays inside the arena.
            len = len.min(ARENA + ARENA_LEN - c.a[0]);
        }
    }
    c.a[1] = len;
    c.a[2] = w.rng.pick(&[0, 1, 3, 5, 7, 8, u64::MAX]);
    c.a[3] = flags;
    c.a[4] = w.rng.pick(&[u64::MAX, 0, 3, 1000]);
    c.a[5] = w.rng.pick(&[0, 4096, 1, u64::MAX]);
}

/// `munmap(addr, len)` / `mprotect(addr, len, prot)`: in the arena (or
/// the last mapping made there), unaligned, or in the kernel half.
pub fn munmap_mprotect(w: &mut Worker, c: &mut Call) {
    let (addr, room) = match w.rng.below(4) {
        0 => {
            let a = ARENA + (w.rng.below(ARENA_LEN / 4096) << 12);
            (a, ARENA + ARENA_LEN - a)
        }
        1 => w.last_map,
        2 => (ARENA + 1 + w.rng.below(4095), 4096),
        _ => (
            w.rng.pick(&[
                KERNEL_VA,
                0xffff_ffff_ffff_f000,
                USER_VA_END,
                USER_VA_END + 4096,
            ]),
            u64::MAX,
        ),
    };
    let len = match w.rng.below(4) {
        0 => w.rng.pick(&[0, 1, 4096, 8192]),
        1 => w.rng.pick(&[u64::MAX, 1 << 63, USER_VA_END, 1 << 40]),
        _ => (w.rng.below(16) + 1) << 12,
    };
    c.a[0] = addr;
    c.a[1] = if len < USER_VA_END {
        len.min(room)
    } else {
        len
    };
    c.a[2] = w.rng.pick(&[0, 1, 2, 3, 4, 7, 8, u64::MAX]);
}
