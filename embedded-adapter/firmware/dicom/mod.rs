//! The firmware example's DICOM part, for any board: the device's side of the service (its
//! identity, its Display System, the [`Handler`] that answers N-GETs) and the association
//! tasks, on an embassy-net [`Stack`] the board brings up.
//!
//! It knows no board. Each board's package (`nucleo-h743zi/`, `mps2-an500/`) includes it as
//! its `dicom` module (`#[path]`: a module, not a crate of its own, so that the image is built
//! exactly as one crate would be), brings up its clocks and Ethernet, reads its stored
//! [`DeviceConfig`], and calls [`start`]. The board's `fmt` module provides `info!`,
//! `debug!`, `error!` and `unwrap!` (defmt's on the Nucleo, the `log` crate's on QEMU), and its
//! features choose the options below: `validate`, `encoded`, `slow`.

#[cfg(any(feature = "validate", feature = "encoded"))]
use crate::fmt::error;
use crate::fmt::{debug, info, unwrap};

use dimse_core::assoc::{AcceptorPolicy, Limits};
use dimse_core::dimse::NGetRequest;
use dimse_core::pdu::AeTitle;
#[cfg(feature = "validate")]
use dimse_core::service::display::validate;
use dimse_core::service::display::{DisplaySystem, DEMO};
use dimse_core::service::{DISPLAY_SYSTEM, VERIFICATION};
use dimse_embassy::{
    serve_association, AssociationBuffers, AssociationPool, DeviceConfig, Failure, Handler, Reply,
    Summary,
};
use embassy_executor::Spawner;
use embassy_net::{Stack, StackResources};
use static_cell::StaticCell;

/// How many peers are served at once: one association task (and one TCP socket) each. The
/// board gives the network stack this many sockets (`StackResources<ASSOCIATIONS>`).
pub const ASSOCIATIONS: usize = 2;
/// The DICOM port (104 needs root on a PC; 11112 is what DICOM tools expect).
pub const PORT: u16 = 11112;

