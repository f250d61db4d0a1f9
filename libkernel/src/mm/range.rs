//! Half-open physical address ranges, and "RAM minus the reserved parts",
//! which boot-time memory set-up needs (like Linux's memblock).

/// `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Range {
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
}

impl Range {
    /// A range; empty if `end <= start`.
    pub const fn new(start: u64, end: u64) -> Self {
        Range { start, end }
    }

    /// True if it holds no address.
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// True if the two share an address.
    pub fn overlaps(&self, o: &Range) -> bool {
        self.start < o.end && o.start < self.end
    }
}

/// Calls `f` with each part of `region` not covered by any of `reserved`
/// (which may overlap each other and be in any order), in address order.
pub fn subtract(region: Range, reserved: &[Range], mut f: impl FnMut(Range)) {
    let mut cur = region.start;
    while cur < region.end {
        // The reserved range covering `cur`, if any: skip past it.
        if let Some(r) = reserved
            .iter()
            .filter(|r| !r.is_empty() && r.start <= cur && cur < r.end)
            .max_by_key(|r| r.end)
        {
            cur = r.end;
            continue;
        }
        // Otherwise the free part runs to the next reserved start.
        let next = reserved
            .iter()
            .filter(|r| !r.is_empty() && r.start > cur)
            .map(|r| r.start)
            .min()
            .unwrap_or(region.end)
            .min(region.end);
        f(Range::new(cur, next));
        cur = next;
    }
}

/// The lowest `align`-aligned `[a, a+size)` inside `region` that avoids all
/// of `reserved`.
pub fn find_free(region: Range, reserved: &[Range], size: u64, align: u64) -> Option<u64> {
    let mut found = None;
    subtract(region, reserved, |r| {
        if found.is_none() {
            let a = r.start.div_ceil(align) * align;
            if a + size <= r.end {
                found = Some(a);
            }
        }
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn free_parts(region: Range, reserved: &[Range]) -> Vec<(u64, u64)> {
        let mut v = Vec::new();
        subtract(region, reserved, |r| v.push((r.start, r.end)));
        v
    }

    #[test]
    fn holes_are_removed_in_order() {
        let res = [Range::new(50, 60), Range::new(0, 10), Range::new(55, 70)];
        assert_eq!(
            free_parts(Range::new(0, 100), &res),
            vec![(10, 50), (70, 100)]
        );
        assert_eq!(free_parts(Range::new(0, 100), &[]), vec![(0, 100)]);
        assert_eq!(
            free_parts(Range::new(20, 30), &[Range::new(0, 100)]),
            vec![]
        );
    }

    #[test]
    fn find_free_respects_alignment_and_holes() {
        let res = [Range::new(0, 0x1800), Range::new(0x3000, 0x4000)];
        assert_eq!(
            find_free(Range::new(0, 0x10000), &res, 0x1000, 0x1000),
            Some(0x2000)
        );
        assert_eq!(
            find_free(Range::new(0, 0x10000), &res, 0x2000, 0x1000),
            Some(0x4000)
        );
        assert_eq!(find_free(Range::new(0, 0x2000), &res, 0x1000, 0x1000), None);
    }
}
