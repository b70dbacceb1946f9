//! The items of the Display Subsystem Sequence (0028,7023) and what they hold.

use super::common::{optional_string, sequence, Code, MeasurementEquipment};
use super::qa::DisplaySubsystemQaResults;
use super::tags;
use super::terms::SystemStatus;
use crate::dataset::{DataSetSource, Vr, WriteError, Writer};

/// One Display Subsystem: a display device (one monitor, one head of a multi-head display)
/// and its configurations (PS3.3 C.32.1; PS3.4 Table EE.2.2.1-2, `>` level of the Display
/// Subsystem Sequence).
///
/// Its QA results live here too ([`DisplaySubsystem::qa_results`]) although on the wire they
/// go in the top-level QA Results Sequence (0028,700F): [`DisplaySystem`](super::DisplaySystem)
/// writes one QA Results item per subsystem, tagged with this subsystem's ID, which is what
/// PS3.3 C.32.3 asks for ("exactly one Item … for each Display Subsystem").
///
/// As a [`DataSetSource`] it writes one Display Subsystem Sequence item (without the QA
/// results).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DisplaySubsystem<'a> {
    /// Display Subsystem ID (0028,7003), US, -/1: unique within the Display System.
    pub id: u16,
    /// Display Subsystem Name (0028,7004), SH, -/2.
    pub name: &'a str,
    /// Display Subsystem Description (0028,7005), LO, -/2.
    pub description: &'a str,
    /// Display Device Type Code Sequence (0028,7022), -/2: for example (109992, DCM,
    /// "Liquid Crystal Display"). `None` writes the sequence with no item.
    pub display_device_type: Option<Code<'a>>,
    /// Manufacturer (0008,0070), LO, -/2: of the display device.
    pub manufacturer: &'a str,
    /// Manufacturer's Model Name (0008,1090), LO, -/2.
    pub manufacturer_model_name: &'a str,
    /// Device Serial Number (0018,1000), LO, -/2.
    pub device_serial_number: &'a str,
    /// Date of Manufacture (0018,1204), DA (`YYYYMMDD`); written only when present. Added
    /// to the module by newer PS3.3 editions (Table C.32.1-1); the PS3.4 Table EE.2.2.1-2
    /// this model follows gives it no SCP usage, so it is optional here.
    pub date_of_manufacture: Option<&'a str>,
    /// System Status (0028,7006), CS, -/1.
    pub system_status: SystemStatus,
    /// System Status Comment (0028,7007), LO, -/2.
    pub system_status_comment: &'a str,
    /// Display Subsystem Configuration Sequence (0028,700A), -/2.
    pub configurations: &'a [DisplaySubsystemConfiguration<'a>],
    /// Current Configuration ID (0028,7002), US, -/2: the [`DisplaySubsystemConfiguration::id`]
    /// in use. `None` writes a zero-length value.
    pub current_configuration_id: Option<u16>,
    /// Measurement Equipment Sequence (0028,7012), -/2: the equipment the subsystem has
    /// (an integrated front sensor, a backlight sensor).
    pub measurement_equipment: &'a [MeasurementEquipment<'a>],
    /// This subsystem's Display Subsystem QA Results Sequence (0028,7010): one item per
    /// configuration that has results. Written inside the QA Results Sequence (0028,700F),
    /// not inside the Display Subsystem Sequence item.
    pub qa_results: &'a [DisplaySubsystemQaResults<'a>],
}

impl DisplaySubsystem<'static> {
    /// A subsystem with ID 0, status OK and everything else empty: a base for struct update
    /// syntax in `const` items (`DisplaySubsystem { id: 1, ..DisplaySubsystem::EMPTY }`).
    pub const EMPTY: Self = DisplaySubsystem {
        id: 0,
        name: "",
        description: "",
        display_device_type: None,
        manufacturer: "",
        manufacturer_model_name: "",
        device_serial_number: "",
        date_of_manufacture: None,
        system_status: SystemStatus::Ok,
        system_status_comment: "",
        configurations: &[],
        current_configuration_id: None,
        measurement_equipment: &[],
        qa_results: &[],
    };
}

impl DataSetSource for DisplaySubsystem<'_> {
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        w.string(tags::MANUFACTURER, Vr::LO, self.manufacturer)?;
        w.string(
            tags::MANUFACTURER_MODEL_NAME,
            Vr::LO,
            self.manufacturer_model_name,
        )?;
        w.string(
            tags::DEVICE_SERIAL_NUMBER,
            Vr::LO,
            self.device_serial_number,
        )?;
        optional_string(
            w,
            tags::DATE_OF_MANUFACTURE,
            Vr::DA,
            self.date_of_manufacture,
        )?;
        w.u16s(
            tags::CURRENT_CONFIGURATION_ID,
            self.current_configuration_id.as_slice(),
        )?;
        w.u16(tags::DISPLAY_SUBSYSTEM_ID, self.id)?;
        w.string(tags::DISPLAY_SUBSYSTEM_NAME, Vr::SH, self.name)?;
        w.string(
            tags::DISPLAY_SUBSYSTEM_DESCRIPTION,
            Vr::LO,
            self.description,
        )?;
        w.string(tags::SYSTEM_STATUS, Vr::CS, self.system_status.as_str())?;
        w.string(
            tags::SYSTEM_STATUS_COMMENT,
            Vr::LO,
            self.system_status_comment,
        )?;
        sequence(
            w,
            tags::DISPLAY_SUBSYSTEM_CONFIGURATION_SEQUENCE,
            self.configurations,
        )?;
        sequence(
            w,
            tags::MEASUREMENT_EQUIPMENT_SEQUENCE,
            self.measurement_equipment,
        )?;
        sequence(
            w,
            tags::DISPLAY_DEVICE_TYPE_CODE_SEQUENCE,
            self.display_device_type.as_slice(),
        )
    }
}

/// One item of the Display Subsystem Configuration Sequence (0028,700A): a mode the
/// subsystem can run in ("DICOM", "text"), tied to a target luminance curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DisplaySubsystemConfiguration<'a> {
    /// Configuration ID (0028,700B), US, -/1: unique within the subsystem.
    pub id: u16,
    /// Configuration Name (0028,700C), SH, -/2.
    pub name: &'a str,
    /// Configuration Description (0028,700D), LO, -/2.
    pub description: &'a str,
    /// Referenced Target Luminance Characteristics ID (0028,700E), US, -/2: a
    /// [`TargetLuminanceCharacteristics::id`](super::TargetLuminanceCharacteristics::id).
    /// `None` writes a zero-length value.
    pub target_luminance_characteristics_id: Option<u16>,
}

impl DataSetSource for DisplaySubsystemConfiguration<'_> {
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        w.u16(tags::CONFIGURATION_ID, self.id)?;
        w.string(tags::CONFIGURATION_NAME, Vr::SH, self.name)?;
        w.string(tags::CONFIGURATION_DESCRIPTION, Vr::LO, self.description)?;
        w.u16s(
            tags::REFERENCED_TARGET_LUMINANCE_CHARACTERISTICS_ID,
            self.target_luminance_characteristics_id.as_slice(),
        )
    }
}
