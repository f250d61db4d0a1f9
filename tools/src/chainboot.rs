//! The host side of the chainload protocol (`libkernel::bsp::chainload`):
//! opens the line to the board (a serial device, or QEMU's serial socket),
//! shows everything the board prints, and sends a kernel when the
//! chainloader asks for one.
//!
//! A reader thread copies the board's bytes into a [`Transcript`] (and to
//! stdout when asked); [`send_kernel`] waits on the transcript for the
//! chainloader's lines, so the tool follows the same text a person on a
//! terminal would read.

use libkernel::bsp::chainload::{self, Header};
use std::io::{self, Read, Write};
use std::process::Command;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Where the board is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortSpec {
    /// A serial device (`/dev/ttyUSB0`), set to `baud` 8N1 raw with `stty`.
    Device(String, u32),
    /// A Unix socket (QEMU `-serial unix:PATH,server=on`).
    Unix(String),
    /// A TCP address (QEMU `-serial tcp:HOST:PORT,server=on`).
    Tcp(String),
}

/// The two directions of an open line.
pub type Line = (Box<dyn Read + Send>, Box<dyn Write + Send>);

/// Opens the line. A socket that is not there yet is retried for `wait`
/// (QEMU creates it a moment after starting).
pub fn open(spec: &PortSpec, wait: Duration) -> Result<Line, String> {
    let end = Instant::now() + wait;
    loop {
        let r: io::Result<Line> = match spec {
            PortSpec::Device(dev, baud) => open_device(dev, *baud),
            PortSpec::Unix(path) => std::os::unix::net::UnixStream::connect(path)
                .and_then(|s| Ok((Box::new(s.try_clone()?) as _, Box::new(s) as _))),
            PortSpec::Tcp(addr) => std::net::TcpStream::connect(addr)
                .and_then(|s| Ok((Box::new(s.try_clone()?) as _, Box::new(s) as _))),
        };
        match r {
            Ok(line) => return Ok(line),
            Err(e) if Instant::now() >= end || matches!(spec, PortSpec::Device(..)) => {
                return Err(format!("cannot open {spec:?}: {e}"))
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

fn open_device(dev: &str, baud: u32) -> io::Result<Line> {
    // stty knows every platform's termios; no crate needed for one call.
    let st = Command::new("stty")
        .args([
            "-F",
            dev,
            &baud.to_string(),
            "raw",
            "-echo",
            "-ixon",
            "-ixoff",
        ])
        .args(["-crtscts", "cs8", "-cstopb", "-parenb", "clocal"])
        .status()?;
    if !st.success() {
        return Err(io::Error::other(format!("stty -F {dev} failed")));
    }
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(dev)?;
    Ok((Box::new(f.try_clone()?), Box::new(f)))
}

/// The bytes received so far, and whether the line has closed.
type Received = Mutex<(Vec<u8>, bool)>;

/// Everything the board has printed, shared with the reader thread.
#[derive(Clone, Default)]
pub struct Transcript {
    inner: Arc<(Received, Condvar)>,
}

impl Transcript {
    /// Starts a thread reading `r` into a new transcript until EOF; echoes
    /// to stdout when `echo`.
    pub fn follow(mut r: Box<dyn Read + Send>, echo: bool) -> Transcript {
        let t = Transcript::default();
        let t2 = t.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                let n = match r.read(&mut buf) {
                    Ok(0) | Err(_) => 0,
                    Ok(n) => n,
                };
                if echo && n > 0 {
                    let mut out = io::stdout().lock();
                    let _ = out.write_all(&buf[..n]);
                    let _ = out.flush();
                }
                let (m, cv) = &*t2.inner;
                let mut g = m.lock().unwrap();
                if n == 0 {
                    g.1 = true;
                } else {
                    g.0.extend_from_slice(&buf[..n]);
                }
                cv.notify_all();
                if n == 0 {
                    return;
                }
            }
        });
        t
    }

    /// All text so far (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.inner.0.lock().unwrap().0).into_owned()
    }

    /// Whether the line has closed.
    pub fn closed(&self) -> bool {
        self.inner.0.lock().unwrap().1
    }

    /// Waits until a line starting with one of `prefixes` appears at or
    /// after byte `from`; returns the index of the prefix matched, the whole
    /// line, and where the search may continue.
    pub fn wait_line(
        &self,
        from: usize,
        prefixes: &[&str],
        timeout: Duration,
    ) -> Result<(usize, String, usize), String> {
        let end = Instant::now() + timeout;
        let (m, cv) = &*self.inner;
        let mut g = m.lock().unwrap();
        loop {
            if let Some(found) = find_line(&g.0, from, prefixes) {
                return Ok(found);
            }
            if g.1 {
                return Err("the line closed".into());
            }
            let now = Instant::now();
            if now >= end {
                return Err(format!("no {:?} within {} s", prefixes, timeout.as_secs()));
            }
            g = cv.wait_timeout(g, end - now).unwrap().0;
        }
    }

    /// Waits until `text` appears anywhere, or the line closes.
    pub fn wait_text(&self, text: &str, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        let (m, cv) = &*self.inner;
        let mut g = m.lock().unwrap();
        loop {
            if String::from_utf8_lossy(&g.0).contains(text) {
                return true;
            }
            let now = Instant::now();
            if g.1 || now >= end {
                return false;
            }
            g = cv.wait_timeout(g, end - now).unwrap().0;
        }
    }
}

