//! The board's external interrupts: their numbers (QEMU's mps2-an500) and the device part of
//! the vector table, which cortex-m-rt places after its exceptions.

use cortex_m::interrupt::InterruptNumber;

/// The interrupts this firmware uses.
#[derive(Clone, Copy, Debug)]
#[repr(u16)]
pub enum Irq {
    /// CMSDK UART0, receive.
    Uart0Rx = 0,
    /// CMSDK timer0: the time driver's alarm.
    Timer0 = 8,
    /// The SMSC LAN9118.
    Ethernet = 13,
}

// SAFETY: each number is the board's interrupt line for that device (and below 32, the
// number of external interrupts QEMU's mps2-an500 has).
unsafe impl InterruptNumber for Irq {
    fn number(self) -> u16 {
        self as u16
    }
}

/// An entry of the vector table: a handler, or 0 for a line nothing uses.
pub union Vector {
    handler: unsafe extern "C" fn(),
    unused: usize,
}

const UNUSED: Vector = Vector { unused: 0 };

/// IRQ 0 to 31. An interrupt that is never unmasked never runs, so the lines we do not use
/// stay 0.
#[link_section = ".vector_table.interrupts"]
#[no_mangle]
pub static __INTERRUPTS: [Vector; 32] = {
    let mut v = [UNUSED; 32];
    v[Irq::Uart0Rx as usize] = Vector {
        handler: crate::console::on_receive,
    };
    v[Irq::Timer0 as usize] = Vector {
        handler: crate::time::on_alarm,
    };
    v[Irq::Ethernet as usize] = Vector {
        handler: crate::lan9118::on_interrupt,
    };
    v
};
