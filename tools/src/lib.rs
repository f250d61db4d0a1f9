//! Shared code of pikern's host tools (`mkdtb`, `mkcpio`, `ktest-runner`,
//! `test-summary`, `pikern-trace`, `chainboot`).
//!
//! The binaries in `src/bin/` only parse their arguments and print; the logic
//! lives here so it can be unit-tested: KTAP parsing and re-emission
//! (`ktap`), the rules `kunit.py parse` holds its documents to
//! (`kunit_check`), driving QEMU with deadlines (`runner`), the harness self-check
//! (`selfcheck`), the serial kernel sender (`chainboot`), the closing summary of `make test` (`summary`), the DTB
//! (`dtb`), the initramfs archive (`initramfs`), and the ftrace tools
//! (`trace`), the benchmark report of `make bench` (`bench`), and where
//! each vCPU of a hung kernel is, from QEMU's monitor (`qemu_monitor`).

pub mod bench;
pub mod board;
pub mod chainboot;
pub mod cli;
pub mod counts;
pub mod dtb;
pub mod initramfs;
pub mod ktap;
pub mod kunit_check;
pub mod qemu_monitor;
pub mod runner;
pub mod selfcheck;
pub mod summary;
pub mod trace;
