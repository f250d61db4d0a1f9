//! `mkcpio` as `make` runs it: the archive it writes parses back with the
//! kernel's own reader.

mod common;

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::process::{Command, Output};

use common::scratch_dir;
use libkernel::fs::cpio::{entries, Entry, S_IFDIR, S_IFLNK, S_IFREG};

fn mkcpio(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mkcpio"))
        .args(args)
        .output()
        .unwrap()
}

fn write(path: &Path, data: &str, mode: u32) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, data).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn parse(archive: &[u8]) -> Vec<Entry<'_>> {
    entries(archive).collect::<Result<_, _>>().unwrap()
}

#[test]
fn archives_a_tree_and_overlays_later_trees() {
    let dir = scratch_dir("mkcpio_overlay");
    let base = dir.join("base");
    write(&base.join("bin/init"), "\x7fELF init", 0o755);
    write(&base.join("etc/motd"), "base motd\n", 0o644);
    write(&base.join("etc/hostname"), "pikern\n", 0o600);
    write(&base.join("old/gone"), "replaced by a file\n", 0o644);
    fs::create_dir_all(base.join("empty")).unwrap();
    symlink("init", base.join("bin/sh")).unwrap();
    let extra = dir.join("extra");
    write(&extra.join("etc/motd"), "overlay motd\n", 0o644);
    write(&extra.join("old"), "now a file\n", 0o644);
    write(&extra.join("tests/t1"), "test", 0o755);

    // Directory modes are set explicitly: the umask must not matter.
    for d in ["bin", "etc", "empty"] {
        fs::set_permissions(base.join(d), fs::Permissions::from_mode(0o755)).unwrap();
    }
    for d in ["etc", "tests"] {
        fs::set_permissions(extra.join(d), fs::Permissions::from_mode(0o755)).unwrap();
    }

    let out = dir.join("build/initramfs.cpio");
    let output = mkcpio(&[&base, Path::new("-o"), &out, Path::new("--add"), &extra]);
    assert!(output.status.success(), "{output:?}");
    let archive = fs::read(&out).unwrap();
    let e = parse(&archive);
    let listing: Vec<(&str, u32)> = e.iter().map(|e| (e.name, e.mode)).collect();
    assert_eq!(
        listing,
        [
            ("bin", S_IFDIR | 0o755),
            ("bin/init", S_IFREG | 0o755),
            ("bin/sh", S_IFLNK | 0o777),
            ("empty", S_IFDIR | 0o755),
            ("etc", S_IFDIR | 0o755),
            ("etc/hostname", S_IFREG | 0o600),
            ("etc/motd", S_IFREG | 0o644),
            ("old", S_IFREG | 0o644),
            ("tests", S_IFDIR | 0o755),
            ("tests/t1", S_IFREG | 0o755),
        ]
    );
    let get = |name: &str| e.iter().find(|e| e.name == name).unwrap();
    assert_eq!(get("bin/init").data, b"\x7fELF init");
    assert_eq!(get("bin/sh").data, b"init");
    assert_eq!(get("etc/motd").data, b"overlay motd\n");
    assert_eq!(get("old").data, b"now a file\n");
    assert!(e.iter().all(|e| e.uid == 0 && e.gid == 0 && e.mtime == 0));

    // Reproducible: touching the files and archiving again gives the same
    // bytes.
    write(&base.join("etc/hostname"), "pikern\n", 0o600);
    let again = dir.join("again.cpio");
    let output = mkcpio(&[&base, Path::new("-o"), &again, Path::new("--add"), &extra]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(fs::read(&again).unwrap(), archive);
}

#[test]
fn usage_errors_and_missing_directories() {
    let dir = scratch_dir("mkcpio_errors");
    let output = mkcpio(&[&dir]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("-o FILE is required"));

    let output = mkcpio(&[Path::new("-o"), &dir.join("x.cpio")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("DIR is required"));

    let missing = dir.join("missing");
    let output = mkcpio(&[&missing, Path::new("-o"), &dir.join("x.cpio")]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("missing"));
    assert!(!dir.join("x.cpio").exists());
}
