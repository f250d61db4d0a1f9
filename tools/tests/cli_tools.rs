//! `mkdtb` and `test-summary` run as `make` runs them.

mod common;

use std::process::Command;

use common::{read, scratch_dir};

#[test]
fn mkdtb_writes_a_parseable_blob_for_each_board() {
    let dir = scratch_dir("mkdtb");
    for (board, compatible) in [("rpi3", "brcm,bcm2837"), ("rpi4", "brcm,bcm2711")] {
        let out = dir.join("build").join(format!("{board}.dtb"));
        let status = Command::new(env!("CARGO_BIN_EXE_mkdtb"))
            .args(["--board", board, "-o"])
            .arg(&out)
            .status()
            .unwrap();
        assert!(status.success(), "{board}");
        let blob = std::fs::read(&out).unwrap();
        assert_eq!(&blob[..4], &[0xd0, 0x0d, 0xfe, 0xed]);
        let tree = fdt::Fdt::new(&blob).unwrap();
        assert!(
            tree.root().compatible().all().any(|c| c == compatible),
            "{board}"
        );
    }
}

#[test]
fn mkdtb_without_output_is_a_usage_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_mkdtb"))
        .args(["--board", "rpi3"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("-o FILE is required"));
}

#[test]
fn test_summary_sums_logs_and_results_and_ends_with_the_total() {
    let dir = scratch_dir("summary_ok");
    std::fs::write(
        dir.join("host.log"),
        "test result: ok. 10 passed; 0 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.01s\n",
    )
    .unwrap();
    std::fs::write(dir.join("rpi3.results"), "passed 5\nfailed 0\nskipped 1\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_test-summary"))
        .arg("--cargo-log")
        .arg(dir.join("host.log"))
        .arg("--results")
        .arg(dir.join("rpi3.results"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let out = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[0].ends_with("host.log: 10 passed, 0 failed, 2 skipped"),
        "{out}"
    );
    assert!(
        lines[1].ends_with("rpi3.results: 5 passed, 0 failed, 1 skipped"),
        "{out}"
    );
    assert_eq!(lines[2], "15 passed, 0 failed, 3 skipped");
}

#[test]
fn test_summary_counts_a_missing_results_file_as_a_failure() {
    let dir = scratch_dir("summary_missing");
    std::fs::write(dir.join("ok.results"), "passed 1\nfailed 0\nskipped 0\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_test-summary"))
        .arg("--results")
        .arg(dir.join("ok.results"))
        .arg("--results")
        .arg(dir.join("rpi4.results"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(out.contains("rpi4.results is missing"), "{out}");
    assert_eq!(out.lines().last(), Some("1 passed, 1 failed, 0 skipped"));
    assert!(read(dir.join("ok.results")).starts_with("passed 1"));
}
