//! A framed, checksummed dump of tracefs files over the console: how the
//! binary trace (`per_cpu/cpuN/trace_pipe_raw`) and the files describing
//! it reach the host, which has no other way into the machine. The user
//! program `tracedump` writes it; `pikern-trace dat` reads it back and
//! writes `trace.dat`.
//!
//! ```text
//! tracefs-dump: begin
//! tracefs-dump: file events/header_page 205 8d1c33a0
//! CWZpZWxkOiB1NjQgdGltZXN0YW1wOwlvZmZzZXQ6MDsJc2l6ZTo4OwlzaWduZWQ6MDsK...
//! tracefs-dump: end 1
//! ```
//!
//! Each file: its path under `/sys/kernel/tracing`, its length and CRC-32,
//! then its bytes in base64, 57 bytes (76 characters) a line. The encoder
//! needs no heap (user programs use it); the decoder is for the host.

use crate::bsp::chainload::crc32;

/// Every frame line starts with this.
pub const PREFIX: &str = "tracefs-dump: ";
/// Input bytes per base64 line.
pub const LINE_BYTES: usize = 57;
/// Characters of a full base64 line.
pub const LINE_CHARS: usize = 76;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The CRC-32 a `file` line gives.
pub fn checksum(data: &[u8]) -> u32 {
    crc32(data)
}

/// Encodes up to [`LINE_BYTES`] of `input` into `out` as base64 (with `=`
/// padding); returns the characters written.
pub fn encode_line(input: &[u8], out: &mut [u8; LINE_CHARS]) -> usize {
    let mut n = 0;
    for chunk in input.chunks(3).take(LINE_BYTES / 3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let v = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            out[n + i] = if i <= chunk.len() {
                ALPHABET[(v >> (18 - 6 * i) & 63) as usize]
            } else {
                b'='
            };
        }
        n += 4;
    }
    n
}

#[cfg(feature = "alloc")]
pub use decode::*;

#[cfg(feature = "alloc")]
mod decode {
    use super::*;
    use alloc::format;
    use alloc::string::{String, ToString};
    use alloc::vec::Vec;

    fn sextet(c: u8) -> Option<u32> {
        ALPHABET.iter().position(|&a| a == c).map(|i| i as u32)
    }

    /// Decodes one base64 line.
    pub fn decode_line(line: &str) -> Option<Vec<u8>> {
        let b = line.as_bytes();
        if !b.len().is_multiple_of(4) {
            return None;
        }
        let mut out = Vec::new();
        for q in b.chunks(4) {
            let pad = q.iter().rev().take_while(|&&c| c == b'=').count();
            if pad > 2 {
                return None;
            }
            let mut v = 0;
            for &c in &q[..4 - pad] {
                v = v << 6 | sextet(c)?;
            }
            v <<= 6 * pad as u32;
            let bytes = [(v >> 16) as u8, (v >> 8) as u8, v as u8];
            out.extend_from_slice(&bytes[..3 - pad]);
        }
        Some(out)
    }

