//! An `embassy-net-driver` for the SMSC LAN9118 as QEMU models it on mps2-an500: frames move
//! through the chip's FIFOs word by word (PIO), reception wakes the network stack through the
//! chip's interrupt.
//!
//! Where QEMU's model differs from the datasheet, the model is what this driver is written
//! for: the interrupt line is active-low until IRQ_CFG sets its polarity (any register write
//! leaves it pending before that); RSFL stays set until written back to INT_STS; a frame is
//! sent as its last word is written (the TX status is never an error); a received frame's
//! length counts the 4 FCS bytes QEMU appends; MAC_CR resets promiscuous, and RXEN is
//! required.

use core::task::Context;

use embassy_net_driver::{Capabilities, HardwareAddress, LinkState};
use embassy_sync::waitqueue::AtomicWaker;

use crate::mmio::Registers;
use crate::vectors::Irq;

// Registers (offsets from the base).
const RX_DATA: usize = 0x00;
const TX_DATA: usize = 0x20;
const RX_STATUS: usize = 0x40;
const TX_STATUS: usize = 0x48;
const ID_REV: usize = 0x50;
const IRQ_CFG: usize = 0x54;
const INT_STS: usize = 0x58;
const INT_EN: usize = 0x5C;
const BYTE_TEST: usize = 0x64;
const TX_CFG: usize = 0x70;
const HW_CFG: usize = 0x74;
const RX_FIFO_INF: usize = 0x7C;
const TX_FIFO_INF: usize = 0x80;
const MAC_CSR_CMD: usize = 0xA4;
const MAC_CSR_DATA: usize = 0xA8;

// MAC registers, reached through MAC_CSR_CMD/MAC_CSR_DATA.
const MAC_CR: u32 = 1;
const ADDRH: u32 = 2;
const ADDRL: u32 = 3;
const MII_ACC: u32 = 6;
const MII_DATA: u32 = 7;

const BYTE_TEST_VALUE: u32 = 0x8765_4321;
/// ID_REV's chip ID (its upper half).
const CHIP_ID: u32 = 0x0118;
const HW_CFG_SRST: u32 = 1 << 0;
/// IRQ_CFG: IRQ_EN, IRQ_POL (active high), IRQ_TYPE (push-pull).
const IRQ_CFG_ACTIVE_HIGH: u32 = (1 << 8) | (1 << 4) | 1;
/// INT_STS / INT_EN: the RX status FIFO holds a frame's status.
const INT_RSFL: u32 = 1 << 3;
/// TX_CFG: TX_ON, and TXSAO (the TX status FIFO may overrun: nobody needs the statuses).
const TX_CFG_ON: u32 = (1 << 1) | (1 << 2);
const MAC_CSR_BUSY: u32 = 1 << 31;
const MAC_CSR_READ: u32 = 1 << 30;
/// MAC_CR: RXEN, TXEN (and not PRMS: only frames for us and broadcasts).
const MAC_CR_RX_TX: u32 = (1 << 2) | (1 << 3);
const MII_BUSY: u32 = 1 << 0;
/// The internal PHY's address on the MII bus, and its basic status register.
const PHY_ADDRESS: u32 = 1;
const PHY_BSR: u32 = 1;
const PHY_BSR_LINK: u32 = 1 << 2;
/// RX status: error summary, and the frame length field.
const RX_STATUS_ERROR: u32 = 1 << 15;
/// TX command A: first and last segment (a frame is written in one piece).
const TX_CMD_A_WHOLE: u32 = (1 << 13) | (1 << 12);
/// The FCS bytes QEMU appends to each received frame.
const FCS: usize = 4;

/// The largest Ethernet frame without its FCS (what smoltcp calls the MTU on Ethernet).
pub const MTU: usize = 1514;
/// A frame buffer: the largest frame, its FCS, rounded up to whole FIFO words.
const FRAME: usize = 1520;

// SAFETY: the LAN9118's registers on mps2-an500 (0xA000_0000, not the datasheet's
// 0x4020_0000), used at the offsets above, all inside its 256-byte block.
const LAN9118: Registers = unsafe { Registers::new(0xA000_0000) };

