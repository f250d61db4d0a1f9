//! The pure half of `kernel/futex/`: decoding `FUTEX_WAKE_OP`'s encoded
//! operation and comparison (Linux's `futex_atomic_op_inuser` in
//! `kernel/futex/waitwake.c`), the operation's arithmetic, and the hash
//! that picks a futex's bucket (`futex_hash`).
//!
//! The kernel performs the operation on the user word with an exclusive
//! load/store loop (`kernel/src/arch/aarch64/futex.rs`); [`AtomicOp::apply`]
//! is what that loop computes, and the kernel's `futex` suite checks the
//! one against the other.

use crate::uapi::{
    FUTEX_OP_ADD, FUTEX_OP_ANDN, FUTEX_OP_CMP_EQ, FUTEX_OP_CMP_GE, FUTEX_OP_CMP_GT,
    FUTEX_OP_CMP_LE, FUTEX_OP_CMP_LT, FUTEX_OP_CMP_NE, FUTEX_OP_OPARG_SHIFT, FUTEX_OP_OR,
    FUTEX_OP_SET, FUTEX_OP_XOR,
};

/// The read-modify-write `FUTEX_WAKE_OP` makes on its second word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtomicOp {
    /// `FUTEX_OP_SET`: `*uaddr2 = oparg`.
    Set,
    /// `FUTEX_OP_ADD`: `*uaddr2 += oparg` (wrapping).
    Add,
    /// `FUTEX_OP_OR`: `*uaddr2 |= oparg`.
    Or,
    /// `FUTEX_OP_ANDN`: `*uaddr2 &= !oparg`.
    AndN,
    /// `FUTEX_OP_XOR`: `*uaddr2 ^= oparg`.
    Xor,
}

impl AtomicOp {
    /// The operation numbered `op`; `None` for 5..=7, which name none
    /// (the architecture's `arch_futex_atomic_op_inuser` fails `ENOSYS`
    /// before touching the word).
    pub fn from_raw(op: u32) -> Option<Self> {
        Some(match op {
            FUTEX_OP_SET => AtomicOp::Set,
            FUTEX_OP_ADD => AtomicOp::Add,
            FUTEX_OP_OR => AtomicOp::Or,
            FUTEX_OP_ANDN => AtomicOp::AndN,
            FUTEX_OP_XOR => AtomicOp::Xor,
            _ => return None,
        })
    }

    /// The word's new value, from its old one.
    pub fn apply(self, old: u32, oparg: u32) -> u32 {
        match self {
            AtomicOp::Set => oparg,
            AtomicOp::Add => old.wrapping_add(oparg),
            AtomicOp::Or => old | oparg,
            AtomicOp::AndN => old & !oparg,
            AtomicOp::Xor => old ^ oparg,
        }
    }
}

/// A decoded `FUTEX_WAKE_OP` `val3`: `op` (3 bits, the 4th is
/// `FUTEX_OP_OPARG_SHIFT`), `cmp` (4 bits), `oparg` and `cmparg` (12 bits
/// each, signed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WakeOp {
    /// The operation number; see [`AtomicOp::from_raw`].
    pub op: u32,
    /// The operation's argument, already shifted if the encoding asked for
    /// `1 << oparg`.
    pub oparg: u32,
    /// The comparison number; see [`futex_op_cmp`].
    pub cmp: u32,
    /// What the old value is compared with.
    pub cmparg: i32,
    /// A shift count outside `0..=31`, which Linux masks to 5 bits with a
    /// rate-limited "fix this program" (it says it will fail `EINVAL` one
    /// day): the count as given.
    pub bad_shift: Option<i32>,
}

/// A 12-bit field as a signed number (`sign_extend32(x, 11)`).
fn sign_extend12(x: u32) -> i32 {
    ((x << 20) as i32) >> 20
}

