/*
 * The least a Cortex-M needs to run main(): the vector table, a reset handler that sets up
 * .data and .bss and turns the FPU on, and an exit through semihosting (QEMU's exit status).
 */
#include <stdint.h>

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
int main(void);
void Reset_Handler(void);

static void exit_semihosting(int code) {
    /* SYS_EXIT_EXTENDED (0x20): ADP_Stopped_ApplicationExit (0x20026) and the code, which
     * QEMU makes its exit status. */
    static volatile uint32_t block[2];
    block[0] = 0x20026;
    block[1] = (uint32_t)code;
    register uint32_t op __asm__("r0") = 0x20;
    register volatile uint32_t *arg __asm__("r1") = block;
    __asm__ volatile("bkpt 0xAB" : : "r"(op), "r"(arg) : "memory");
    for (;;) {
    }
}

static void Fault_Handler(void) {
    exit_semihosting(100);
}

__attribute__((section(".vector_table"), used)) void (*const VECTORS[16])(void) = {
    (void (*)(void))(uintptr_t)&_estack,
    Reset_Handler,
    Fault_Handler, /* NMI */
    Fault_Handler, /* HardFault */
    Fault_Handler, /* MemManage */
    Fault_Handler, /* BusFault */
    Fault_Handler, /* UsageFault */
};

void Reset_Handler(void) {
    uint32_t *src = &_sidata;
    for (uint32_t *dst = &_sdata; dst < &_edata;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = &_sbss; dst < &_ebss;) {
        *dst++ = 0;
    }
    /* CPACR: full access to CP10 and CP11, the FPU the hard-float ABI uses. */
    *(volatile uint32_t *)0xE000ED88 |= 0xFu << 20;
    __asm__ volatile("dsb\n isb");
    exit_semihosting(main());
}
