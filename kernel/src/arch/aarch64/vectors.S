// The EL1 exception vector table and the register save/restore around it.
//
// Every entry saves the interrupted context as a `PtRegs` frame on the EL1
// stack (x0-x30, sp_el0, elr, spsr, plus a frame record so backtraces walk
// through the exception into the interrupted code), calls
// `exception_dispatch(frame, kind)` in Rust, then restores the frame (which
// Rust may have changed, e.g. to skip a faulting instruction) and erets.

.equ PT_REGS_SIZE, 288          // 31 regs + sp + pc + pstate + frame record
.equ S_SP, 16 * 15 + 8          // PtRegs::sp

.macro VENTRY kind
    .balign 0x80
    sub     sp, sp, #PT_REGS_SIZE
    // Kernel stacks are 16 KiB at the bottom of a 32 KiB-aligned slot, so
    // a valid stack address has bit 14 clear; set means the stack
    // overflowed into the guard below it. Test it without a free register
    // (Linux's trick): sp += x0; x0 = sp - x0 (= old sp); ...
    add     sp, sp, x0
    sub     x0, sp, x0
    tbnz    x0, #14, __stack_overflow
    sub     x0, sp, x0
    sub     sp, sp, x0
    stp     x0, x1, [sp, #16 * 0]
.if \kind >= 8
    // From user space: SP_EL0 holds the user stack pointer. Save it, then
    // point SP_EL0 at the running task, where the kernel keeps `current`
    // (Linux arm64 does the same; the per-CPU data's first word is it).
    mrs     x0, sp_el0
    str     x0, [sp, #S_SP]
    mrs     x0, tpidr_el1
    ldr     x0, [x0]
    msr     sp_el0, x0
    mov     x1, #\kind
    b       __exception_common_el0
.else
    mov     x1, #\kind
    b       __exception_common
.endif
.endm

.section .text.vectors, "ax"
.balign 0x800
.global exception_vectors
exception_vectors:
    VENTRY 0    // EL1t sync
    VENTRY 1    // EL1t IRQ
    VENTRY 2    // EL1t FIQ
    VENTRY 3    // EL1t SError
    VENTRY 4    // EL1h sync
    VENTRY 5    // EL1h IRQ
    VENTRY 6    // EL1h FIQ
    VENTRY 7    // EL1h SError
    VENTRY 8    // EL0 AArch64 sync
    VENTRY 9    // EL0 AArch64 IRQ
    VENTRY 10   // EL0 AArch64 FIQ
    VENTRY 11   // EL0 AArch64 SError
    VENTRY 12   // EL0 AArch32 sync
    VENTRY 13   // EL0 AArch32 IRQ
    VENTRY 14   // EL0 AArch32 FIQ
    VENTRY 15   // EL0 AArch32 SError

.type __exception_common, %function
__exception_common:
    // From the kernel: SP_EL0 is `current`; saved so the frame is complete
    // (and restored unchanged: a task returns on its own stack).
    mrs     x0, sp_el0
    str     x0, [sp, #S_SP]
__exception_common_el0:
    stp     x2, x3, [sp, #16 * 1]
    stp     x4, x5, [sp, #16 * 2]
    stp     x6, x7, [sp, #16 * 3]
    stp     x8, x9, [sp, #16 * 4]
    stp     x10, x11, [sp, #16 * 5]
    stp     x12, x13, [sp, #16 * 6]
    stp     x14, x15, [sp, #16 * 7]
    stp     x16, x17, [sp, #16 * 8]
    stp     x18, x19, [sp, #16 * 9]
    stp     x20, x21, [sp, #16 * 10]
    stp     x22, x23, [sp, #16 * 11]
    stp     x24, x25, [sp, #16 * 12]
    stp     x26, x27, [sp, #16 * 13]
    stp     x28, x29, [sp, #16 * 14]
    str     x30, [sp, #16 * 15]         // regs[30]; sp is stored above
    mrs     x3, elr_el1
    mrs     x4, spsr_el1
    stp     x3, x4, [sp, #16 * 16]      // pc, pstate
    stp     x29, x3, [sp, #16 * 17]     // frame record: {fp, pc}
    add     x29, sp, #16 * 17
    mov     x0, sp
    bl      exception_dispatch

.global ret_from_exception
ret_from_exception:
    ldp     x3, x4, [sp, #16 * 16]
    msr     elr_el1, x3
    msr     spsr_el1, x4
    ldp     x30, x2, [sp, #16 * 15]
    msr     sp_el0, x2
    ldp     x0, x1, [sp, #16 * 0]
    ldp     x2, x3, [sp, #16 * 1]
    ldp     x4, x5, [sp, #16 * 2]
    ldp     x6, x7, [sp, #16 * 3]
    ldp     x8, x9, [sp, #16 * 4]
    ldp     x10, x11, [sp, #16 * 5]
    ldp     x12, x13, [sp, #16 * 6]
    ldp     x14, x15, [sp, #16 * 7]
    ldp     x16, x17, [sp, #16 * 8]
    ldp     x18, x19, [sp, #16 * 9]
    ldp     x20, x21, [sp, #16 * 10]
    ldp     x22, x23, [sp, #16 * 11]
    ldp     x24, x25, [sp, #16 * 12]
    ldp     x26, x27, [sp, #16 * 13]
    ldp     x28, x29, [sp, #16 * 14]
    add     sp, sp, #PT_REGS_SIZE
    eret
.size __exception_common, . - __exception_common

// The stack overflowed: x0 holds the overflowed stack pointer. Nothing can
// be saved on that stack; switch to this CPU's emergency stack and report.
__stack_overflow:
    mrs     x1, mpidr_el1
    and     x1, x1, #3
    ldr     x2, =__overflow_stacks
    add     x1, x2, x1, lsl #12
    add     sp, x1, #4096
    mov     x29, xzr
    bl      handle_stack_overflow
1:  b       1b
.ltorg

.section .bss
.balign 16
__overflow_stacks:
    .skip   4 * 4096

// probe_read_u64(addr, out) -> 0 or -EFAULT. A load that may fault: its
// address is in __ex_table, so a fault resumes at the fixup instead of
// becoming an oops. User-copy routines will use the same mechanism.
.section .text, "ax"
.global __probe_read_u64
__probe_read_u64:
1:  ldr     x2, [x0]
    str     x2, [x1]
    mov     x0, #0
    ret
2:  mov     x0, #-14
    ret
.pushsection __ex_table, "a"
    .quad   1b, 2b
.popsection
