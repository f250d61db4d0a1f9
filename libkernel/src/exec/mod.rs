//! The pure half of `execve`: ELF parsing and the initial user stack.

pub mod elf;
pub mod user_stack;
