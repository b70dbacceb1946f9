//! The DICOM side of the firmware: the device's identity, its Display System, and the
//! association tasks.

#[cfg(feature = "validate")]
use defmt::error;
use defmt::{info, unwrap, warn};
use dimse_core::assoc::{AcceptorPolicy, Limits};
use dimse_core::dimse::NGetRequest;
use dimse_core::pdu::AeTitle;
#[cfg(feature = "validate")]
use dimse_core::service::display::validate;
use dimse_core::service::display::{DisplaySystem, DEMO};
use dimse_core::service::{DISPLAY_SYSTEM, VERIFICATION};
use dimse_embassy::{
    serve_association, AssociationBuffers, AssociationPool, DeviceConfig, Failure, Handler, Reply,
    Summary, MAX_CONFIG_LEN,
};
use embassy_executor::Spawner;
use embassy_net::{Stack, StackResources};
use embassy_stm32::flash::Flash;
use embassy_stm32::peripherals::FLASH;
use embassy_stm32::Peri;
use static_cell::StaticCell;

use crate::{ASSOCIATIONS, PORT};

/// The display this board describes, from constants: the core's demo description (its
/// subsystems, calibration targets and QA results) under this device's name. The identity
/// fields are replaced by the [`DeviceConfig`]'s at boot when it has them.
pub static DISPLAY: DisplaySystem<'static> = DisplaySystem {
    manufacturer: "Example Displays",
    manufacturer_model_name: "Nucleo-H743ZI display controller",
    ..DEMO
};

/// Our AE title, unless the stored configuration names another.
const AE_TITLE: &str = "H743_DISPLAY";

/// Where a configuration tool stores the [`DeviceConfig`] (postcard bytes): the last 128 KiB
/// sector of flash bank 2, as an offset from the start of flash. Flashing the firmware
/// erases only the sectors it occupies, so this one survives updates.
const CONFIG_OFFSET: u32 = 0x1E_0000;

/// The SOP classes served: Display System Management (N-GET) and Verification (C-ECHO).
static SERVED: [&str; 2] = [DISPLAY_SYSTEM, VERIFICATION];
/// Every association's buffers (receive, transmit, socket rings), in `.bss`.
static POOL: AssociationPool<ASSOCIATIONS> = AssociationPool::new();
static CONFIG: StaticCell<DeviceConfig> = StaticCell::new();
static POLICY: StaticCell<AcceptorPolicy<'static>> = StaticCell::new();
static DEVICE: StaticCell<Device> = StaticCell::new();

/// Figures on this target that the linked image does not show by itself, logged at boot and
/// read back from the ELF by `scripts/footprint`: the number of association tasks, one
/// association's buffers, the core's `Connection` (held in the association task's future),
/// one TCP socket's slot in the network stack's resources, and the maximum PDU length the
/// factory configuration advertises.
#[no_mangle]
static DIMSE_FOOTPRINT: [u32; 5] = [
    ASSOCIATIONS as u32,
    size_of::<AssociationBuffers>() as u32,
    size_of::<dimse_core::Connection<'static>>() as u32,
    (size_of::<StackResources<2>>() - size_of::<StackResources<1>>()) as u32,
    Limits::DEFAULT.max_pdu_length,
];

/// The device's side of the service: one for every association task.
pub struct Device {
    display: DisplaySystem<'static>,
}

impl Handler for Device {
    async fn n_get(&self, request: &NGetRequest<'_>) -> Result<Reply<'_>, Failure<'_>> {
        // A display controller would read its luminance sensor or its QA log here.
        info!(
            "N-GET from {}, {} attribute(s) listed",
            request.calling_ae,
            request.attribute_identifier_list.len() / 4
        );
        Ok(Reply::success(&self.display))
    }

    fn association_ended(&self, summary: &Summary) {
        info!("association ended: {}", summary);
    }
}

/// One association at a time, accepted again and again: spawned [`ASSOCIATIONS`] times.
#[embassy_executor::task(pool_size = ASSOCIATIONS)]
async fn association(
    stack: Stack<'static>,
    port: u16,
    buffers: &'static mut AssociationBuffers,
    policy: &'static AcceptorPolicy<'static>,
    device: &'static Device,
) -> ! {
    serve_association(stack, port, buffers, policy, device).await
}

/// Reads the configuration, builds the policy and the handler, spawns the association tasks.
pub fn start(spawner: Spawner, stack: Stack<'static>, flash: Peri<'static, FLASH>) {
    let config: &'static DeviceConfig = CONFIG.init(stored_config(flash));
    info!("configuration: {}", config);
    // Through `black_box`, so that the static stays in the image for `scripts/footprint`.
    let [tasks, buffers, connection, socket, _] = *core::hint::black_box(&DIMSE_FOOTPRINT);
    info!(
        "{} associations, each: {} bytes of buffers, a {}-byte Connection in its task, a {}-byte socket slot; maximum PDU {}",
        tasks, buffers, connection, socket, config.limits.max_pdu_length
    );
    let policy = POLICY.init(config.policy(&SERVED));
    let display = config.identify(DISPLAY);
    // Served anyway: a QA server may still read most of it, and the log says what to fix.
    #[cfg(feature = "validate")]
    if let Err(e) = validate(&display) {
        error!("the Display System breaks a rule of its IOD: {}", e);
    }
    let device = DEVICE.init(Device { display });
    for buffers in POOL.take_all() {
        spawner.spawn(unwrap!(association(
            stack,
            config.port,
            buffers,
            policy,
            device
        )));
    }
}

/// The configuration in flash, or the factory one when the sector is blank or holds another
/// layout.
fn stored_config(flash: Peri<'static, FLASH>) -> DeviceConfig {
    let mut flash = Flash::new_blocking(flash);
    let mut page = [0u8; MAX_CONFIG_LEN];
    if flash.blocking_read(CONFIG_OFFSET, &mut page).is_ok() {
        match DeviceConfig::from_postcard(&page) {
            Ok(config) => return config,
            Err(e) => warn!("no configuration in flash ({}): factory defaults", e),
        }
    }
    factory_config()
}

/// Our AE title on [`PORT`], the core's default limits (maximum PDU 16,382 advertised), and
/// the chip's unique ID as the serial number.
fn factory_config() -> DeviceConfig {
    let mut config = DeviceConfig::new(unwrap!(AeTitle::new(AE_TITLE)));
    config.port = PORT;
    if let Ok(serial) = embassy_stm32::uid::uid_hex().try_into() {
        config.serial_number = serial;
    }
    config
}
