//! Helpers shared by the integration tests: scratch directories and fake
//! QEMU executables.
//!
//! A fake QEMU is a small shell script passed as `--qemu`. It records its
//! arguments (one per line, in `args.<ktest_from>`) and prints what a test
//! kernel would print, choosing by the `ktest_from=<k>` it finds in its
//! `-append` argument, so restarts can be tested without QEMU or a kernel.

#![allow(dead_code)] // each test binary uses a different subset

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh, empty directory under cargo's scratch space for this test.
pub fn scratch_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(test);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Writes an executable `/bin/sh` script `name` into `dir`. The script
/// body runs after it has saved its arguments to `$DIR/args.<k>`, with `$K`
/// set to the `ktest_from` value it was given.
pub fn fake_qemu(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    let script = format!(
        "#!/bin/sh\n\
         DIR='{dir}'\n\
         K=$(printf '%s\\n' \"$*\" | sed -n 's/.*ktest_from=\\([0-9]*\\).*/\\1/p')\n\
         printf '%s\\n' \"$@\" > \"$DIR/args.$K\"\n\
         {body}\n",
        dir = dir.display()
    );
    fs::write(&path, script).expect("write fake qemu");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod fake qemu");
    path
}

/// Runs `ktest-runner` against a fake QEMU, with results and log in `dir`.
pub fn run_runner(dir: &Path, qemu: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ktest-runner"))
        .args([
            "--board",
            "rpi3",
            "--kernel",
            "kernel8-test.img",
            "--dtb",
            "rpi3.dtb",
        ])
        .arg("--qemu")
        .arg(qemu)
        .arg("--results")
        .arg(dir.join("results"))
        .arg("--log")
        .arg(dir.join("console.log"))
        .args(extra)
        .output()
        .expect("run ktest-runner")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn read(path: impl AsRef<Path>) -> String {
    let path = path.as_ref();
    fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}
