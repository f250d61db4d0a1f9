//! `ktest-runner selfcheck` against fake kernels: one that misbehaves in the
//! four planned ways (the harness must pass), and broken ones (it must not).

mod common;

use common::{fake_qemu, read, run_runner, scratch_dir, stdout};

/// Emulates the kernel's four self-test suites: run 1 reports the failing
/// suite and hangs in selftest_hang, run 2 (ktest_from=3) crashes with an
/// exception report, run 3 (ktest_from=4) passes. `$HANG` replaces the hang.
fn selftest_kernel(hang: &str) -> String {
    format!(
        r#"echo "[    0.000100] pikern: booting"
printf 'KTAP version 1\n1..4\n'
case "$K" in
1)
    printf '    KTAP version 1\n    # Subtest: selftest_fail\n    1..1\n'
    # The kernel prints a failure's reason before its result line.
    printf '    # fails_on_purpose: expected 1, got 2 at tests/kernel/selftest.rs:12\n    not ok 1 fails_on_purpose\n'
    printf 'not ok 1 selftest_fail\n'
    printf '    KTAP version 1\n    # Subtest: selftest_hang\n    1..1\n'
    {hang}
    ;;
3)
    printf '    KTAP version 1\n    # Subtest: selftest_crash\n    1..1\n'
    echo "Unhandled exception: data abort (EC 0x25) at FAR 0xdead0000"
    echo "[    0.300000] pikern: exiting QEMU with status 3"
    exit 3
    ;;
4)
    printf '    KTAP version 1\n    # Subtest: selftest_pass\n    1..1\n    ok 1 passes\nok 4 selftest_pass\n'
    exit 0
    ;;
esac
exit 7"#
    )
}

#[test]
fn harness_that_catches_everything_passes_its_selfcheck() {
    let dir = scratch_dir("selfcheck_ok");
    let qemu = fake_qemu(&dir, "qemu", &selftest_kernel("exec sleep 1000"));
    let output = run_runner(&dir, &qemu, &["selfcheck", "--timeout", "2"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(
        stdout(&output),
        "\
# pikern test-harness self-check on raspi3b
KTAP version 1
1..1
    KTAP version 1
    # Subtest: harness
    1..4
    ok 1 failing_test_is_reported
    ok 2 hang_is_reported_as_timeout
    ok 3 crash_is_reported_as_error
    ok 4 later_suites_still_run
ok 1 harness
# raspi3b harness: pass:4 fail:0 skip:0
"
    );
    assert_eq!(read(dir.join("results")), "passed 4\nfailed 0\nskipped 0\n");
    // The kernel was asked for exactly the four self-test suites, and
    // restarted after the hang and after the crash.
    let suites = "ktest=selftest_fail,selftest_hang,selftest_crash,selftest_pass";
    assert!(read(dir.join("args.1")).contains(&format!("\n{suites} ktest_from=1\n")));
    assert!(read(dir.join("args.3")).contains(&format!("\n{suites} ktest_from=3\n")));
    assert!(read(dir.join("args.4")).contains(&format!("\n{suites} ktest_from=4\n")));
    // The self-test run itself is shown on stderr for the reader.
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("not ok 2 selftest_hang # TIMEOUT"), "{err}");
}

#[test]
fn harness_selfcheck_flag_form_works_too() {
    let dir = scratch_dir("selfcheck_flag");
    let qemu = fake_qemu(&dir, "qemu", &selftest_kernel("exec sleep 1000"));
    let output = run_runner(&dir, &qemu, &["--selfcheck", "--timeout", "2"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
}

#[test]
fn selfcheck_fails_when_the_hang_suite_does_not_hang() {
    let dir = scratch_dir("selfcheck_no_hang");
    // selftest_hang "passes" and the kernel then exits: the hang check
    // must fail, and so must the crash check, as the runner restarts after
    // suite 3 without ever seeing an exception report.
    let qemu = fake_qemu(
        &dir,
        "qemu",
        &selftest_kernel(r#"printf '    ok 1 hangs\nok 2 selftest_hang\n'; exit 1"#),
    );
    let output = run_runner(&dir, &qemu, &["selfcheck", "--timeout", "2"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let out = stdout(&output);
    assert!(out.contains("    ok 1 failing_test_is_reported\n"), "{out}");
    assert!(
        out.contains(
            "    not ok 2 hang_is_reported_as_timeout\n    # hang_is_reported_as_timeout: expected `not ok 2 selftest_hang # TIMEOUT`, got `ok 2 selftest_hang`\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("    not ok 3 crash_is_reported_as_error\n"),
        "{out}"
    );
    assert!(out.contains("    ok 4 later_suites_still_run\n"), "{out}");
    assert!(out.contains("\nnot ok 1 harness\n"), "{out}");
    assert_eq!(read(dir.join("results")), "passed 2\nfailed 2\nskipped 0\n");
}

#[test]
fn selfcheck_rejects_a_suite_list() {
    let dir = scratch_dir("selfcheck_suites");
    let qemu = fake_qemu(&dir, "qemu", "exit 0");
    let output = run_runner(&dir, &qemu, &["selfcheck", "--suites", "all"]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
}
