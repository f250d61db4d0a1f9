//! `linux/dirent.h`: the `getdents64` record.

/// Offset of `d_name` in `struct linux_dirent64` (after `d_ino` u64,
/// `d_off` i64, `d_reclen` u16, `d_type` u8).
pub const DIRENT64_NAME_OFFSET: usize = 19;

/// The `d_reclen` of a `linux_dirent64` whose name is `name_len` bytes:
/// header, name, NUL, rounded up to 8 so the next record is aligned.
pub const fn dirent64_reclen(name_len: usize) -> usize {
    (DIRENT64_NAME_OFFSET + name_len + 1 + 7) & !7
}

/// Appends one `struct linux_dirent64` to `buf` and returns its length.
/// `d_off` is the offset a later `lseek` would use to resume *after* this
/// entry. Padding after the name is zeroed.
#[cfg(feature = "alloc")]
pub fn push_dirent64(
    buf: &mut alloc::vec::Vec<u8>,
    ino: u64,
    off: i64,
    d_type: u8,
    name: &[u8],
) -> usize {
    let reclen = dirent64_reclen(name.len());
    buf.extend_from_slice(&ino.to_le_bytes());
    buf.extend_from_slice(&off.to_le_bytes());
    buf.extend_from_slice(&(reclen as u16).to_le_bytes());
    buf.push(d_type);
    buf.extend_from_slice(name);
    buf.resize(buf.len() + reclen - DIRENT64_NAME_OFFSET - name.len(), 0);
    reclen
}
