//! # The firmware example on QEMU's mps2-an500
//!
//! The same DICOM part as the Nucleo-H743ZI's firmware ([`dicom`]: the
//! association tasks, the handler, the Display System) on the board QEMU emulates with a
//! Cortex-M7 and an SMSC LAN9118 Ethernet controller, so that CI runs the image against real
//! peers. The board support is here: the LAN9118 driver ([`lan9118`]), the `embassy-time`
//! driver ([`time`]), the console on UART0 ([`console`]), semihosting ([`semihosting`]), and
//! the measurements of BENCHMARKS.md ([`measure`]).
//!
//! ```text
//! scripts/qemu-run [--port P]      # builds, boots, serves on 127.0.0.1:P (default 11112)
//! ```
//!
//! QEMU's user-mode network gives the board 10.0.2.15/24 (gateway 10.0.2.2), and
//! `hostfwd=tcp:127.0.0.1:P-:11112` forwards the host's port to it.
//!
//! **Configuration.** The factory [`DeviceConfig`] (AE title `MPS2_DISPLAY`, the core's default
//! limits), changed by `key=value` words on the semihosting command line
//! (`-semihosting-config enable=on,arg=...`): `artim-ms`, `network-ms`, `dimse-ms` (the
//! association timers), `mac` (the LAN9118's address, `52:54:00:12:34:56` by default),
//! `log` (`error` to `trace`: the console's level, `info` by default),
//! `probe=on` (per-task stack marks, see [`measure`]). What this board has instead of the
//! Nucleo's configuration sector in flash.
//!
//! **Console commands** (typed on stdin, which QEMU's `-nographic` connects to UART0): `s`
//! prints the figures ([`measure`]), `q` prints them and ends QEMU with exit status 0.
#![no_std]
#![no_main]

mod console;
#[path = "../../dicom/mod.rs"]
mod dicom;
mod lan9118;
mod measure;
#[path = "../../mem.rs"]
mod mem;
mod mmio;
mod semihosting;
mod time;
mod vectors;

use core::fmt::Write;
use core::sync::atomic::{AtomicBool, Ordering};

use dicom::ASSOCIATIONS;
use dimse_core::{pdu::AeTitle, Duration};
use dimse_embassy::DeviceConfig;
use embassy_executor::{raw, Spawner};
use embassy_net::{Ipv4Address, Ipv4Cidr, Runner, StackResources, StaticConfigV4};
use log::{error, info, LevelFilter};
use static_cell::{ConstStaticCell, StaticCell};

use crate::lan9118::Lan9118;

/// The logging macros of the DICOM part: the `log` crate's, and an `unwrap!` that panics with
/// the error.
mod fmt {
    #[cfg(feature = "encoded")]
    pub use log::error;
    pub use log::{debug, info};

    macro_rules! unwrap {
        ($e:expr) => {
            $e.unwrap()
        };
    }
    pub(crate) use unwrap;
}

/// Our AE title (the factory configuration accepts any called AE title).
const AE_TITLE: AeTitle = dicom::ae_title("MPS2_DISPLAY");
/// The Display System's Manufacturer's Model Name.
const MODEL_NAME: &str = "QEMU mps2-an500 display controller";
/// The address QEMU's user-mode network (slirp) expects its guest at.
const ADDRESS: Ipv4Cidr = Ipv4Cidr::new(Ipv4Address::new(10, 0, 2, 15), 24);
/// Slirp's gateway.
const GATEWAY: Ipv4Address = Ipv4Address::new(10, 0, 2, 2);
/// The MAC address unless the command line gives one (`mac=52:54:00:12:34:56`): QEMU's default
/// for the first NIC (52:54:00 is QEMU's prefix).
const MAC: [u8; 6] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
/// Tasks in spawn order, for the per-task stack marks.
const TASK_NAMES: [&str; 5] = ["main", "net", "association-1", "association-2", "console"];

// The reset handler's first call, before RAM is initialised: SysTick starts counting the
// core clock (reload 2^24 - 1, no exception yet), so that the clock counts from reset.
// SAFETY (of the assembly): it only writes SysTick's three registers and touches neither
// memory nor the stack.
core::arch::global_asm!(
    ".section .text.__pre_init,\"ax\"",
    ".global __pre_init",
    ".type __pre_init,%function",
    ".thumb_func",
    "__pre_init:",
    "    ldr r0, =0xE000E010",
    "    ldr r1, =0x00FFFFFF",
    "    str r1, [r0, #4]",
    "    movs r1, #0",
    "    str r1, [r0, #8]",
    "    movs r1, #5",
    "    str r1, [r0]",
    "    bx lr",
);

// Both initialised at compile time (`ConstStaticCell`): built at boot, each would be a
// temporary of the boot task's frame first (the driver's frame buffers, 3 KB), and that frame
// sets the main stack's high-water mark, which the association tasks share.
static RESOURCES: ConstStaticCell<StackResources<ASSOCIATIONS>> =
    ConstStaticCell::new(StackResources::new());
static DRIVER: ConstStaticCell<Lan9118> = ConstStaticCell::new(Lan9118::new());

#[embassy_executor::task]
async fn net(mut runner: Runner<'static, &'static mut Lan9118>) -> ! {
    runner.run().await
}

/// Set by the executor's pender: a task was woken, poll again before sleeping.
static WOKEN: AtomicBool = AtomicBool::new(true);

/// The executor's pender (embassy calls it, from a task or an interrupt, when a task wakes).
#[export_name = "__pender"]
fn pender(_context: *mut ()) {
    WOKEN.store(true, Ordering::Release);
}

