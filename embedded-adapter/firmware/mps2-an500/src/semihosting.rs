//! ARM semihosting (the debugger's, here QEMU's, system calls): the command line QEMU was
//! given (`-semihosting-config arg=...`) and a clean exit with a status. Without a debugger
//! or QEMU attached, `BKPT 0xAB` is a fault: only for this board.

/// SYS_GET_CMDLINE.
const GET_CMDLINE: u32 = 0x15;
/// SYS_EXIT_EXTENDED: an exit reason and a status, which QEMU returns as its exit code.
const EXIT_EXTENDED: u32 = 0x20;
/// ADP_Stopped_ApplicationExit.
const APPLICATION_EXIT: u32 = 0x2_0026;

/// One semihosting call: operation `op`, its parameter block at `block`.
fn call(op: u32, block: &mut [usize]) -> u32 {
    let result;
    // SAFETY: `BKPT 0xAB` hands control to QEMU's semihosting, which reads and writes only the
    // parameter block (and the buffers it names, which the callers own) and returns in r0.
    unsafe {
        core::arch::asm!(
            "bkpt #0xab",
            inout("r0") op => result,
            in("r1") block.as_mut_ptr(),
            options(nostack)
        );
    }
    result
}

/// The command line (QEMU's `arg=` options, separated by spaces) into `buf`; the part that fit.
pub fn command_line(buf: &mut [u8]) -> &str {
    let mut block = [buf.as_mut_ptr() as usize, buf.len()];
    if call(GET_CMDLINE, &mut block) != 0 {
        return "";
    }
    let len = block[1].min(buf.len());
    core::str::from_utf8(&buf[..len]).unwrap_or("")
}

/// Ends QEMU with this exit status.
pub fn exit(status: u32) -> ! {
    let mut block = [APPLICATION_EXIT as usize, status as usize];
    call(EXIT_EXTENDED, &mut block);
    // Only without semihosting: nothing else to do.
    loop {
        cortex_m::asm::wfi();
    }
}
