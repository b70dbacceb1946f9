//! `memcpy` and `memcmp` for the Cortex-M7, a word at a time whatever the alignment: a module
//! each board includes (`#[path]`), as it includes the DICOM part.
//!
//! The versions in Rust's prebuilt `compiler_builtins` for `thumbv7em-none-eabihf` cannot
//! assume that the core allows unaligned word accesses: when the source and the destination
//! are not aligned alike, `memcpy` assembles each word from two aligned loads and shifts (and
//! saves nine registers on every call), and `memcmp` compares byte by byte. Most of the
//! firmware's copies are such: an N-GET response's data set into the core's transmit storage
//! and from there into the socket's ring lands at whatever offset the PDU and PDV headers
//! leave, and many are small values (an `Output`, a UID) of odd length; the comparisons are
//! UIDs. On the QEMU board `memcpy` was about 31,000 of the association task's 44,000
//! instructions per N-GET of the whole Display System, `memcmp` 1,400 (BENCHMARKS.md).
//!
//! ARMv7-M does single unaligned `LDR`/`STR` in hardware (only `LDM`, `STM`, `LDRD` and `STRD`
//! need aligned addresses; `CCR.UNALIGN_TRP` is off at reset and never set here). So `memcpy`
//! aligns the destination with up to 3 byte moves, then moves 32 bytes at a time, with `LDM`
//! when the source is aligned too and with eight unaligned `LDR` otherwise, and one `STM`;
//! then words, then bytes. `memcmp` compares words with unaligned loads, and the first pair
//! that differs decides (byte-reversed, so that the first differing byte is the most
//! significant).
//!
//! These symbols replace `compiler_builtins`' (which defines them weak): `memcpy` (which
//! returns the destination), the ARM EABI's `__aeabi_memcpy`, `__aeabi_memcpy4` and
//! `__aeabi_memcpy8` (what the compiler calls; the latter two promise aligned pointers, which
//! this copy does not need), and `memcmp`. The areas never overlap (`memmove` stays
//! `compiler_builtins`').

// SAFETY (of the assembly): `memcpy` reads `n` (r2) bytes from `src` (r1) and writes `n`
// bytes to `dest` (r0), nothing else, as its contract has the caller guarantee valid,
// non-overlapping areas; `memcmp` reads at most `n` bytes of each of its two areas and writes
// no memory. Both use only the scratch registers r1-r3 and r12, save and restore the
// callee-saved registers they use (r4-r8) and LR, and return in r0 (`memcpy` the
// destination), as the AAPCS requires. `LDM` is only used on a word-aligned source and `STM`
// on a word-aligned destination.
core::arch::global_asm!(
    ".syntax unified",
    ".thumb",
    ".section .text.memcpy,\"ax\"",
    ".global memcpy",
    ".global __aeabi_memcpy",
    ".global __aeabi_memcpy4",
    ".global __aeabi_memcpy8",
    ".type memcpy,%function",
    ".type __aeabi_memcpy,%function",
    ".type __aeabi_memcpy4,%function",
    ".type __aeabi_memcpy8,%function",
    ".thumb_func",
    "memcpy:",
    ".thumb_func",
    "__aeabi_memcpy:",
    ".thumb_func",
    "__aeabi_memcpy4:",
    ".thumb_func",
    "__aeabi_memcpy8:",
    "    push {{r0, lr}}",
    "    cmp r2, #4",
    "    blo 5f",
    // Up to 3 bytes, until the destination is word-aligned (at least one byte of the
    // length is left after them).
    "    lsls r3, r0, #30",
    "    beq 2f",
    "1:  ldrb r3, [r1], #1",
    "    strb r3, [r0], #1",
    "    subs r2, #1",
    "    tst r0, #3",
    "    bne 1b",
    // 32 bytes at a time; from here r2 is the length left minus 32.
    "2:  subs r2, #32",
    "    blo 4f",
    "    push {{r4-r8}}",
    "    lsls r3, r1, #30",
    "    bne 3f",
    "10: ldmia r1!, {{r3-r8, r12, lr}}",
    "    stmia r0!, {{r3-r8, r12, lr}}",
    "    subs r2, #32",
    "    bhs 10b",
    "    b 11f",
    "3:  ldr r3, [r1], #4",
    "    ldr r4, [r1], #4",
    "    ldr r5, [r1], #4",
    "    ldr r6, [r1], #4",
    "    ldr r7, [r1], #4",
    "    ldr r8, [r1], #4",
    "    ldr r12, [r1], #4",
    "    ldr lr, [r1], #4",
    "    stmia r0!, {{r3-r8, r12, lr}}",
    "    subs r2, #32",
    "    bhs 3b",
    "11: pop {{r4-r8}}",
    // Then words; from here r2 is the length left minus 4.
    "4:  adds r2, #28",
    "    blo 6f",
    "7:  ldr r3, [r1], #4",
    "    str r3, [r0], #4",
    "    subs r2, #4",
    "    bhs 7b",
    "6:  adds r2, #4",
    // Then bytes (r2: 0 to 3).
    "5:  cbz r2, 9f",
    "8:  ldrb r3, [r1], #1",
    "    strb r3, [r0], #1",
    "    subs r2, #1",
    "    bne 8b",
    "9:  pop {{r0, pc}}",
    ".size memcpy, . - memcpy",
    //
    ".section .text.memcmp,\"ax\"",
    ".global memcmp",
    ".type memcmp,%function",
    ".thumb_func",
    "memcmp:",
    // Words; r2 is the length left minus 4.
    "    subs r2, #4",
    "    blo 2f",
    "1:  ldr r3, [r0], #4",
    "    ldr r12, [r1], #4",
    "    cmp r3, r12",
    "    bne 3f",
    "    subs r2, #4",
    "    bhs 1b",
    // Then bytes (r2: 0 to 3).
    "2:  adds r2, #4",
    "    beq 5f",
    "4:  ldrb r3, [r0], #1",
    "    ldrb r12, [r1], #1",
    "    subs r3, r3, r12",
    "    bne 6f",
    "    subs r2, #1",
    "    bne 4b",
    "5:  movs r0, #0",
    "    bx lr",
    // Two words differ: in memory order (little-endian: byte-reversed), unsigned.
    "3:  rev r3, r3",
    "    rev r12, r12",
    "    cmp r3, r12",
    "    ite hi",
    "    movhi r0, #1",
    "    movls r0, #-1",
    "    bx lr",
    "6:  mov r0, r3",
    "    bx lr",
    ".size memcmp, . - memcmp",
);
