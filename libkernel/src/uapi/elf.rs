//! `linux/elf.h`, `linux/elf-em.h`: the ELF64 numbers a loader and its
//! tests read (file types, machine, program header types and flags).

/// `e_machine` of AArch64.
pub const EM_AARCH64: u16 = 183;
/// `e_type`: fixed-address executable.
pub const ET_EXEC: u16 = 2;
/// `e_type`: position-independent (shared object or PIE).
pub const ET_DYN: u16 = 3;

/// Program header type: unused entry.
pub const PT_NULL: u32 = 0;
/// Program header type: loadable segment.
pub const PT_LOAD: u32 = 1;
/// Program header type: dynamic-linking table.
pub const PT_DYNAMIC: u32 = 2;
/// Program header type: path of the program interpreter (dynamic linker).
pub const PT_INTERP: u32 = 3;
/// Program header type: notes.
pub const PT_NOTE: u32 = 4;
/// Program header type: the program header table itself.
pub const PT_PHDR: u32 = 6;
/// Program header type: thread-local storage template.
pub const PT_TLS: u32 = 7;
/// Program header type: stack permissions (`PF_X` = executable stack).
pub const PT_GNU_STACK: u32 = 0x6474_e551;
/// Program header type: read-only after relocation.
pub const PT_GNU_RELRO: u32 = 0x6474_e552;

/// Segment flag: executable.
pub const PF_X: u32 = 1;
/// Segment flag: writable.
pub const PF_W: u32 = 2;
/// Segment flag: readable.
pub const PF_R: u32 = 4;

/// Size of the ELF64 file header.
pub const EHDR_SIZE: usize = 64;
/// Size of an ELF64 program header (`e_phentsize` must be this).
pub const PHDR_SIZE: usize = 56;
