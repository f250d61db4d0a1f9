//! Suites `initrd` and `initrd_refused`: what an external initramfs
//! (`-initrd`) put into `/`, run on request only (`usertests initrd`) by
//! `tools/initrd-test.sh`, which builds the images: one archive or several
//! concatenated, plain or compressed with the stock tools (gzip, zstd, xz,
//! lz4 -l), holding stock static programs from the cross linkers.
//!
//! `initrd_refused` runs with a corrupt image: nothing of it may appear.

use crate::ktap::{Suite, TestResult};
use crate::spawn::*;
use alloc::format;
use alloc::vec::Vec;
use pikern_rt::consts::AT_FDCWD;
use pikern_rt::sys::{self, Stat};

pub static SUITE: Suite = Suite {
    name: "initrd",
    tests: tests![
        files_links_and_directories_arrive,
        a_later_archive_replaces_an_earlier_file,
        stock_static_programs_run,
        static_pie_lands_at_a_random_base,
    ],
};

pub static REFUSED: Suite = Suite {
    name: "initrd_refused",
    tests: tests![nothing_of_a_corrupt_image_is_unpacked],
};

/// Where the images put their files.
const DIR: &str = "/initrd-test";

fn files_links_and_directories_arrive() -> TestResult {
    check_eq!(
        ok!(read_text(&format!("{DIR}/hello.txt"))),
        "hello from the initrd\n"
    );
    let link = ok!(pikern_rt::process::cstring(&format!("{DIR}/link")));
    let mut buf = [0u8; 64];
    let n = ok!(sys::readlinkat(AT_FDCWD, &link, &mut buf));
    check_eq!(&buf[..n], b"hello.txt");
    check_eq!(
        ok!(read_text(&format!("{DIR}/link"))),
        "hello from the initrd\n"
    );
    check_eq!(ok!(read_text(&format!("{DIR}/sub/dir/deep.txt"))), "deep\n");
    Ok(())
}

fn a_later_archive_replaces_an_earlier_file() -> TestResult {
    // Every image's last archive holds `layer` = "last"; earlier ones
    // (in the concatenated images) hold "first".
    check_eq!(ok!(read_text(&format!("{DIR}/layer"))), "last\n");
    Ok(())
}

/// Each program in `bin/` prints one line ending in "ok" and exits 42.
fn stock_static_programs_run() -> TestResult {
    let list = ok!(read_text(&format!("{DIR}/programs")));
    let names: Vec<&str> = list.lines().filter(|l| !l.is_empty()).collect();
    check!(!names.is_empty(), "no programs listed");
    let mut failures = Vec::new();
    for name in names {
        let path = format!("{DIR}/bin/{name}");
        let out = run(&path, &[], None)?;
        let line_ok = out.stdout.lines().next().is_some_and(|l| l.contains(" ok"));
        if out.status.exit_code() != Some(42) || !line_ok {
            failures.push(format!(
                "{name}: {:?}, stdout {:?}, stderr {:?}",
                out.status, out.stdout, out.stderr
            ));
        }
    }
    if !failures.is_empty() {
        fail!("{}", failures.join("; "));
    }
    Ok(())
}

/// The glibc static-pie prints where its data landed: each exec moves the
/// image (ASLR), so eight runs give more than one address, all in the
/// static-pie area (`ET_DYN_BASE`, up to 16 GiB above it).
fn static_pie_lands_at_a_random_base() -> TestResult {
    let mut seen = Vec::new();
    for _ in 0..8 {
        let out = run(&format!("{DIR}/bin/static-pie"), &[], None)?;
        let line = out.stdout.lines().next().unwrap_or("");
        let Some(hex) = line.strip_prefix("static-pie ok at 0x") else {
            fail!("unexpected output {:?}", out.stdout);
        };
        let addr = ok!(u64::from_str_radix(hex.trim(), 16).map_err(|_| "not hex"));
        let base = libkernel::arch::aarch64::memory::ET_DYN_BASE;
        check!(
            (base..base + (1 << 34) + (1 << 30)).contains(&addr),
            "{addr:#x} is outside the static-pie area"
        );
        if !seen.contains(&addr) {
            seen.push(addr);
        }
    }
    check!(seen.len() > 1, "eight runs, one address: {seen:x?}");
    Ok(())
}

fn nothing_of_a_corrupt_image_is_unpacked() -> TestResult {
    let path = ok!(pikern_rt::process::cstring(DIR));
    let mut st = Stat::default();
    check!(
        sys::newfstatat(AT_FDCWD, &path, &mut st, 0).is_err(),
        "{DIR} exists: a refused image was partly unpacked"
    );
    Ok(())
}
