// pikern entry: the first instructions of kernel8.img.
//
// The firmware (or QEMU) enters core 0 at physical 0x80000 with x0 = DTB
// address, at EL3, EL2 or EL1, MMU off. The kernel is linked in the upper
// half (PAGE_OFFSET + physical address), so until the MMU is on only
// PC-relative code may run here. Core 0 drops to EL1, clears BSS, builds
// the early page tables (2 MiB blocks mapping the low 4 GiB both at their
// physical address, so this code keeps running, and at PAGE_OFFSET),
// turns the MMU on and jumps to the upper half. Cores 1-3 wait in the
// firmware's spin table until kernel_main writes secondary_entry there;
// they reuse core 0's early tables. Rust then builds the final tables.

.equ BOOT_STACK_SLOT, 0x8000            // 32 KiB per core, 32 KiB aligned
.equ BOOT_STACK_SIZE, 0x4000            // the lower 16 KiB is the stack
.equ MAIR_VALUE, 0x44ff04               // 0: device nGnRE, 1: normal WB, 2: normal NC
.equ TCR_VALUE, 0x11b5193519            // 39-bit VA both halves, 4 KiB, WB, 16-bit ASID
.equ SCTLR_MMU_ON, 0x30d01805           // RES1 + M + C + SA + I

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

// Turns the MMU on with the early tables in both TTBRs. Clobbers x9, x10.
.macro enable_mmu
    ldr     x9, =MAIR_VALUE
    msr     mair_el1, x9
    ldr     x9, =TCR_VALUE
    msr     tcr_el1, x9
    adrp    x9, __early_l1
    msr     ttbr0_el1, x9
    msr     ttbr1_el1, x9
    isb
    tlbi    vmalle1
    dsb     nsh
    isb
    ldr     x9, =SCTLR_MMU_ON
    msr     sctlr_el1, x9
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
    // Early tables: L1[i] -> L2 table i (i < 4); each L2 entry a 2 MiB
    // block, normal memory except the two peripheral windows (Pi 3:
    // 0x3F000000-0x40200000, Pi 4: 0xFC000000-4 GiB), device there.
    adrp    x1, __early_l1
    adrp    x2, __early_l2
    mov     x3, #0
5:  add     x4, x2, x3, lsl #12
    orr     x4, x4, #3              // table descriptor
    str     x4, [x1, x3, lsl #3]
    add     x3, x3, #1
    cmp     x3, #4
    b.lo    5b
    mov     x3, #0                  // block index (2 MiB units), 0..2047
6:  lsl     x4, x3, #21             // physical address
    ldr     x5, =0x705              // AF | SH inner | AttrIndx 1 (normal) | block
    cmp     x3, #504
    b.lo    7f
    cmp     x3, #513
    b.lo    8f
    cmp     x3, #2016
    b.lo    7f
8:  ldr     x5, =0x60000000000401   // UXN | PXN | AF | AttrIndx 0 (device) | block
7:  orr     x4, x4, x5
    str     x4, [x2, x3, lsl #3]
    add     x3, x3, #1
    cmp     x3, #2048
    b.lo    6b
    dsb     sy
    enable_mmu
    ldr     x1, =9f                 // continue at the upper-half address
    br      x1
9:
    ldr     x1, =__boot_stacks_start
    add     x1, x1, #BOOT_STACK_SIZE
    mov     sp, x1
    mov     x29, xzr                // end of the frame-pointer chain
    mov     x30, xzr
    mov     x0, x19
    bl      kernel_main
park:
    wfe
    b       park

// Cores 1-3 start here (physical address) once kernel_main has written
// this address into the spin table and executed SEV.
.global secondary_entry
secondary_entry:
    mrs     x20, mpidr_el1
    and     x20, x20, #3
    to_el1
    enable_mmu
    ldr     x1, =10f
    br      x1
10:
    ldr     x1, =__boot_stacks_start
    mov     x2, #BOOT_STACK_SLOT
    madd    x1, x20, x2, x1
    add     x1, x1, #BOOT_STACK_SIZE
    mov     sp, x1
    mov     x29, xzr
    mov     x30, xzr
    mov     x0, x20
    bl      secondary_main
    b       park
.ltorg
