//! Validation and load plan of an ELF64 executable and of its program
//! interpreter, for `execve`.
//!
//! This is the policy half of Linux's `fs/binfmt_elf.c` `load_elf_binary`
//! and `load_elf_interp`: it checks that a file is an AArch64 executable
//! the kernel can run (`ET_EXEC`, or `ET_DYN`: a PIE, or a static-pie
//! without `PT_INTERP`), reads the interpreter's path from `PT_INTERP`
//! ([`parse_exec`]), checks the interpreter itself ([`parse_interp`]:
//! `ELIBBAD` where Linux says so), and turns program headers into a list
//! of segments to map, plus what the initial stack's auxiliary vector needs
//! (`AT_PHDR`, `AT_ENTRY`...). It reads the file through [`ElfFile`]
//! (the header, the program headers and the interpreter's path, as Linux's
//! `elf_read` does; a byte slice in the tests, the page cache in the
//! kernel) and maps nothing: the kernel maps `file_range()` at `vaddr` and
//! zeroes up to `memsz` (Linux's `elf_map` and `padzero`).
//!
//! Hand parsing rather than a crate (`elf` 0.8, `xmas-elf`): only three
//! fixed little-endian structures are read (the 64-byte file header and
//! 56-byte program headers), while the checks that matter here (segment
//! bounds against the file, ordering and overlap, the 39-bit user address
//! space, size limits) are ours either way. The `elf` crate's
//! `ElfBytes::minimal_parse` also validates the section-header table,
//! which Linux never reads, so it would refuse stripped-and-truncated
//! binaries Linux runs; and hand parsing keeps the kernel free of a
//! dependency for ~100 lines. Every read is bounds-checked and every sum
//! is checked: the file comes from user space.
//!
//! All addresses in an [`ExecImage`] include its load bias: for a main
//! program's `ET_DYN` the fixed [`ET_DYN_BASE`] is already added, for an
//! interpreter [`MMAP_BASE`]; [`ExecImage::relocate`] moves an image from
//! there (ASLR, or the place the kernel found free for an interpreter).

use alloc::vec::Vec;
use core::fmt;
use core::ops::Range;

use crate::uapi::{EIO, ELIBBAD, ENOEXEC, ENOMEM, PROT_EXEC, PROT_READ, PROT_WRITE};

pub use crate::uapi::elf::*;

/// Largest program header table accepted, like Linux's `elf_read_phdrs`.
pub const MAX_PHDRS_BYTES: usize = 65536;

pub use crate::arch::aarch64::memory::{
    ET_DYN_BASE, MMAP_BASE, PAGE_SIZE, USER_VA_END, USER_VA_START,
};

/// Longest `PT_INTERP` path, NUL included (Linux checks `p_filesz`
/// against `PATH_MAX`).
pub const MAX_INTERP_PATH: u64 = crate::uapi::PATH_MAX as u64;

/// Most memory the loadable segments may take in total.
pub const MAX_IMAGE_SIZE: u64 = 256 << 20;

/// Where an ELF file's bytes come from.
pub trait ElfFile {
    /// Bytes in the file.
    fn file_len(&self) -> u64;
    /// Fills `buf` from offset `off`; false if the file ends first.
    fn read_exact_at(&self, off: u64, buf: &mut [u8]) -> bool;
}

impl ElfFile for [u8] {
    fn file_len(&self) -> u64 {
        self.len() as u64
    }

    fn read_exact_at(&self, off: u64, buf: &mut [u8]) -> bool {
        let Some(src) = usize::try_from(off)
            .ok()
            .and_then(|start| self.get(start..start.checked_add(buf.len())?))
        else {
            return false;
        };
        buf.copy_from_slice(src);
        true
    }
}

impl ElfFile for Vec<u8> {
    fn file_len(&self) -> u64 {
        self.as_slice().file_len()
    }

    fn read_exact_at(&self, off: u64, buf: &mut [u8]) -> bool {
        self.as_slice().read_exact_at(off, buf)
    }
}

/// A zeroed buffer of `len` bytes, or `None` if the heap has no room.
fn try_zeroed(len: usize) -> Option<Vec<u8>> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).ok()?;
    v.resize(len, 0);
    Some(v)
}

/// Which kind of executable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecKind {
    /// `ET_EXEC`: loaded at the addresses it names.
    Exec,
    /// `ET_DYN`: loaded at [`ET_DYN_BASE`] plus a random offset. A PIE's
    /// interpreter relocates it; a static-pie (no `PT_INTERP`) relocates
    /// itself in its start-up code.
    Dyn,
}

/// One `PT_LOAD` segment, with the load bias applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadSegment {
    /// Address of the first byte.
    pub vaddr: u64,
    /// Bytes in memory; those past `filesz` are zero (`.bss`).
    pub memsz: u64,
    /// Bytes taken from the file.
    pub filesz: u64,
    /// Where those bytes start in the file.
    pub offset: u64,
    /// `PF_R`
    pub readable: bool,
    /// `PF_W`
    pub writable: bool,
    /// `PF_X`
    pub executable: bool,
    /// `p_align` as written (informational; the placement is fixed).
    pub align: u64,
}

impl LoadSegment {
    /// First page the segment touches.
    pub fn page_start(&self) -> u64 {
        self.vaddr & !(PAGE_SIZE - 1)
    }

    /// End of the last page it touches (validated not to overflow).
    pub fn page_end(&self) -> u64 {
        (self.vaddr + self.memsz).next_multiple_of(PAGE_SIZE)
    }

    /// The file bytes to copy to `vaddr` (validated to lie in the file).
    pub fn file_range(&self) -> Range<usize> {
        self.offset as usize..(self.offset + self.filesz) as usize
    }

    /// The permissions as `PROT_*` bits.
    pub fn prot(&self) -> u32 {
        (if self.readable { PROT_READ } else { 0 })
            | (if self.writable { PROT_WRITE } else { 0 })
            | (if self.executable { PROT_EXEC } else { 0 })
    }
}

/// A page-granular mapping: `[start, end)` with `PROT_*` permissions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapping {
    pub start: u64,
    pub end: u64,
    pub prot: u32,
}

/// What `execve` needs to load and start a validated executable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecImage {
    /// First instruction (`e_entry` plus the bias): the initial `pc`.
    pub entry: u64,
    /// `ET_EXEC` or static-pie.
    pub kind: ExecKind,
    /// Added to every address in the file: 0, or [`ET_DYN_BASE`].
    pub load_bias: u64,
    /// The non-empty `PT_LOAD` segments, in ascending address order, not
    /// overlapping. Two may share one page (when the linker packed them);
    /// [`ExecImage::mappings`] merges such a page.
    pub segments: Vec<LoadSegment>,
    /// Address of the program headers in memory, for `AT_PHDR`: `PT_PHDR`
    /// if present, else inside the `PT_LOAD` that holds the table in the
    /// file, else 0 (as Linux passes).
    pub phdr_vaddr: u64,
    /// `AT_PHNUM`.
    pub phnum: u16,
    /// `AT_PHENT` (always 56).
    pub phentsize: u16,
    /// `PT_GNU_STACK` asks for an executable stack. Without `PT_GNU_STACK`
    /// arm64 Linux gives 64-bit programs a non-executable stack too.
    pub stack_executable: bool,
    /// Page-aligned end of the highest segment: where the heap (`brk`)
    /// starts, as Linux sets `mm->start_brk`.
    pub brk_start: u64,
    /// The program interpreter `PT_INTERP` names (without its NUL), for a
    /// dynamically linked program; `None` for a static one and for an
    /// interpreter (whose own `PT_INTERP` Linux ignores).
    pub interp: Option<Vec<u8>>,
}