    /// The files of the last complete dump in a console log, in order:
    /// `(path, bytes)`. Fails, saying where, on a bad length, checksum or
    /// line; a log without a dump gives `Ok(None)`.
    #[allow(clippy::type_complexity)]
    pub fn parse_dump(log: &str) -> Result<Option<Vec<(String, Vec<u8>)>>, String> {
        let mut last = None;
        let mut cur: Option<Vec<(String, Vec<u8>)>> = None;
        // The file being read: path, length, checksum.
        let mut want: Option<(String, usize, u32)> = None;
        for (i, raw) in log.lines().enumerate() {
            let line = raw.trim_end_matches('\r');
            let at = |what: &str| format!("console line {}: {what}", i + 1);
            let Some(rest) = line.strip_prefix(PREFIX) else {
                if let (Some(files), Some(_)) = (cur.as_mut(), want.as_ref()) {
                    let bytes = decode_line(line).ok_or_else(|| at("not base64"))?;
                    if let Some(f) = files.last_mut() {
                        f.1.extend_from_slice(&bytes);
                    }
                }
                continue;
            };
            // A file ends where the next frame line starts.
            if let (Some(files), Some((path, len, crc))) = (cur.as_ref(), want.take()) {
                let got = &files.last().map(|f| &f.1[..]).unwrap_or(&[]);
                if got.len() != len {
                    return Err(at(&format!("{path}: {} bytes, expected {len}", got.len())));
                }
                if checksum(got) != crc {
                    return Err(at(&format!("{path}: checksum mismatch")));
                }
            }
            let mut words = rest.split(' ');
            match words.next() {
                Some("begin") => cur = Some(Vec::new()),
                Some("file") if cur.is_some() => {
                    let (Some(path), Some(len), Some(crc)) =
                        (words.next(), words.next(), words.next())
                    else {
                        return Err(at("a file line needs a path, a length and a CRC"));
                    };
                    let len = len.parse().map_err(|_| at("bad length"))?;
                    let crc = u32::from_str_radix(crc, 16).map_err(|_| at("bad CRC"))?;
                    if let Some(files) = cur.as_mut() {
                        files.push((path.to_string(), Vec::new()));
                    }
                    want = Some((path.to_string(), len, crc));
                }
                Some("end") if cur.is_some() => {
                    let files = cur.take().unwrap_or_default();
                    let n: usize = words.next().and_then(|n| n.parse().ok()).unwrap_or(0);
                    if n != files.len() {
                        return Err(at(&format!("{} files, the end line says {n}", files.len())));
                    }
                    last = Some(files);
                }
                _ => return Err(at("unexpected frame line")),
            }
        }
        Ok(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;
    use alloc::vec::Vec;

    fn frame(files: &[(&str, &[u8])]) -> String {
        let mut s = String::from("boot noise\ntracefs-dump: begin\n");
        for (path, data) in files {
            s += &alloc::format!(
                "tracefs-dump: file {path} {} {:08x}\n",
                data.len(),
                checksum(data)
            );
            for chunk in data.chunks(LINE_BYTES) {
                let mut out = [0; LINE_CHARS];
                let n = encode_line(chunk, &mut out);
                s += core::str::from_utf8(&out[..n]).unwrap();
                s += "\r\n";
            }
        }
        s += &alloc::format!("tracefs-dump: end {}\n# ", files.len());
        s
    }

    #[test]
    fn base64_lines_round_trip_any_length() {
        let data: Vec<u8> = (0..=255u8).collect();
        for n in 0..=LINE_BYTES {
            let mut out = [0; LINE_CHARS];
            let k = encode_line(&data[..n], &mut out);
            assert_eq!(k, n.div_ceil(3) * 4);
            let line = core::str::from_utf8(&out[..k]).unwrap();
            assert_eq!(decode_line(line).unwrap(), &data[..n], "{n} bytes");
        }
        let mut out = [0; LINE_CHARS];
        let k = encode_line(b"Man", &mut out);
        assert_eq!(&out[..k], b"TWFu");
        let k = encode_line(b"Ma", &mut out);
        assert_eq!(&out[..k], b"TWE=");
    }

    #[test]
    fn a_dump_gives_back_its_files() {
        let page: Vec<u8> = (0..4096u32).map(|i| (i * 7) as u8).collect();
        let log = frame(&[
            ("events/header_page", b"field: u64\n"),
            ("per_cpu/cpu0/trace_pipe_raw", &page),
            ("empty", b""),
        ]);
        let files = parse_dump(&log).unwrap().unwrap();
        assert_eq!(files.len(), 3);
        assert_eq!(
            files[0],
            ("events/header_page".into(), b"field: u64\n".to_vec())
        );
        assert_eq!(files[1].1, page);
        assert!(files[2].1.is_empty());
        assert_eq!(parse_dump("no dump here").unwrap(), None);
    }

    #[test]
    fn a_corrupted_dump_is_refused_with_its_line() {
        let log = frame(&[("a", b"hello world, this is a test")]);
        let bad = log.replace("aGVsbG8", "aGVsbG9");
        let e = parse_dump(&bad).unwrap_err();
        assert!(e.contains("checksum mismatch"), "{e}");
        let cut = log.replace("tracefs-dump: end 1", "tracefs-dump: end 2");
        assert!(parse_dump(&cut).unwrap_err().contains("end line says 2"));
        let short = log.replace(" 27 ", " 28 ");
        assert!(parse_dump(&short)
            .unwrap_err()
            .contains("27 bytes, expected 28"));
    }
}
