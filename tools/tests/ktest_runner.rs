//! `ktest-runner` driven end to end against fake QEMU scripts: a clean pass,
//! a failing test, a hang, crashes and a kernel that never boots.

mod common;

use common::{assert_kunit_clean, fake_qemu, read, run_runner, scratch_dir, stdout};

#[test]
fn passing_run_is_re_emitted_and_counted() {
    let dir = scratch_dir("passing_run");
    let qemu = fake_qemu(
        &dir,
        "qemu",
        r#"echo "[    0.000100] pikern: booting on raspi3b"
cat <<'EOF'
KTAP version 1
1..2
    KTAP version 1
    # Subtest: console
    1..2
    ok 1 prints_a_line
    ok 2 reads_a_line # SKIP no input under QEMU
# console: pass:1 fail:0 skip:1 total:2
ok 1 console
[    0.100000] pikern: between suites
    KTAP version 1
    # Subtest: timer
    1..1
    ok 1 ticks_advance
ok 2 timer
EOF
exit 0"#,
    );
    let output = run_runner(&dir, &qemu, &["--append", "loglevel=7"]);
    assert_kunit_clean(&dir, &output);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(
        stdout(&output),
        "\
# pikern in-kernel tests on raspi3b
KTAP version 1
1..2
    KTAP version 1
    # Subtest: console
    1..2
    ok 1 prints_a_line
    ok 2 reads_a_line # SKIP no input under QEMU
# console: pass:1 fail:0 skip:1 total:2
ok 1 console
    KTAP version 1
    # Subtest: timer
    1..1
    ok 1 ticks_advance
ok 2 timer
# raspi3b: pass:2 fail:0 skip:1
"
    );
    assert_eq!(read(dir.join("results")), "passed 2\nfailed 0\nskipped 1\n");

    // QEMU got the documented command line, and ran once.
    let args = read(dir.join("args.1"));
    let args: Vec<&str> = args.lines().collect();
    assert_eq!(
        args,
        [
            "-M",
            "raspi3b",
            "-kernel",
            "kernel8-test.img",
            "-dtb",
            "rpi3.dtb",
            "-append",
            "ktest=all ktest_from=1 loglevel=7",
            "-display",
            "none",
            "-chardev",
            "stdio,id=con0,mux=on,signal=off",
            "-serial",
            "chardev:con0",
            "-mon",
            "chardev=con0,mode=readline",
            "-monitor",
            "none",
            "-semihosting",
            "-no-reboot"
        ]
    );
    assert!(!dir.join("args.2").exists());

    // The log has the raw console, boot lines included.
    let log = read(dir.join("console.log"));
    assert!(
        log.contains("[    0.000100] pikern: booting on raspi3b\n"),
        "{log}"
    );
    assert!(
        log.contains("[    0.100000] pikern: between suites\n"),
        "{log}"
    );
    assert!(
        log.contains("===== ktest-runner: run 1 on raspi3b"),
        "{log}"
    );
}

#[test]
fn failing_test_fails_the_run_with_its_diagnostic() {
    let dir = scratch_dir("failing_test");
    let qemu = fake_qemu(
        &dir,
        "qemu",
        r#"cat <<'EOF'
KTAP version 1
1..2
    KTAP version 1
    # Subtest: pid
    1..2
    ok 1 first_pid_is_one
    not ok 2 pids_are_reused_last
    # pids_are_reused_last: expected 3, got 2 at tests/kernel/pid.rs:40
not ok 1 pid
    KTAP version 1
    # Subtest: sched
    1..1
    not ok 1 claims_ok_but_failed
ok 2 sched
EOF
exit 1"#,
    );
    let output = run_runner(&dir, &qemu, &[]);
    assert_kunit_clean(&dir, &output);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let out = stdout(&output);
    assert!(
        out.contains(
            "    not ok 2 pids_are_reused_last\n    # pids_are_reused_last: expected 3, got 2 at tests/kernel/pid.rs:40\nnot ok 1 pid\n"
        ),
        "{out}"
    );
    // The kernel's `ok` contradicts the failed nested test: it is corrected.
    assert!(out.contains("\nnot ok 2 sched\n"), "{out}");
    assert!(out.ends_with("# raspi3b: pass:1 fail:2 skip:0\n"), "{out}");
    assert_eq!(read(dir.join("results")), "passed 1\nfailed 2\nskipped 0\n");
}