/// Decodes `FUTEX_WAKE_OP`'s `val3` as `futex_atomic_op_inuser` does.
pub fn decode_wake_op(encoded: u32) -> WakeOp {
    let op = (encoded & 0x7000_0000) >> 28;
    let cmp = (encoded & 0x0f00_0000) >> 24;
    let mut oparg = sign_extend12((encoded & 0x00ff_f000) >> 12);
    let cmparg = sign_extend12(encoded & 0x0000_0fff);
    let mut bad_shift = None;
    if encoded & (FUTEX_OP_OPARG_SHIFT << 28) != 0 {
        if !(0..=31).contains(&oparg) {
            bad_shift = Some(oparg);
            oparg &= 31;
        }
        oparg = 1 << oparg;
    }
    WakeOp {
        op,
        oparg: oparg as u32,
        cmp,
        cmparg,
        bad_shift,
    }
}

/// Whether the word's old value passes comparison `cmp` with `cmparg`,
/// both as signed 32-bit numbers; `None` for a comparison number above
/// `FUTEX_OP_CMP_GE` (`ENOSYS`, after the operation was made).
pub fn futex_op_cmp(cmp: u32, oldval: u32, cmparg: i32) -> Option<bool> {
    let old = oldval as i32;
    Some(match cmp {
        FUTEX_OP_CMP_EQ => old == cmparg,
        FUTEX_OP_CMP_NE => old != cmparg,
        FUTEX_OP_CMP_LT => old < cmparg,
        FUTEX_OP_CMP_LE => old <= cmparg,
        FUTEX_OP_CMP_GT => old > cmparg,
        FUTEX_OP_CMP_GE => old >= cmparg,
        _ => return None,
    })
}