/// How far a static-pie image may be moved up from [`ET_DYN_BASE`]
/// (`arch_mmap_rnd` with arm64's default 18 bits of 64 KiB): below 16 GiB,
/// so image and heap stay far under the mmap area.
pub const ET_DYN_RND_RANGE: u64 = 1 << 34;

impl ExecImage {
    /// Moves an `ET_DYN` image up by `rnd` (random bits), kept to
    /// [`ET_DYN_RND_RANGE`] and rounded down to the largest segment
    /// alignment, as Linux's `load_elf_binary` randomises `load_bias`
    /// (ASLR). An `ET_EXEC` image has fixed addresses and does not move.
    pub fn randomize(&mut self, rnd: u64) {
        if self.kind != ExecKind::Dyn {
            return;
        }
        let align = self.max_align();
        self.relocate(((rnd % ET_DYN_RND_RANGE) & !(align - 1)) as i64);
    }

    /// The largest power-of-two `p_align` of the segments, at least a page
    /// (Linux's `maximum_alignment`).
    pub fn max_align(&self) -> u64 {
        self.segments
            .iter()
            .map(|s| s.align.max(PAGE_SIZE))
            .filter(|a| a.is_power_of_two())
            .max()
            .unwrap_or(PAGE_SIZE)
    }

    /// Moves every address of the image by `delta` bytes (a multiple of
    /// the page size). The caller keeps the result inside user space:
    /// [`ExecImage::randomize`] stays within the room [`parse_exec`]
    /// checked, the kernel places an interpreter where its
    /// [`ExecImage::total_mapping_size`] is free.
    pub fn relocate(&mut self, delta: i64) {
        let mv = |a: &mut u64| *a = a.wrapping_add_signed(delta);
        mv(&mut self.entry);
        mv(&mut self.load_bias);
        for seg in &mut self.segments {
            mv(&mut seg.vaddr);
        }
        if self.phdr_vaddr != 0 {
            mv(&mut self.phdr_vaddr);
        }
        mv(&mut self.brk_start);
    }

    /// First page of the lowest segment.
    pub fn start(&self) -> u64 {
        self.segments.first().map_or(0, |s| s.page_start())
    }

    /// Bytes from the first page of the lowest segment to the end of the
    /// highest one (Linux's `total_mapping_size`): the room the whole
    /// image needs, holes between segments included.
    pub fn total_mapping_size(&self) -> u64 {
        self.segments.last().map_or(0, |s| s.page_end()) - self.start()
    }

    /// The pages to map, in order, non-overlapping. A page shared by two
    /// segments gets the union of their permissions (what Linux ends up
    /// with too, as both mappings cover it).
    pub fn mappings(&self) -> Vec<Mapping> {
        let mut out: Vec<Mapping> = Vec::new();
        for seg in &self.segments {
            let (mut start, end, prot) = (seg.page_start(), seg.page_end(), seg.prot());
            if let Some(last) = out.last_mut() {
                if start < last.end {
                    // Segments do not overlap, so only the last page of
                    // the previous mapping can be shared.
                    let shared = last.end - PAGE_SIZE;
                    let merged = Mapping {
                        start: shared,
                        end: last.end,
                        prot: last.prot | prot,
                    };
                    if last.start == shared {
                        *last = merged;
                    } else {
                        last.end = shared;
                        out.push(merged);
                    }
                    start = shared + PAGE_SIZE;
                }
            }
            if start < end {
                out.push(Mapping { start, end, prot });
            }
        }
        out
    }

    /// Memory the segments take, counted in whole pages.
    pub fn total_pages_bytes(&self) -> u64 {
        self.mappings().iter().map(|m| m.end - m.start).sum()
    }
}

/// Why a file was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfError {
    /// Not a runnable AArch64 executable, or malformed: `ENOEXEC` (`EIO`
    /// for a `PT_INTERP` past the end of the file, where Linux's read
    /// comes up short).
    NotExecutable(NoExec),
    /// Its segments need more than [`MAX_IMAGE_SIZE`]: `ENOMEM`.
    TooBig { bytes: u64 },
    /// No memory to read the program headers into: `ENOMEM`.
    NoMemory,
    /// The program interpreter is not an ELF file for this machine, or is
    /// malformed: `ELIBBAD`, as Linux's `load_elf_binary` answers.
    BadInterpreter(NoExec),
}

/// The detail of an [`ElfError::NotExecutable`]. `index` is the program
/// header's position in the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoExec {
    /// No `\x7fELF` magic.
    BadMagic,
    /// Shorter than the 64-byte file header.
    TruncatedHeader,
    /// `EI_CLASS` is not ELFCLASS64.
    WrongClass(u8),
    /// `EI_DATA` is not little-endian.
    WrongEndian(u8),
    /// `e_machine` is not EM_AARCH64.
    WrongMachine(u16),
    /// `e_type` is not ET_EXEC or ET_DYN (e.g. a relocatable `.o`).
    WrongType(u16),
    /// `PT_INTERP`'s size is under 2 or over [`MAX_INTERP_PATH`], or the
    /// path does not end in a NUL.
    BadInterpPath { index: usize },
    /// `PT_INTERP`'s bytes run past the end of the file (`EIO`).
    InterpOutOfFile { index: usize },
    /// `e_phentsize` is not 56.
    BadPhentsize(u16),
    /// No program headers.
    NoProgramHeaders,
    /// Program header table over [`MAX_PHDRS_BYTES`].
    TooManyProgramHeaders(u16),
    /// The program header table runs past the end of the file.
    PhdrsOutOfFile,
    /// A segment's file bytes run past the end of the file.
    SegmentOutOfFile { index: usize },
    /// `p_filesz > p_memsz`.
    FileszOverMemsz { index: usize },
    /// `p_vaddr` and `p_offset` differ modulo the page size, so the file
    /// could not be mapped (Linux's `mmap` would fail).
    Misaligned { index: usize },
    /// The segment's end (with the bias, rounded to a page) overflows.
    AddressOverflow { index: usize },
    /// The segment reaches below [`USER_VA_START`] or past
    /// [`USER_VA_END`].
    OutsideUserSpace { index: usize },
    /// `PT_LOAD`s are not in ascending address order.
    Unsorted { index: usize },
    /// A `PT_LOAD` overlaps the one before it.
    Overlap { index: usize },
    /// No non-empty `PT_LOAD`.
    NoLoadSegments,
    /// `e_entry` is not inside an executable segment.
    BadEntry(u64),
}

impl ElfError {
    /// The errno `execve` fails with.
    pub fn errno(&self) -> i32 {
        match self {
            ElfError::NotExecutable(NoExec::InterpOutOfFile { .. }) => EIO,
            ElfError::NotExecutable(_) => ENOEXEC,
            ElfError::TooBig { .. } | ElfError::NoMemory => ENOMEM,
            ElfError::BadInterpreter(_) => ELIBBAD,
        }
    }
}

