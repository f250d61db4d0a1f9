// pikern entry: the first instructions of kernel8.img.
//
// The firmware (or QEMU) enters core 0 at 0x80000 with x0 = DTB address, at
// EL3, EL2 or EL1. Cores 1-3 wait in the firmware's spin table until the
// kernel writes secondary_entry into their slot. Both paths drop to EL1,
// take a boot stack and call into Rust; nothing here touches memory through
// the MMU, which Rust turns on before the cores share any lock.

.equ BOOT_STACK_SIZE, 0x10000

// Drops from EL3 or EL2 to EL1h with all exceptions masked. Clobbers x9, x10.
.macro to_el1
    mrs     x9, CurrentEL
    lsr     x9, x9, #2
    cmp     x9, #3
    b.ne    1f
    // EL3: next level is AArch64 non-secure EL2 (NS, RES1 4:5, SMD, HCE, RW).
    mov     x10, #0x5b1
    msr     scr_el3, x10
    mov     x10, #0x3c9             // EL2h, DAIF masked
    msr     spsr_el3, x10
    adr     x10, 1f
    msr     elr_el3, x10
    eret
1:
    mrs     x9, CurrentEL
    lsr     x9, x9, #2
    cmp     x9, #2
    b.ne    2f
    mov     x10, #(1 << 31)         // HCR_EL2.RW: EL1 is AArch64, nothing trapped
    msr     hcr_el2, x10
    mov     x10, #3                 // EL1 may use the physical counter and timer
    msr     cnthctl_el2, x10
    msr     cntvoff_el2, xzr
    mov     x10, #0x33ff            // CPTR_EL2: no FP/SIMD traps
    msr     cptr_el2, x10
    msr     hstr_el2, xzr
    mrs     x10, midr_el1           // EL1 reads the real MIDR/MPIDR
    msr     vpidr_el2, x10
    mrs     x10, mpidr_el1
    msr     vmpidr_el2, x10
    ldr     x10, =0x30d00800        // SCTLR_EL1 RES1 bits, MMU and caches off
    msr     sctlr_el1, x10
    mov     x10, #0x3c5             // EL1h, DAIF masked
    msr     spsr_el2, x10
    adr     x10, 2f
    msr     elr_el2, x10
    eret
2:
    mov     x10, #(3 << 20)         // CPACR_EL1.FPEN: user space may use FP/SIMD
    msr     cpacr_el1, x10
    isb
.endm

.section .text.boot, "ax"
.global _start
_start:
    mrs     x1, mpidr_el1
    and     x1, x1, #0xff
    cbnz    x1, park                // only core 0 comes this way
    mov     x19, x0                 // keep the DTB pointer
    to_el1

    adrp    x1, __bss_start
    add     x1, x1, :lo12:__bss_start
    adrp    x2, __bss_end
    add     x2, x2, :lo12:__bss_end
3:  cmp     x1, x2
    b.hs    4f
    stp     xzr, xzr, [x1], #16
    b       3b
4:
    adrp    x1, __boot_stacks_start
    add     x1, x1, :lo12:__boot_stacks_start
    add     x1, x1, #BOOT_STACK_SIZE
    mov     sp, x1
    mov     x29, xzr                // end of the frame-pointer chain
    mov     x30, xzr
    mov     x0, x19
    bl      kernel_main
park:
    wfe
    b       park

// Cores 1-3 start here once kernel_main has written this address into the
// spin table and executed SEV.
.global secondary_entry
secondary_entry:
    mrs     x20, mpidr_el1
    and     x20, x20, #3
    to_el1
    adrp    x1, __boot_stacks_start
    add     x1, x1, :lo12:__boot_stacks_start
    add     x2, x20, #1
    mov     x3, #BOOT_STACK_SIZE
    madd    x1, x2, x3, x1
    mov     sp, x1
    mov     x29, xzr
    mov     x30, xzr
    mov     x0, x20
    bl      secondary_main
    b       park