/// Suite 1 passes, suite 2 prints one result and hangs; a restart at
/// suite 3 prints it.
const HANG_IN_SUITE_2: &str = r#"cat <<'EOF'
KTAP version 1
1..3
EOF
if [ "$K" = 3 ]; then
    cat <<'EOF'
    KTAP version 1
    # Subtest: irq
    1..1
    ok 1 irq_fires
ok 3 irq
EOF
    exit 0
fi
cat <<'EOF'
    KTAP version 1
    # Subtest: mm
    1..1
    ok 1 pages_allocate
ok 1 mm
    KTAP version 1
    # Subtest: sleepy
    1..2
    ok 1 before_the_hang
[    1.000000] pikern: about to hang
EOF
exec sleep 1000"#;

#[test]
fn hang_is_a_timeout_and_later_suites_still_run() {
    let dir = scratch_dir("hang");
    let qemu = fake_qemu(&dir, "qemu", HANG_IN_SUITE_2);
    let started = std::time::Instant::now();
    let output = run_runner(&dir, &qemu, &["--timeout", "2"]);
    assert_kunit_clean(&dir, &output);
    assert!(
        started.elapsed().as_secs() < 30,
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let out = stdout(&output);
    // The hung suite keeps its printed test, explains itself, quotes the
    // console, and is reported TIMEOUT.
    let block_start = out.find("    # Subtest: sleepy\n").expect("sleepy block");
    let block_end = out
        .find("not ok 2 sleepy # TIMEOUT\n")
        .expect("TIMEOUT line");
    let block = &out[block_start..block_end];
    assert!(block.contains("    ok 1 before_the_hang\n"), "{block}");
    assert!(
        block.contains("    # TIMEOUT: suite 2 (sleepy): no progress within 2 s; QEMU killed\n"),
        "{block}"
    );
    assert!(
        block.contains("    # | [    1.000000] pikern: about to hang\n"),
        "{block}"
    );
    assert!(out.contains("\nok 1 mm\n"), "{out}");
    assert!(out.contains("    ok 1 irq_fires\nok 3 irq\n"), "{out}");
    // mm + before_the_hang + irq pass; the timeout is one failure.
    assert!(out.ends_with("# raspi3b: pass:3 fail:1 skip:0\n"), "{out}");
    assert_eq!(read(dir.join("results")), "passed 3\nfailed 1\nskipped 0\n");
    // QEMU was restarted at suite 3, with the same suites.
    assert!(read(dir.join("args.3")).contains("ktest=all ktest_from=3\n"));
    let log = read(dir.join("console.log"));
    assert!(log.contains("deadline of 2 s passed; QEMU killed"), "{log}");
    assert!(
        log.contains("===== ktest-runner: run 2 on raspi3b"),
        "{log}"
    );
}

#[test]
fn crash_is_an_error_and_later_suites_still_run() {
    let dir = scratch_dir("crash");
    let qemu = fake_qemu(
        &dir,
        "qemu",
        r#"echo "KTAP version 1"; echo "1..3"
if [ "$K" = 3 ]; then
    printf '    # Subtest: after\n    1..1\n    ok 1 runs\nok 3 after\n'
    exit 0
fi
printf '    KTAP version 1\n    # Subtest: first\n    1..1\n    ok 1 a\nok 1 first\n'
printf '    KTAP version 1\n    # Subtest: crashy\n    1..2\n    ok 1 survives\n'
echo "Unhandled exception: synchronous data abort at 0x0000dead"
echo "qemu: fatal: pretend" >&2
exit 3"#,
    );
    let output = run_runner(&dir, &qemu, &["--timeout", "5"]);
    assert_kunit_clean(&dir, &output);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let out = stdout(&output);
    assert!(out.contains("    ok 1 survives\n"), "{out}");
    assert!(
        out.contains("    # ERROR: suite 2 (crashy): QEMU exited with exit status: 3 before the suite's result line\n"),
        "{out}"
    );
    assert!(
        out.contains("    # | Unhandled exception: synchronous data abort at 0x0000dead\n"),
        "{out}"
    );
    // QEMU's stderr is merged into the quoted console.
    assert!(
        out.contains("    # | qemu stderr: qemu: fatal: pretend\n"),
        "{out}"
    );
    assert!(out.contains("\nnot ok 2 crashy # ERROR\n"), "{out}");
    assert!(out.contains("\nok 3 after\n"), "{out}");
    assert!(out.ends_with("# raspi3b: pass:3 fail:1 skip:0\n"), "{out}");
    assert_eq!(read(dir.join("results")), "passed 3\nfailed 1\nskipped 0\n");
    let log = read(dir.join("console.log"));
    assert!(log.contains("qemu stderr: qemu: fatal: pretend"), "{log}");
}

#[test]
fn crash_before_the_next_suite_header_names_it_by_number() {
    let dir = scratch_dir("crash_between");
    let qemu = fake_qemu(
        &dir,
        "qemu",
        r#"echo "KTAP version 1"; echo "1..3"
case "$K" in
1) printf '    # Subtest: one\n    1..1\n    ok 1 a\nok 1 one\n'
   echo "Kernel panic - not syncing: between suites"; exit 3 ;;
3) printf '    # Subtest: three\n    1..1\n    ok 1 c\nok 3 three\n'; exit 0 ;;
esac
exit 9"#,
    );
    let output = run_runner(&dir, &qemu, &["--timeout", "5"]);
    assert_kunit_clean(&dir, &output);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let out = stdout(&output);
    // Suite 2 printed nothing, so it is a plain test: a nested block
    // without results would be `0 tests run!` to kunit.py.
    assert!(!out.contains("# Subtest: suite2"), "{out}");
    assert!(
        out.contains("    # | Kernel panic - not syncing: between suites\n"),
        "{out}"
    );
    assert!(out.contains("\nnot ok 2 suite2 # ERROR\n"), "{out}");
    assert!(out.contains("\nok 3 three\n"), "{out}");
    assert!(out.ends_with("# raspi3b: pass:2 fail:1 skip:0\n"), "{out}");
}