/// The display a board describes, from constants: the core's demo description (its
/// subsystems, calibration targets and QA results) under the board's model name. The identity
/// fields are replaced by the [`DeviceConfig`]'s at boot when it has them.
pub const fn display(model_name: &'static str) -> DisplaySystem<'static> {
    DisplaySystem {
        manufacturer: "Example Displays",
        manufacturer_model_name: model_name,
        ..DEMO
    }
}

/// An AE title checked at compile time: `const AE: AeTitle = ae_title("DISPLAY");`.
pub const fn ae_title(title: &str) -> AeTitle {
    match AeTitle::new(title) {
        Some(ae) => ae,
        None => panic!("not an AE title: 1 to 16 characters of the default repertoire"),
    }
}

/// The factory configuration: `ae_title` on [`PORT`], the core's default limits (maximum PDU
/// 16,382 advertised), this serial number when it fits.
pub fn factory_config(ae_title: AeTitle, serial_number: &str) -> DeviceConfig {
    let mut config = DeviceConfig::new(ae_title);
    config.port = PORT;
    if let Ok(serial) = serial_number.try_into() {
        config.serial_number = serial;
    }
    config
}

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

/// A request the hostile-input catalogue's application answers late (`slow` feature: the
/// QEMU board, which CI runs the catalogue against): its Attribute Identifier List names this
/// private tag, (0013,0010).
#[cfg(feature = "slow")]
const SLOW_TAG: [u8; 4] = [0x13, 0x00, 0x10, 0x00];
/// How late (`slow` feature): long enough to hold the association in Sta8.
#[cfg(feature = "slow")]
const SLOW: embassy_time::Duration = embassy_time::Duration::from_millis(200);

/// The device's side of the service: one for every association task.
pub struct Device {
    #[cfg(not(feature = "encoded"))]
    display: DisplaySystem<'static>,
    #[cfg(feature = "encoded")]
    display: dimse_core::dataset::CheckedEncoded<'static>,
}

impl Handler for Device {
    async fn n_get(&self, request: &NGetRequest<'_>) -> Result<Reply<'_>, Failure<'_>> {
        // A display controller would read its luminance sensor or its QA log here.
        info!(
            "N-GET from {}, {} attribute(s) listed",
            request.calling_ae,
            request.attribute_identifier_list.len() / 4
        );
        #[cfg(feature = "slow")]
        if request
            .attribute_identifier_list
            .chunks(4)
            .any(|tag| tag == SLOW_TAG)
        {
            embassy_time::Timer::after(SLOW).await;
        }
        Ok(Reply::success(&self.display))
    }

    fn association_ended(&self, summary: &Summary) {
        info!("association ended: {:?}", summary);
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

/// Builds the policy and the handler from the board's configuration and its Display System,
/// and spawns the association tasks on the board's network stack.
pub fn start(
    spawner: Spawner,
    stack: Stack<'static>,
    config: DeviceConfig,
    display: DisplaySystem<'static>,
) {
    let config: &'static DeviceConfig = CONFIG.init(config);
    // The whole configuration at debug level only: its nested `Debug` (through `core::fmt`
    // on a board that logs with the `log` crate) is the deepest stack the boot reaches, and
    // the main stack is what the association tasks share (BENCHMARKS.md).
    info!(
        "configuration: AE title {}, port {}, serial number {}",
        config.ae_title.as_str().unwrap_or_default(),
        config.port,
        config.serial_number.as_str()
    );
    debug!("configuration: {:?}", config);
    // Through `black_box`, so that the static stays in the image for `scripts/footprint`.
    let [tasks, buffers, connection, socket, _] = *core::hint::black_box(&DIMSE_FOOTPRINT);
    info!(
        "{} associations, each: {} bytes of buffers, a {}-byte Connection in its task, a {}-byte socket slot; maximum PDU {}",
        tasks, buffers, connection, socket, config.limits.max_pdu_length
    );
    let policy = POLICY.init(config.policy(&SERVED));
    let display = config.identify(display);
    // Served anyway: a QA server may still read most of it, and the log says what to fix.
    #[cfg(feature = "validate")]
    if let Err(e) = validate(&display) {
        error!("the Display System breaks a rule of its IOD: {}", e);
    }
    #[cfg(feature = "encoded")]
    let display = encoded(&display);
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

/// The Display System encoded once, in both transfer syntaxes, into static buffers (`encoded`
/// feature: for the instruction counts of BENCHMARKS.md); a model that does not fit is served
/// empty, and the log says so. Checked once here too ([`Encoded::check`]), so that a request
/// for every attribute is one copy, not a walk of the elements' headers per response.
///
/// [`Encoded::check`]: dimse_core::dataset::Encoded::check
#[cfg(feature = "encoded")]
fn encoded(display: &DisplaySystem<'_>) -> dimse_core::dataset::CheckedEncoded<'static> {
    use dimse_core::dataset::Encoding;
    #[repr(align(4))]
    struct Aligned([u8; 4096]);
    static EXPLICIT: static_cell::ConstStaticCell<Aligned> =
        static_cell::ConstStaticCell::new(Aligned([0; 4096]));
    static IMPLICIT: static_cell::ConstStaticCell<Aligned> =
        static_cell::ConstStaticCell::new(Aligned([0; 4096]));
    let encoded = dimse_core::dataset::Encoded {
        explicit_vr_little_endian: encode(
            display,
            &mut EXPLICIT.take().0,
            Encoding::ExplicitVrLittleEndian,
        ),
        implicit_vr_little_endian: encode(
            display,
            &mut IMPLICIT.take().0,
            Encoding::ImplicitVrLittleEndian,
        ),
    };
    // The writer made these bytes (or none, when they did not fit): they check.
    unwrap!(encoded.check())
}

/// `display` in one transfer syntax, into `buf` (`encoded` feature).
#[cfg(feature = "encoded")]
fn encode(
    display: &DisplaySystem<'_>,
    buf: &'static mut [u8; 4096],
    encoding: dimse_core::dataset::Encoding,
) -> &'static [u8] {
    let mut w = dimse_core::dataset::Writer::new(&mut buf[..], encoding);
    let len = match w.write(display) {
        Ok(()) => w.written(),
        Err(_) => {
            error!("the Display System does not fit 4096 bytes");
            0
        }
    };
    let buf: &'static [u8] = buf;
    &buf[..len]
}
