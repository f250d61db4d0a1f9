//! The text of `/proc/PID/maps`, `smaps` and `smaps_rollup` (Linux's
//! `fs/proc/task_mmu.c`: `show_map_vma`, `show_smap`,
//! `show_smaps_rollup`), from plain descriptions of areas and page counts,
//! so the format is tested here.

use alloc::string::String;
use core::fmt::Write;

/// One area as `/proc/PID/maps` shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MapEntry {
    /// First address.
    pub start: u64,
    /// One past the end.
    pub end: u64,
    /// `PROT_READ`.
    pub read: bool,
    /// `PROT_WRITE`.
    pub write: bool,
    /// `PROT_EXEC`.
    pub exec: bool,
    /// `MAP_SHARED` (`s`) rather than private (`p`).
    pub shared: bool,
    /// Byte offset in the file (0 for anonymous memory).
    pub offset: u64,
    /// The file's device (`st_dev`, glibc's encoding), 0 if none.
    pub dev: u64,
    /// The file's inode number, 0 if none.
    pub ino: u64,
    /// The path, `[heap]`, `[stack]`, `[vdso]`, ...; empty for anonymous
    /// memory.
    pub name: String,
}

/// Where the name column starts: Linux pads the header to
/// `25 + sizeof(void *) * 6 - 1` columns, then a space.
const NAME_COLUMN: usize = 25 + 8 * 6 - 1;

/// `MAJOR(dev)` and `MINOR(dev)` of glibc's `dev_t` encoding.
pub fn dev_major_minor(dev: u64) -> (u64, u64) {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    (major & 0xffff_ffff, minor & 0xffff_ffff)
}

/// `start-end perms offset dev inode` and a space, as
/// `show_vma_header_prefix` prints it.
fn header(out: &mut String, e: &MapEntry) {
    let (major, minor) = dev_major_minor(e.dev);
    let _ = write!(
        out,
        "{:08x}-{:08x} {}{}{}{} {:08x} {:02x}:{:02x} {} ",
        e.start,
        e.end,
        if e.read { 'r' } else { '-' },
        if e.write { 'w' } else { '-' },
        if e.exec { 'x' } else { '-' },
        if e.shared { 's' } else { 'p' },
        e.offset,
        major,
        minor,
        e.ino
    );
}

/// Appends `name` padded to the name column (`seq_pad(m, ' ')`).
fn pad_name(out: &mut String, line_start: usize, name: &str) {
    let used = out.len() - line_start;
    for _ in used..NAME_COLUMN {
        out.push(' ');
    }
    out.push(' ');
    out.push_str(name);
}

/// Appends one `/proc/PID/maps` line (`show_map_vma`).
pub fn show_map(out: &mut String, e: &MapEntry) {
    let line_start = out.len();
    header(out, e);
    if !e.name.is_empty() {
        pad_name(out, line_start, &e.name);
    }
    out.push('\n');
}

/// Sums over an address space's pages (`struct mem_size_stats`), in bytes;
/// the proportional sizes carry [`PSS_SHIFT`] bits of fraction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemSizeStats {
    /// Bytes resident.
    pub resident: u64,
    /// Proportional set size (each page divided by its mappers).
    pub pss: u64,
    /// Of `pss`, dirty pages.
    pub pss_dirty: u64,
    /// Of `pss`, anonymous pages.
    pub pss_anon: u64,
    /// Of `pss`, file pages not in shmem.
    pub pss_file: u64,
    /// Of `pss`, shmem (RAM file system) pages.
    pub pss_shmem: u64,
    /// Mapped by others too, clean.
    pub shared_clean: u64,
    /// Mapped by others too, dirty.
    pub shared_dirty: u64,
    /// Mapped here only, clean.
    pub private_clean: u64,
    /// Mapped here only, dirty.
    pub private_dirty: u64,
    /// Referenced (accessed) bytes.
    pub referenced: u64,
    /// Anonymous bytes.
    pub anonymous: u64,
}

/// Fraction bits of the proportional sizes (Linux's `PSS_SHIFT`).
pub const PSS_SHIFT: u32 = 12;

/// What a page is, for [`MemSizeStats::account`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageKind {
    /// Anonymous memory (a private copy included).
    Anon,
    /// A file page outside shmem.
    File,
    /// A shmem or RAM file system page.
    Shmem,
}

