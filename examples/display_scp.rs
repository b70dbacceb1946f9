//! A Display System SCP on tokio that answers N-GET from the application's own state.
//!
//! The application knows its display as a plain Rust struct, [`Panel`], with owned strings
//! and its own status type; a background task plays the luminance sensor and refreshes it
//! every second. Nothing in `Panel` is DICOM. The bridge is one `impl DataSetSource for
//! Panel`: at each request it lays a [`DisplaySystem`] over the panel's fields (borrowing
//! them, nothing is copied) on top of the constant identity of the device, and writes that.
//!
//! Why an `Arc<Panel>` snapshot: `dimse_tokio` encodes the data set after the handler has
//! returned, in the association's task, so the handler's [`Reply`] must own or share its
//! data. The sensor publishes each reading as a new immutable `Arc<Panel>` behind a
//! `RwLock`; the handler clones that `Arc` (a reference count, no string is copied) and
//! hands it over. A request never sees a half-updated panel, and no lock is held while the
//! data set is encoded. (A closure is a `DataSetSource` too:
//! `Arc::new(move |w: &mut Writer<'_>| panel.write_to(w))` would do the same.)
//!
//! Run it, then ask it from another terminal:
//!
//! ```text
//! cargo run --example display_scp [PORT]      # default 11112, 0 picks a free port
//! cargo run --example nget_scu 127.0.0.1 11112
//! ```
//!
//! Ctrl-C stops it: the server stops accepting, lets open associations finish their current
//! message, then aborts them.

use std::process::exit;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dimse::core::dataset::{DataSetSource, WriteError, Writer};
use dimse::core::pdu::AeTitle;
use dimse::core::service::display::{
    ConfigurationQaResults, DisplayFunctionType, DisplaySubsystem, DisplaySubsystemConfiguration,
    DisplaySubsystemQaResults, DisplaySystem, LuminanceMeasurement, LuminanceResult,
    MeasuredCharacteristic, MeasurementEquipment, MeasurementFunction, ResultContext, SystemStatus,
    TargetLuminanceCharacteristics,
};
use dimse_tokio::{NGetRequest, Reply, Server};

/// The serial number of the simulated panel (the end-to-end test looks for it).
const SERIAL: &str = "PANEL-0042";

/// The calibrated white level, in cd/m².
const TARGET_CD_M2: f32 = 350.0;

/// The application's own model of its display: no DICOM types, owned data.
#[derive(Debug, Clone)]
struct Panel {
    serial: String,
    luminance_cd_m2: f32,
    /// When `luminance_cd_m2` was measured, as a DICOM DT in UTC.
    measured_at: String,
    status: PanelStatus,
}

#[derive(Debug, Clone)]
enum PanelStatus {
    Ok,
    Warning(String),
}

/// What never changes: who made the display and where it stands, its configuration and the
/// sensor built into it. Lives in a `const`, as it would in flash on a device.
const IDENTITY: DisplaySystem<'static> = DisplaySystem {
    manufacturer: "Example Displays",
    manufacturer_model_name: "EX-1 Clinical Review",
    institution_name: "Example General Hospital",
    institution_address: "1 Example Way, Springfield",
    station_name: "REVIEW-3",
    target_luminance_characteristics: &[TargetLuminanceCharacteristics {
        id: 1,
        display_function_type: DisplayFunctionType::Gsdf,
        target_minimum_luminance: 0.5,
        target_maximum_luminance: TARGET_CD_M2,
        gamma_value: None,
        luminance_response: &[],
        luminance_response_description: None,
        cie_xy_white_point: None,
        ambient_light: None,
    }],
    ..DisplaySystem::EMPTY
};

const CONFIGURATIONS: &[DisplaySubsystemConfiguration<'static>] =
    &[DisplaySubsystemConfiguration {
        id: 1,
        name: "DICOM",
        description: "GSDF 0.5-350 cd/m2",
        target_luminance_characteristics_id: Some(1),
    }];

const FRONT_SENSOR: &[MeasurementEquipment<'static>] = &[MeasurementEquipment {
    manufacturer: "Example Displays",
    manufacturer_model_name: "IFS-1",
    device_serial_number: "IFS1-0007",
    date_time_of_last_calibration: "",
    measurement_functions: &[MeasurementFunction::Photometer],
    measurement_equipment_type: "INTEGRATED",
    measured_characteristics: &[MeasuredCharacteristic::Luminance],
}];