/// Wakes the network stack when a frame arrives.
static RECEIVE_WAKER: AtomicWaker = AtomicWaker::new();

/// Why the chip could not be brought up.
#[derive(Debug)]
pub enum Error {
    /// BYTE_TEST or ID_REV read something else: not a LAN9118 at this address.
    NotFound(u32),
    /// The soft reset did not complete.
    Reset,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::NotFound(read) => write!(f, "not a LAN9118 at 0xA000_0000 (read {read:#010x})"),
            Error::Reset => f.write_str("the LAN9118's soft reset did not complete"),
        }
    }
}

/// The LAN9118 and a buffer for one frame each way.
pub struct Lan9118 {
    mac: [u8; 6],
    link: LinkState,
    rx: [u8; FRAME],
    tx: [u8; FRAME],
}

impl Lan9118 {
    /// The driver before [`start`](Lan9118::start), for a `static` initialiser: its two frame
    /// buffers (3 KB) land in `.bss` instead of a temporary of the boot's stack frame.
    pub const fn new() -> Self {
        Lan9118 {
            mac: [0; 6],
            link: LinkState::Down,
            rx: [0; FRAME],
            tx: [0; FRAME],
        }
    }

    /// Resets the chip, sets the MAC address, enables reception and transmission and the
    /// receive interrupt, and reads the link state from the PHY.
    pub fn start(&mut self, mac: [u8; 6]) -> Result<(), Error> {
        let test = LAN9118.read(BYTE_TEST);
        if test != BYTE_TEST_VALUE {
            return Err(Error::NotFound(test));
        }
        let id = LAN9118.read(ID_REV);
        if id >> 16 != CHIP_ID {
            return Err(Error::NotFound(id));
        }
        LAN9118.write(HW_CFG, HW_CFG_SRST);
        if !wait(|| LAN9118.read(HW_CFG) & HW_CFG_SRST == 0) {
            return Err(Error::Reset);
        }
        // The interrupt line's polarity first: until then, every write leaves it pending.
        LAN9118.write(IRQ_CFG, IRQ_CFG_ACTIVE_HIGH);
        LAN9118.write(INT_EN, 0);
        LAN9118.write(INT_STS, u32::MAX);
        mac_write(ADDRL, u32::from_le_bytes([mac[0], mac[1], mac[2], mac[3]]));
        mac_write(ADDRH, u32::from_le_bytes([mac[4], mac[5], 0, 0]));
        mac_write(MAC_CR, MAC_CR_RX_TX);
        LAN9118.write(TX_CFG, TX_CFG_ON);
        let link = if phy_read(PHY_BSR) & PHY_BSR_LINK != 0 {
            LinkState::Up
        } else {
            LinkState::Down
        };
        cortex_m::peripheral::NVIC::unpend(Irq::Ethernet);
        // SAFETY: its handler (`on_interrupt`) touches only the interrupt registers and the
        // waker, which is built for sharing with interrupts.
        unsafe { cortex_m::peripheral::NVIC::unmask(Irq::Ethernet) };
        self.mac = mac;
        self.link = link;
        Ok(())
    }

    /// Frames whose status waits in the RX status FIFO.
    fn frames_waiting() -> u32 {
        (LAN9118.read(RX_FIFO_INF) >> 16) & 0xFF
    }

    /// The next received frame into `self.rx`: its length, or `None` when it was dropped
    /// (an error, or too large for the buffer: its words are read and discarded).
    fn read_frame(&mut self) -> Option<usize> {
        let status = LAN9118.read(RX_STATUS);
        let len = ((status >> 16) & 0x3FFF) as usize;
        let words = len.div_ceil(4);
        let keep = status & RX_STATUS_ERROR == 0 && len > FCS && len <= FRAME;
        for i in 0..words {
            let word = LAN9118.read(RX_DATA).to_le_bytes();
            if keep {
                self.rx[4 * i..4 * i + 4].copy_from_slice(&word);
            }
        }
        keep.then_some(len - FCS)
    }
}

/// Polls `done` a bounded number of times.
fn wait(mut done: impl FnMut() -> bool) -> bool {
    (0..100_000).any(|_| done())
}