impl From<NoExec> for ElfError {
    fn from(why: NoExec) -> Self {
        ElfError::NotExecutable(why)
    }
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ElfError::TooBig { bytes } => write!(
                f,
                "elf: segments need {bytes} bytes, over the {MAX_IMAGE_SIZE}-byte limit"
            ),
            ElfError::NoMemory => f.write_str("elf: no memory for the program headers"),
            ElfError::BadInterpreter(why) => {
                f.write_str("interpreter: ")?;
                fmt::Display::fmt(&ElfError::NotExecutable(*why), f)
            }
            ElfError::NotExecutable(why) => {
                f.write_str("elf: ")?;
                match *why {
                    NoExec::BadMagic => f.write_str("not an ELF file"),
                    NoExec::TruncatedHeader => f.write_str("file shorter than the ELF header"),
                    NoExec::WrongClass(c) => write!(f, "ELF class {c}, not 64-bit"),
                    NoExec::WrongEndian(d) => write!(f, "ELF data encoding {d}, not little-endian"),
                    NoExec::WrongMachine(m) => write!(f, "machine {m}, not AArch64 ({EM_AARCH64})"),
                    NoExec::WrongType(t) => write!(f, "type {t}, not an executable"),
                    NoExec::BadInterpPath { index } => {
                        write!(f, "segment {index}: malformed PT_INTERP path")
                    }
                    NoExec::InterpOutOfFile { index } => {
                        write!(f, "segment {index}: PT_INTERP past end of file")
                    }
                    NoExec::BadPhentsize(s) => write!(f, "program header size {s}, not 56"),
                    NoExec::NoProgramHeaders => f.write_str("no program headers"),
                    NoExec::TooManyProgramHeaders(n) => write!(f, "{n} program headers"),
                    NoExec::PhdrsOutOfFile => f.write_str("program headers past end of file"),
                    NoExec::SegmentOutOfFile { index } => {
                        write!(f, "segment {index} past end of file")
                    }
                    NoExec::FileszOverMemsz { index } => {
                        write!(f, "segment {index} has filesz > memsz")
                    }
                    NoExec::Misaligned { index } => {
                        write!(f, "segment {index}: vaddr and offset differ mod page size")
                    }
                    NoExec::AddressOverflow { index } => {
                        write!(f, "segment {index}: address overflows")
                    }
                    NoExec::OutsideUserSpace { index } => {
                        write!(f, "segment {index} outside the user address space")
                    }
                    NoExec::Unsorted { index } => {
                        write!(f, "segment {index} below the one before it")
                    }
                    NoExec::Overlap { index } => {
                        write!(f, "segment {index} overlaps the one before it")
                    }
                    NoExec::NoLoadSegments => f.write_str("no loadable segment"),
                    NoExec::BadEntry(e) => {
                        write!(f, "entry point {e:#x} not in an executable segment")
                    }
                }
            }
        }
    }
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// Validates `file` as an AArch64 executable and plans its load; an
/// `ET_DYN` one at [`ET_DYN_BASE`]. A dynamically linked program's
/// interpreter path is in [`ExecImage::interp`].
pub fn parse_exec<F: ElfFile + ?Sized>(file: &F) -> Result<ExecImage, ElfError> {
    parse(file, ET_DYN_BASE, true)
}

/// Validates `file` as a program interpreter (`ld-linux-aarch64.so.1`),
/// as Linux's `load_elf_binary` and `load_elf_interp` check it; an
/// `ET_DYN` one is planned at [`MMAP_BASE`], for the kernel to
/// [`ExecImage::relocate`] where its [`ExecImage::total_mapping_size`]
/// is free. Its own `PT_INTERP` is ignored, as by Linux. Every defect is
/// `ELIBBAD` (an oversized image `ENOMEM`): Linux answers `ELIBBAD` for a
/// file that is not ELF or for another machine, and kills the process
/// for the defects it finds after the point of no return, where this
/// kernel, checking everything first, can still fail the `execve`.
pub fn parse_interp<F: ElfFile + ?Sized>(file: &F) -> Result<ExecImage, ElfError> {
    parse(file, MMAP_BASE, false).map_err(|e| match e {
        ElfError::NotExecutable(why) => ElfError::BadInterpreter(why),
        other => other,
    })
}

/// The `PT_INTERP` path at `ph` (Linux's checks, in its order).
fn interp_path<F: ElfFile + ?Sized>(
    file: &F,
    ph: &Phdr,
    index: usize,
) -> Result<Vec<u8>, ElfError> {
    if ph.filesz > MAX_INTERP_PATH || ph.filesz < 2 {
        return Err(NoExec::BadInterpPath { index }.into());
    }
    let mut raw = try_zeroed(ph.filesz as usize).ok_or(ElfError::NoMemory)?;
    if !file.read_exact_at(ph.offset, &mut raw) {
        return Err(NoExec::InterpOutOfFile { index }.into());
    }
    let (&last, path) = raw.split_last().ok_or(NoExec::BadInterpPath { index })?;
    if last != 0 {
        return Err(NoExec::BadInterpPath { index }.into());
    }
    // C reads the path up to its first NUL.
    let end = path.iter().position(|&c| c == 0).unwrap_or(path.len());
    Ok(Vec::from(&path[..end]))
}

