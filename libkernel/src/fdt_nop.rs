//! Removes `FDT_NOP` tokens from a flattened device tree, in place.
//!
//! Whoever edits a DTB before the kernel sees it (the Pi firmware applying
//! config.txt, QEMU disabling devices it does not model) may overwrite
//! deleted nodes and properties with NOP tokens, which the format allows
//! anywhere. The `fdt` crate's node skipping does not expect them and
//! panics ("bad node") on such a blob, e.g. QEMU raspi4b's edit of
//! Debian's bcm2711-rpi-4-b.dtb. Compacting the structure block first
//! leaves a blob every reader understands.

const FDT_MAGIC: u32 = 0xd00d_feed;
const FDT_BEGIN_NODE: u32 = 1;
const FDT_END_NODE: u32 = 2;
const FDT_PROP: u32 = 3;
const FDT_NOP: u32 = 4;
const FDT_END: u32 = 9;

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let w = b.get(at..at + 4)?;
    Some(u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
}

const fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// Compacts the structure block of the DTB in `blob`, dropping NOP tokens
/// and updating the header's `size_dt_struct`. Returns how many NOPs went.
/// A malformed blob is left untouched and reported.
pub fn strip_nops(blob: &mut [u8]) -> Result<usize, &'static str> {
    if be32(blob, 0) != Some(FDT_MAGIC) {
        return Err("no FDT magic");
    }
    let total = be32(blob, 4).ok_or("short header")? as usize;
    let off = be32(blob, 8).ok_or("short header")? as usize;
    let size = be32(blob, 36).ok_or("short header")? as usize;
    let end = off.checked_add(size).ok_or("bad structure block")?;
    if total > blob.len() || end > total || !off.is_multiple_of(4) {
        return Err("structure block outside the blob");
    }
    // First pass: check the whole token stream, so that a bad blob is not
    // half rewritten.
    let mut at = off;
    loop {
        let tok = be32(blob, at)
            .filter(|_| at + 4 <= end)
            .ok_or("truncated")?;
        at += 4;
        match tok {
            FDT_BEGIN_NODE => {
                let name = blob[at..end]
                    .iter()
                    .position(|&c| c == 0)
                    .ok_or("bad name")?;
                at += align4(name + 1);
            }
            FDT_PROP => {
                let len = be32(blob, at).ok_or("truncated")? as usize;
                at = at
                    .checked_add(8 + align4(len))
                    .filter(|&a| a <= end)
                    .ok_or("property runs past the block")?;
            }
            FDT_END_NODE | FDT_NOP => {}
            FDT_END => break,
            _ => return Err("unknown token"),
        }
        if at > end {
            return Err("token runs past the block");
        }
    }
    let stop = at;
    // Second pass: slide every non-NOP token down over the NOPs.
    let (mut rd, mut wr, mut nops) = (off, off, 0);
    while rd < stop {
        let tok = be32(blob, rd).unwrap_or(FDT_END);
        let len = match tok {
            FDT_BEGIN_NODE => {
                4 + align4(blob[rd + 4..].iter().position(|&c| c == 0).unwrap_or(0) + 1)
            }
            FDT_PROP => 12 + align4(be32(blob, rd + 4).unwrap_or(0) as usize),
            _ => 4,
        };
        if tok == FDT_NOP {
            nops += 1;
        } else {
            blob.copy_within(rd..rd + len, wr);
            wr += len;
        }
        rd += len;
    }
    blob[36..40].copy_from_slice(&((wr - off) as u32).to_be_bytes());
    Ok(nops)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A DTB: root { a = <1>; NOP; child { NOP; } NOP } with an empty
    /// strings block, tokens given as words.
    fn blob(words: &[u32]) -> Vec<u8> {
        let off = 40usize;
        let size = words.len() * 4;
        let total = off + size;
        let mut b = vec![0u8; total];
        let hdr = [
            FDT_MAGIC,
            total as u32,
            off as u32,
            total as u32,
            0,
            17,
            16,
            0,
            0,
            size as u32,
        ];
        for (i, w) in hdr.iter().enumerate() {
            b[i * 4..i * 4 + 4].copy_from_slice(&w.to_be_bytes());
        }
        for (i, w) in words.iter().enumerate() {
            b[off + i * 4..off + i * 4 + 4].copy_from_slice(&w.to_be_bytes());
        }
        b
    }

    fn words(b: &[u8]) -> Vec<u32> {
        let size = be32(b, 36).unwrap() as usize;
        (0..size / 4)
            .map(|i| be32(b, 40 + i * 4).unwrap())
            .collect()
    }

    #[test]
    fn nops_are_removed_and_the_rest_kept_in_order() {
        // "c\0\0\0" as a name word.
        let name = u32::from_be_bytes(*b"c\0\0\0");
        let mut b = blob(&[
            FDT_BEGIN_NODE,
            0,
            FDT_PROP,
            4,
            0,
            7,
            FDT_NOP,
            FDT_BEGIN_NODE,
            name,
            FDT_NOP,
            FDT_END_NODE,
            FDT_NOP,
            FDT_END_NODE,
            FDT_END,
        ]);
        assert_eq!(strip_nops(&mut b), Ok(3));
        assert_eq!(
            words(&b),
            vec![
                FDT_BEGIN_NODE,
                0,
                FDT_PROP,
                4,
                0,
                7,
                FDT_BEGIN_NODE,
                name,
                FDT_END_NODE,
                FDT_END_NODE,
                FDT_END
            ]
        );
        assert_eq!(strip_nops(&mut b), Ok(0), "idempotent");
    }

    #[test]
    fn malformed_blobs_are_refused_untouched() {
        let good = [FDT_BEGIN_NODE, 0, FDT_NOP, FDT_END_NODE, FDT_END];
        let mut b = blob(&good);
        b[0] = 0;
        assert!(strip_nops(&mut b).is_err());
        // A property whose length runs past the block.
        let mut b = blob(&[FDT_BEGIN_NODE, 0, FDT_NOP, FDT_PROP, 1000, 0, FDT_END]);
        let before = b.clone();
        assert!(strip_nops(&mut b).is_err());
        assert_eq!(b, before);
        // No FDT_END.
        let mut b = blob(&[FDT_BEGIN_NODE, 0, FDT_END_NODE]);
        assert!(strip_nops(&mut b).is_err());
        let mut b = blob(&[FDT_BEGIN_NODE, 0, 77, FDT_END]);
        assert_eq!(strip_nops(&mut b), Err("unknown token"));
        assert!(strip_nops(&mut [0u8; 3]).is_err());
    }
}