fn mac_write(index: u32, value: u32) {
    LAN9118.write(MAC_CSR_DATA, value);
    LAN9118.write(MAC_CSR_CMD, MAC_CSR_BUSY | index);
    wait(|| LAN9118.read(MAC_CSR_CMD) & MAC_CSR_BUSY == 0);
}

fn mac_read(index: u32) -> u32 {
    LAN9118.write(MAC_CSR_CMD, MAC_CSR_BUSY | MAC_CSR_READ | index);
    wait(|| LAN9118.read(MAC_CSR_CMD) & MAC_CSR_BUSY == 0);
    LAN9118.read(MAC_CSR_DATA)
}

/// A register of the PHY, through the MAC's MII access registers.
fn phy_read(register: u32) -> u32 {
    mac_write(MII_ACC, (PHY_ADDRESS << 11) | (register << 6));
    wait(|| mac_read(MII_ACC) & MII_BUSY == 0);
    mac_read(MII_DATA) & 0xFFFF
}

/// The LAN9118's interrupt: a frame's status arrived. Masks the interrupt (the driver
/// unmasks it when it finds the FIFO empty again) and wakes the network stack.
pub extern "C" fn on_interrupt() {
    LAN9118.write(INT_EN, 0);
    LAN9118.write(INT_STS, INT_RSFL);
    RECEIVE_WAKER.wake();
}

impl embassy_net_driver::Driver for Lan9118 {
    type RxToken<'a> = RxToken<'a>;
    type TxToken<'a> = TxToken<'a>;

    fn receive(&mut self, cx: &mut Context) -> Option<(RxToken<'_>, TxToken<'_>)> {
        loop {
            if Self::frames_waiting() == 0 {
                // Nothing yet: be woken by the next frame. RSFL is cleared before the
                // interrupt is enabled (else it fires for a frame already read), and the FIFO
                // read again after (a frame that came in between has set it again).
                RECEIVE_WAKER.register(cx.waker());
                LAN9118.write(INT_STS, INT_RSFL);
                LAN9118.write(INT_EN, INT_RSFL);
                if Self::frames_waiting() == 0 {
                    return None;
                }
            }
            if let Some(len) = self.read_frame() {
                return Some((
                    RxToken {
                        frame: &mut self.rx[..len],
                    },
                    TxToken {
                        frame: &mut self.tx,
                    },
                ));
            }
        }
    }

    fn transmit(&mut self, _cx: &mut Context) -> Option<TxToken<'_>> {
        // QEMU sends a frame as its last word is written: the FIFO is always empty here.
        Some(TxToken {
            frame: &mut self.tx,
        })
    }

    fn link_state(&mut self, _cx: &mut Context) -> LinkState {
        self.link
    }

    fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::default();
        caps.max_transmission_unit = MTU;
        caps.max_burst_size = Some(1);
        caps
    }

    fn hardware_address(&self) -> HardwareAddress {
        HardwareAddress::Ethernet(self.mac)
    }
}

/// A received frame, in the driver's receive buffer.
pub struct RxToken<'a> {
    frame: &'a mut [u8],
}

impl embassy_net_driver::RxToken for RxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, f: F) -> R {
        f(self.frame)
    }
}

/// Room for a frame to send: the driver's transmit buffer, written to the TX FIFO when full.
pub struct TxToken<'a> {
    frame: &'a mut [u8; FRAME],
}

impl embassy_net_driver::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let len = len.min(MTU);
        let result = f(&mut self.frame[..len]);
        LAN9118.write(TX_DATA, TX_CMD_A_WHOLE | len as u32);
        LAN9118.write(TX_DATA, len as u32); // command B: tag 0, the frame's length
        for word in self.frame[..len.next_multiple_of(4)].chunks_exact(4) {
            LAN9118.write(
                TX_DATA,
                u32::from_le_bytes([word[0], word[1], word[2], word[3]]),
            );
        }
        // The frame left with its last word (QEMU sends synchronously). Its status is no
        // error; read it out of the TX status FIFO (its used count is bits 23:16).
        while (LAN9118.read(TX_FIFO_INF) >> 16) & 0xFF != 0 {
            let _ = LAN9118.read(TX_STATUS);
        }
        result
    }
}