#[test]
fn exit_before_all_results_is_an_error_even_with_status_zero() {
    let dir = scratch_dir("early_exit");
    let qemu = fake_qemu(
        &dir,
        "qemu",
        r#"echo "KTAP version 1"; echo "1..2"
[ "$K" = 1 ] && printf '    # Subtest: one\n    1..1\n    ok 1 a\nok 1 one\n'
exit 0"#,
    );
    let output = run_runner(&dir, &qemu, &["--timeout", "5"]);
    assert_kunit_clean(&dir, &output);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let out = stdout(&output);
    assert!(
        out.contains("QEMU exited with exit status: 0 before the suite's result line"),
        "{out}"
    );
    assert!(out.contains("\nnot ok 2 suite2 # ERROR\n"), "{out}");
    // Nothing was left to restart for: one run only.
    assert!(!dir.join("args.2").exists());
}

#[test]
fn a_hung_suite_is_reported_with_the_kernels_sysrq_task_dump() {
    let dir = scratch_dir("sysrq");
    let qemu = fake_qemu(
        &dir,
        "qemu",
        r#"echo "KTAP version 1"
echo "1..1"
echo "    KTAP version 1"
echo "    # Subtest: fork"
echo "    1..1"
head -c 3 > "$DIR/sysrq"
echo "sysrq: Show State"
echo "task:usertests state:S pid: 7"
exec sleep 1000"#,
    );
    let output = run_runner(&dir, &qemu, &["--timeout", "1"]);
    assert_kunit_clean(&dir, &output);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let out = stdout(&output);
    // BREAK through QEMU's multiplexer (Ctrl-A b), then the key.
    assert_eq!(read(dir.join("sysrq")), "\u{1}bt");
    assert!(
        out.contains(
            "    # then, asked for magic SysRq t (show-task-states), the kernel printed 2 line(s):\n\
             \x20   # | sysrq: Show State\n\
             \x20   # | task:usertests state:S pid: 7\n\
             not ok 1 fork # TIMEOUT\n"
        ),
        "{out}"
    );
}

#[test]
fn kernel_that_never_prints_its_plan_is_a_boot_timeout() {
    let dir = scratch_dir("no_plan");
    let qemu = fake_qemu(
        &dir,
        "qemu",
        r#"echo "[    0.000001] pikern: stuck in early boot"
exec sleep 1000"#,
    );
    let output = run_runner(&dir, &qemu, &["--boot-timeout", "1", "--timeout", "30"]);
    assert_kunit_clean(&dir, &output);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let out = stdout(&output);
    assert_eq!(
        out,
        "\
# pikern in-kernel tests on raspi3b
KTAP version 1
1..1
    # TIMEOUT: no KTAP plan within 1 s of starting QEMU; QEMU killed
    # last 1 console line(s):
    # | [    0.000001] pikern: stuck in early boot
    # asked for magic SysRq t (show-task-states), the kernel printed nothing (interrupts off, or stuck before its console works)
not ok 1 boot # TIMEOUT
# raspi3b: pass:0 fail:1 skip:0
"
    );
    assert_eq!(read(dir.join("results")), "passed 0\nfailed 1\nskipped 0\n");
    // No restart after a boot failure.
    assert_eq!(
        std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| e
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("args."))
            .count(),
        1
    );
}

