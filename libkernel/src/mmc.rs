//! The pure half of the SD card driver (Linux's `drivers/mmc/core/sd.c`
//! and `sdhci.c`): the card's registers decoded (CSD capacity, CID
//! name), the 136-bit response rebuilt from the controller's registers,
//! and the SD clock divider.

/// The four words of a 136-bit response (R2: CID, CSD) as the spec
/// numbers its bits, `resp[0]` holding bits 127..96, rebuilt from the
/// SDHCI response registers, which hold bits 127..8 shifted down by 8
/// (the CRC byte dropped): `sdhci_read_rsp_136`.
pub fn rsp136_from_sdhci(regs: [u32; 4]) -> [u32; 4] {
    let mut resp = [0u32; 4];
    for (i, r) in resp.iter_mut().enumerate() {
        let hi = regs[3 - i] << 8;
        let lo = if i < 3 { regs[2 - i] >> 24 } else { 0 };
        *r = hi | lo;
    }
    resp
}

/// Bits `start..start+size` of a 128-bit register held as Linux's
/// `UNSTUFF_BITS` takes it (`resp[0]` = bits 127..96).
pub fn unstuff_bits(resp: &[u32; 4], start: u32, size: u32) -> u32 {
    let mask: u32 = if size < 32 { (1 << size) - 1 } else { !0 };
    let off = 3 - (start / 32) as usize;
    let shft = start % 32;
    let mut res = resp[off] >> shft;
    if size + shft > 32 && off > 0 {
        res |= resp[off - 1] << ((32 - shft) % 32);
    }
    res & mask
}

/// The card's capacity in 512-byte sectors from its CSD
/// (`mmc_decode_csd`): structure version 1.0 (standard capacity,
/// C_SIZE, C_SIZE_MULT, READ_BL_LEN) or 2.0 (SDHC/SDXC, C_SIZE in units
/// of 512 KiB). `None` for an unknown structure.
pub fn csd_capacity_sectors(csd: &[u32; 4]) -> Option<u64> {
    match unstuff_bits(csd, 126, 2) {
        0 => {
            let c_size = u64::from(unstuff_bits(csd, 62, 12));
            let c_size_mult = unstuff_bits(csd, 47, 3);
            let read_bl_len = unstuff_bits(csd, 80, 4);
            let bytes = (c_size + 1) << (c_size_mult + 2 + read_bl_len);
            Some(bytes / 512)
        }
        1 => Some((u64::from(unstuff_bits(csd, 48, 22)) + 1) * 1024),
        _ => None,
    }
}

/// The product name in a CID (PNM, five ASCII characters, bits
/// 103..64); other bytes become `?`.
pub fn cid_name(cid: &[u32; 4]) -> [u8; 5] {
    core::array::from_fn(|i| {
        let c = unstuff_bits(cid, 96 - 8 * i as u32, 8) as u8;
        if c.is_ascii_graphic() || c == b' ' {
            c
        } else {
            b'?'
        }
    })
}

/// The SDCLK divisor field of the clock control register for a clock of
/// at most `want_hz` from `base_hz` (`sdhci_calc_clk`): SDHCI 3.0 divides
/// by 2N with a 10-bit N (0: undivided); earlier versions by a power of
/// two up to 256. Returns (the register bits 15..6, the clock you get).
pub fn sdhci_divider(base_hz: u32, want_hz: u32, v3: bool) -> (u32, u32) {
    let want = want_hz.max(1);
    if base_hz <= want {
        return (0, base_hz);
    }
    let (n, actual) = if v3 {
        let n = base_hz.div_ceil(2 * want).min(1023);
        (n, base_hz / (2 * n))
    } else {
        let mut div = 2;
        while div < 256 && base_hz / div > want {
            div *= 2;
        }
        (div / 2, base_hz / div)
    };
    (((n & 0xff) << 8) | (((n >> 8) & 3) << 6), actual)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 128-bit register from its bytes, most significant first.
    fn reg(bytes: [u8; 16]) -> [u32; 4] {
        core::array::from_fn(|i| u32::from_be_bytes(bytes[4 * i..4 * i + 4].try_into().unwrap()))
    }

    #[test]
    fn rsp136_shifts_the_crc_byte_back_in() {
        // What a controller holds for a response whose bits 127..8 are
        // 0x11 22 .. ff (bits 7..0, the CRC, are not kept).
        let regs = [0xccdd_eeff, 0x8899_aabb, 0x4455_6677, 0x0011_2233];
        assert_eq!(
            rsp136_from_sdhci(regs),
            [0x1122_3344, 0x5566_7788, 0x99aa_bbcc, 0xddee_ff00]
        );
    }

    #[test]
    fn csd_v2_capacity() {
        // CSD 2.0, C_SIZE = 0x3b37 (a "16 GB" card): (C_SIZE+1) * 512 KiB.
        let mut b = [0u8; 16];
        b[0] = 0x40;
        // C_SIZE is bits 69..48: bytes 7 (bits 71..64), 8, 9.
        b[7] = 0x00;
        b[8] = 0x3b;
        b[9] = 0x37;
        assert_eq!(csd_capacity_sectors(&reg(b)), Some((0x3b37 + 1) * 1024));
    }

    #[test]
    fn csd_v1_capacity() {
        // A 64 MiB standard card: READ_BL_LEN 9, C_SIZE_MULT 5 (x128),
        // C_SIZE 1023: 1024 * 128 * 512 bytes.
        let mut r = [0u32; 4];
        let mut set = |start: u32, size: u32, v: u32| {
            for i in 0..size {
                let bit = start + i;
                if v >> i & 1 == 1 {
                    r[3 - (bit / 32) as usize] |= 1 << (bit % 32);
                }
            }
        };
        set(80, 4, 9);
        set(62, 12, 1023);
        set(47, 3, 5);
        assert_eq!(unstuff_bits(&r, 62, 12), 1023);
        assert_eq!(csd_capacity_sectors(&r), Some(64 * 1024 * 2));
    }

    #[test]
    fn unknown_csd_structure() {
        let mut b = [0u8; 16];
        b[0] = 0xc0;
        assert_eq!(csd_capacity_sectors(&reg(b)), None);
    }

    #[test]
    fn cid_product_name() {
        let mut b = [0u8; 16];
        b[3..8].copy_from_slice(b"SD16G");
        assert_eq!(&cid_name(&reg(b)), b"SD16G");
        b[3] = 0;
        assert_eq!(&cid_name(&reg(b)), b"?D16G");
    }

    #[test]
    fn dividers() {
        // 250 MHz to 400 kHz: N = 313, 399.3 kHz.
        let (bits, hz) = sdhci_divider(250_000_000, 400_000, true);
        assert_eq!(bits, (313 & 0xff) << 8 | (313 >> 8) << 6);
        assert!(hz <= 400_000 && hz > 390_000);
        // 100 MHz to 25 MHz: N = 2.
        assert_eq!(
            sdhci_divider(100_000_000, 25_000_000, true),
            (2 << 8, 25_000_000)
        );
        // A slow base clock is used undivided.
        assert_eq!(sdhci_divider(20_000_000, 25_000_000, true), (0, 20_000_000));
        // SDHCI 2.0: powers of two, field = div / 2.
        assert_eq!(
            sdhci_divider(100_000_000, 400_000, false),
            (128 << 8, 390_625)
        );
    }
}