/// Finds the first complete line at or after `from` that starts with one of
/// `prefixes` (carriage returns ignored).
fn find_line(buf: &[u8], from: usize, prefixes: &[&str]) -> Option<(usize, String, usize)> {
    let mut start = from.min(buf.len());
    while let Some(nl) = buf[start..].iter().position(|&b| b == b'\n') {
        let line = String::from_utf8_lossy(&buf[start..start + nl]);
        let line = line.trim_matches(|c| c == '\r' || c == '\n');
        if let Some(i) = prefixes.iter().position(|p| line.starts_with(p)) {
            return Some((i, line.to_string(), start + nl + 1));
        }
        start += nl + 1;
    }
    None
}

/// How a transfer ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The chainloader checked the image and is starting it.
    Booting,
    /// The chainloader refused; its line says why.
    Refused(String),
}

/// Transfer options.
pub struct SendOptions {
    /// How long to wait for the chainloader to say it is ready.
    pub ready_timeout: Duration,
    /// Flip one byte of the image after computing its checksum (tests the
    /// refusal path).
    pub corrupt: bool,
    /// Draw a progress bar on stderr.
    pub progress: bool,
}

/// Sends `image` to the chainloader: waits for its ready line, sends the
/// header, then the image, and returns what it answered.
pub fn send_kernel(
    t: &Transcript,
    w: &mut dyn Write,
    image: &[u8],
    opt: &SendOptions,
) -> Result<Outcome, String> {
    let (_, _, mut at) = t
        .wait_line(0, &[chainload::READY], opt.ready_timeout)
        .map_err(|e| {
            format!(
                "no answer from the chainloader ({e}): is chainloader.img flashed as \
                 kernel8.img, the board powered, TX/RX crossed and ground connected?"
            )
        })?;
    let size = u32::try_from(image.len())
        .ok()
        .filter(|&s| s <= chainload::MAX_IMAGE)
        .ok_or_else(|| {
            format!(
                "the image is {} bytes; the chainloader takes at most {}",
                image.len(),
                chainload::MAX_IMAGE
            )
        })?;
    let header = Header {
        size,
        crc: chainload::crc32(image),
    };
    write_all(w, &header.encode())?;
    let answers = [chainload::ACCEPTED, chainload::REFUSED];
    let (i, line, next) = t.wait_line(at, &answers, Duration::from_secs(10))?;
    if i == 1 {
        return Ok(Outcome::Refused(line));
    }
    at = next;
    let mut data = image.to_vec();
    if opt.corrupt {
        let mid = data.len() / 2;
        data[mid] ^= 0x5a;
    }
    let started = Instant::now();
    for (n, chunk) in data.chunks(4096).enumerate() {
        write_all(w, chunk)?;
        if opt.progress {
            progress_bar((n * 4096 + chunk.len()) as u64, data.len() as u64, started);
        }
    }
    if opt.progress {
        eprintln!();
    }
    let answers = [chainload::BOOTING, chainload::REFUSED];
    let (i, line, _) = t.wait_line(at, &answers, Duration::from_secs(30))?;
    Ok(if i == 0 {
        Outcome::Booting
    } else {
        Outcome::Refused(line)
    })
}

fn write_all(w: &mut dyn Write, b: &[u8]) -> Result<(), String> {
    w.write_all(b)
        .and_then(|_| w.flush())
        .map_err(|e| format!("writing to the board: {e}"))
}

