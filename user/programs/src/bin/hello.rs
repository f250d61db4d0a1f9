//! `hello`: the smallest pikern user program. Prints its pid, its parent's
//! pid and its arguments, then exits 0; it needs only `write`, `getpid`,
//! `getppid` and `exit_group`, so it is the first program to try when
//! bringing up user space.
//!
//! Output:
//! ```text
//! Hello from user space! pid=5 ppid=1
//! argv[0]=/bin/hello
//! argv[1]=...
//! ```

#![no_std]
#![no_main]

use pikern_rt::println;
use pikern_rt::sys;

pikern_rt::entry!(main);

fn main(args: &[&str]) -> i32 {
    println!(
        "Hello from user space! pid={} ppid={}",
        sys::getpid(),
        sys::getppid()
    );
    for (i, arg) in args.iter().enumerate() {
        println!("argv[{i}]={arg}");
    }
    0
}
