//! `asm-generic/mman-common.h`: `mmap`/`mprotect` protections and flags.

/// Page cannot be accessed.
pub const PROT_NONE: u32 = 0;
/// Page can be read.
pub const PROT_READ: u32 = 1;
/// Page can be written.
pub const PROT_WRITE: u32 = 2;
/// Page can be executed.
pub const PROT_EXEC: u32 = 4;
/// arm64: Branch Target Identification guarded page.
pub const PROT_BTI: u32 = 0x10;
/// arm64: Memory Tagging enabled page.
pub const PROT_MTE: u32 = 0x20;

/// Changes are shared.
pub const MAP_SHARED: u32 = 0x01;
/// Changes are private (copy-on-write).
pub const MAP_PRIVATE: u32 = 0x02;
/// `MAP_SHARED` that rejects unknown flags.
pub const MAP_SHARED_VALIDATE: u32 = 0x03;
/// Mask of the sharing type.
pub const MAP_TYPE: u32 = 0x0f;
/// Map exactly at `addr`, replacing what is there.
pub const MAP_FIXED: u32 = 0x10;
/// Not backed by a file; zero-filled.
pub const MAP_ANONYMOUS: u32 = 0x20;
/// Stack-like segment that grows down.
pub const MAP_GROWSDOWN: u32 = 0x0100;
/// Ignored.
pub const MAP_DENYWRITE: u32 = 0x0800;
/// Ignored.
pub const MAP_EXECUTABLE: u32 = 0x1000;
/// Lock the pages in memory.
pub const MAP_LOCKED: u32 = 0x2000;
/// Do not reserve swap space.
pub const MAP_NORESERVE: u32 = 0x4000;
/// Pre-fault the pages.
pub const MAP_POPULATE: u32 = 0x8000;
/// Do not block on I/O with `MAP_POPULATE`.
pub const MAP_NONBLOCK: u32 = 0x1_0000;
/// The mapping is a thread stack (a hint).
pub const MAP_STACK: u32 = 0x2_0000;
/// Use huge pages.
pub const MAP_HUGETLB: u32 = 0x4_0000;
/// `MAP_FIXED` that fails with `EEXIST` instead of replacing.
pub const MAP_FIXED_NOREPLACE: u32 = 0x10_0000;
/// What `mmap` returns on failure in C (`(void *)-1`).
pub const MAP_FAILED: u64 = u64::MAX;
