//! The pure half of `execve`: ELF parsing, `#!` lines, the randomised
//! layout and the initial user stack.

pub mod elf;
pub mod layout;
pub mod script;
pub mod user_stack;
