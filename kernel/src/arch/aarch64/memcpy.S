// memcpy and memset for the kernel (Linux's arch/arm64/lib/memcpy.S and
// memset.S, much simplified).
//
// The generic one from compiler_builtins moves 8 bytes per loop of five
// instructions; this one moves 64 bytes per 13 (a copy-on-write page:
// about 850 instructions instead of 2,300; a task descriptor's signal
// table at fork: a quarter of the work). Unaligned accesses are allowed:
// SCTLR_EL1.A is clear and all kernel memory is normal memory. Integer
// registers only: the kernel does not use FP/SIMD (user state lives there).
// Defining `memcpy` here overrides compiler_builtins' weak symbol.
//
// x0 = dst, x1 = src, x2 = n; returns dst. The areas do not overlap
// (memmove below handles overlap).

.section .text.memcpy, "ax"
.global memcpy
.type memcpy, %function
.balign 16
memcpy:
    mov     x6, x0
    cmp     x2, #64
    b.lo    2f
1:  ldp     x7, x8, [x1]
    ldp     x9, x10, [x1, #16]
    ldp     x11, x12, [x1, #32]
    ldp     x13, x14, [x1, #48]
    add     x1, x1, #64
    sub     x2, x2, #64
    stp     x7, x8, [x6]
    stp     x9, x10, [x6, #16]
    stp     x11, x12, [x6, #32]
    stp     x13, x14, [x6, #48]
    add     x6, x6, #64
    cmp     x2, #64
    b.hs    1b
2:  cmp     x2, #16
    b.lo    3f
    ldp     x7, x8, [x1], #16
    stp     x7, x8, [x6], #16
    sub     x2, x2, #16
    b       2b
3:  cmp     x2, #8
    b.lo    4f
    ldr     x7, [x1], #8
    str     x7, [x6], #8
    sub     x2, x2, #8
4:  cbz     x2, 6f
5:  ldrb    w7, [x1], #1
    strb    w7, [x6], #1
    subs    x2, x2, #1
    b.ne    5b
6:  ret
.size memcpy, . - memcpy

// memset: 64 bytes per 6 instructions (the generic one stores 8 bytes per
// loop of four). x0 = dst, w1 = byte, x2 = n; returns dst.
.section .text.memset, "ax"
.global memset
.type memset, %function
.balign 16
memset:
    mov     x6, x0
    and     x1, x1, #0xff
    orr     x1, x1, x1, lsl #8
    orr     x1, x1, x1, lsl #16
    orr     x1, x1, x1, lsl #32
    cmp     x2, #64
    b.lo    2f
1:  stp     x1, x1, [x6]
    stp     x1, x1, [x6, #16]
    stp     x1, x1, [x6, #32]
    stp     x1, x1, [x6, #48]
    add     x6, x6, #64
    sub     x2, x2, #64
    cmp     x2, #64
    b.hs    1b
2:  cmp     x2, #16
    b.lo    3f
    stp     x1, x1, [x6], #16
    sub     x2, x2, #16
    b       2b
3:  cmp     x2, #8
    b.lo    4f
    str     x1, [x6], #8
    sub     x2, x2, #8
4:  cbz     x2, 6f
5:  strb    w1, [x6], #1
    subs    x2, x2, #1
    b.ne    5b
6:  ret
.size memset, . - memset

// memmove: the B-tree behind the scheduler's runqueue shifts its node
// slots with it on every insert and remove, mostly by zero or a few
// elements; compiler_builtins' generic one spent ~19 instructions on each
// such call. Empty moves return at once; a move to a lower address, or
// between areas that do not overlap, is memcpy's forward copy (each chunk
// is loaded before it is stored, so a lower destination never overwrites
// source bytes not yet read); an overlapping move to a higher address
// copies backwards, 16 bytes and then single bytes at a time.
// x0 = dst, x1 = src, x2 = n; returns dst.
.section .text.memmove, "ax"
.global memmove
.type memmove, %function
.balign 16
memmove:
    cbz     x2, 3f
    sub     x3, x0, x1
    cmp     x3, x2
    b.hs    memcpy
    add     x4, x1, x2
    add     x5, x0, x2
1:  cmp     x2, #16
    b.lo    2f
    ldp     x7, x8, [x4, #-16]!
    stp     x7, x8, [x5, #-16]!
    sub     x2, x2, #16
    b       1b
2:  cbz     x2, 3f
    ldrb    w7, [x4, #-1]!
    strb    w7, [x5, #-1]!
    sub     x2, x2, #1
    b       2b
3:  ret
.size memmove, . - memmove
