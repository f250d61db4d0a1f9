//! Pages in the format of Linux's ring buffer (`kernel/trace/ring_buffer.c`),
//! what `per_cpu/cpuN/trace_pipe_raw` returns and trace-cmd stores in
//! `trace.dat`.
//!
//! pikern's rings keep fixed-size records ([`super::Ring`]); a reader of
//! `trace_pipe_raw` gets them re-encoded the way Linux stores them: a page
//! header (`struct buffer_data_page`: the page's first timestamp, then
//! `commit`, the bytes of data, with the missed-events flags in its top
//! bits), then `struct ring_buffer_event`s. Each event header is one u32,
//! `type_len` in its low 5 bits and the time since the previous event in
//! the other 27; a longer gap first gets a `TIME_EXTEND` event carrying the
//! upper bits. The layout is described to readers by `events/header_page`
//! and `events/header_event` ([`header_page`], [`header_event`]).

use super::trace_entries::raw_entry;
use super::Record;
use alloc::string::String;
use alloc::vec::Vec;

/// The page size of the traced machine (and of `trace.dat`'s pages).
pub const PAGE_SIZE: usize = 4096;
/// `BUF_PAGE_HDR_SIZE`: `time_stamp` and `commit` (a 64-bit `local_t`).
pub const BUF_PAGE_HDR_SIZE: usize = 16;
/// `BUF_PAGE_SIZE`: bytes of event data a page holds.
pub const BUF_PAGE_SIZE: usize = PAGE_SIZE - BUF_PAGE_HDR_SIZE;

/// `RINGBUF_TYPE_DATA_TYPE_LEN_MAX`: `type_len` values up to this give the
/// data length in 4-byte units.
pub const RINGBUF_TYPE_DATA_TYPE_LEN_MAX: u32 = 28;
/// `RINGBUF_TYPE_PADDING`.
pub const RINGBUF_TYPE_PADDING: u32 = 29;
/// `RINGBUF_TYPE_TIME_EXTEND`: `array[0]` holds the delta's upper bits.
pub const RINGBUF_TYPE_TIME_EXTEND: u32 = 30;
/// `RINGBUF_TYPE_TIME_STAMP`.
pub const RINGBUF_TYPE_TIME_STAMP: u32 = 31;
/// `TS_SHIFT`: bits of `time_delta` in an event header.
pub const TS_SHIFT: u32 = 27;
/// `RB_ALIGNMENT`.
const RB_ALIGNMENT: usize = 4;
/// `RB_MAX_SMALL_DATA`: longer data has its length in `array[0]`.
const RB_MAX_SMALL_DATA: usize = RB_ALIGNMENT * RINGBUF_TYPE_DATA_TYPE_LEN_MAX as usize;
/// `RB_MISSED_EVENTS` in `commit`: events were lost before this page.
pub const RB_MISSED_EVENTS: u64 = 1 << 31;
/// `RB_MISSED_STORED` in `commit`: their count follows the data.
pub const RB_MISSED_STORED: u64 = 1 << 30;

/// `events/header_page`, as `ring_buffer_print_page_header` prints it on a
/// 64-bit kernel whose `char` is unsigned (arm64).
pub fn header_page() -> String {
    alloc::format!(
        "\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n\
         \tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n\
         \tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n\
         \tfield: char data;\toffset:{BUF_PAGE_HDR_SIZE};\tsize:{BUF_PAGE_SIZE};\tsigned:0;\n"
    )
}

/// `events/header_event`, as `ring_buffer_print_entry_header` prints it.
pub fn header_event() -> String {
    alloc::format!(
        "# compressed entry header\n\
         \ttype_len    :    5 bits\n\
         \ttime_delta  :   27 bits\n\
         \tarray       :   32 bits\n\
         \n\
         \tpadding     : type == {RINGBUF_TYPE_PADDING}\n\
         \ttime_extend : type == {RINGBUF_TYPE_TIME_EXTEND}\n\
         \ttime_stamp : type == {RINGBUF_TYPE_TIME_STAMP}\n\
         \tdata max type_len  == {RINGBUF_TYPE_DATA_TYPE_LEN_MAX}\n"
    )
}

