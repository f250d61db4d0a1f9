//! The kernel's own symbol table (Linux's kallsyms): a blob that
//! `tools/src/bin/kallsyms.rs` writes into the reserved `.kallsyms` section
//! of the linked image, so function addresses print as names.

use libkernel::trace::Kallsyms;

extern "C" {
    static __kallsyms_start: u8;
    static __kallsyms_end: u8;
}

/// The table, if the build filled it in.
pub fn table() -> Option<Kallsyms<'static>> {
    // SAFETY: the linker reserves [__kallsyms_start, __kallsyms_end) in
    // read-only data; it is never written at run time.
    let blob = unsafe {
        let s = &__kallsyms_start as *const u8;
        let e = &__kallsyms_end as *const u8;
        core::slice::from_raw_parts(s, e.offset_from(s) as usize)
    };
    Kallsyms::new(blob)
}

/// `addr` as `symbol+0xoff/0xsize` (or `?`), for reports; formats
/// without allocating.
pub fn lookup_text(addr: usize) -> SymText {
    SymText(table().and_then(|t| t.lookup(addr as u64)))
}

/// See [`lookup_text`].
pub struct SymText(Option<(&'static str, u64, u64)>);

impl core::fmt::Display for SymText {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            Some((name, off, size)) => write!(f, "{name}+{off:#x}/{size:#x}"),
            None => f.write_str("?"),
        }
    }
}
