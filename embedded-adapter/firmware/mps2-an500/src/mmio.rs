//! 32-bit device registers at fixed addresses of the board's memory map.

use core::ptr::{read_volatile, write_volatile};

/// A device's register block: its base address on mps2-an500.
#[derive(Clone, Copy)]
pub struct Registers {
    base: usize,
}

impl Registers {
    /// The register block at `base`.
    ///
    /// # Safety
    /// `base` is the address of a device's register block on this board (the memory map of
    /// QEMU's mps2-an500), and every offset later used with it is a 32-bit register of that
    /// device whose reads and writes have no effect beyond the device.
    pub const unsafe fn new(base: usize) -> Self {
        Registers { base }
    }

    /// Reads the register at `offset` bytes from the base.
    pub fn read(self, offset: usize) -> u32 {
        // SAFETY: `new`'s contract: a device register, aligned, always mapped.
        unsafe { read_volatile((self.base + offset) as *const u32) }
    }

    /// Writes the register at `offset` bytes from the base.
    pub fn write(self, offset: usize, value: u32) {
        // SAFETY: `new`'s contract: a device register, aligned, always mapped.
        unsafe { write_volatile((self.base + offset) as *mut u32, value) }
    }
}