impl MemSizeStats {
    /// Counts one page of `size` bytes mapped `mapcount` times in all
    /// (`smaps_account`).
    pub fn account(&mut self, size: u64, kind: PageKind, mapcount: u64, dirty: bool) {
        let mapcount = mapcount.max(1);
        self.resident += size;
        self.referenced += size;
        if kind == PageKind::Anon {
            self.anonymous += size;
        }
        let pss = (size << PSS_SHIFT) / mapcount;
        self.pss += pss;
        if dirty {
            self.pss_dirty += pss;
        }
        match kind {
            PageKind::Anon => self.pss_anon += pss,
            PageKind::File => self.pss_file += pss,
            PageKind::Shmem => self.pss_shmem += pss,
        }
        match (mapcount >= 2, dirty) {
            (true, true) => self.shared_dirty += size,
            (true, false) => self.shared_clean += size,
            (false, true) => self.private_dirty += size,
            (false, false) => self.private_clean += size,
        }
    }
}

/// The whole `/proc/PID/smaps_rollup` (`show_smaps_rollup`, Linux 6.1's
/// fields) for areas spanning `[start, end)`.
pub fn show_smaps_rollup(out: &mut String, start: u64, end: u64, m: &MemSizeStats) {
    let line_start = out.len();
    header(
        out,
        &MapEntry {
            start,
            end,
            ..MapEntry::default()
        },
    );
    pad_name(out, line_start, "[rollup]");
    out.push('\n');
    show_mem_stats(out, m, true);
}

/// One area of `/proc/PID/smaps` (`show_smap`, Linux 6.1's fields): its
/// `maps` line, its size and page size, its page counts, `THPeligible`
/// (no transparent huge pages here). Not the `VmFlags` line: pikern keeps
/// no `VM_MAY*` flags to show.
pub fn show_smap(out: &mut String, e: &MapEntry, m: &MemSizeStats) {
    show_map(out, e);
    for (name, bytes) in [
        ("Size", e.end - e.start),
        ("KernelPageSize", 4096),
        ("MMUPageSize", 4096),
    ] {
        seq_put_dec(out, name, bytes);
    }
    show_mem_stats(out, m, false);
    out.push_str("THPeligible:    0\n");
}

/// `__show_smap`: the page counts, with the Pss split (anonymous, file,
/// shmem) only in the rollup.
fn show_mem_stats(out: &mut String, m: &MemSizeStats, rollup: bool) {
    let pss = |v: u64| v >> PSS_SHIFT;
    let split = [
        ("Pss_Anon", pss(m.pss_anon)),
        ("Pss_File", pss(m.pss_file)),
        ("Pss_Shmem", pss(m.pss_shmem)),
    ];
    let fields = [
        ("Rss", m.resident),
        ("Pss", pss(m.pss)),
        ("Pss_Dirty", pss(m.pss_dirty)),
    ]
    .into_iter()
    .chain(split.into_iter().filter(|_| rollup))
    .chain([
        ("Shared_Clean", m.shared_clean),
        ("Shared_Dirty", m.shared_dirty),
        ("Private_Clean", m.private_clean),
        ("Private_Dirty", m.private_dirty),
        ("Referenced", m.referenced),
        ("Anonymous", m.anonymous),
        ("LazyFree", 0),
        ("AnonHugePages", 0),
        ("ShmemPmdMapped", 0),
        ("FilePmdMapped", 0),
        ("Shared_Hugetlb", 0),
        ("Private_Hugetlb", 0),
        ("Swap", 0),
        ("SwapPss", 0),
        ("Locked", 0),
    ]);
    for (name, bytes) in fields {
        seq_put_dec(out, name, bytes);
    }
}