#[test]
fn qemu_exiting_before_the_plan_is_a_boot_error() {
    let dir = scratch_dir("boot_error");
    let qemu = fake_qemu(
        &dir,
        "qemu",
        "echo 'qemu: could not load kernel' >&2; exit 1",
    );
    let output = run_runner(&dir, &qemu, &[]);
    assert_kunit_clean(&dir, &output);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let out = stdout(&output);
    assert!(
        out.contains(
            "    # ERROR: QEMU exited with exit status: 1 before printing the KTAP plan\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("    # | qemu stderr: qemu: could not load kernel\n"),
        "{out}"
    );
    assert!(out.contains("\nnot ok 1 boot # ERROR\n"), "{out}");
}

#[test]
fn missing_qemu_is_a_boot_error() {
    let dir = scratch_dir("no_qemu");
    let output = run_runner(&dir, &dir.join("no-such-qemu"), &[]);
    assert_kunit_clean(&dir, &output);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let out = stdout(&output);
    assert!(out.contains("could not start"), "{out}");
    assert!(out.contains("\nnot ok 1 boot # ERROR\n"), "{out}");
    assert_eq!(read(dir.join("results")), "passed 0\nfailed 1\nskipped 0\n");
}

#[test]
fn kernel_that_does_not_exit_after_the_last_suite_is_killed() {
    let dir = scratch_dir("no_exit");
    let qemu = fake_qemu(
        &dir,
        "qemu",
        r#"printf 'KTAP version 1\n1..1\n    # Subtest: only\n    1..1\n    ok 1 a\nok 1 only\n'
exec sleep 1000"#,
    );
    let started = std::time::Instant::now();
    let output = run_runner(&dir, &qemu, &["--timeout", "1"]);
    assert_kunit_clean(&dir, &output);
    assert!(
        started.elapsed().as_secs() < 20,
        "took {:?}",
        started.elapsed()
    );
    // All results are in and passed: the run passes, with a note.
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let out = stdout(&output);
    assert!(
        out.contains("# QEMU did not exit within 1 s after the last suite; killed\n"),
        "{out}"
    );
    assert!(out.ends_with("# raspi3b: pass:1 fail:0 skip:0\n"), "{out}");
}

#[test]
fn selected_suites_are_passed_to_the_kernel() {
    let dir = scratch_dir("suites");
    let qemu = fake_qemu(
        &dir,
        "qemu",
        r#"printf 'KTAP version 1\n1..1\n    # Subtest: timer\n    1..1\n    ok 1 a\nok 1 timer\n'"#,
    );
    let output = run_runner(&dir, &qemu, &["--suites", "timer,console"]);
    assert_kunit_clean(&dir, &output);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(read(dir.join("args.1")).contains("\nktest=timer,console ktest_from=1\n"));
}

#[test]
fn bad_arguments_exit_with_usage() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ktest-runner"))
        .args(["--board", "rpi5", "--kernel", "k", "--dtb", "d"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("unknown board `rpi5`"), "{err}");
    assert!(err.contains("usage: ktest-runner"), "{err}");
}

#[test]
fn kernel_ignoring_ktest_from_still_terminates_with_every_suite_reported() {
    let dir = scratch_dir("ignores_from");
    // Always starts at suite 1 and always crashes in suite 2.
    let qemu = fake_qemu(
        &dir,
        "qemu",
        r#"printf 'KTAP version 1\n1..3\n    # Subtest: one\n    1..1\n    ok 1 a\nok 1 one\n    # Subtest: two\n'
exit 3"#,
    );
    let output = run_runner(&dir, &qemu, &["--timeout", "5"]);
    assert_kunit_clean(&dir, &output);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let out = stdout(&output);
    assert!(out.contains("\nok 1 one\n"), "{out}");
    assert!(out.contains("\nnot ok 2 two # ERROR\n"), "{out}");
    // Suite 3 never ran; it is not mislabelled with suite 2's name.
    assert!(out.contains("\nnot ok 3 suite3 # ERROR\n"), "{out}");
    assert!(
        out.contains("# run 2 was asked for ktest_from=3 but its first result is suite 1\n"),
        "{out}"
    );
    assert!(out.ends_with("# raspi3b: pass:1 fail:2 skip:0\n"), "{out}");
}

/// The recorded console of real `ktest-runner` runs on raspi3b (QEMU
/// 9, `--timeout 5`), replayed: the runner must turn each into one
/// document that kunit.py reads without an error, with the counts the
/// recorded run reported. The raw logs themselves are what kunit.py
/// rejects once a restart appended a second KTAP document.
fn replay(name: &str, log: &str) -> (String, String) {
    let dir = scratch_dir(name);
    let log = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ktap")
        .join(log);
    let qemu = common::replay_qemu(&dir, &log);
    let output = run_runner(&dir, &qemu, &["--timeout", "2"]);
    let doc = assert_kunit_clean(&dir, &output);
    let raw = pikern_tools::kunit_check::check(&read(&log));
    // Only a normal run's raw log reads cleanly.
    if name != "replay_normal" {
        assert!(
            raw.errors
                .iter()
                .any(|e| e.contains("Expected test number 1 but found")),
            "the recorded log should trip kunit.py: {:?}",
            raw.errors
        );
    }
    (doc, read(dir.join("results")))
}

#[test]
fn recorded_normal_run_is_one_clean_document() {
    let (doc, results) = replay("replay_normal", "normal-rpi3-console.log");
    assert_eq!(results, "passed 8\nfailed 0\nskipped 0\n");
    assert!(doc.contains("\nok 3 selftest_pass\n"), "{doc}");
    let raw = pikern_tools::kunit_check::check(&read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/ktap/normal-rpi3-console.log"),
    ));
    assert_eq!(raw.errors, Vec::<String>::new());
}