/// The bucket of the futex keyed `(mm, address, shared)` in a table of
/// `size` buckets (a power of two). Linux runs `jhash2` over the key's
/// words; any mix that spreads neighbouring words, and one word in
/// different address spaces, over the table serves: this is MurmurHash3's
/// 64-bit finaliser over the words combined.
pub fn futex_hash(mm: u64, address: u64, shared: bool, size: usize) -> usize {
    debug_assert!(size.is_power_of_two());
    let mut h = mm.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ address.rotate_left(29) ^ shared as u64;
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    (h as usize) & (size - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uapi::futex_op;

    #[test]
    fn futex_op_fields_decode_with_their_signs() {
        let d = decode_wake_op(futex_op(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_EQ, 5));
        assert_eq!(
            d,
            WakeOp {
                op: FUTEX_OP_ADD,
                oparg: 3,
                cmp: FUTEX_OP_CMP_EQ,
                cmparg: 5,
                bad_shift: None
            }
        );
        // 12-bit fields: 0xfff is -1, 0x800 is -2048, 0x7ff is 2047.
        let d = decode_wake_op(futex_op(FUTEX_OP_SET, 0xfff, FUTEX_OP_CMP_LT, 0x800));
        assert_eq!(d.oparg, u32::MAX);
        assert_eq!(d.cmparg, -2048);
        assert_eq!(decode_wake_op(futex_op(0, 0x7ff, 0, 0x7ff)).cmparg, 2047);
        assert_eq!(decode_wake_op(futex_op(0, 0, 15, 0)).cmp, 15);
    }

    #[test]
    fn oparg_shift_makes_a_bit_and_masks_a_bad_count() {
        let shift =
            |oparg| decode_wake_op(futex_op(FUTEX_OP_OPARG_SHIFT | FUTEX_OP_OR, oparg, 0, 0));
        let d = shift(4);
        assert_eq!((d.op, d.oparg, d.bad_shift), (FUTEX_OP_OR, 16, None));
        assert_eq!(shift(0).oparg, 1);
        assert_eq!(shift(31).oparg, 0x8000_0000);
        // 32 and -1 are out of range: masked to 0 and 31, and reported.
        let d = shift(32);
        assert_eq!((d.oparg, d.bad_shift), (1, Some(32)));
        let d = shift(0xfff);
        assert_eq!((d.oparg, d.bad_shift), (0x8000_0000, Some(-1)));
        // The shift flag is not part of the operation number.
        assert_eq!(shift(1).op, FUTEX_OP_OR);
    }

    #[test]
    fn operations_5_to_7_name_none() {
        for op in 0..5 {
            assert!(AtomicOp::from_raw(op).is_some(), "op {op}");
        }
        for op in 5..8 {
            assert_eq!(AtomicOp::from_raw(op), None, "op {op}");
            assert_eq!(decode_wake_op(futex_op(op, 0, 0, 0)).op, op);
        }
    }

    #[test]
    fn each_operation_computes_the_new_word() {
        let old = 0b1100;
        let apply = |op, arg| AtomicOp::from_raw(op).unwrap().apply(old, arg);
        assert_eq!(apply(FUTEX_OP_SET, 7), 7);
        assert_eq!(apply(FUTEX_OP_ADD, 3), 15);
        assert_eq!(apply(FUTEX_OP_OR, 0b0011), 0b1111);
        assert_eq!(apply(FUTEX_OP_ANDN, 0b0100), 0b1000);
        assert_eq!(apply(FUTEX_OP_XOR, 0b1010), 0b0110);
        // ADD wraps as the CPU's add does; a negative oparg subtracts.
        assert_eq!(AtomicOp::Add.apply(u32::MAX, 2), 1);
        let minus_one = decode_wake_op(futex_op(FUTEX_OP_ADD, 0xfff, 0, 0)).oparg;
        assert_eq!(AtomicOp::Add.apply(10, minus_one), 9);
    }

    #[test]
    fn comparisons_are_signed_and_unknown_ones_fail() {
        let cases = [
            (FUTEX_OP_CMP_EQ, 5, 5, true),
            (FUTEX_OP_CMP_EQ, 5, 6, false),
            (FUTEX_OP_CMP_NE, 5, 6, true),
            (FUTEX_OP_CMP_LT, u32::MAX, 0, true), // -1 < 0
            (FUTEX_OP_CMP_LT, 0, 0, false),
            (FUTEX_OP_CMP_LE, 0, 0, true),
            (FUTEX_OP_CMP_GT, 1, -1, true),
            (FUTEX_OP_CMP_GT, 0x8000_0000, 0, false), // i32::MIN
            (FUTEX_OP_CMP_GE, 7, 7, true),
            (FUTEX_OP_CMP_GE, 6, 7, false),
        ];
        for (cmp, old, arg, want) in cases {
            assert_eq!(futex_op_cmp(cmp, old, arg), Some(want), "{cmp} {old} {arg}");
        }
        for cmp in 6..16 {
            assert_eq!(futex_op_cmp(cmp, 0, 0), None);
        }
    }

    #[test]
    fn neighbouring_futexes_spread_over_the_buckets() {
        const SIZE: usize = 256;
        let mm = 0xffff_0000_0123_4560;
        let mut count = [0u32; SIZE];
        for i in 0..1024u64 {
            count[futex_hash(mm, 0x40_0000 + 4 * i, false, SIZE)] += 1;
        }
        let used = count.iter().filter(|&&c| c > 0).count();
        let most = *count.iter().max().unwrap();
        assert!(
            used > 200,
            "1024 neighbouring words use only {used} buckets"
        );
        assert!(most <= 16, "one bucket holds {most} of 1024 words");
        // One key, one bucket; the same word in another mm or as a shared
        // futex mostly elsewhere.
        let h = futex_hash(mm, 0x1000, false, SIZE);
        assert_eq!(h, futex_hash(mm, 0x1000, false, SIZE));
        let other_mm = (0..64u64)
            .filter(|i| futex_hash(mm + 0x1000 * (i + 1), 0x1000, false, SIZE) != h)
            .count();
        assert!(
            other_mm > 56,
            "other address spaces collide: {other_mm}/64 apart"
        );
        let shared = (0..64u64)
            .filter(|i| {
                futex_hash(mm, 0x1000 + 4 * i, true, SIZE)
                    != futex_hash(mm, 0x1000 + 4 * i, false, SIZE)
            })
            .count();
        assert!(
            shared > 56,
            "shared and private keys collide: {shared}/64 apart"
        );
    }
}
