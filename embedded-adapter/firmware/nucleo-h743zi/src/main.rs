//! # A Display System N-GET SCP on the STM32 Nucleo-H743ZI
//!
//! Firmware for the Nucleo-H743ZI (STM32H743ZI, Cortex-M7, LAN8742A PHY on the RMII pins):
//! it answers DICOM Display System N-GETs and C-ECHOs on its Ethernet port, port 11112, with
//! two associations at once, through the firmware's DICOM part ([`dicom`], shared
//! with the QEMU board). The Display System instance comes from constants and the device's
//! identity from a `DeviceConfig` (read from the last flash sector, the factory defaults when
//! that sector holds none).
//!
//! No heap: every byte is a `static` (the association buffers, the tasks' futures, the
//! network stack, the Ethernet DMA rings), and no allocator is linked.
//!
//! ```text
//! cd embedded-adapter/firmware/nucleo-h743zi
//! cargo run --release          # flash it through the on-board ST-LINK with probe-rs, print the log
//! ```
//!
//! The board takes the address [`ADDRESS`] (192.168.1.200/24): change it (or use
//! `embassy_net::Config::dhcpv4`, with one more socket in [`StackResources`]) for your
//! network. Then, from a PC on that network, e.g. with DCMTK or pynetdicom:
//!
//! ```text
//! echoscu -aec H743_DISPLAY 192.168.1.200 11112
//! ```
//!
//! Built without its default `dicom` feature (`--no-default-features`), the same firmware
//! runs a TCP echo on the same port instead (the same network stack, sockets and buffers, no
//! dimse-core, no dimse-embassy): `scripts/footprint` subtracts its size to find what the
//! DICOM side costs.
#![no_std]
#![no_main]

#[cfg(feature = "dicom")]
use defmt::warn;
use defmt::{info, unwrap};
use embassy_executor::Spawner;
use embassy_net::{Ipv4Address, Ipv4Cidr, Runner, StackResources, StaticConfigV4};
use embassy_stm32::eth::{self, Ethernet, GenericPhy, PacketQueue, Sma};
use embassy_stm32::peripherals::{ETH, ETH_SMA, RNG};
use embassy_stm32::rng::{self, Rng};
use embassy_stm32::{bind_interrupts, Config};
use static_cell::ConstStaticCell;
use {defmt_rtt as _, panic_probe as _};

#[cfg(feature = "dicom")]
use dicom::ASSOCIATIONS;
#[cfg(feature = "dicom")]
use dimse_core::pdu::AeTitle;
#[cfg(feature = "dicom")]
use dimse_embassy::{DeviceConfig, MAX_CONFIG_LEN};
#[cfg(not(feature = "dicom"))]
use echo::ASSOCIATIONS;
#[cfg(feature = "dicom")]
use embassy_stm32::{flash::Flash, peripherals::FLASH, Peri};

#[cfg(feature = "dicom")]
#[path = "../../dicom/mod.rs"]
mod dicom;
#[cfg(not(feature = "dicom"))]
mod echo;
#[path = "../../mem.rs"]
mod mem;

/// The logging macros of the DICOM part: defmt's.
#[cfg(feature = "dicom")]
mod fmt {
    #[cfg(feature = "validate")]
    pub use defmt::error;
    pub use defmt::{debug, info, unwrap};
}

/// Our AE title, unless the stored configuration names another.
#[cfg(feature = "dicom")]
const AE_TITLE: AeTitle = dicom::ae_title("H743_DISPLAY");
/// The Display System's Manufacturer's Model Name.
#[cfg(feature = "dicom")]
const MODEL_NAME: &str = "Nucleo-H743ZI display controller";
/// Where a configuration tool stores the `DeviceConfig` (postcard bytes): the last 128 KiB
/// sector of flash bank 2, as an offset from the start of flash. Flashing the firmware
/// erases only the sectors it occupies, so this one survives updates.
#[cfg(feature = "dicom")]
const CONFIG_OFFSET: u32 = 0x1E_0000;
/// The board's IPv4 address and subnet.
pub const ADDRESS: Ipv4Cidr = Ipv4Cidr::new(Ipv4Address::new(192, 168, 1, 200), 24);
/// The default gateway, for peers outside the subnet.
pub const GATEWAY: Ipv4Address = Ipv4Address::new(192, 168, 1, 1);
/// Ethernet frames the DMA can hold: 4 to send, 4 received (about 12 KB).
const FRAMES: usize = 4;

bind_interrupts!(struct Irqs {
    ETH => eth::InterruptHandler;
    RNG => rng::InterruptHandler<RNG>;
});

/// The Ethernet driver: the MAC with the LAN8742A, found on the MDIO bus.
type Device = Ethernet<'static, ETH, GenericPhy<Sma<'static, ETH_SMA>>>;

