//! Reading `/proc/meminfo` without touching the heap: the master compares
//! the kernel's accounting before and after the run, so its own memory use
//! must not change in between.

use pikern_rt::sys;

/// The fields compared, as `/proc/meminfo` names them.
pub const FIELDS: [&str; 7] = [
    "MemFree",
    "KernelStack",
    "PageTables",
    "UserPages",
    "HeapUsed",
    "Tasks",
    "OpenFiles",
];

/// One reading of the compared fields (in [`FIELDS`] order), with each
/// field's unit (`kB`, `bytes` or nothing).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct MemInfo {
    pub values: [u64; FIELDS.len()],
}

/// The unit `/proc/meminfo` prints after field `i`.
pub fn unit(i: usize) -> &'static str {
    match FIELDS[i] {
        "HeapUsed" => " bytes",
        "Tasks" | "OpenFiles" => "",
        _ => " kB",
    }
}

/// Reads file `path` into `buf` (no heap), as far as it fits.
fn read_into<'a>(path: &core::ffi::CStr, buf: &'a mut [u8]) -> Option<&'a str> {
    let fd = sys::open(path, 0).ok()?;
    let mut len = 0;
    while len < buf.len() {
        match sys::read(fd, &mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(_) => break,
        }
    }
    let _ = sys::close(fd);
    core::str::from_utf8(&buf[..len]).ok()
}

/// Reads `/proc/meminfo`; `None` if it cannot be read or lacks a field.
pub fn read() -> Option<MemInfo> {
    let mut buf = [0u8; 1024];
    let text = read_into(c"/proc/meminfo", &mut buf)?;
    let mut m = MemInfo {
        values: [u64::MAX; FIELDS.len()],
    };
    for line in text.lines() {
        let Some((name, rest)) = line.split_once(':') else {
            continue;
        };
        if let Some(i) = FIELDS.iter().position(|f| *f == name) {
            m.values[i] = rest.split_whitespace().next()?.parse().ok()?;
        }
    }
    m.values.iter().all(|&v| v != u64::MAX).then_some(m)
}

/// Live heap objects per `kmalloc-N` cache of `/proc/slabinfo`, indexed
/// by log2(N); read into a fixed buffer, like [`read`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Slabs {
    pub objs: [u64; 24],
}

/// Reads `/proc/slabinfo`; `None` if it cannot be read.
pub fn read_slabs() -> Option<Slabs> {
    let mut buf = [0u8; 4096];
    let text = read_into(c"/proc/slabinfo", &mut buf)?;
    let mut out = Slabs { objs: [0; 24] };
    for line in text.lines() {
        let mut w = line.split_whitespace();
        let Some(size) = w.next().and_then(|n| n.strip_prefix("kmalloc-")) else {
            continue;
        };
        let size: u64 = size.parse().ok()?;
        let i = size.trailing_zeros() as usize;
        if size.is_power_of_two() && i < 24 {
            out.objs[i] = w.next()?.parse().ok()?;
        }
    }
    Some(out)
}

/// [`read`] once it holds still (the same for four reads 25 ms apart):
/// a reaped task's descriptor is freed by a kworker a tick later, so a
/// baseline taken at once may still count the last reaped task.
pub fn settled() -> Option<MemInfo> {
    let mut last = read();
    let mut same = 0;
    for _ in 0..80 {
        let _ = pikern_rt::process::sleep_ms(25);
        let now = read();
        same = if now == last { same + 1 } else { 0 };
        last = now;
        if same == 4 {
            break;
        }
    }
    last
}

/// Tasks alive (the `Tasks` field), or 0 if unreadable.
pub fn tasks() -> u64 {
    read().map_or(0, |m| m.values[5])
}
