//! A task's saved CPU context and the switch between two tasks
//! (Linux's `struct cpu_context` and `cpu_switch_to`).

core::arch::global_asm!(include_str!("switch.S"), options(raw));

/// Callee-saved registers of a task that is not running.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuContext {
    /// x19-x28.
    pub x19_28: [u64; 10],
    /// x29, the frame pointer.
    pub fp: u64,
    /// The kernel stack pointer.
    pub sp: u64,
    /// Where the task resumes (x30 of its `cpu_switch_to` call).
    pub pc: u64,
}

extern "C" {
    /// Switches stacks and registers from `prev` to `next`, passing `last`.
    pub fn cpu_switch_to(prev: *mut CpuContext, next: *const CpuContext, last: usize) -> usize;
    fn ret_from_fork();
}

impl CpuContext {
    /// The context of a new task that starts in `ret_from_fork` on the
    /// stack whose top is `stack_top`.
    pub fn new_thread(stack_top: u64) -> Self {
        CpuContext {
            sp: stack_top,
            pc: ret_from_fork as *const () as u64,
            ..CpuContext::default()
        }
    }
}