/// [`parse_exec`] and [`parse_interp`]: an `ET_DYN` file gets `dyn_bias`;
/// `PT_INTERP` is read only if `want_interp`.
fn parse<F: ElfFile + ?Sized>(
    file: &F,
    dyn_bias: u64,
    want_interp: bool,
) -> Result<ExecImage, ElfError> {
    let file_len = file.file_len();
    let mut eh = [0u8; EHDR_SIZE];
    let head = file_len.min(EHDR_SIZE as u64) as usize;
    if head < 4 || !file.read_exact_at(0, &mut eh[..head]) || &eh[..4] != b"\x7fELF" {
        return Err(NoExec::BadMagic.into());
    }
    if head < EHDR_SIZE {
        return Err(NoExec::TruncatedHeader.into());
    }
    let eh = &eh[..];
    if eh[4] != 2 {
        return Err(NoExec::WrongClass(eh[4]).into());
    }
    if eh[5] != 1 {
        return Err(NoExec::WrongEndian(eh[5]).into());
    }
    let e_type = u16_at(eh, 16);
    let e_machine = u16_at(eh, 18);
    let e_entry = u64_at(eh, 24);
    let e_phoff = u64_at(eh, 32);
    let e_phentsize = u16_at(eh, 54);
    let e_phnum = u16_at(eh, 56);

    if e_machine != EM_AARCH64 {
        return Err(NoExec::WrongMachine(e_machine).into());
    }
    let (kind, bias) = match e_type {
        ET_EXEC => (ExecKind::Exec, 0),
        ET_DYN => (ExecKind::Dyn, dyn_bias),
        other => return Err(NoExec::WrongType(other).into()),
    };
    if e_phentsize as usize != PHDR_SIZE {
        return Err(NoExec::BadPhentsize(e_phentsize).into());
    }
    if e_phnum == 0 {
        return Err(NoExec::NoProgramHeaders.into());
    }
    let table_len = e_phnum as usize * PHDR_SIZE;
    if table_len > MAX_PHDRS_BYTES {
        return Err(NoExec::TooManyProgramHeaders(e_phnum).into());
    }
    let mut table = try_zeroed(table_len).ok_or(ElfError::NoMemory)?;
    if !file.read_exact_at(e_phoff, &mut table) {
        return Err(NoExec::PhdrsOutOfFile.into());
    }

    let mut segments: Vec<LoadSegment> = Vec::new();
    let mut stack_executable = false;
    let mut pt_phdr = None;
    let mut phdr_in_load = None;
    let mut interp = None;
    for (index, raw) in table.chunks_exact(PHDR_SIZE).enumerate() {
        let ph = Phdr::parse(raw);
        match ph.p_type {
            // The first one counts, as in Linux.
            PT_INTERP if want_interp && interp.is_none() => {
                interp = Some(interp_path(file, &ph, index)?);
            }
            PT_GNU_STACK => stack_executable = ph.flags & PF_X != 0,
            PT_PHDR => pt_phdr = Some(ph.vaddr),
            PT_LOAD => {
                let seg = check_load(&ph, index, bias, file_len)?;
                // The segment holding the program header table in the file
                // holds it in memory too (Linux's AT_PHDR computation).
                if phdr_in_load.is_none()
                    && ph.offset <= e_phoff
                    && e_phoff + table_len as u64 <= ph.offset + ph.filesz
                {
                    phdr_in_load = Some(seg.vaddr + (e_phoff - ph.offset));
                }
                if seg.memsz == 0 {
                    continue; // maps nothing, as in Linux
                }
                if let Some(prev) = segments.last() {
                    if seg.vaddr < prev.vaddr {
                        return Err(NoExec::Unsorted { index }.into());
                    }
                    if seg.vaddr < prev.vaddr + prev.memsz {
                        return Err(NoExec::Overlap { index }.into());
                    }
                }
                segments.push(seg);
            }
            _ => {}
        }
    }
    let last = *segments.last().ok_or(NoExec::NoLoadSegments)?;

    let entry = e_entry.checked_add(bias).ok_or(NoExec::BadEntry(e_entry))?;
    if !segments
        .iter()
        .any(|s| s.executable && (s.vaddr..s.vaddr + s.memsz).contains(&entry))
    {
        return Err(NoExec::BadEntry(entry).into());
    }
    // PT_PHDR's address gets the bias like every other; an absurd one
    // wraps rather than fails, as user space only reads through it.
    let phdr_vaddr = pt_phdr
        .map(|v| v.wrapping_add(bias))
        .or(phdr_in_load)
        .unwrap_or(0);

    let image = ExecImage {
        entry,
        kind,
        load_bias: bias,
        segments,
        phdr_vaddr,
        phnum: e_phnum,
        phentsize: e_phentsize,
        stack_executable,
        brk_start: last.page_end(),
        interp,
    };
    let bytes = image.total_pages_bytes();
    if bytes > MAX_IMAGE_SIZE {
        return Err(ElfError::TooBig { bytes });
    }
    Ok(image)
}

/// The fields of an ELF64 program header that loading uses.
struct Phdr {
    p_type: u32,
    flags: u32,
    offset: u64,
    vaddr: u64,
    filesz: u64,
    memsz: u64,
    align: u64,
}

impl Phdr {
    /// Reads one from its 56 bytes (`p_paddr` at 24 is ignored, as by
    /// Linux).
    fn parse(b: &[u8]) -> Self {
        Phdr {
            p_type: u32_at(b, 0),
            flags: u32_at(b, 4),
            offset: u64_at(b, 8),
            vaddr: u64_at(b, 16),
            filesz: u64_at(b, 32),
            memsz: u64_at(b, 40),
            align: u64_at(b, 48),
        }
    }
}

