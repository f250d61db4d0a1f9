// The chainloader's first instructions. Entered like a kernel: core 0 at
// 0x80000, x0 = DTB address, MMU off, EL2 (EL3 or EL1 also work). Other
// cores stay in the firmware's spin table; one arriving here just waits.
//
// Turns the instruction cache on (allowed with the MMU off, and it makes
// the byte loop fast on a board), copies the image from where it was
// loaded to where it is linked (32 MiB), clears .bss, sets a stack and
// calls chainloader_main(dtb) at its link address.

.section .text.boot
.global _start
_start:
    mrs     x1, mpidr_el1
    and     x1, x1, #0xff
    cbz     x1, 1f
0:  wfe
    b       0b
1:  mov     x19, x0
    ic      iallu
    dsb     sy
    isb
    mrs     x1, CurrentEL
    lsr     x1, x1, #2
    cmp     x1, #3
    b.eq    3f
    cmp     x1, #2
    b.eq    2f
    mrs     x2, sctlr_el1
    orr     x2, x2, #(1 << 12)
    msr     sctlr_el1, x2
    b       4f
2:  mrs     x2, sctlr_el2
    orr     x2, x2, #(1 << 12)
    msr     sctlr_el2, x2
    b       4f
3:  mrs     x2, sctlr_el3
    orr     x2, x2, #(1 << 12)
    msr     sctlr_el3, x2
4:  isb
    // Copy [load address, +size) to the link address, 8 bytes at a time.
    adr     x1, _start
    ldr     x2, =__link_start
    ldr     x3, =__image_end
    sub     x3, x3, x2
5:  ldr     x4, [x1], #8
    str     x4, [x2], #8
    subs    x3, x3, #8
    b.gt    5b
    ldr     x1, =__bss_start
    ldr     x2, =__bss_end
6:  cmp     x1, x2
    b.hs    7f
    str     xzr, [x1], #8
    b       6b
7:  ldr     x1, =__stack_top
    mov     sp, x1
    dsb     sy
    ic      iallu
    dsb     sy
    isb
    mov     x0, x19
    ldr     x1, =chainloader_main
    br      x1
.ltorg

// jump_to_kernel(entry, dtb): discards the instruction cache (the kernel's
// bytes were just written through a data path that bypasses it) and enters
// the kernel as the firmware would: x0 = DTB, x1-x3 = 0.
.section .text
.global jump_to_kernel
jump_to_kernel:
    mov     x4, x0
    mov     x0, x1
    mov     x1, xzr
    mov     x2, xzr
    mov     x3, xzr
    dsb     sy
    ic      iallu
    dsb     sy
    isb
    br      x4
