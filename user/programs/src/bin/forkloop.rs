//! `forkloop [N]`: N times fork a child that exits at once, and reap it
//! (default 1000). The kernel's leak test runs it and compares its memory
//! and task accounting before and after; the benchmark times it.
//! Exits 0 if every fork and wait succeeded, 1 otherwise.

#![no_std]
#![no_main]

use pikern_rt::process::{fork, waitpid};
use pikern_rt::{eprintln, sys};

pikern_rt::entry!(main);

fn main(args: &[&str]) -> i32 {
    let n: u32 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    for i in 0..n {
        match fork() {
            Ok(0) => sys::exit_group(0),
            Ok(pid) => match waitpid(pid, 0) {
                Ok((p, st)) if p == pid && st.exit_code() == Some(0) => {}
                other => {
                    eprintln!("forkloop: round {i}: wait for {pid} gave {other:?}");
                    return 1;
                }
            },
            Err(e) => {
                eprintln!("forkloop: round {i}: fork failed: {e:?}");
                return 1;
            }
        }
    }
    0
}
