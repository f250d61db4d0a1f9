//! The pure half of `execve`: ELF parsing, `#!` lines and the initial
//! user stack.

pub mod elf;
pub mod script;
pub mod user_stack;