/// The network stack's socket slots: one per association task, nothing else (no DHCP, no DNS).
/// Initialised at compile time, like `PACKETS`: built at boot, it would be a temporary of the
/// boot task's stack frame first.
static RESOURCES: ConstStaticCell<StackResources<ASSOCIATIONS>> =
    ConstStaticCell::new(StackResources::new());
/// The Ethernet DMA descriptors and frame buffers (AXI SRAM, where the DMA reaches: the
/// `memory.x` of embassy-stm32 puts all RAM there).
static PACKETS: ConstStaticCell<PacketQueue<FRAMES, FRAMES>> =
    ConstStaticCell::new(PacketQueue::new());

#[embassy_executor::task]
async fn net(mut runner: Runner<'static, Device>) -> ! {
    runner.run().await
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    let p = embassy_stm32::init(clocks());
    info!("dimse firmware on the Nucleo-H743ZI");

    // The network stack's seed (TCP initial sequence numbers, ports): from the hardware RNG.
    let mut rng = Rng::new(p.RNG, Irqs);
    let seed = rng.next_u64();

    // A locally administered unicast MAC address from the chip's unique ID, so that two boards
    // on one network differ.
    let uid = embassy_stm32::uid::uid();
    let mac = [0x02, uid[0], uid[4], uid[8], uid[9], uid[10]];

    // The Nucleo-144's RMII pins (solder bridges as shipped) and the PHY's management bus.
    let device = Ethernet::new(
        PACKETS.take(),
        p.ETH,
        Irqs,
        p.PA1,  // REF_CLK
        p.PA7,  // CRS_DV
        p.PC4,  // RXD0
        p.PC5,  // RXD1
        p.PG13, // TXD0
        p.PB13, // TXD1
        p.PG11, // TX_EN
        mac,
        p.ETH_SMA,
        p.PA2, // MDIO
        p.PC1, // MDC
    );
    let config = embassy_net::Config::ipv4_static(StaticConfigV4 {
        address: ADDRESS,
        gateway: Some(GATEWAY),
        dns_servers: heapless::Vec::new(),
    });
    let (stack, runner) = embassy_net::new(device, config, RESOURCES.take(), seed);
    spawner.spawn(unwrap!(net(runner)));

    #[cfg(feature = "dicom")]
    dicom::start(
        spawner,
        stack,
        stored_config(p.FLASH),
        dicom::display(MODEL_NAME),
    );
    #[cfg(not(feature = "dicom"))]
    echo::start(spawner, stack);

    stack.wait_config_up().await;
    info!("network up: {}", ADDRESS);
}

/// 400 MHz from the internal 64 MHz oscillator (the Nucleo's 8 MHz HSE comes from the ST-LINK,
/// which a board of your own may not have), buses at 200 and 100 MHz, HSI48 for the RNG.
fn clocks() -> Config {
    use embassy_stm32::rcc::*;
    let mut config = embassy_stm32::Config::default();
    config.rcc.hsi = Some(HSIPrescaler::DIV1);
    config.rcc.csi = true;
    config.rcc.hsi48 = Some(Default::default());
    config.rcc.pll1 = Some(Pll {
        source: PllSource::HSI,
        prediv: PllPreDiv::DIV4,
        mul: PllMul::MUL50,
        fracn: None,
        divp: Some(PllDiv::DIV2),
        divq: None,
        divr: None,
    });
    config.rcc.sys = Sysclk::PLL1_P; // 400 MHz
    config.rcc.ahb_pre = AHBPrescaler::DIV2; // 200 MHz
    config.rcc.apb1_pre = APBPrescaler::DIV2; // 100 MHz
    config.rcc.apb2_pre = APBPrescaler::DIV2;
    config.rcc.apb3_pre = APBPrescaler::DIV2;
    config.rcc.apb4_pre = APBPrescaler::DIV2;
    config.rcc.voltage_scale = VoltageScale::Scale1;
    config
}

/// The configuration in flash, or the factory one (our AE title, the chip's unique ID as the
/// serial number) when the sector is blank or holds another layout.
#[cfg(feature = "dicom")]
fn stored_config(flash: Peri<'static, FLASH>) -> DeviceConfig {
    let mut flash = Flash::new_blocking(flash);
    let mut page = [0u8; MAX_CONFIG_LEN];
    if flash.blocking_read(CONFIG_OFFSET, &mut page).is_ok() {
        match DeviceConfig::from_postcard(&page) {
            Ok(config) => return config,
            Err(e) => warn!("no configuration in flash ({}): factory defaults", e),
        }
    }
    dicom::factory_config(AE_TITLE, embassy_stm32::uid::uid_hex())
}