/// The bridge: the panel as a Display System, borrowed field by field for one write.
impl DataSetSource for Panel {
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        let (system_status, comment) = match &self.status {
            PanelStatus::Ok => (SystemStatus::Ok, ""),
            PanelStatus::Warning(why) => (SystemStatus::Warning, why.as_str()),
        };
        // The latest sensor reading, as a one-point Luminance Result (white, DDL 1023).
        let points = [LuminanceMeasurement {
            ddl_value: 1023,
            luminance: self.luminance_cd_m2,
            cie_xy_white_point: None,
        }];
        let luminance = [LuminanceResult {
            context: ResultContext {
                start: &self.measured_at,
                end: &self.measured_at,
                performers: &[],
                measurement_equipment: FRONT_SENSOR,
            },
            points: &points,
            ambient_light: None,
        }];
        let results = [ConfigurationQaResults {
            display_calibration: &[],
            visual_evaluation: &[],
            luminance_uniformity: &[],
            luminance: &luminance,
        }];
        let qa_results = [DisplaySubsystemQaResults {
            configuration_id: 1,
            results: &results,
        }];
        let subsystems = [DisplaySubsystem {
            id: 1,
            name: "MAIN",
            manufacturer: IDENTITY.manufacturer,
            manufacturer_model_name: IDENTITY.manufacturer_model_name,
            device_serial_number: &self.serial,
            system_status,
            system_status_comment: comment,
            configurations: CONFIGURATIONS,
            current_configuration_id: Some(1),
            measurement_equipment: FRONT_SENSOR,
            qa_results: &qa_results,
            ..DisplaySubsystem::EMPTY
        }];
        DisplaySystem {
            device_serial_number: &self.serial,
            display_subsystems: &subsystems,
            ..IDENTITY
        }
        .write_to(w)
    }
}

/// The simulated sensor: the backlight dims by 0.1 % a second, the reading has ±0.5 cd/m²
/// of noise, and the status turns to WARNING 10 % below target.
async fn sensor(panel: Arc<RwLock<Arc<Panel>>>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut noise: u32 = 0x2545_F491;
    loop {
        tick.tick().await;
        noise ^= noise << 13;
        noise ^= noise >> 17;
        noise ^= noise << 5;
        let mut latest = panel.write().expect("panel lock poisoned");
        let luminance = latest.luminance_cd_m2 * 0.999 + (noise % 1000) as f32 / 1000.0 - 0.5;
        let status = if luminance < TARGET_CD_M2 * 0.9 {
            PanelStatus::Warning(format!("White level {luminance:.0} cd/m2, recalibrate"))
        } else {
            PanelStatus::Ok
        };
        *latest = Arc::new(Panel {
            serial: latest.serial.clone(),
            luminance_cd_m2: luminance,
            measured_at: dicom_now(),
            status,
        });
    }
}

#[tokio::main]
async fn main() {
    let port = match std::env::args().nth(1).map(|a| a.parse::<u16>()) {
        None => 11112,
        Some(Ok(port)) => port,
        Some(Err(_)) => {
            eprintln!("usage: display_scp [PORT]");
            exit(2);
        }
    };

    let panel = Arc::new(RwLock::new(Arc::new(Panel {
        serial: SERIAL.to_string(),
        luminance_cd_m2: TARGET_CD_M2,
        measured_at: dicom_now(),
        status: PanelStatus::Ok,
    })));
    tokio::spawn(sensor(panel.clone()));

    let server = Server::builder(AeTitle::new("DISPLAY").expect("a valid AE title"))
        .n_get(move |request: NGetRequest| {
            // The snapshot is taken here, the lock held only while the `Arc` is cloned.
            let snapshot = Arc::clone(&panel.read().expect("panel lock poisoned"));
            println!(
                "{}: {:.1} cd/m2, {:?}",
                request, snapshot.luminance_cd_m2, snapshot.status
            );
            async move { Ok(Reply::success(snapshot)) }
        })
        .bind(("0.0.0.0", port))
        .await;
    let server = match server {
        Ok(server) => server,
        Err(e) => {
            eprintln!("display_scp: cannot listen on port {port}: {e}");
            exit(1);
        }
    };
    match server.local_addr() {
        Ok(addr) => println!("display_scp: listening on {addr} (Ctrl-C to stop)"),
        Err(e) => eprintln!("display_scp: {e}"),
    }
    if let Err(e) = server.serve().await {
        eprintln!("display_scp: {e}");
        exit(1);
    }
}

/// Now as a DICOM DT in UTC (`YYYYMMDDHHMMSS+0000`), without a date crate: the civil date
/// from the days since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn dicom_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, time) = ((secs / 86_400) as i64, secs % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}{:02}{:02}{:02}+0000",
        time / 3600,
        time / 60 % 60,
        time % 60
    )
}