/// Bytes an event with `len` bytes of data takes in a page
/// (`rb_calculate_event_length`), its header included.
pub fn event_length(len: usize) -> usize {
    let len = len.next_multiple_of(RB_ALIGNMENT);
    if len > RB_MAX_SMALL_DATA || len == 0 {
        len + 8
    } else {
        len + 4
    }
}

/// Builds one page, event by event (what Linux's writer does in place).
pub struct PageWriter {
    page: Vec<u8>,
    commit: usize,
    /// Time of the last event written (deltas are taken from it).
    last_ts: u64,
    missed: Option<u64>,
}

impl PageWriter {
    /// An empty page; `missed` events were lost before its first one.
    pub fn new(missed: u64) -> PageWriter {
        PageWriter {
            page: alloc::vec![0; PAGE_SIZE],
            commit: 0,
            last_ts: 0,
            missed: (missed > 0).then_some(missed),
        }
    }

    /// True if no event has been added.
    pub fn is_empty(&self) -> bool {
        self.commit == 0
    }

    fn put_u32(&mut self, v: u32) {
        let at = BUF_PAGE_HDR_SIZE + self.commit;
        self.page[at..at + 4].copy_from_slice(&v.to_le_bytes());
        self.commit += 4;
    }

    /// Adds an event of `data` at time `ts` (ns, not before the previous
    /// one); false, and the page unchanged, if it does not fit.
    pub fn add(&mut self, ts: u64, data: &[u8]) -> bool {
        if self.is_empty() {
            // The page header holds the first event's time.
            self.page[..8].copy_from_slice(&ts.to_le_bytes());
            self.last_ts = ts;
        }
        let delta = ts.saturating_sub(self.last_ts);
        let extend = delta >> TS_SHIFT != 0;
        let need = event_length(data.len()) + if extend { 8 } else { 0 };
        if self.commit + need > BUF_PAGE_SIZE {
            return false;
        }
        let low = (delta & ((1 << TS_SHIFT) - 1)) as u32;
        let mut small_delta = low;
        if extend {
            self.put_u32(RINGBUF_TYPE_TIME_EXTEND | low << 5);
            self.put_u32((delta >> TS_SHIFT) as u32);
            small_delta = 0;
        }
        let len = data.len().next_multiple_of(RB_ALIGNMENT);
        if len > RB_MAX_SMALL_DATA || len == 0 {
            self.put_u32(small_delta << 5);
            self.put_u32((len + 4) as u32);
        } else {
            self.put_u32((len / RB_ALIGNMENT) as u32 | small_delta << 5);
        }
        let at = BUF_PAGE_HDR_SIZE + self.commit;
        self.page[at..at + data.len()].copy_from_slice(data);
        self.commit += len;
        self.last_ts = ts;
        true
    }

    /// The finished page: `PAGE_SIZE` bytes, zeros past `commit`.
    pub fn finish(mut self) -> Vec<u8> {
        let mut commit = self.commit as u64;
        if let Some(n) = self.missed {
            commit |= RB_MISSED_EVENTS;
            // The count goes right after the data if there is room, as
            // `ring_buffer_read_page` stores it.
            let at = BUF_PAGE_HDR_SIZE + self.commit;
            if self.commit + 8 <= BUF_PAGE_SIZE {
                self.page[at..at + 8].copy_from_slice(&n.to_le_bytes());
                commit |= RB_MISSED_STORED;
            }
        }
        self.page[8..16].copy_from_slice(&commit.to_le_bytes());
        self.page
    }
}

