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
        .arg("--ktap")
        .arg(dir.join("ktap"))
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

/// Checks the KTAP document a runner wrote to `dir/ktap`: it is what the
/// runner printed, it passes kunit.py's rules (`kunit_check`), and kunit.py
/// would count what the runner's results file says (a crashed test is a
/// failure there). Returns the document.
pub fn assert_kunit_clean(dir: &Path, output: &Output) -> String {
    use pikern_tools::counts::Counts;
    let doc = read(dir.join("ktap"));
    assert_eq!(doc, stdout(output), "--ktap FILE differs from stdout");
    let report = pikern_tools::kunit_check::check(&doc);
    assert!(
        report.errors.is_empty(),
        "kunit.py would report errors: {:#?}\n{doc}",
        report.errors
    );
    let runner = Counts::parse_results_file(&read(dir.join("results"))).unwrap();
    let kunit = Counts {
        passed: report.counts.passed,
        failed: report.counts.failed + report.counts.crashed,
        skipped: report.counts.skipped,
    };
    assert_eq!(
        kunit, runner,
        "kunit.py's counts against the runner's\n{doc}"
    );
    doc
}

/// A fake QEMU that replays a console log `ktest-runner --log` recorded
/// from real QEMU runs: asked for `ktest_from=K`, it prints what the
/// recorded run started at K printed, up to the runner's SysRq request
/// (`sysrq: ...`, output the replay's runner will ask for itself), and
/// ends as that run ended: killed at a deadline (it then sleeps), or
/// exiting with the recorded status. QEMU's stderr goes back to stderr.
pub fn replay_qemu(dir: &Path, log: &Path) -> PathBuf {
    let body = format!(
        r#"awk -v k="$K" '
/^===== ktest-runner: run [0-9]+ on / {{ on = index($0, " ktest_from=" k " ") > 0; cut = 0; next }}
/^===== ktest-runner: / {{ if (on) print "@end " $0; on = 0; next }}
on && /^sysrq: / {{ cut = 1 }}
on && !cut {{ print }}
' '{log}' > "$DIR/replay.$K"
end=$(sed -n 's/^@end //p' "$DIR/replay.$K")
sed '/^@end /d' "$DIR/replay.$K" | while IFS= read -r line; do
    case "$line" in
    "qemu stderr: "*) printf '%s\n' "${{line#qemu stderr: }}" >&2 ;;
    *) printf '%s\n' "$line" ;;
    esac
done
status=$(printf '%s' "$end" | sed -n 's/.*exit status: \([0-9]*\).*/\1/p')
case "$end" in
*deadline*) exec sleep 1000 ;;
*"exit status: "*) exit "$status" ;;
esac
exit 9"#,
        log = log.display()
    );
    fake_qemu(dir, "replay-qemu", &body)
}