/// The executor's loop: poll the woken tasks, sleep (WFI) until an interrupt when none is.
#[cortex_m_rt::entry]
fn entry() -> ! {
    let executor: &'static raw::Executor = EXECUTOR.init(raw::Executor::new(core::ptr::null_mut()));
    let spawner = executor.spawner();
    spawn(&spawner, main(spawner));
    loop {
        WOKEN.store(false, Ordering::Release);
        // SAFETY: `poll` is called from this loop only, never from itself or an interrupt.
        unsafe { executor.poll() };
        // With interrupts masked, an interrupt that wakes a task between the check and WFI
        // stays pending, and a pending interrupt ends WFI: no wake is lost.
        cortex_m::interrupt::free(|_| {
            if !WOKEN.load(Ordering::Acquire) {
                cortex_m::asm::wfi();
            }
        });
    }
}

static EXECUTOR: StaticCell<raw::Executor> = StaticCell::new();

#[embassy_executor::task]
async fn main(spawner: Spawner) {
    measure::paint();
    let mut args = [0u8; 256];
    let args = semihosting::command_line(&mut args);
    console::init(
        setting(args, "log")
            .and_then(level)
            .unwrap_or(LevelFilter::Info),
    );
    // SAFETY: the only place the core peripherals are taken.
    let peripherals = unsafe { cortex_m::Peripherals::steal() };
    time::init(peripherals.SYST);
    info!("dimse firmware on QEMU mps2-an500 (Cortex-M7, LAN9118)");
    measure::set_probe(setting(args, "probe") == Some("on"));

    let mac = setting(args, "mac").and_then(mac_address).unwrap_or(MAC);
    let driver = DRIVER.take();
    match driver.start(mac) {
        Ok(()) => info!("LAN9118 up, MAC {:02x?}", mac),
        Err(e) => {
            error!("{}", e);
            semihosting::exit(2);
        }
    }
    let config = embassy_net::Config::ipv4_static(StaticConfigV4 {
        address: ADDRESS,
        gateway: Some(GATEWAY),
        dns_servers: heapless::Vec::new(),
    });
    // No entropy source on this board: the TCP sequence numbers start from the clock.
    let seed = time::cycles() ^ 0x6469_6d73_6571_656d;
    let (stack, runner) = embassy_net::new(driver, config, RESOURCES.take(), seed);
    spawn(&spawner, net(runner));
    dicom::start(
        spawner,
        stack,
        device_config(args),
        dicom::display(MODEL_NAME),
    );
    spawn(&spawner, console_commands());

    stack.wait_config_up().await;
    // The association tasks were queued before this task waited: they listen now. Printed
    // whatever the log level: scripts wait for this line.
    let cycles = time::cycles();
    console::print(format_args!(
        "listening on {}:{}, {} us after reset ({} instructions under -icount shift=0)\n",
        ADDRESS.address(),
        dicom::PORT,
        cycles / (time::CLOCK_HZ / 1_000_000),
        cycles * INSTRUCTIONS_PER_CYCLE
    ));
}

/// Instructions per 25 MHz clock tick under `-icount shift=0` (one per nanosecond).
const INSTRUCTIONS_PER_CYCLE: u64 = 1_000_000_000 / time::CLOCK_HZ;

fn spawn<S>(
    spawner: &Spawner,
    task: Result<embassy_executor::SpawnToken<S>, embassy_executor::SpawnError>,
) {
    match task {
        Ok(token) => spawner.spawn(token),
        Err(e) => error!("cannot spawn: {:?}", e),
    }
}

/// The value of `key=value` on the command line.
fn setting<'a>(args: &'a str, key: &str) -> Option<&'a str> {
    args.split(' ')
        .filter_map(|word| word.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// Six hexadecimal bytes separated by colons.
fn mac_address(text: &str) -> Option<[u8; 6]> {
    let mut mac = [0u8; 6];
    let mut parts = text.split(':');
    for byte in &mut mac {
        *byte = u8::from_str_radix(parts.next()?, 16).ok()?;
    }
    parts.next().is_none().then_some(mac)
}

fn level(name: &str) -> Option<LevelFilter> {
    name.parse().ok()
}

/// The factory configuration, with the command line's timers.
fn device_config(args: &str) -> DeviceConfig {
    let mut config = dicom::factory_config(AE_TITLE, "QEMU-0001");
    let ms = |key| {
        setting(args, key)
            .and_then(|v| v.parse().ok())
            .map(Duration::from_millis)
    };
    if let Some(t) = ms("artim-ms") {
        config.limits.artim_timeout = t;
    }
    if let Some(t) = ms("network-ms") {
        config.limits.network_timeout = t;
    }
    if let Some(t) = ms("dimse-ms") {
        config.limits.dimse_timeout = t;
    }
    config
}

/// The console's commands: `s` prints the figures, `q` prints them and ends QEMU.
#[embassy_executor::task]
async fn console_commands() {
    loop {
        let command = console::received().await;
        if command == b's' || command == b'q' {
            report();
        }
        if command == b'q' {
            semihosting::exit(0);
        }
    }
}

/// The figures of [`measure`], one `key=value` per line for scripts.
fn report() {
    let busy = measure::busy();
    let mut line: heapless::String<768> = heapless::String::new();
    let _ = write!(
        line,
        "figures: busy-instructions={} main-stack-high-water={}",
        busy * INSTRUCTIONS_PER_CYCLE,
        measure::high_water()
    );
    for (name, task) in TASK_NAMES.iter().zip(measure::tasks()) {
        let _ = write!(
            line,
            " stack[{name}]={} polls[{name}]={} busy[{name}]={}",
            task.stack,
            task.polls,
            task.busy * INSTRUCTIONS_PER_CYCLE
        );
    }
    console::print(format_args!("{}\n", line));
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    console::print(format_args!("panic: {}\n", info));
    semihosting::exit(101);
}