/// `SEQ_PUT_DEC`: the name, its colon and spaces in 16 columns, the value
/// in kB in 8; Private_Hugetlb's longer name leaves 7 for its value.
fn seq_put_dec(out: &mut String, name: &str, bytes: u64) {
    let label = (name.len() + 2).max(16);
    let _ = writeln!(
        out,
        "{:<label$}{:>w$} kB",
        alloc::format!("{name}:"),
        bytes >> 10,
        w = 24 - label
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str) -> MapEntry {
        MapEntry {
            start: 0xaaaa_b3a4_0000,
            end: 0xaaaa_b3a4_8000,
            read: true,
            exec: true,
            offset: 0x2000,
            dev: 0x0f,
            ino: 1234,
            name: name.into(),
            ..MapEntry::default()
        }
    }

    #[test]
    fn map_line_pads_the_name_to_column_74() {
        let mut s = String::new();
        show_map(&mut s, &entry("/bin/cat"));
        assert_eq!(
            s,
            "aaaab3a40000-aaaab3a48000 r-xp 00002000 00:0f 1234                       /bin/cat\n"
        );
        assert_eq!(s.find('/'), Some(73));
    }

    #[test]
    fn anonymous_line_ends_in_a_space_and_shared_shows_s() {
        let mut s = String::new();
        let mut e = entry("");
        e.shared = true;
        e.write = true;
        e.exec = false;
        show_map(&mut s, &e);
        assert_eq!(s, "aaaab3a40000-aaaab3a48000 rw-s 00002000 00:0f 1234 \n");
    }

    #[test]
    fn short_addresses_take_eight_digits() {
        let mut s = String::new();
        show_map(
            &mut s,
            &MapEntry {
                start: 0x40_0000,
                end: 0x40_1000,
                name: "[heap]".into(),
                ..MapEntry::default()
            },
        );
        assert!(
            s.starts_with("00400000-00401000 ---p 00000000 00:00 0 "),
            "{s}"
        );
        assert!(s.ends_with("[heap]\n"), "{s}");
    }

    #[test]
    fn dev_numbers_split_as_glibc_encodes_them() {
        assert_eq!(dev_major_minor(0xfe01), (0xfe, 1));
        assert_eq!(dev_major_minor((8 << 8) | 3), (8, 3));
        assert_eq!(dev_major_minor(0x1_2345), (0x123, 0x45));
    }

    #[test]
    fn shared_page_counts_half_in_pss() {
        let mut m = MemSizeStats::default();
        m.account(4096, PageKind::Shmem, 2, false);
        m.account(4096, PageKind::Anon, 1, true);
        assert_eq!(m.resident, 8192);
        assert_eq!(m.pss >> PSS_SHIFT, 2048 + 4096);
        assert_eq!(m.pss_anon >> PSS_SHIFT, 4096);
        assert_eq!(m.pss_shmem >> PSS_SHIFT, 2048);
        assert_eq!(m.shared_clean, 4096);
        assert_eq!(m.private_dirty, 4096);
        assert_eq!(m.anonymous, 4096);
    }

    #[test]
    fn rollup_prints_linux_fields_in_kb() {
        let mut m = MemSizeStats::default();
        for _ in 0..3 {
            m.account(4096, PageKind::Anon, 1, true);
        }
        let mut s = String::new();
        show_smaps_rollup(&mut s, 0x40_0000, 0x7fff_0000_0000, &m);
        let lines: alloc::vec::Vec<&str> = s.lines().collect();
        assert!(lines[0].starts_with("00400000-7fff00000000 ---p 00000000 00:00 0 "));
        assert!(lines[0].ends_with(" [rollup]") && lines[0].find('[') == Some(73));
        assert_eq!(lines[1], "Rss:                  12 kB");
        assert_eq!(lines[2], "Pss:                  12 kB");
        assert_eq!(lines[4], "Pss_Anon:             12 kB");
        assert!(lines.contains(&"Private_Dirty:        12 kB"));
        assert!(lines.contains(&"Private_Hugetlb:       0 kB"));
        assert_eq!(lines.last(), Some(&"Locked:                0 kB"));
        assert_eq!(lines.len(), 22);
    }

    #[test]
    fn smap_prints_the_area_its_size_and_no_pss_split() {
        let mut m = MemSizeStats::default();
        m.account(4096, PageKind::Shmem, 4, true);
        m.account(4096, PageKind::Shmem, 1, true);
        let mut s = String::new();
        show_smap(&mut s, &entry("/usr/lib/libc.so.6"), &m);
        let lines: alloc::vec::Vec<&str> = s.lines().collect();
        let mut map = String::new();
        show_map(&mut map, &entry("/usr/lib/libc.so.6"));
        assert_eq!(lines[0], map.trim_end());
        assert_eq!(lines[1], "Size:                 32 kB");
        assert_eq!(lines[2], "KernelPageSize:        4 kB");
        assert_eq!(lines[3], "MMUPageSize:           4 kB");
        assert_eq!(lines[4], "Rss:                   8 kB");
        // One page alone, one shared by four: 4 + 1 kB.
        assert_eq!(lines[5], "Pss:                   5 kB");
        assert_eq!(lines[7], "Shared_Clean:          0 kB");
        assert_eq!(lines[8], "Shared_Dirty:          4 kB");
        assert!(!s.contains("Pss_Anon"), "{s}");
        assert_eq!(lines.last(), Some(&"THPeligible:    0"));
        assert_eq!(lines.len(), 4 + 18 + 1);
    }
}
