//! The serial chainload protocol, shared by the chainloader on the board
//! and `chainboot` on the host.
//!
//! The chainloader announces itself with [`READY`] and waits. The host
//! sends a 16-byte [`Header`] (magic, size, CRC-32 of the image, CRC-32 of
//! the first 12 header bytes). The chainloader answers [`ACCEPTED`] or a
//! line starting [`REFUSED`]; after the image it checks the CRC and answers
//! [`BOOTING`] (then jumps to the kernel) or [`REFUSED`] and waits for a new
//! transfer. Every answer is a plain text line, so a person on a terminal
//! sees the same conversation the tool parses. This file uses nothing but
//! `core`: the chainloader includes it by path.

/// The first bytes of a header.
pub const MAGIC: [u8; 4] = *b"PIKB";
/// Printed (as a line) when the chainloader is waiting for a header.
pub const READY: &str = "chainload: ready";
/// The header was good: the image follows.
pub const ACCEPTED: &str = "chainload: receiving";
/// Header or image rejected; the rest of the line says why.
pub const REFUSED: &str = "chainload: refused";
/// Image received intact; the kernel starts next.
pub const BOOTING: &str = "chainload: checksum ok, starting the kernel";
/// Where the firmware (and so the chainloader) puts kernel8.img.
pub const LOAD_ADDR: usize = 0x8_0000;
/// The largest image accepted: it must end below the chainloader, which
/// moves itself to 32 MiB.
pub const MAX_IMAGE: u32 = 0x200_0000 - LOAD_ADDR as u32 - 0x10_0000;

// Room for a kernel with its initramfs, and nothing lands on the loader.
const _: () = assert!(MAX_IMAGE >= 16 << 20);
const _: () = assert!(LOAD_ADDR + MAX_IMAGE as usize <= 0x200_0000);

/// The transfer header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Image size in bytes.
    pub size: u32,
    /// CRC-32 (IEEE) of the image.
    pub crc: u32,
}

/// Why a header was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderError {
    /// The first four bytes are not [`MAGIC`].
    BadMagic,
    /// The header's own CRC does not match: bytes were lost or garbled.
    Garbled,
    /// Zero, or larger than [`MAX_IMAGE`].
    BadSize,
}

impl HeaderError {
    /// The reason, as the refusal line gives it.
    pub const fn reason(self) -> &'static str {
        match self {
            HeaderError::BadMagic => "bad magic",
            HeaderError::Garbled => "header checksum mismatch",
            HeaderError::BadSize => "image size out of range",
        }
    }
}

impl Header {
    /// The 16 bytes on the wire.
    pub fn encode(&self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..4].copy_from_slice(&MAGIC);
        b[4..8].copy_from_slice(&self.size.to_le_bytes());
        b[8..12].copy_from_slice(&self.crc.to_le_bytes());
        let hc = crc32_update(!0, &b[..12]);
        b[12..].copy_from_slice(&(!hc).to_le_bytes());
        b
    }

    /// Checks and decodes the 16 bytes on the wire.
    pub fn decode(b: &[u8; 16]) -> Result<Header, HeaderError> {
        let word = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        if b[..4] != MAGIC {
            return Err(HeaderError::BadMagic);
        }
        if !crc32_update(!0, &b[..12]) != word(12) {
            return Err(HeaderError::Garbled);
        }
        let h = Header {
            size: word(4),
            crc: word(8),
        };
        if h.size == 0 || h.size > MAX_IMAGE {
            return Err(HeaderError::BadSize);
        }
        Ok(h)
    }
}

/// Feeds `data` into a running CRC-32 (IEEE 802.3, reflected). Start from
/// `!0` and invert the result, as [`crc32`] does. Bitwise: the chainloader
/// runs with data caches off and has no room for a table worth the trouble.
pub fn crc32_update(mut crc: u32, data: &[u8]) -> u32 {
    for &byte in data {
        crc = crc32_byte(crc, byte);
    }
    crc
}

/// One byte of [`crc32_update`].
#[inline]
pub fn crc32_byte(mut crc: u32, byte: u8) -> u32 {
    crc ^= byte as u32;
    for _ in 0..8 {
        let mask = (crc & 1).wrapping_neg();
        crc = (crc >> 1) ^ (0xedb8_8320 & mask);
    }
    crc
}

/// CRC-32 of `data`.
pub fn crc32(data: &[u8]) -> u32 {
    !crc32_update(!0, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_check_value() {
        // The standard check value of CRC-32/ISO-HDLC.
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn header_round_trip() {
        let h = Header {
            size: 3_482_728,
            crc: 0xdead_beef,
        };
        assert_eq!(Header::decode(&h.encode()), Ok(h));
    }

    #[test]
    fn header_refusals() {
        let h = Header { size: 100, crc: 1 };
        let mut b = h.encode();
        b[0] = b'X';
        assert_eq!(Header::decode(&b), Err(HeaderError::BadMagic));
        let mut b = h.encode();
        b[5] ^= 1;
        assert_eq!(Header::decode(&b), Err(HeaderError::Garbled));
        for size in [0, MAX_IMAGE + 1] {
            let b = Header { size, crc: 1 }.encode();
            assert_eq!(Header::decode(&b), Err(HeaderError::BadSize));
        }
    }
}
