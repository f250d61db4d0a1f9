//! Where a new program's stack, heap and mappings start, and how ASLR
//! moves them (Linux's `randomize_stack_top` and `arch_align_stack`,
//! `arch_mmap_rnd` in `arch/arm64/mm/mmap.c`, `arch_randomize_brk`). The
//! callers pass random bits; with `norandmaps` they pass none and get the
//! fixed layout. The program and its interpreter move with
//! [`ExecImage::randomize`](crate::exec::elf::ExecImage::randomize) and
//! the mmap base.
//!
//! The places differ from Linux's where this kernel's fixed layout asks
//! (see [`crate::arch::aarch64::memory`]): mappings grow up from
//! [`MMAP_BASE`], and the stack area is fixed at the top, so its top
//! moves inside it (by up to [`STACK_RND_RANGE`], where Linux moves the
//! whole area by up to 1 GiB).

use crate::arch::aarch64::memory::{MMAP_BASE, PAGE_SIZE, STACK_TOP};

/// How far the stack top moves down inside the stack area, in whole
/// pages (64 of them, 6 bits; with the part of a page, 14 bits): the
/// usable stack shrinks by at most this much. Small, because fork and
/// exit walk the stack area's page table from the lowest page used: 1 MiB
/// cost an exec of `/bin/true` 700 more instructions than this.
pub const STACK_RND_RANGE: u64 = 1 << 18;

/// How far the mmap base moves up: arm64 Linux's default
/// `mmap_rnd_bits` (18) of 4 KiB pages, 1 GiB.
pub const MMAP_RND_RANGE: u64 = 1 << 30;

/// How far the heap's start moves up from the end of the program
/// (`arch_randomize_brk`: 1 GiB for a 64-bit task).
pub const BRK_RND_RANGE: u64 = 1 << 30;

/// The random bits one exec uses, one word per region; all zero is the
/// fixed layout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LayoutRandom {
    /// For the stack top.
    pub stack: u64,
    /// For the mmap base (and so the interpreter's place).
    pub mmap: u64,
    /// For the heap's start.
    pub brk: u64,
}

/// The top of the initial stack: [`STACK_TOP`], moved down by whole pages
/// (`randomize_stack_top`) and then by a 16-byte-aligned part of a page
/// (`arch_align_stack`).
pub fn stack_top(rnd: u64) -> u64 {
    let pages = (rnd % (STACK_RND_RANGE / PAGE_SIZE)) * PAGE_SIZE;
    let sub = ((rnd >> 32) % PAGE_SIZE) & !15;
    STACK_TOP - pages - sub
}

/// Where the search for room for mappings starts (`mm->mmap_base`).
pub fn mmap_base(rnd: u64) -> u64 {
    MMAP_BASE + ((rnd % MMAP_RND_RANGE) & !(PAGE_SIZE - 1))
}

/// The heap's start: the program's page-aligned end `brk`, moved up by
/// whole pages (`randomize_page(mm->brk, SZ_1G)`).
pub fn randomize_brk(brk: u64, rnd: u64) -> u64 {
    brk + ((rnd % BRK_RND_RANGE) & !(PAGE_SIZE - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_random_bits_is_the_fixed_layout() {
        assert_eq!(stack_top(0), STACK_TOP);
        assert_eq!(mmap_base(0), MMAP_BASE);
        assert_eq!(randomize_brk(0x41_2000, 0), 0x41_2000);
    }

    #[test]
    fn random_places_stay_aligned_and_in_range() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut tops = std::collections::BTreeSet::new();
        for _ in 0..1000 {
            // xorshift: a spread of inputs, reproducible.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let top = stack_top(x);
            assert_eq!(top % 16, 0);
            assert!(top <= STACK_TOP && top > STACK_TOP - STACK_RND_RANGE - PAGE_SIZE);
            tops.insert(top);
            let base = mmap_base(x);
            assert_eq!(base % PAGE_SIZE, 0);
            assert!((MMAP_BASE..MMAP_BASE + MMAP_RND_RANGE).contains(&base));
            let brk = randomize_brk(0x41_2000, x);
            assert_eq!(brk % PAGE_SIZE, 0);
            assert!((0x41_2000..0x41_2000 + BRK_RND_RANGE).contains(&brk));
        }
        assert!(
            tops.len() > 900,
            "the stack top varies: {} values",
            tops.len()
        );
    }
}
