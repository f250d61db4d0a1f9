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

/// `mremap`: the mapping may move.
pub const MREMAP_MAYMOVE: u32 = 1;
/// `mremap`: move it to `new_address` (with `MREMAP_MAYMOVE`).
pub const MREMAP_FIXED: u32 = 2;
/// `mremap`: leave the old range mapped, empty.
pub const MREMAP_DONTUNMAP: u32 = 4;

/// `madvise`: no special treatment.
pub const MADV_NORMAL: u32 = 0;
/// `madvise`: expect random references.
pub const MADV_RANDOM: u32 = 1;
/// `madvise`: expect sequential references.
pub const MADV_SEQUENTIAL: u32 = 2;
/// `madvise`: will need these pages.
pub const MADV_WILLNEED: u32 = 3;
/// `madvise`: drop the pages; private memory reads zeros (anonymous) or
/// the file again.
pub const MADV_DONTNEED: u32 = 4;
/// `madvise`: the pages may be freed lazily.
pub const MADV_FREE: u32 = 8;
/// `madvise`: free the range's backing store.
pub const MADV_REMOVE: u32 = 9;
/// `madvise`: do not inherit across fork.
pub const MADV_DONTFORK: u32 = 10;
/// `madvise`: inherit across fork again.
pub const MADV_DOFORK: u32 = 11;
/// `madvise`: KSM may merge.
pub const MADV_MERGEABLE: u32 = 12;
/// `madvise`: KSM may not merge.
pub const MADV_UNMERGEABLE: u32 = 13;
/// `madvise`: worth backing with huge pages.
pub const MADV_HUGEPAGE: u32 = 14;
/// `madvise`: not worth backing with huge pages.
pub const MADV_NOHUGEPAGE: u32 = 15;
/// `madvise`: leave out of a core dump.
pub const MADV_DONTDUMP: u32 = 16;
/// `madvise`: include in a core dump again.
pub const MADV_DODUMP: u32 = 17;
/// `madvise`: zero in the child after fork.
pub const MADV_WIPEONFORK: u32 = 18;
/// `madvise`: undo `MADV_WIPEONFORK`.
pub const MADV_KEEPONFORK: u32 = 19;
/// `madvise`: deactivate the pages.
pub const MADV_COLD: u32 = 20;
/// `madvise`: reclaim the pages.
pub const MADV_PAGEOUT: u32 = 21;
/// `madvise`: fault the pages in for reading.
pub const MADV_POPULATE_READ: u32 = 22;
/// `madvise`: fault the pages in for writing.
pub const MADV_POPULATE_WRITE: u32 = 23;

/// `msync`: schedule the write-back.
pub const MS_ASYNC: u32 = 1;
/// `msync`: invalidate other mappings.
pub const MS_INVALIDATE: u32 = 2;
/// `msync`: write back and wait.
pub const MS_SYNC: u32 = 4;
