//! Suite `mmap`: file-backed memory (issue 21): the page cache under the
//! RAM file system and mappings of files.
//!
//! - `mmap_c` (user/c/mmap.c) must pass all its [`MMAP_CHECKS`] checks:
//!   MAP_PRIVATE (copy-on-write) and MAP_SHARED file mappings, shared
//!   memory across fork, MAP_FIXED and MAP_FIXED_NOREPLACE, mremap,
//!   madvise, msync, mincore, SIGBUS past the end of a file, mmap's
//!   errors, ld.so's way of mapping a library, /proc/self/maps, smaps
//!   and smaps_rollup.
//! - a file's pages show in `/proc/meminfo`'s `Cached` and go back when
//!   it is deleted.
//!
//! `make user-hosttest` runs it on Linux under qemu-aarch64 too.

use crate::ktap::{Suite, TestResult};
use crate::spawn::*;
use crate::util::*;
use alloc::vec;
use pikern_rt::consts::*;
use pikern_rt::sys;

pub static SUITE: Suite = Suite {
    name: "mmap",
    tests: tests![mmap_c, file_pages_are_cached_and_freed_with_the_file],
};

/// The checks mmap.c makes.
const MMAP_CHECKS: usize = 45;

/// user/c/mmap.c (glibc, static): [`MMAP_CHECKS`] checks, all passing on
/// Linux (qemu-aarch64) too.
fn mmap_c() -> TestResult {
    let out = spawn("mmap_c", &[], None)?.wait(60_000)?;
    check_c_program(&out, "mmap", MMAP_CHECKS)
}

/// `Cached:` of `/proc/meminfo`, in kB.
fn cached_kb() -> Result<u64, pikern_rt::Errno> {
    let text = pikern_rt::io::read_file(c"/proc/meminfo")?;
    let text = alloc::string::String::from_utf8_lossy(&text).into_owned();
    Ok(text
        .lines()
        .find_map(|l| l.strip_prefix("Cached:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0))
}

/// A 256 KiB file is 64 page-cache pages: `Cached` grows by them and
/// shrinks back when the file is deleted. pikern only: the host's page
/// cache moves on its own.
fn file_pages_are_cached_and_freed_with_the_file() -> TestResult {
    if !on_pikern() {
        skip!("the host's page cache changes under the test");
    }
    let before = ok!(cached_kb());
    let fd = ok!(sys::open(c"/tmp/ut-cached", O_WRONLY | O_CREAT | O_TRUNC));
    let chunk = vec![0xc3u8; 64 * 1024];
    for _ in 0..4 {
        check_eq!(sys::write(fd, &chunk), Ok(chunk.len()));
    }
    ok!(sys::close(fd));
    let during = ok!(cached_kb());
    ok!(sys::unlinkat(AT_FDCWD, c"/tmp/ut-cached", 0));
    let after = ok!(cached_kb());
    check!(
        during == before + 256 && after == before,
        "Cached {before} kB before, {during} kB with a 256 KiB file, {after} kB after deleting it"
    );
    Ok(())
}
