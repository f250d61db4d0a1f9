// cpu_switch_to(prev_ctx, next_ctx, last) -> last
//
// Saves the callee-saved registers, the frame pointer, the stack pointer
// and the return address of the running task into prev_ctx, loads next's,
// and returns on next's stack. x2 rides through in x0: the task that ran
// before, handed to the code that resumes (finish_task_switch, or
// schedule_tail in a new task).

.section .text, "ax"
.global cpu_switch_to
cpu_switch_to:
    mov     x10, sp
    stp     x19, x20, [x0, #16 * 0]
    stp     x21, x22, [x0, #16 * 1]
    stp     x23, x24, [x0, #16 * 2]
    stp     x25, x26, [x0, #16 * 3]
    stp     x27, x28, [x0, #16 * 4]
    stp     x29, x10, [x0, #16 * 5]
    str     x30, [x0, #16 * 6]
    ldp     x19, x20, [x1, #16 * 0]
    ldp     x21, x22, [x1, #16 * 1]
    ldp     x23, x24, [x1, #16 * 2]
    ldp     x25, x26, [x1, #16 * 3]
    ldp     x27, x28, [x1, #16 * 4]
    ldp     x29, x10, [x1, #16 * 5]
    ldr     x30, [x1, #16 * 6]
    mov     sp, x10
    mov     x0, x2
    ret

// A forked user task's first instructions: sp points at its saved user
// registers (a copy of the parent's, x0 = 0), which ret_to_user restores.
.global ret_from_fork_user
ret_from_fork_user:
    bl      schedule_tail
    mov     x0, sp
    bl      ret_to_user_work
    b       ret_from_exception

// The same for a child auto-attached by a tracer with PTRACE_SEIZE: it
// stops (PTRACE_EVENT_STOP) before its first instruction in user space.
.global ret_from_fork_user_trap
ret_from_fork_user_trap:
    bl      schedule_tail_user
    mov     x0, sp
    bl      ret_to_user_work
    b       ret_from_exception

// Enters user space for the first time from a kernel thread (exec in
// init): x0 = the user registers at the top of this task's kernel stack.
.global enter_user
enter_user:
    mov     sp, x0
    mov     x29, xzr
    b       ret_from_exception

// A new task's first instructions: its context was set up by copy_thread
// with pc = ret_from_fork. x0 is the previous task (from cpu_switch_to).
.global ret_from_fork
ret_from_fork:
    bl      schedule_tail
    mov     x29, xzr                // the new task's frame chain ends here
    bl      kthread_entry           // runs the thread's function, then do_exit
1:  b       1b
