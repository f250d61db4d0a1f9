//! `linux/utsname.h`: `struct new_utsname` for `uname`.

/// Length of each `struct utsname` field, NUL included.
pub const UTSNAME_FIELD: usize = 65;

/// `struct new_utsname`: six NUL-terminated 65-byte strings (390 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Utsname {
    pub sysname: [u8; UTSNAME_FIELD],
    pub nodename: [u8; UTSNAME_FIELD],
    pub release: [u8; UTSNAME_FIELD],
    pub version: [u8; UTSNAME_FIELD],
    pub machine: [u8; UTSNAME_FIELD],
    pub domainname: [u8; UTSNAME_FIELD],
}

impl Utsname {
    /// Fills the fields, cutting each to 64 bytes so its NUL always fits.
    pub fn new(
        sysname: &str,
        nodename: &str,
        release: &str,
        version: &str,
        machine: &str,
        domainname: &str,
    ) -> Self {
        fn field(s: &str) -> [u8; UTSNAME_FIELD] {
            let mut f = [0; UTSNAME_FIELD];
            let n = s.len().min(UTSNAME_FIELD - 1);
            f[..n].copy_from_slice(&s.as_bytes()[..n]);
            f
        }
        Utsname {
            sysname: field(sysname),
            nodename: field(nodename),
            release: field(release),
            version: field(version),
            machine: field(machine),
            domainname: field(domainname),
        }
    }

    /// The bytes user space sees.
    pub fn to_bytes(&self) -> [u8; 6 * UTSNAME_FIELD] {
        let mut out = [0; 6 * UTSNAME_FIELD];
        let fields = [
            &self.sysname,
            &self.nodename,
            &self.release,
            &self.version,
            &self.machine,
            &self.domainname,
        ];
        for (chunk, f) in out.chunks_exact_mut(UTSNAME_FIELD).zip(fields) {
            chunk.copy_from_slice(f);
        }
        out
    }
}