#[test]
fn recorded_hang_and_restart_merge_into_one_document() {
    let (doc, results) = replay("replay_hang", "hang-rpi3-console.log");
    assert_eq!(results, "passed 5\nfailed 1\nskipped 0\n");
    // Suite 1 from the first run, 3 from the restart, 2 the runner's.
    assert!(doc.contains("    ok 4 full_input_buffer_drops_instead_of_overwriting\n# console: pass:4 fail:0 skip:0 total:4\nok 1 console\n"), "{doc}");
    assert!(
        doc.contains("\nnot ok 2 selftest_hang # TIMEOUT\n"),
        "{doc}"
    );
    assert!(
        doc.contains(
            "    ok 1 passes\n# selftest_pass: pass:1 fail:0 skip:0 total:1\nok 3 selftest_pass\n"
        ),
        "{doc}"
    );
    assert_eq!(doc.matches("KTAP version 1\n1..").count(), 1, "{doc}");
}

#[test]
fn recorded_crash_and_restart_merge_into_one_document() {
    let (doc, results) = replay("replay_crash", "crash-rpi3-console.log");
    assert_eq!(results, "passed 5\nfailed 1\nskipped 0\n");
    assert!(doc.contains("\nnot ok 2 selftest_crash # ERROR\n"), "{doc}");
    assert!(doc.contains("\nok 3 selftest_pass\n"), "{doc}");
}

#[test]
fn recorded_hang_crash_and_two_restarts_merge_into_one_document() {
    let (doc, results) = replay("replay_restarts", "restarts-rpi3-console.log");
    assert_eq!(results, "passed 1\nfailed 3\nskipped 0\n");
    for line in [
        "\nnot ok 1 selftest_fail\n",
        "\nnot ok 2 selftest_hang # TIMEOUT\n",
        "\nnot ok 3 selftest_crash # ERROR\n",
        "\nok 4 selftest_pass\n",
    ] {
        assert!(doc.contains(line), "{line:?} in\n{doc}");
    }
}

/// A suite that hangs after some of its tests: the block keeps them, its
/// plan counts what is there, and the runner's TIMEOUT is a nested
/// failure, so kunit.py counts it as the runner does.
#[test]
fn partial_block_of_a_hung_suite_gets_the_timeout_as_its_last_test() {
    let dir = scratch_dir("hang_partial");
    let qemu = fake_qemu(&dir, "qemu", HANG_IN_SUITE_2);
    let output = run_runner(&dir, &qemu, &["--timeout", "2"]);
    let doc = assert_kunit_clean(&dir, &output);
    let start = doc.find("    # Subtest: sleepy\n").expect("sleepy block");
    let block = &doc[start..doc.find("not ok 2 sleepy # TIMEOUT\n").unwrap()];
    assert!(
        block.starts_with("    # Subtest: sleepy\n    1..2\n    ok 1 before_the_hang\n"),
        "{block}"
    );
    assert!(
        block.ends_with("    not ok 2 timeout # TIMEOUT\n"),
        "{block}"
    );
    assert!(
        block.contains("the kernel announced 1..2 and printed 1 result(s)"),
        "{block}"
    );
}