fn progress_bar(done: u64, total: u64, started: Instant) {
    const WIDTH: u64 = 40;
    let filled = (done * WIDTH / total.max(1)) as usize;
    let secs = started.elapsed().as_secs_f64().max(1e-3);
    eprint!(
        "\rchainboot: [{}{}] {:3}% {:.1}/{:.1} MiB {:.1} KiB/s ",
        "#".repeat(filled),
        ".".repeat(WIDTH as usize - filled),
        done * 100 / total.max(1),
        done as f64 / 1048576.0,
        total as f64 / 1048576.0,
        done as f64 / 1024.0 / secs
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn finds_lines_by_prefix_after_an_offset() {
        let buf = b"noise\r\nchainload: ready\r\nchainload: receiving 5 bytes\r\npartial";
        let (i, line, next) = find_line(buf, 0, &["chainload: ready"]).unwrap();
        assert_eq!((i, line.as_str()), (0, "chainload: ready"));
        let (i, line, _) = find_line(buf, next, &["x", "chainload: receiving"]).unwrap();
        assert_eq!((i, line.as_str()), (1, "chainload: receiving 5 bytes"));
        assert!(find_line(buf, 0, &["partial"]).is_none(), "incomplete line");
    }

    /// A chainloader in a thread, speaking over a socket pair with the same
    /// protocol code the real one includes.
    fn fake_chainloader() -> (Line, mpsc::Receiver<Vec<u8>>) {
        let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            writeln!(b, "booting\r\n{}\r", chainload::READY).unwrap();
            let mut raw = [0u8; 16];
            b.read_exact(&mut raw).unwrap();
            let h = Header::decode(&raw).unwrap();
            writeln!(b, "{} {} bytes\r", chainload::ACCEPTED, h.size).unwrap();
            let mut img = vec![0u8; h.size as usize];
            b.read_exact(&mut img).unwrap();
            if chainload::crc32(&img) == h.crc {
                writeln!(b, "{}\r", chainload::BOOTING).unwrap();
            } else {
                writeln!(b, "{}: image checksum mismatch\r", chainload::REFUSED).unwrap();
            }
            tx.send(img).unwrap();
        });
        let r = a.try_clone().unwrap();
        ((Box::new(r), Box::new(a)), rx)
    }

    fn opts(corrupt: bool) -> SendOptions {
        SendOptions {
            ready_timeout: Duration::from_secs(5),
            corrupt,
            progress: false,
        }
    }

    #[test]
    fn a_good_transfer_boots_with_the_exact_bytes() {
        let ((r, mut w), rx) = fake_chainloader();
        let t = Transcript::follow(r, false);
        let image: Vec<u8> = (0..10_000u32).map(|i| (i * 7) as u8).collect();
        let out = send_kernel(&t, &mut *w, &image, &opts(false)).unwrap();
        assert_eq!(out, Outcome::Booting);
        assert_eq!(rx.recv().unwrap(), image);
    }

    #[test]
    fn a_corrupted_transfer_is_refused() {
        let ((r, mut w), rx) = fake_chainloader();
        let t = Transcript::follow(r, false);
        let image = vec![1u8; 5000];
        let out = send_kernel(&t, &mut *w, &image, &opts(true)).unwrap();
        assert!(matches!(out, Outcome::Refused(ref l) if l.contains("checksum mismatch")));
        assert_ne!(rx.recv().unwrap(), image);
    }

    #[test]
    fn silence_is_an_error_that_names_the_usual_causes() {
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        let t = Transcript::follow(Box::new(a.try_clone().unwrap()), false);
        let mut w: Box<dyn Write> = Box::new(a);
        let o = SendOptions {
            ready_timeout: Duration::from_millis(200),
            ..opts(false)
        };
        let e = send_kernel(&t, &mut *w, &[1, 2, 3], &o).unwrap_err();
        assert!(e.contains("TX/RX"), "{e}");
    }

    #[test]
    fn an_oversized_image_is_refused_before_sending() {
        let ((r, mut w), _rx) = fake_chainloader();
        let t = Transcript::follow(r, false);
        let image = vec![0u8; chainload::MAX_IMAGE as usize + 1];
        let e = send_kernel(&t, &mut *w, &image, &opts(false)).unwrap_err();
        assert!(e.contains("at most"), "{e}");
    }
}
