//! Little-endian structure images for the `to_bytes` methods of this folder.

/// Fills a fixed-size little-endian byte image field by field; a layout
/// mistake shows up as a wrong final length in the tests.
pub(crate) struct Writer<const N: usize> {
    out: [u8; N],
    at: usize,
}

impl<const N: usize> Writer<N> {
    pub(crate) fn new() -> Self {
        Writer { out: [0; N], at: 0 }
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.out[self.at..self.at + b.len()].copy_from_slice(b);
        self.at += b.len();
    }

    pub(crate) fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }

    pub(crate) fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }

    pub(crate) fn finish(self) -> [u8; N] {
        debug_assert_eq!(self.at, N, "structure image not completely filled");
        self.out
    }
}
