//! The arm64 address-space layout (Linux's `asm/memory.h`,
//! `asm/processor.h`, `asm/elf.h`): 39-bit virtual addresses in both
//! halves, 4 KiB pages. One home for the numbers the kernel maps by, the
//! ELF loader places by and the fuzzer aims at.

/// Bytes in a page.
pub const PAGE_SIZE: u64 = 4096;
/// Start of the kernel half and of the linear map of RAM (kernel VA =
/// physical address + `PAGE_OFFSET`), the lowest address TTBR1 translates.
pub const PAGE_OFFSET: u64 = 0xFFFF_FF80_0000_0000;
/// Lowest user address a mapping may use: page 0 stays unmapped so NULL
/// dereferences fault (Linux's `mmap_min_addr`).
pub const USER_VA_START: u64 = 0x1000;
/// End of user space (`TASK_SIZE`): `TTBR0_EL1` with `T0SZ` = 25.
pub const USER_VA_END: u64 = 1 << 39;
/// Top of the initial user stack: the last page below `USER_VA_END`.
pub const STACK_TOP: u64 = USER_VA_END - PAGE_SIZE;
/// Where anonymous mappings are placed (above static-pie images and brk).
pub const MMAP_BASE: u64 = 0x40_0000_0000;
/// Where a static-pie (`ET_DYN`) image is placed (`ELF_ET_DYN_BASE`): its
/// `p_vaddr` 0 lands here. 64 GiB: aligned for any `p_align`, far above
/// the 4 MiB where `ET_EXEC` programs conventionally start, far below the
/// stack at the top.
pub const ET_DYN_BASE: u64 = 0x10_0000_0000;