/// The next page of a CPU's records (in time order, times in ns), as a
/// consuming read of `trace_pipe_raw` gives it (`ring_buffer_read_page`):
/// as many records as fit, `lost` (records overwritten before them) in
/// its header. Returns the page and how many records it used up; records
/// no `format` file describes are skipped (and used up).
pub fn fill_page(recs: &[Record], lost: u64) -> (Vec<u8>, usize) {
    let mut w = PageWriter::new(lost);
    let mut data = Vec::new();
    let mut used = 0;
    for r in recs {
        data.clear();
        if raw_entry(r, &mut data) && !w.add(r.ts, &data) {
            break;
        }
        used += 1;
    }
    (w.finish(), used)
}

/// One event read back from a page: its time and data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageEvent {
    /// Absolute time (ns).
    pub ts: u64,
    /// Its data (`struct trace_entry` and fields; padded to 4 bytes).
    pub data: Vec<u8>,
}

/// A page's events and its missed-events count (`Some(0)` if flagged
/// but not stored), decoded as trace-cmd's `kbuffer` does; `None` for a
/// malformed page.
pub fn parse_page(page: &[u8]) -> Option<(Vec<PageEvent>, Option<u64>)> {
    let rd32 = |at: usize| -> Option<u32> {
        Some(u32::from_le_bytes(page.get(at..at + 4)?.try_into().ok()?))
    };
    let rd64 = |at: usize| -> Option<u64> {
        Some(u64::from_le_bytes(page.get(at..at + 8)?.try_into().ok()?))
    };
    let mut ts = rd64(0)?;
    let commit_word = rd64(8)?;
    let commit = (commit_word & ((1 << 30) - 1)) as usize;
    if commit > BUF_PAGE_SIZE || page.len() < BUF_PAGE_HDR_SIZE + commit {
        return None;
    }
    let missed = if commit_word & RB_MISSED_STORED != 0 {
        Some(rd64(BUF_PAGE_HDR_SIZE + commit)?)
    } else {
        (commit_word & RB_MISSED_EVENTS != 0).then_some(0)
    };
    let end = BUF_PAGE_HDR_SIZE + commit;
    let mut at = BUF_PAGE_HDR_SIZE;
    let mut out = Vec::new();
    while at < end {
        let h = rd32(at)?;
        at += 4;
        let (type_len, delta) = (h & 0x1f, (h >> 5) as u64);
        match type_len {
            RINGBUF_TYPE_PADDING => break,
            RINGBUF_TYPE_TIME_EXTEND => {
                ts += delta + ((rd32(at)? as u64) << TS_SHIFT);
                at += 4;
            }
            RINGBUF_TYPE_TIME_STAMP => return None,
            0 => {
                let len = (rd32(at)? as usize).checked_sub(4)?;
                at += 4;
                ts += delta;
                out.push(PageEvent {
                    ts,
                    data: page.get(at..at + len)?.to_vec(),
                });
                at += len.next_multiple_of(RB_ALIGNMENT);
            }
            n => {
                let len = n as usize * RB_ALIGNMENT;
                ts += delta;
                out.push(PageEvent {
                    ts,
                    data: page.get(at..at + len)?.to_vec(),
                });
                at += len;
            }
        }
    }
    Some((out, missed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_files_are_linuxs_text() {
        assert_eq!(
            header_page(),
            "\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n\
             \tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n\
             \tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n\
             \tfield: char data;\toffset:16;\tsize:4080;\tsigned:0;\n"
        );
        assert!(header_event().ends_with(
            "\tpadding     : type == 29\n\ttime_extend : type == 30\n\
             \ttime_stamp : type == 31\n\tdata max type_len  == 28\n"
        ));
    }

    #[test]
    fn small_events_carry_their_length_in_type_len() {
        let mut w = PageWriter::new(0);
        assert!(w.add(1000, &[1; 36]));
        assert!(w.add(1500, &[2; 22]));
        let p = w.finish();
        assert_eq!(u64::from_le_bytes(p[..8].try_into().unwrap()), 1000);
        // 4 + 36, then 4 + 24.
        assert_eq!(u64::from_le_bytes(p[8..16].try_into().unwrap()), 68);
        let h = u32::from_le_bytes(p[16..20].try_into().unwrap());
        assert_eq!((h & 0x1f, h >> 5), (9, 0));
        let h = u32::from_le_bytes(p[56..60].try_into().unwrap());
        assert_eq!((h & 0x1f, h >> 5), (6, 500));
        let (evs, missed) = parse_page(&p).unwrap();
        assert_eq!(missed, None);
        assert_eq!(evs[0].ts, 1000);
        assert_eq!(evs[1].ts, 1500);
        assert_eq!(&evs[1].data[..22], &[2; 22]);
    }

    #[test]
    fn big_events_put_their_length_in_array0() {
        let mut w = PageWriter::new(0);
        assert!(w.add(7, &[9; 120]));
        let p = w.finish();
        let h = u32::from_le_bytes(p[16..20].try_into().unwrap());
        assert_eq!(h & 0x1f, 0);
        assert_eq!(u32::from_le_bytes(p[20..24].try_into().unwrap()), 124);
        let (evs, _) = parse_page(&p).unwrap();
        assert_eq!(evs[0].data, [9; 120]);
    }

    #[test]
    fn a_long_gap_gets_a_time_extend() {
        let mut w = PageWriter::new(0);
        let gap = (1u64 << TS_SHIFT) * 3 + 17;
        assert!(w.add(10, &[1; 8]));
        assert!(w.add(10 + gap, &[2; 8]));
        let p = w.finish();
        let h = u32::from_le_bytes(p[28..32].try_into().unwrap());
        assert_eq!((h & 0x1f, h >> 5), (RINGBUF_TYPE_TIME_EXTEND, 17));
        assert_eq!(u32::from_le_bytes(p[32..36].try_into().unwrap()), 3);
        let (evs, _) = parse_page(&p).unwrap();
        assert_eq!(evs[1].ts, 10 + gap);
    }

    #[test]
    fn a_full_page_refuses_the_next_event_and_missed_events_are_flagged() {
        let mut w = PageWriter::new(5);
        let mut n = 0;
        while w.add(n, &[0; 60]) {
            n += 1;
        }
        assert_eq!(n as usize, BUF_PAGE_SIZE / 64);
        let p = w.finish();
        let commit = u64::from_le_bytes(p[8..16].try_into().unwrap());
        assert_eq!(commit & 0xffff, (BUF_PAGE_SIZE / 64 * 64) as u64);
        // 4080 = 63 * 64 + 48: room for the count.
        assert_ne!(commit & RB_MISSED_EVENTS, 0);
        assert_ne!(commit & RB_MISSED_STORED, 0);
        let (evs, missed) = parse_page(&p).unwrap();
        assert_eq!((evs.len(), missed), (n as usize, Some(5)));
        assert!(parse_page(&[0xff; 32]).is_none());
    }

    #[test]
    fn fill_page_takes_what_fits_and_keeps_the_rest() {
        use super::super::{id, PayloadWriter};
        let recs: Vec<Record> = (0..200u64)
            .map(|i| Record {
                ts: 1_000_000 + i * 1000,
                pid: i as i32,
                id: id::FUNCTION,
                payload: PayloadWriter::default().u64(0x80000 + i).u64(1).finish(),
                ..Record::default()
            })
            .collect();
        let (page, used) = fill_page(&recs, 3);
        // A function entry is 24 bytes of data and a 4-byte header.
        assert_eq!(used, BUF_PAGE_SIZE / 28);
        let (evs, missed) = parse_page(&page).unwrap();
        assert_eq!((evs.len(), missed), (used, Some(3)));
        for (e, r) in evs.iter().zip(&recs) {
            assert_eq!(e.ts, r.ts);
            assert_eq!(&e.data[..2], &id::FUNCTION.to_le_bytes());
            assert_eq!(&e.data[4..8], &r.pid.to_le_bytes());
            assert_eq!(&e.data[8..16], &r.payload[..8]);
        }
        let (page, rest) = fill_page(&recs[used..], 0);
        assert_eq!(rest, 200 - used);
        assert_eq!(parse_page(&page).unwrap().1, None);
    }
}
