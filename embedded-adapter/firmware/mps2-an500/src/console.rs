//! The console: CMSDK UART0 (QEMU's `-nographic` connects it to stdin and stdout). The `log`
//! records go out on it, polled (the UART takes a byte as fast as it is written), and what is
//! typed comes in through its receive interrupt (commands: see `main.rs`).

use core::fmt::Write;
use core::sync::atomic::{AtomicU8, Ordering};

use embassy_sync::waitqueue::AtomicWaker;
use log::{LevelFilter, Log, Metadata, Record};

use crate::mmio::Registers;
use crate::vectors::Irq;

const DATA: usize = 0x00;
const STATE: usize = 0x04;
const CTRL: usize = 0x08;
const INTCLEAR: usize = 0x0C;
const BAUDDIV: usize = 0x10;
const STATE_TX_FULL: u32 = 1 << 0;
const STATE_RX_FULL: u32 = 1 << 1;
const CTRL_TX_ENABLE: u32 = 1 << 0;
const CTRL_RX_ENABLE: u32 = 1 << 1;
const CTRL_RX_INTERRUPT: u32 = 1 << 3;
const INT_RX: u32 = 1 << 1;

// SAFETY: CMSDK UART0's registers on mps2-an500 (0x4000_4000), used at their offsets above.
const UART0: Registers = unsafe { Registers::new(0x4000_4000) };

/// The last letter received, 0 when it was taken.
static RECEIVED: AtomicU8 = AtomicU8::new(0);
static RECEIVE_WAKER: AtomicWaker = AtomicWaker::new();

struct Console;

impl Write for Console {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for &b in s.as_bytes() {
            while UART0.read(STATE) & STATE_TX_FULL != 0 {}
            UART0.write(DATA, b.into());
        }
        Ok(())
    }
}

impl Log for Console {
    fn enabled(&self, _: &Metadata) -> bool {
        true
    }

    fn log(&self, record: &Record) {
        // Records come from tasks and interrupts alike: one at a time, whole.
        critical_section::with(|_| {
            let _ = writeln!(Console, "{:<5} {}", record.level(), record.args());
        });
    }

    fn flush(&self) {}
}

static LOGGER: Console = Console;

/// Enables UART0 (and its receive interrupt) and makes it the `log` output at `level`.
pub fn init(level: LevelFilter) {
    UART0.write(BAUDDIV, 16);
    UART0.write(CTRL, CTRL_TX_ENABLE | CTRL_RX_ENABLE | CTRL_RX_INTERRUPT);
    cortex_m::peripheral::NVIC::unpend(Irq::Uart0Rx);
    // SAFETY: its handler (`on_receive`) touches only atomics shared with `received`.
    unsafe { cortex_m::peripheral::NVIC::unmask(Irq::Uart0Rx) };
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(level);
}

/// Prints without a log header (the figures the console commands print).
pub fn print(args: core::fmt::Arguments) {
    critical_section::with(|_| {
        let _ = Console.write_fmt(args);
    });
}

/// The next letter typed on the console.
pub async fn received() -> u8 {
    core::future::poll_fn(|cx| {
        RECEIVE_WAKER.register(cx.waker());
        match RECEIVED.swap(0, Ordering::AcqRel) {
            0 => core::task::Poll::Pending,
            b => core::task::Poll::Ready(b),
        }
    })
    .await
}

/// UART0's receive interrupt.
pub extern "C" fn on_receive() {
    UART0.write(INTCLEAR, INT_RX);
    while UART0.read(STATE) & STATE_RX_FULL != 0 {
        // Commands are letters: the line end typed after one must not replace it.
        let b = UART0.read(DATA) as u8;
        if b.is_ascii_alphabetic() {
            RECEIVED.store(b, Ordering::Release);
        }
    }
    RECEIVE_WAKER.wake();
}