/// Checks one `PT_LOAD` against the file and the address space.
fn check_load(ph: &Phdr, index: usize, bias: u64, file_len: u64) -> Result<LoadSegment, NoExec> {
    let Phdr {
        flags,
        offset,
        vaddr,
        filesz,
        memsz,
        align,
        ..
    } = *ph;
    if filesz > memsz {
        return Err(NoExec::FileszOverMemsz { index });
    }
    // A segment with no file bytes (all `.bss`) maps nothing from the
    // file: GNU ld gives it an offset past the end of a file that has no
    // data, which Linux ignores, and so does this.
    let offset = if filesz == 0 { 0 } else { offset };
    if filesz > 0 {
        match offset.checked_add(filesz) {
            Some(end) if end <= file_len => {}
            _ => return Err(NoExec::SegmentOutOfFile { index }),
        }
        if vaddr % PAGE_SIZE != offset % PAGE_SIZE {
            return Err(NoExec::Misaligned { index });
        }
    }
    let overflow = NoExec::AddressOverflow { index };
    let start = vaddr.checked_add(bias).ok_or(overflow)?;
    let page_end = start
        .checked_add(memsz)
        .and_then(|end| end.checked_next_multiple_of(PAGE_SIZE))
        .ok_or(overflow)?;
    if start < USER_VA_START || page_end > USER_VA_END {
        return Err(NoExec::OutsideUserSpace { index });
    }
    Ok(LoadSegment {
        vaddr: start,
        memsz,
        filesz,
        offset,
        readable: flags & PF_R != 0,
        writable: flags & PF_W != 0,
        executable: flags & PF_X != 0,
        align,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// A program header for [`build`].
    #[derive(Clone, Copy)]
    struct Ph {
        p_type: u32,
        flags: u32,
        offset: u64,
        vaddr: u64,
        filesz: u64,
        memsz: u64,
        align: u64,
    }

    fn load(flags: u32, offset: u64, vaddr: u64, filesz: u64, memsz: u64) -> Ph {
        Ph {
            p_type: PT_LOAD,
            flags,
            offset,
            vaddr,
            filesz,
            memsz,
            align: 0x1000,
        }
    }

    fn other(p_type: u32, flags: u32, vaddr: u64) -> Ph {
        Ph {
            p_type,
            flags,
            offset: 0,
            vaddr,
            filesz: 0,
            memsz: 0,
            align: 8,
        }
    }

    #[test]
    fn static_pie_moves_whole_by_an_aligned_random_delta_and_exec_stays() {
        let mut rw = load(PF_R | PF_W, 0x10000, 0x10000, 0x100, 0x2000);
        rw.align = 0x10000;
        let f = build(
            ET_DYN,
            0x40,
            &[load(PF_R | PF_X, 0, 0, 0x200, 0x200), rw],
            0x10100,
        );
        let fixed = parse_exec(&f).unwrap();
        let mut moved = fixed.clone();
        moved.randomize(0x1234_5678_9abc);
        let delta = moved.load_bias - fixed.load_bias;
        assert_ne!(delta, 0);
        assert_eq!(delta % 0x10000, 0, "kept to the largest p_align");
        assert!(delta < ET_DYN_RND_RANGE);
        assert_eq!(moved.entry, fixed.entry + delta);
        assert_eq!(moved.brk_start, fixed.brk_start + delta);
        for (a, b) in moved.segments.iter().zip(&fixed.segments) {
            assert_eq!(a.vaddr, b.vaddr + delta);
        }
        let e = build(
            ET_EXEC,
            0x40_0040,
            &[load(PF_R | PF_X, 0, 0x40_0000, 0x200, 0x200)],
            0x200,
        );
        let mut exec = parse_exec(&e).unwrap();
        let before = exec.clone();
        exec.randomize(u64::MAX);
        assert_eq!(exec, before);
    }

    /// An ELF64 little-endian AArch64 file: header, program headers right
    /// after it (at 64), zero-filled to `len` bytes.
    fn build(e_type: u16, entry: u64, phdrs: &[Ph], len: usize) -> Vec<u8> {
        let mut f = vec![0u8; len.max(EHDR_SIZE + PHDR_SIZE * phdrs.len())];
        f[..4].copy_from_slice(b"\x7fELF");
        f[4] = 2; // ELFCLASS64
        f[5] = 1; // ELFDATA2LSB
        f[6] = 1; // EV_CURRENT
        f[16..18].copy_from_slice(&e_type.to_le_bytes());
        f[18..20].copy_from_slice(&EM_AARCH64.to_le_bytes());
        f[20..24].copy_from_slice(&1u32.to_le_bytes());
        f[24..32].copy_from_slice(&entry.to_le_bytes());
        f[32..40].copy_from_slice(&64u64.to_le_bytes()); // e_phoff
        f[52..54].copy_from_slice(&64u16.to_le_bytes()); // e_ehsize
        f[54..56].copy_from_slice(&56u16.to_le_bytes());
        f[56..58].copy_from_slice(&(phdrs.len() as u16).to_le_bytes());
        for (i, ph) in phdrs.iter().enumerate() {
            let o = EHDR_SIZE + i * PHDR_SIZE;
            f[o..o + 4].copy_from_slice(&ph.p_type.to_le_bytes());
            f[o + 4..o + 8].copy_from_slice(&ph.flags.to_le_bytes());
            f[o + 8..o + 16].copy_from_slice(&ph.offset.to_le_bytes());
            f[o + 16..o + 24].copy_from_slice(&ph.vaddr.to_le_bytes());
            f[o + 24..o + 32].copy_from_slice(&ph.vaddr.to_le_bytes()); // paddr
            f[o + 32..o + 40].copy_from_slice(&ph.filesz.to_le_bytes());
            f[o + 40..o + 48].copy_from_slice(&ph.memsz.to_le_bytes());
            f[o + 48..o + 56].copy_from_slice(&ph.align.to_le_bytes());
        }
        f
    }

    /// The usual static layout: text (with the headers) at 4 MiB, data
    /// and bss on a later page.
    fn typical() -> Vec<Ph> {
        vec![
            load(PF_R | PF_X, 0, 0x40_0000, 0x1000, 0x1000),
            load(PF_R | PF_W, 0x1000, 0x41_1000, 0x100, 0x3000),
            other(PT_GNU_STACK, PF_R | PF_W, 0),
        ]
    }

    fn err(bytes: &[u8]) -> NoExec {
        match parse_exec(bytes) {
            Err(ElfError::NotExecutable(why)) => why,
            other => panic!("expected NotExecutable, got {other:?}"),
        }
    }

    /// A 608-byte static executable built with GNU as and ld from
    ///
    /// ```text
    ///     .text
    ///     .global _start
    /// _start: adrp x1, value;   ldr w0, [x1, :lo12:value]
    ///         adrp x2, counter; str w0, [x2, :lo12:counter]
    ///         mov x8, #93;      svc #0          // exit(42)
    ///     .data
    /// value:  .word 42
    ///     .bss
    /// counter: .space 4096
    /// ```
    ///
    /// `aarch64-linux-gnu-ld -static -z max-page-size=4096
    /// -z common-page-size=4096 -z noexecstack --build-id=none -s`; it
    /// exits with 42 under `qemu-aarch64`. readelf says: entry 0x4000e8,
    /// LOAD 0x0 -> 0x400000 filesz/memsz 0x100 R E, LOAD 0x100 -> 0x401100
    /// filesz 0x4 memsz 0x1008 RW, GNU_STACK RW.
    const TINY_HEX: &str = concat!(
        "7f454c460201010000000000000000000200b70001000000e800400000000000400000000000",
        "0000200100000000000000000000400038000300400005000400010000000500000000000000",
        "0000000000004000000000000000400000000000000100000000000000010000000000000010",
        "0000000000000100000006000000000100000000000000114000000000000011400000000000",
        "04000000000000000810000000000000001000000000000051e5746406000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000000010000000",
        "00000000010000b0200041b9020000b0400401b9a80b80d2010000d42a000000002e73687374",
        "72746162002e74657874002e64617461002e6273730000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000000000000000",
        "000000000000000000000b000000010000000600000000000000e800400000000000e8000000",
        "0000000018000000000000000000000000000000040000000000000000000000000000001100",
        "0000010000000300000000000000001140000000000000010000000000000400000000000000",
        "0000000000000000010000000000000000000000000000001700000008000000030000000000",
        "0000041140000000000004010000000000000410000000000000000000000000000001000000",
        "0000000000000000000000000100000003000000000000000000000000000000000000000401",
        "0000000000001c00000000000000000000000000000001000000000000000000000000000000",
    );

    fn tiny() -> Vec<u8> {
        (0..TINY_HEX.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&TINY_HEX[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn parses_a_real_static_executable() {
        let bytes = tiny();
        assert_eq!(bytes.len(), 608);
        let img = parse_exec(&bytes).unwrap();
        assert_eq!(img.kind, ExecKind::Exec);
        assert_eq!(img.entry, 0x4000e8);
        assert_eq!(img.load_bias, 0);
        assert_eq!(img.phnum, 3);
        assert_eq!(img.phentsize, 56);
        // No PT_PHDR: the table at file offset 64 is in the text segment.
        assert_eq!(img.phdr_vaddr, 0x400040);
        assert!(!img.stack_executable);
        assert_eq!(
            img.segments,
            [
                LoadSegment {
                    vaddr: 0x400000,
                    memsz: 0x100,
                    filesz: 0x100,
                    offset: 0,
                    readable: true,
                    writable: false,
                    executable: true,
                    align: 0x1000,
                },
                LoadSegment {
                    vaddr: 0x401100,
                    memsz: 0x1008,
                    filesz: 4,
                    offset: 0x100,
                    readable: true,
                    writable: true,
                    executable: false,
                    align: 0x1000,
                },
            ]
        );
        assert_eq!(img.segments[1].file_range(), 0x100..0x104);
        assert_eq!(&bytes[img.segments[1].file_range()], &42u32.to_le_bytes());
        assert_eq!(img.segments[0].prot(), PROT_READ | PROT_EXEC);
        assert_eq!(img.segments[1].prot(), PROT_READ | PROT_WRITE);
        assert_eq!(img.brk_start, 0x403000);
        assert_eq!(
            img.mappings(),
            [
                Mapping {
                    start: 0x400000,
                    end: 0x401000,
                    prot: PROT_READ | PROT_EXEC
                },
                Mapping {
                    start: 0x401000,
                    end: 0x403000,
                    prot: PROT_READ | PROT_WRITE
                },
            ]
        );
    }

    #[test]
    fn a_bss_only_segment_past_the_end_of_the_file_loads() {
        // What `aarch64-linux-gnu-gcc -static -nostdlib` with all data in
        // .bss gives at 64 KiB max-page-size: p_filesz 0, p_offset beyond
        // the file, vaddr and offset not congruent.
        let phdrs = [
            load(PF_R | PF_X, 0, 0x40_0000, 0x100, 0x100),
            load(PF_R | PF_W, 0x1_0100, 0x41_0108, 0, 0x2000),
            other(PT_GNU_STACK, PF_R | PF_W, 0),
        ];
        let bytes = build(ET_EXEC, 0x40_0080, &phdrs, 0x100);
        let img = parse_exec(&bytes).expect("runs on Linux");
        assert_eq!(img.segments.len(), 2);
        assert_eq!(img.segments[1].filesz, 0);
        assert_eq!(img.segments[1].file_range(), 0..0);
        assert_eq!(img.brk_start, 0x41_3000);
    }

    #[test]
    fn static_pie_is_loaded_at_the_fixed_base() {
        let mut phdrs = vec![other(PT_PHDR, PF_R, 0x40)];
        phdrs.extend([
            load(PF_R | PF_X, 0, 0, 0x2000, 0x2000),
            load(PF_R | PF_W, 0x2000, 0x12000, 0x10, 0x20),
            other(PT_DYNAMIC, PF_R | PF_W, 0x12000),
            other(PT_GNU_STACK, PF_R | PF_W | PF_X, 0),
        ]);
        let img = parse_exec(&build(ET_DYN, 0x123, &phdrs, 0x2010)).unwrap();
        assert_eq!(img.kind, ExecKind::Dyn);
        assert_eq!(img.load_bias, ET_DYN_BASE);
        assert_eq!(img.entry, ET_DYN_BASE + 0x123);
        assert_eq!(img.phdr_vaddr, ET_DYN_BASE + 0x40);
        assert_eq!(img.segments[0].vaddr, ET_DYN_BASE);
        assert_eq!(img.segments[1].vaddr, ET_DYN_BASE + 0x12000);
        assert_eq!(img.segments[1].file_range(), 0x2000..0x2010);
        assert!(img.stack_executable);
        assert_eq!(img.brk_start, ET_DYN_BASE + 0x13000);
        assert_eq!(img.phnum, 5);
    }

    #[test]
    fn typical_layout_and_pt_phdr_preference() {
        let img = parse_exec(&build(ET_EXEC, 0x40_0100, &typical(), 0x1100)).unwrap();
        assert_eq!(img.phdr_vaddr, 0x40_0040);
        assert_eq!(img.brk_start, 0x41_4000);
        assert_eq!(img.total_pages_bytes(), 0x4000);
        // A PT_PHDR wins over the computed address.
        let mut phdrs = typical();
        phdrs.insert(0, other(PT_PHDR, PF_R, 0x40_0040));
        let img = parse_exec(&build(ET_EXEC, 0x40_0100, &phdrs, 0x1100)).unwrap();
        assert_eq!(img.phdr_vaddr, 0x40_0040);
        // Neither: 0, as Linux passes.
        let phdrs = [load(PF_R | PF_X, 0x1000, 0x40_1000, 0x100, 0x100)];
        let img = parse_exec(&build(ET_EXEC, 0x40_1000, &phdrs, 0x1100)).unwrap();
        assert_eq!(img.phdr_vaddr, 0);
    }

    #[test]
    fn segments_sharing_a_page_get_merged_permissions() {
        // Text ends inside page 0x400000; data starts in the same page.
        let phdrs = [
            load(PF_R | PF_X, 0, 0x40_0000, 0x1800, 0x1800),
            load(PF_R | PF_W, 0x1800, 0x40_1800, 0x100, 0x2000),
        ];
        let img = parse_exec(&build(ET_EXEC, 0x40_0100, &phdrs, 0x1900)).unwrap();
        let (rx, rw) = (PROT_READ | PROT_EXEC, PROT_READ | PROT_WRITE);
        assert_eq!(
            img.mappings(),
            [
                Mapping {
                    start: 0x40_0000,
                    end: 0x40_1000,
                    prot: rx
                },
                Mapping {
                    start: 0x40_1000,
                    end: 0x40_2000,
                    prot: rx | rw
                },
                Mapping {
                    start: 0x40_2000,
                    end: 0x40_4000,
                    prot: rw
                },
            ]
        );
        // Three small segments in one page collapse to one mapping.
        let phdrs = [
            load(PF_R | PF_X, 0, 0x40_0000, 0x100, 0x100),
            load(PF_R, 0x100, 0x40_0100, 0x100, 0x100),
            load(PF_R | PF_W, 0x200, 0x40_0200, 0x10, 0x10),
        ];
        let img = parse_exec(&build(ET_EXEC, 0x40_0000, &phdrs, 0x300)).unwrap();
        assert_eq!(
            img.mappings(),
            [Mapping {
                start: 0x40_0000,
                end: 0x40_1000,
                prot: PROT_READ | PROT_WRITE | PROT_EXEC
            }]
        );
    }

    #[test]
    fn identity_errors_are_enoexec() {
        let good = build(ET_EXEC, 0x40_0100, &typical(), 0x1100);
        assert_eq!(err(b""), NoExec::BadMagic);
        assert_eq!(err(b"#!/bin/sh\n"), NoExec::BadMagic);
        assert_eq!(err(&good[..63]), NoExec::TruncatedHeader);
        let patch = |at: usize, v: &[u8]| {
            let mut b = good.clone();
            b[at..at + v.len()].copy_from_slice(v);
            b
        };
        assert_eq!(err(&patch(4, &[1])), NoExec::WrongClass(1));
        assert_eq!(err(&patch(5, &[2])), NoExec::WrongEndian(2));
        assert_eq!(
            err(&patch(18, &62u16.to_le_bytes())),
            NoExec::WrongMachine(62)
        );
        assert_eq!(err(&patch(16, &1u16.to_le_bytes())), NoExec::WrongType(1));
        assert_eq!(err(&patch(16, &4u16.to_le_bytes())), NoExec::WrongType(4));
        assert_eq!(
            err(&patch(54, &32u16.to_le_bytes())),
            NoExec::BadPhentsize(32)
        );
        assert_eq!(
            err(&patch(56, &0u16.to_le_bytes())),
            NoExec::NoProgramHeaders
        );
        assert_eq!(
            err(&patch(56, &0xffffu16.to_le_bytes())),
            NoExec::TooManyProgramHeaders(0xffff)
        );
        assert_eq!(
            err(&patch(56, &100u16.to_le_bytes())),
            NoExec::PhdrsOutOfFile
        );
        assert_eq!(
            err(&patch(32, &u64::MAX.to_le_bytes())),
            NoExec::PhdrsOutOfFile
        );
        assert_eq!(err(&good[..64 + 56 * 3 - 1]), NoExec::PhdrsOutOfFile);

        let e = parse_exec(&patch(18, &62u16.to_le_bytes())).unwrap_err();
        assert_eq!(e.errno(), 8);
        assert_eq!(alloc::format!("{e}"), "elf: machine 62, not AArch64 (183)");
    }

    /// `typical()` with a `PT_INTERP` of `filesz` bytes at file offset
    /// 0x200 holding `path`.
    fn with_interp(path: &[u8], filesz: u64) -> Vec<u8> {
        let mut phdrs = typical();
        let mut interp = other(PT_INTERP, PF_R, 0x40_0200);
        interp.offset = 0x200;
        interp.filesz = filesz;
        interp.memsz = filesz;
        phdrs.insert(0, interp);
        let mut bytes = build(ET_EXEC, 0x40_0100, &phdrs, 0x1100);
        bytes[0x200..0x200 + path.len()].copy_from_slice(path);
        bytes
    }

    #[test]
    fn dynamic_executables_name_their_interpreter() {
        let path = b"/lib/ld-linux-aarch64.so.1\0";
        let img = parse_exec(&with_interp(path, path.len() as u64)).unwrap();
        assert_eq!(
            img.interp.as_deref(),
            Some(&b"/lib/ld-linux-aarch64.so.1"[..])
        );
        // Only the first PT_INTERP counts.
        let mut phdrs = typical();
        let mut first = other(PT_INTERP, PF_R, 0);
        (first.offset, first.filesz) = (0x200, 3);
        let mut second = first;
        second.offset = 0x300;
        phdrs.insert(0, second);
        phdrs.insert(0, first);
        let mut bytes = build(ET_EXEC, 0x40_0100, &phdrs, 0x1100);
        bytes[0x200..0x203].copy_from_slice(b"/a\0");
        bytes[0x300..0x303].copy_from_slice(b"/b\0");
        assert_eq!(
            parse_exec(&bytes).unwrap().interp.as_deref(),
            Some(&b"/a"[..])
        );
        // An interpreter's own PT_INTERP is not read.
        assert_eq!(parse_interp(&bytes).unwrap().interp, None);
    }

    #[test]
    fn malformed_interpreter_paths_are_enoexec_or_eio() {
        // Not NUL-terminated, too short, too long: ENOEXEC.
        for (path, size) in [
            (&b"/lib/ld.so"[..], 10),
            (b"\0", 1),
            (b"/", 0),
            (b"/x\0", MAX_INTERP_PATH + 1),
        ] {
            let e = parse_exec(&with_interp(path, size)).unwrap_err();
            assert_eq!(
                e,
                ElfError::NotExecutable(NoExec::BadInterpPath { index: 0 }),
                "path {path:?} size {size}"
            );
            assert_eq!(e.errno(), ENOEXEC);
        }
        // Past the end of the 0x1100-byte file: EIO, as Linux's elf_read.
        let e = parse_exec(&with_interp(b"/x\0", 0xf01)).unwrap_err();
        assert_eq!(
            e,
            ElfError::NotExecutable(NoExec::InterpOutOfFile { index: 0 })
        );
        assert_eq!(e.errno(), EIO);
        // A NUL inside: the path ends there, as C reads it.
        let img = parse_exec(&with_interp(b"/a\0b\0", 5)).unwrap();
        assert_eq!(img.interp.as_deref(), Some(&b"/a"[..]));
    }

    #[test]
    fn a_bad_interpreter_is_elibbad() {
        let good = build(
            ET_DYN,
            0x100,
            &[load(PF_R | PF_X, 0, 0, 0x200, 0x200)],
            0x200,
        );
        let img = parse_interp(&good).unwrap();
        assert_eq!(img.load_bias, MMAP_BASE);
        assert_eq!(img.entry, MMAP_BASE + 0x100);
        let bad = |bytes: &[u8]| {
            let e = parse_interp(bytes).unwrap_err();
            assert!(matches!(e, ElfError::BadInterpreter(_)), "{e:?}");
            assert_eq!(e.errno(), ELIBBAD);
            e
        };
        bad(b"#!/bin/sh\n");
        bad(&good[..40]);
        let mut class32 = good.clone();
        class32[4] = 1;
        assert_eq!(
            bad(&class32),
            ElfError::BadInterpreter(NoExec::WrongClass(1))
        );
        let mut x86 = good.clone();
        x86[18..20].copy_from_slice(&62u16.to_le_bytes());
        let e = bad(&x86);
        assert_eq!(
            alloc::format!("{e}"),
            "interpreter: elf: machine 62, not AArch64 (183)"
        );
        // Segments past its end (a truncated library).
        bad(&good[..0x100]);
    }

    #[test]
    fn an_interpreter_moves_whole_to_where_it_is_placed() {
        let f = build(
            ET_DYN,
            0x100,
            &[
                load(PF_R | PF_X, 0, 0, 0x1200, 0x1200),
                load(PF_R | PF_W, 0x1200, 0x11200, 0x10, 0x3000),
            ],
            0x1300,
        );
        let mut img = parse_interp(&f).unwrap();
        assert_eq!(img.start(), MMAP_BASE);
        assert_eq!(img.total_mapping_size(), 0x15000);
        let base = MMAP_BASE + 0x123_4000;
        img.relocate((base - img.start()) as i64);
        assert_eq!(img.load_bias, base);
        assert_eq!(img.entry, base + 0x100);
        assert_eq!(img.segments[1].vaddr, base + 0x11200);
        assert_eq!(img.mappings().first().unwrap().start, base);
        assert_eq!(img.mappings().last().unwrap().end, base + 0x15000);
    }

    #[test]
    fn bad_segments_are_enoexec() {
        let entry = 0x40_0100;
        let with = |ph: Vec<Ph>| err(&build(ET_EXEC, entry, &ph, 0x1100));
        let text = load(PF_R | PF_X, 0, 0x40_0000, 0x1000, 0x1000);
        // File bytes past the end of the file (0x1100 long).
        assert_eq!(
            with(vec![text, load(PF_R, 0x1000, 0x50_0000, 0x101, 0x101)]),
            NoExec::SegmentOutOfFile { index: 1 }
        );
        assert_eq!(
            with(vec![
                text,
                load(PF_R, u64::MAX - 0xfff, 0x50_0000, 0x1001, 0x2000)
            ]),
            NoExec::SegmentOutOfFile { index: 1 }
        );
        assert_eq!(
            with(vec![load(PF_R | PF_X, 0, 0x40_0000, 0x1000, 0xfff)]),
            NoExec::FileszOverMemsz { index: 0 }
        );
        assert_eq!(
            with(vec![text, load(PF_R, 0x1000, 0x50_0800, 0x10, 0x10)]),
            NoExec::Misaligned { index: 1 }
        );
        assert_eq!(
            with(vec![text, load(PF_R, 0, 0xffff_ffff_ffff_f000, 0, 0x2000)]),
            NoExec::AddressOverflow { index: 1 }
        );
        assert_eq!(
            with(vec![text, load(PF_R, 0, 0xffff_ffff_ffff_f000, 0, 0xfff)]),
            NoExec::AddressOverflow { index: 1 }
        );
        // At or above 2^39, or in page 0.
        assert_eq!(
            with(vec![text, load(PF_R, 0, USER_VA_END - 0x1000, 0, 0x1001)]),
            NoExec::OutsideUserSpace { index: 1 }
        );
        assert_eq!(
            with(vec![text, load(PF_R, 0, USER_VA_END, 0, 1)]),
            NoExec::OutsideUserSpace { index: 1 }
        );
        assert_eq!(
            with(vec![load(PF_R, 0, 0, 0x100, 0x100), text]),
            NoExec::OutsideUserSpace { index: 0 }
        );
        // The last user page is fine.
        let top = load(PF_R | PF_W, 0, USER_VA_END - 0x1000, 0, 0x1000);
        assert!(parse_exec(&build(ET_EXEC, entry, &[text, top], 0x1100)).is_ok());
        // Order and overlap.
        assert_eq!(
            with(vec![text, load(PF_R, 0, 0x30_0000, 0, 0x10)]),
            NoExec::Unsorted { index: 1 }
        );
        assert_eq!(
            with(vec![text, load(PF_R, 0, 0x40_0fff, 0x10, 0x10)]),
            NoExec::Misaligned { index: 1 }
        );
        assert_eq!(
            with(vec![text, load(PF_R, 0xfff, 0x40_0fff, 0, 0x10)]),
            NoExec::Overlap { index: 1 }
        );
        assert_eq!(
            with(vec![other(PT_GNU_STACK, PF_R | PF_W, 0)]),
            NoExec::NoLoadSegments
        );
        // A static-pie whose segment, once biased, leaves user space.
        assert_eq!(
            err(&build(
                ET_DYN,
                0,
                &[load(PF_R | PF_X, 0, USER_VA_END - ET_DYN_BASE, 0, 0x10)],
                0x100
            )),
            NoExec::OutsideUserSpace { index: 0 }
        );
        assert_eq!(
            err(&build(
                ET_DYN,
                0,
                &[load(PF_R | PF_X, 0, u64::MAX - 0xfff, 0, 0x10)],
                0x100
            )),
            NoExec::AddressOverflow { index: 0 }
        );
    }

    #[test]
    fn the_entry_must_be_in_an_executable_segment() {
        let b = |entry| build(ET_EXEC, entry, &typical(), 0x1100);
        assert!(parse_exec(&b(0x40_0000)).is_ok());
        assert!(parse_exec(&b(0x40_0fff)).is_ok());
        assert_eq!(err(&b(0x40_1000)), NoExec::BadEntry(0x40_1000));
        assert_eq!(err(&b(0x41_1000)), NoExec::BadEntry(0x41_1000)); // data
        assert_eq!(err(&b(0)), NoExec::BadEntry(0));
        assert_eq!(
            err(&build(ET_DYN, u64::MAX, &typical(), 0x1100)),
            NoExec::BadEntry(u64::MAX)
        );
    }

    #[test]
    fn empty_load_segments_are_skipped() {
        let mut phdrs = typical();
        phdrs.insert(1, load(PF_R, 0, 0x40_0000, 0, 0));
        let img = parse_exec(&build(ET_EXEC, 0x40_0100, &phdrs, 0x1100)).unwrap();
        assert_eq!(img.segments.len(), 2);
    }

    #[test]
    fn oversized_images_are_enomem() {
        let phdrs = [
            load(PF_R | PF_X, 0, 0x40_0000, 0x1000, 0x1000),
            load(PF_R | PF_W, 0, 0x100_0000, 0, MAX_IMAGE_SIZE),
        ];
        let e = parse_exec(&build(ET_EXEC, 0x40_0000, &phdrs, 0x1000)).unwrap_err();
        assert_eq!(
            e,
            ElfError::TooBig {
                bytes: MAX_IMAGE_SIZE + 0x1000
            }
        );
        assert_eq!(e.errno(), 12);
        // Exactly at the limit is fine.
        let phdrs = [
            load(PF_R | PF_X, 0, 0x40_0000, 0x1000, 0x1000),
            load(PF_R | PF_W, 0, 0x100_0000, 0, MAX_IMAGE_SIZE - 0x1000),
        ];
        assert!(parse_exec(&build(ET_EXEC, 0x40_0000, &phdrs, 0x1000)).is_ok());
    }

    #[test]
    fn corrupting_any_header_byte_never_panics() {
        let good = tiny();
        for i in 0..EHDR_SIZE + 3 * PHDR_SIZE {
            for flip in [0x01, 0x80, 0xff] {
                let mut b = good.clone();
                b[i] ^= flip;
                let _ = parse_exec(&b);
            }
        }
        for len in 0..good.len() {
            let _ = parse_exec(&good[..len]);
        }
    }

    /// Compiles `hello.c` with the cross compiler, when there is one, and
    /// checks what glibc's static, static-pie and dynamic outputs give.
    #[test]
    fn real_glibc_binaries_when_a_cross_compiler_exists() {
        use std::process::Command;
        let cc = "aarch64-linux-gnu-gcc";
        if Command::new(cc).arg("--version").output().is_err() {
            std::eprintln!("skipped: no {cc}");
            return;
        }
        let dir = std::env::temp_dir().join(std::format!("pikern-elf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let src = dir.join("hello.c");
        std::fs::write(
            &src,
            "#include <stdio.h>\nint main(void){puts(\"hi\");return 0;}\n",
        )
        .unwrap();
        let compile = |flag: &str| {
            let out = dir.join(flag.trim_start_matches('-'));
            let ok = Command::new(cc)
                .arg(flag)
                .arg("-o")
                .arg(&out)
                .arg(&src)
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            ok.then(|| std::fs::read(&out).unwrap())
        };
        let Some(stat) = compile("-static") else {
            std::eprintln!("skipped: {cc} cannot link static programs");
            return;
        };
        let img = parse_exec(&stat).unwrap();
        assert_eq!(img.kind, ExecKind::Exec);
        assert!(img.segments.len() >= 2);
        assert!(img.segments[0].executable && !img.segments[0].writable);
        assert!(img
            .segments
            .iter()
            .any(|s| s.writable && s.memsz > s.filesz));
        assert_eq!(img.phdr_vaddr, img.segments[0].vaddr + 64);
        assert!(!img.stack_executable);

        if let Some(pie) = compile("-static-pie") {
            let img = parse_exec(&pie).unwrap();
            assert_eq!(img.kind, ExecKind::Dyn);
            assert_eq!(img.segments[0].vaddr, ET_DYN_BASE);
            assert!(img.entry > ET_DYN_BASE);
        }
        if let Some(dynamic) = compile("-no-pie") {
            let img = parse_exec(&dynamic).unwrap();
            assert_eq!(img.kind, ExecKind::Exec);
            assert_eq!(
                img.interp.as_deref(),
                Some(&b"/lib/ld-linux-aarch64.so.1"[..])
            );
        }
        if let Some(pie) = compile("-pie") {
            let img = parse_exec(&pie).unwrap();
            assert_eq!(img.kind, ExecKind::Dyn);
            assert!(img.interp.is_some());
        }
        let ld = std::path::Path::new("/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1");
        if let Ok(bytes) = std::fs::read(ld) {
            let img = parse_interp(&bytes).unwrap();
            assert_eq!(img.kind, ExecKind::Dyn);
            assert_eq!(img.start(), MMAP_BASE);
            assert!(img.total_mapping_size() < 1 << 20);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
