//! The display a server serves, as owned data: a mirror of the core's borrowing
//! [`DisplaySystem`] model, and the conversions both ways (documented on [`DisplayConfig`]).

use bumpalo::Bump;
use dimse_core::dataset::{DataSetSource, WriteError, Writer};
use dimse_core::service::display::{
    self as model, AmbientLightValueSource, DisplayFunctionType, DisplaySystem,
    MeasuredCharacteristic, MeasurementFunction, SystemStatus, TestImageValidation, TestResult,
    WhitePointFlag,
};
use serde::{Deserialize, Serialize};

use super::terms;

/// The Display System: who made it, where it stands, the target curves its configurations
/// refer to, and its display subsystems with their QA results. The `[display]` table of a
/// configuration file.
///
/// # A mirror of the core's model
///
/// It mirrors the core's [`DisplaySystem`] field for field, and every `Owned*` struct it
/// holds mirrors the core struct of the same name without the prefix
/// ([`OwnedDisplaySubsystem`] is [`DisplaySubsystem`](model::DisplaySubsystem)), with
/// `String` for `&str`, `Vec` for slices, and the core's value-set enums as they are (written
/// and read as their DICOM terms). The field docs here say how a field appears in a file;
/// what it means on the wire is in the core's docs.
///
/// In a file, a field the core writes with a value (usage 1) must be given; a field that may
/// be empty (usage 2) or absent (usage 3) may be left out and is then empty or absent.
/// Unknown keys are errors.
///
/// # From the owned data to the core's model
///
/// The core's model borrows all the way down (`&'a [DisplaySubsystem<'a>]`, each holding
/// `&'a [DisplaySubsystemConfiguration<'a>]`, and so on), so a model of owned data needs
/// somewhere to keep the borrowed structs of every level while it lives.
/// [`with_model`](Self::with_model) builds them in a bump arena that lives for the duration
/// of a closure: no `unsafe`, no leak, one allocation of a few KiB for a display like
/// [`DEMO`](model::DEMO). The [`DataSetSource`] implementation does that for each data set it
/// writes, which adds nothing measurable to the writing itself (about 10 µs for `DEMO` in a
/// release build, from the owned data or from the core's static alike) and keeps the
/// configuration the only state: a server shares an `Arc<DisplayConfig>` between its
/// association tasks and hands it to the writer as it is. One that wants the borrowed model
/// itself for its whole life runs inside `with_model`.
///
/// The other direction, `From<&DisplaySystem<'_>>`, copies a model into owned data:
/// [`demo`](Self::demo) is [`DEMO`](model::DEMO) copied that way, so `dimse serve` without a
/// configuration file runs the same code as with one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisplayConfig {
    /// Specific Character Set (0008,0005); empty for ASCII, the default. The strings are
    /// written byte for byte as UTF-8, so a display with any text beyond ASCII must say
    /// `["ISO_IR 192"]` (UTF-8), which loading checks. (An ISO 2022 7-bit encoding also
    /// works, with its escape sequences written as `\u001b` in the strings.)
    #[serde(default)]
    pub specific_character_set: Vec<String>,
    /// Manufacturer (0008,0070): required.
    pub manufacturer: String,
    /// Manufacturer's Model Name (0008,1090): required.
    pub manufacturer_model_name: String,
    /// Device Serial Number (0018,1000): required.
    pub device_serial_number: String,
    /// Institution Name (0008,0080): required.
    pub institution_name: String,
    /// Institution Address (0008,0081): required.
    pub institution_address: String,
    /// Station Name (0008,1010); empty if left out.
    #[serde(default)]
    pub station_name: String,
    /// Institutional Department Name (0008,1040); empty if left out.
    #[serde(default)]
    pub institutional_department_name: String,
    /// Date of Manufacture (0018,1204), `YYYYMMDD`; optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_manufacture: Option<String>,
    /// Date of Installation (0018,1205), `YYYYMMDD`; optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_installation: Option<String>,
    /// Institutional Department Type Code Sequence (0008,1041); optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub institutional_department_type: Option<OwnedCode>,
    /// Equipment Administrator Sequence (0028,7000); none if left out.
    #[serde(default)]
    pub equipment_administrators: Vec<OwnedEquipmentAdministrator>,
    /// Target Luminance Characteristics Sequence (0028,7008): one or more target curves,
    /// referred to by ID.
    pub target_luminance_characteristics: Vec<OwnedTargetLuminanceCharacteristics>,
    /// Display Subsystem Sequence (0028,7023): one or more subsystems (heads, monitors).
    pub display_subsystems: Vec<OwnedDisplaySubsystem>,
}

/// A coded entry. Mirrors [`Code`](model::Code); in TOML, an inline table such as
/// `{ value = "109992", scheme_designator = "DCM", meaning = "Liquid Crystal Display" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnedCode {
    /// Code Value (0008,0100).
    pub value: String,
    /// Coding Scheme Designator (0008,0102).
    pub scheme_designator: String,
    /// Coding Scheme Version (0008,0103); optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme_version: Option<String>,
    /// Code Meaning (0008,0104).
    pub meaning: String,
}

/// An item of an Equipment Administrator Sequence. Mirrors
/// [`EquipmentAdministrator`](model::EquipmentAdministrator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnedEquipmentAdministrator {
    /// Person Name (0040,A123); empty if left out.
    #[serde(default)]
    pub person_name: String,
    /// Person's Address (0040,1102); optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Person's Telephone Numbers (0040,1103); none if left out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub telephone_numbers: Vec<String>,
    /// Person's Telecom Information (0040,1104); optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telecom_information: Option<String>,
    /// Institution Name (0008,0080); this or `institution_code` is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub institution_name: Option<String>,
    /// Institution Address (0008,0081); optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub institution_address: Option<String>,
    /// Institution Code Sequence (0008,0082); this or `institution_name` is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub institution_code: Option<OwnedCode>,
    /// Person Identification Code Sequence (0040,1101): one or more codes.
    pub person_identification_codes: Vec<OwnedCode>,
}

/// A target luminance curve. Mirrors
/// [`TargetLuminanceCharacteristics`](model::TargetLuminanceCharacteristics).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnedTargetLuminanceCharacteristics {
    /// Luminance Characteristics ID (0028,7009): unique among the targets.
    pub id: u16,
    /// Display Function Type (0028,7019): `"GSDF"`, `"CIELAB"`, `"GAMMA"`, `"LINEAR"`,
    /// `"LOG10"`, `"SRGB"` or `"USER_DEFINED"`.
    #[serde(with = "terms::one")]
    pub display_function_type: DisplayFunctionType,
    /// Target Minimum Luminance (0028,701D), cd/m².
    pub target_minimum_luminance: f32,
    /// Target Maximum Luminance (0028,701E), cd/m².
    pub target_maximum_luminance: f32,
    /// Gamma Value (0028,701A): required for `"GAMMA"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gamma_value: Option<f32>,
    /// Luminance Response Description (0028,7020): required for `"USER_DEFINED"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub luminance_response_description: Option<String>,
    /// CIExy White Point (0028,7018), `[x, y]`; optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cie_xy_white_point: Option<[f32; 2]>,
    /// Reflected Ambient Light (2010,0160) with its source; optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ambient_light: Option<OwnedAmbientLight>,
    /// Luminance Response Sequence (0028,701C): the curve, required for `"USER_DEFINED"`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub luminance_response: Vec<OwnedLuminancePoint>,
}

/// A point of a target curve. Mirrors [`LuminancePoint`](model::LuminancePoint).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnedLuminancePoint {
    /// DDL Value (0028,7017).
    pub ddl_value: u16,
    /// Luminance Value (0028,701F), cd/m².
    pub luminance: f32,
}

/// Reflected Ambient Light and its source. Mirrors [`AmbientLight`](model::AmbientLight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnedAmbientLight {
    /// Reflected Ambient Light (2010,0160), cd/m² as an integer.
    pub reflected: u16,
    /// Ambient Light Value Source (0028,7025): `"DEFAULT"`, `"MEASURED"` or `"PROVIDED"`.
    #[serde(with = "terms::one")]
    pub source: AmbientLightValueSource,
}

/// A piece of measurement equipment. Mirrors
/// [`MeasurementEquipment`](model::MeasurementEquipment). Every field may be left out
/// (empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnedMeasurementEquipment {
    /// Manufacturer (0008,0070).
    #[serde(default)]
    pub manufacturer: String,
    /// Manufacturer's Model Name (0008,1090).
    #[serde(default)]
    pub manufacturer_model_name: String,
    /// Device Serial Number (0018,1000).
    #[serde(default)]
    pub device_serial_number: String,
    /// DateTime of Last Calibration (0018,1202), `YYYYMMDDHHMMSS` or a prefix of it.
    #[serde(default)]
    pub date_time_of_last_calibration: String,
    /// Measurement Functions (0028,7013): `"PHOTOMETER"`, `"COLORIMETER"`,
    /// `"ILLUMINOMETER"`, each at most once.
    #[serde(default, with = "terms::list")]
    pub measurement_functions: Vec<MeasurementFunction>,
    /// Measurement Equipment Type (0028,7014), a CS such as `"INTEGRATED"`.
    #[serde(default)]
    pub measurement_equipment_type: String,
    /// Measured Characteristics (0028,7026): `"UNIFORMITY"`, `"LUMINANCE"`,
    /// `"CHROMATICITY"`, `"ILLUMINANCE"`, each at most once.
    #[serde(default, with = "terms::list")]
    pub measured_characteristics: Vec<MeasuredCharacteristic>,
}

/// A display subsystem (a head, a monitor) with its configurations and QA results. Mirrors
/// [`DisplaySubsystem`](model::DisplaySubsystem).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnedDisplaySubsystem {
    /// Display Subsystem ID (0028,7003): unique among the subsystems.
    pub id: u16,
    /// Display Subsystem Name (0028,7004); empty if left out.
    #[serde(default)]
    pub name: String,
    /// Display Subsystem Description (0028,7005); empty if left out.
    #[serde(default)]
    pub description: String,
    /// Manufacturer (0008,0070) of the display device; empty if left out.
    #[serde(default)]
    pub manufacturer: String,
    /// Manufacturer's Model Name (0008,1090); empty if left out.
    #[serde(default)]
    pub manufacturer_model_name: String,
    /// Device Serial Number (0018,1000); empty if left out.
    #[serde(default)]
    pub device_serial_number: String,
    /// Date of Manufacture (0018,1204), `YYYYMMDD`; optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_manufacture: Option<String>,
    /// System Status (0028,7006): `"OK"`, `"WARNING"` or `"FAILED"`.
    #[serde(with = "terms::one")]
    pub system_status: SystemStatus,
    /// System Status Comment (0028,7007); empty if left out.
    #[serde(default)]
    pub system_status_comment: String,
    /// Current Configuration ID (0028,7002): one of `configurations`; empty if left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_configuration_id: Option<u16>,
    /// Display Device Type Code Sequence (0028,7022); empty if left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_device_type: Option<OwnedCode>,
    /// Display Subsystem Configuration Sequence (0028,700A); none if left out.
    #[serde(default)]
    pub configurations: Vec<OwnedDisplaySubsystemConfiguration>,
    /// Measurement Equipment Sequence (0028,7012): the subsystem's own sensors; none if left
    /// out.
    #[serde(default)]
    pub measurement_equipment: Vec<OwnedMeasurementEquipment>,
    /// This subsystem's QA results, one item per configuration that has results; none if
    /// left out.
    #[serde(default)]
    pub qa_results: Vec<OwnedDisplaySubsystemQaResults>,
}

/// A configuration of a subsystem. Mirrors
/// [`DisplaySubsystemConfiguration`](model::DisplaySubsystemConfiguration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnedDisplaySubsystemConfiguration {
    /// Configuration ID (0028,700B): unique within the subsystem.
    pub id: u16,
    /// Configuration Name (0028,700C); empty if left out.
    #[serde(default)]
    pub name: String,
    /// Configuration Description (0028,700D); empty if left out.
    #[serde(default)]
    pub description: String,
    /// Referenced Target Luminance Characteristics ID (0028,700E): one of the display's
    /// targets; empty if left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_luminance_characteristics_id: Option<u16>,
}

/// The QA results of one configuration of a subsystem. Mirrors
/// [`DisplaySubsystemQaResults`](model::DisplaySubsystemQaResults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnedDisplaySubsystemQaResults {
    /// Configuration ID (0028,700B): one of the subsystem's configurations.
    pub configuration_id: u16,
    /// Configuration QA Results Sequence (0028,7011); none if left out.
    #[serde(default)]
    pub results: Vec<OwnedConfigurationQaResults>,
}

/// The four kinds of QA result. Mirrors
/// [`ConfigurationQaResults`](model::ConfigurationQaResults); each list may be left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnedConfigurationQaResults {
    /// Display Calibration Result Sequence (0028,7016).
    #[serde(default)]
    pub display_calibration: Vec<OwnedDisplayCalibrationResult>,
    /// Visual Evaluation Result Sequence (0028,7015).
    #[serde(default)]
    pub visual_evaluation: Vec<OwnedVisualEvaluationResult>,
    /// Luminance Uniformity Result Sequence (0028,7027).
    #[serde(default)]
    pub luminance_uniformity: Vec<OwnedLuminanceUniformityResult>,
    /// Luminance Result Sequence (0028,7024).
    #[serde(default)]
    pub luminance: Vec<OwnedLuminanceResult>,
}

/// When a QA step ran, who did it, and with what. Mirrors
/// [`ResultContext`](model::ResultContext).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnedResultContext {
    /// Performed Procedure Step Start DateTime (0040,4050), `YYYYMMDDHHMMSS`.
    pub start: String,
    /// Performed Procedure Step End DateTime (0040,4051), `YYYYMMDDHHMMSS`.
    pub end: String,
    /// Actual Human Performers Sequence (0040,4035); none (unattended) if left out.
    #[serde(default)]
    pub performers: Vec<OwnedHumanPerformer>,
    /// Measurement Equipment Sequence (0028,7012); none (visual) if left out.
    #[serde(default)]
    pub measurement_equipment: Vec<OwnedMeasurementEquipment>,
}

/// A person who performed a QA step. Mirrors [`HumanPerformer`](model::HumanPerformer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnedHumanPerformer {
    /// Human Performer's Name (0040,4037); this or `code` is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Human Performer's Organization (0040,4036); empty if left out.
    #[serde(default)]
    pub organization: String,
    /// Human Performer Code Sequence (0040,4009); this or `name` is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<OwnedCode>,
}

/// A calibration to a target curve. Mirrors
/// [`DisplayCalibrationResult`](model::DisplayCalibrationResult).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnedDisplayCalibrationResult {
    /// Luminance Characteristics ID (0028,7009): the target calibrated to.
    pub luminance_characteristics_id: u16,
    /// When, by whom, with what.
    pub context: OwnedResultContext,
}

/// A session of visual tests. Mirrors
/// [`VisualEvaluationResult`](model::VisualEvaluationResult).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnedVisualEvaluationResult {
    /// Visual Evaluation Method Code Sequence (0028,702E).
    pub method: OwnedCode,
    /// When, by whom, with what.
    pub context: OwnedResultContext,
    /// Visual Evaluation Test Sequence (0028,7028): one or more tests.
    pub tests: Vec<OwnedVisualEvaluationTest>,
}

/// One visual test. Mirrors [`VisualEvaluationTest`](model::VisualEvaluationTest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnedVisualEvaluationTest {
    /// Test Result (0028,7029): `"PASS"`, `"FAIL"` or `"SKIP"`.
    #[serde(with = "terms::one")]
    pub result: TestResult,
    /// Test Result Comment (0028,702A); optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Test Pattern Code Sequence (0028,702C); this or `referenced_images` is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_pattern: Option<OwnedCode>,
    /// Referenced Image Sequence (0008,1140); this or `test_pattern` is required.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub referenced_images: Vec<OwnedReferencedImage>,
}

/// The test image shown. Mirrors [`ReferencedImage`](model::ReferencedImage).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnedReferencedImage {
    /// Referenced SOP Class UID (0008,1150).
    pub sop_class_uid: String,
    /// Referenced SOP Instance UID (0008,1155).
    pub sop_instance_uid: String,
    /// Test Image Validation (0028,702B): `"MATCHED"` or `"UNMATCHED"`; optional.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "terms::optional"
    )]
    pub validation: Option<TestImageValidation>,
}

/// A luminance uniformity measurement. Mirrors
/// [`LuminanceUniformityResult`](model::LuminanceUniformityResult).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnedLuminanceUniformityResult {
    /// DDL Value (0028,7017) every point was measured at.
    pub ddl_value: u16,
    /// White Point Flag (0028,7021): `"YES"` if and only if every point has a white point,
    /// else `"NO"`.
    #[serde(with = "terms::one")]
    pub white_point_flag: WhitePointFlag,
    /// Reflected Ambient Light (2010,0160) with its source; optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ambient_light: Option<OwnedAmbientLight>,
    /// Measurement Pattern Code Sequence (0028,702D).
    pub measurement_pattern: OwnedCode,
    /// When, by whom, with what.
    pub context: OwnedResultContext,
    /// Luminance Response Sequence (0028,701C), in major-row order.
    pub points: Vec<OwnedUniformityPoint>,
}

/// A point of a uniformity measurement. Mirrors [`UniformityPoint`](model::UniformityPoint).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnedUniformityPoint {
    /// Luminance Value (0028,701F), cd/m².
    pub luminance: f32,
    /// CIExy White Point (0028,7018), `[x, y]`; required when the flag is `"YES"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cie_xy_white_point: Option<[f32; 2]>,
}

/// A measured luminance response. Mirrors [`LuminanceResult`](model::LuminanceResult).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnedLuminanceResult {
    /// Reflected Ambient Light (2010,0160) with its source; optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ambient_light: Option<OwnedAmbientLight>,
    /// When, by whom, with what.
    pub context: OwnedResultContext,
    /// Luminance Response Sequence (0028,701C): one or more points.
    pub points: Vec<OwnedLuminanceMeasurement>,
}

/// A measured point. Mirrors [`LuminanceMeasurement`](model::LuminanceMeasurement).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnedLuminanceMeasurement {
    /// DDL Value (0028,7017).
    pub ddl_value: u16,
    /// Luminance Value (0028,701F), cd/m².
    pub luminance: f32,
    /// CIExy White Point (0028,7018), `[x, y]`; optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cie_xy_white_point: Option<[f32; 2]>,
}

impl DisplayConfig {
    /// [`DEMO`](model::DEMO), the core's made-up dual-head diagnostic display, as owned data:
    /// what `dimse serve` serves without a configuration file.
    pub fn demo() -> Self {
        DisplayConfig::from(&model::DEMO)
    }

    /// Runs `f` with the core's borrowing model of this display, built in an arena that is
    /// dropped when `f` returns (see [above](Self#from-the-owned-data-to-the-cores-model)).
    pub fn with_model<R>(&self, f: impl FnOnce(&DisplaySystem<'_>) -> R) -> R {
        let arena = Bump::new();
        f(&self.model(&arena))
    }

    fn model<'b>(&'b self, a: &'b Bump) -> DisplaySystem<'b> {
        DisplaySystem {
            specific_character_set: strs(a, &self.specific_character_set),
            manufacturer: &self.manufacturer,
            manufacturer_model_name: &self.manufacturer_model_name,
            device_serial_number: &self.device_serial_number,
            institution_name: &self.institution_name,
            institution_address: &self.institution_address,
            station_name: &self.station_name,
            institutional_department_name: &self.institutional_department_name,
            institutional_department_type: self.institutional_department_type.as_ref().map(code),
            date_of_manufacture: self.date_of_manufacture.as_deref(),
            date_of_installation: self.date_of_installation.as_deref(),
            equipment_administrators: each(a, &self.equipment_administrators, |x| {
                model::EquipmentAdministrator {
                    person_name: &x.person_name,
                    person_identification_codes: each(a, &x.person_identification_codes, code),
                    address: x.address.as_deref(),
                    telephone_numbers: strs(a, &x.telephone_numbers),
                    telecom_information: x.telecom_information.as_deref(),
                    institution_name: x.institution_name.as_deref(),
                    institution_address: x.institution_address.as_deref(),
                    institution_code: x.institution_code.as_ref().map(code),
                }
            }),
            target_luminance_characteristics: each(
                a,
                &self.target_luminance_characteristics,
                |t| model::TargetLuminanceCharacteristics {
                    id: t.id,
                    display_function_type: t.display_function_type,
                    target_minimum_luminance: t.target_minimum_luminance,
                    target_maximum_luminance: t.target_maximum_luminance,
                    gamma_value: t.gamma_value,
                    luminance_response: each(a, &t.luminance_response, |p| model::LuminancePoint {
                        ddl_value: p.ddl_value,
                        luminance: p.luminance,
                    }),
                    luminance_response_description: t.luminance_response_description.as_deref(),
                    cie_xy_white_point: t.cie_xy_white_point,
                    ambient_light: t.ambient_light.map(ambient),
                },
            ),
            display_subsystems: each(a, &self.display_subsystems, |s| s.model(a)),
        }
    }
}

impl DataSetSource for DisplayConfig {
    /// Writes the display as the core's [`DisplaySystem`] does, building that model for the
    /// duration of the call.
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        self.with_model(|display| display.write_to(w))
    }
}

impl OwnedDisplaySubsystem {
    fn model<'b>(&'b self, a: &'b Bump) -> model::DisplaySubsystem<'b> {
        model::DisplaySubsystem {
            id: self.id,
            name: &self.name,
            description: &self.description,
            display_device_type: self.display_device_type.as_ref().map(code),
            manufacturer: &self.manufacturer,
            manufacturer_model_name: &self.manufacturer_model_name,
            device_serial_number: &self.device_serial_number,
            date_of_manufacture: self.date_of_manufacture.as_deref(),
            system_status: self.system_status,
            system_status_comment: &self.system_status_comment,
            configurations: each(a, &self.configurations, |c| {
                model::DisplaySubsystemConfiguration {
                    id: c.id,
                    name: &c.name,
                    description: &c.description,
                    target_luminance_characteristics_id: c.target_luminance_characteristics_id,
                }
            }),
            current_configuration_id: self.current_configuration_id,
            measurement_equipment: each(a, &self.measurement_equipment, equipment),
            qa_results: each(a, &self.qa_results, |q| model::DisplaySubsystemQaResults {
                configuration_id: q.configuration_id,
                results: each(a, &q.results, |r| r.model(a)),
            }),
        }
    }
}

impl OwnedConfigurationQaResults {
    fn model<'b>(&'b self, a: &'b Bump) -> model::ConfigurationQaResults<'b> {
        model::ConfigurationQaResults {
            display_calibration: each(a, &self.display_calibration, |c| {
                model::DisplayCalibrationResult {
                    context: c.context.model(a),
                    luminance_characteristics_id: c.luminance_characteristics_id,
                }
            }),
            visual_evaluation: each(a, &self.visual_evaluation, |v| {
                model::VisualEvaluationResult {
                    context: v.context.model(a),
                    tests: each(a, &v.tests, |t| model::VisualEvaluationTest {
                        result: t.result,
                        comment: t.comment.as_deref(),
                        test_pattern: t.test_pattern.as_ref().map(code),
                        referenced_images: each(a, &t.referenced_images, |i| {
                            model::ReferencedImage {
                                sop_class_uid: &i.sop_class_uid,
                                sop_instance_uid: &i.sop_instance_uid,
                                validation: i.validation,
                            }
                        }),
                    }),
                    method: code(&v.method),
                }
            }),
            luminance_uniformity: each(a, &self.luminance_uniformity, |u| {
                model::LuminanceUniformityResult {
                    context: u.context.model(a),
                    measurement_pattern: code(&u.measurement_pattern),
                    ddl_value: u.ddl_value,
                    white_point_flag: u.white_point_flag,
                    points: each(a, &u.points, |p| model::UniformityPoint {
                        luminance: p.luminance,
                        cie_xy_white_point: p.cie_xy_white_point,
                    }),
                    ambient_light: u.ambient_light.map(ambient),
                }
            }),
            luminance: each(a, &self.luminance, |l| model::LuminanceResult {
                context: l.context.model(a),
                points: each(a, &l.points, |p| model::LuminanceMeasurement {
                    ddl_value: p.ddl_value,
                    luminance: p.luminance,
                    cie_xy_white_point: p.cie_xy_white_point,
                }),
                ambient_light: l.ambient_light.map(ambient),
            }),
        }
    }
}

impl OwnedResultContext {
    fn model<'b>(&'b self, a: &'b Bump) -> model::ResultContext<'b> {
        model::ResultContext {
            start: &self.start,
            end: &self.end,
            performers: each(a, &self.performers, |p| model::HumanPerformer {
                code: p.code.as_ref().map(code),
                name: p.name.as_deref(),
                organization: &p.organization,
            }),
            measurement_equipment: each(a, &self.measurement_equipment, equipment),
        }
    }
}

/// A slice in the arena with `f` of every element of `items`.
fn each<'b, T, U>(a: &'b Bump, items: &'b [T], f: impl FnMut(&'b T) -> U) -> &'b [U] {
    a.alloc_slice_fill_iter(items.iter().map(f))
}

fn strs<'b>(a: &'b Bump, items: &'b [String]) -> &'b [&'b str] {
    each(a, items, String::as_str)
}

fn code(c: &OwnedCode) -> model::Code<'_> {
    model::Code {
        value: &c.value,
        scheme_designator: &c.scheme_designator,
        scheme_version: c.scheme_version.as_deref(),
        meaning: &c.meaning,
    }
}

fn ambient(l: OwnedAmbientLight) -> model::AmbientLight {
    model::AmbientLight {
        reflected: l.reflected,
        source: l.source,
    }
}

fn equipment(e: &OwnedMeasurementEquipment) -> model::MeasurementEquipment<'_> {
    model::MeasurementEquipment {
        manufacturer: &e.manufacturer,
        manufacturer_model_name: &e.manufacturer_model_name,
        device_serial_number: &e.device_serial_number,
        date_time_of_last_calibration: &e.date_time_of_last_calibration,
        measurement_functions: &e.measurement_functions,
        measurement_equipment_type: &e.measurement_equipment_type,
        measured_characteristics: &e.measured_characteristics,
    }
}

// From the core's model to owned data.

fn owned(s: &str) -> String {
    s.to_owned()
}

fn owned_all(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| owned(s)).collect()
}

fn owned_each<'m, T, U: From<&'m T>>(items: &'m [T]) -> Vec<U> {
    items.iter().map(U::from).collect()
}

impl From<&DisplaySystem<'_>> for DisplayConfig {
    fn from(m: &DisplaySystem<'_>) -> Self {
        DisplayConfig {
            specific_character_set: owned_all(m.specific_character_set),
            manufacturer: owned(m.manufacturer),
            manufacturer_model_name: owned(m.manufacturer_model_name),
            device_serial_number: owned(m.device_serial_number),
            institution_name: owned(m.institution_name),
            institution_address: owned(m.institution_address),
            station_name: owned(m.station_name),
            institutional_department_name: owned(m.institutional_department_name),
            date_of_manufacture: m.date_of_manufacture.map(owned),
            date_of_installation: m.date_of_installation.map(owned),
            institutional_department_type: m.institutional_department_type.as_ref().map(From::from),
            equipment_administrators: owned_each(m.equipment_administrators),
            target_luminance_characteristics: owned_each(m.target_luminance_characteristics),
            display_subsystems: owned_each(m.display_subsystems),
        }
    }
}

impl From<&model::Code<'_>> for OwnedCode {
    fn from(m: &model::Code<'_>) -> Self {
        OwnedCode {
            value: owned(m.value),
            scheme_designator: owned(m.scheme_designator),
            scheme_version: m.scheme_version.map(owned),
            meaning: owned(m.meaning),
        }
    }
}

impl From<&model::EquipmentAdministrator<'_>> for OwnedEquipmentAdministrator {
    fn from(m: &model::EquipmentAdministrator<'_>) -> Self {
        OwnedEquipmentAdministrator {
            person_name: owned(m.person_name),
            address: m.address.map(owned),
            telephone_numbers: owned_all(m.telephone_numbers),
            telecom_information: m.telecom_information.map(owned),
            institution_name: m.institution_name.map(owned),
            institution_address: m.institution_address.map(owned),
            institution_code: m.institution_code.as_ref().map(From::from),
            person_identification_codes: owned_each(m.person_identification_codes),
        }
    }
}

impl From<&model::TargetLuminanceCharacteristics<'_>> for OwnedTargetLuminanceCharacteristics {
    fn from(m: &model::TargetLuminanceCharacteristics<'_>) -> Self {
        OwnedTargetLuminanceCharacteristics {
            id: m.id,
            display_function_type: m.display_function_type,
            target_minimum_luminance: m.target_minimum_luminance,
            target_maximum_luminance: m.target_maximum_luminance,
            gamma_value: m.gamma_value,
            luminance_response_description: m.luminance_response_description.map(owned),
            cie_xy_white_point: m.cie_xy_white_point,
            ambient_light: m.ambient_light.as_ref().map(From::from),
            luminance_response: owned_each(m.luminance_response),
        }
    }
}

impl From<&model::LuminancePoint> for OwnedLuminancePoint {
    fn from(m: &model::LuminancePoint) -> Self {
        OwnedLuminancePoint {
            ddl_value: m.ddl_value,
            luminance: m.luminance,
        }
    }
}

impl From<&model::AmbientLight> for OwnedAmbientLight {
    fn from(m: &model::AmbientLight) -> Self {
        OwnedAmbientLight {
            reflected: m.reflected,
            source: m.source,
        }
    }
}

impl From<&model::MeasurementEquipment<'_>> for OwnedMeasurementEquipment {
    fn from(m: &model::MeasurementEquipment<'_>) -> Self {
        OwnedMeasurementEquipment {
            manufacturer: owned(m.manufacturer),
            manufacturer_model_name: owned(m.manufacturer_model_name),
            device_serial_number: owned(m.device_serial_number),
            date_time_of_last_calibration: owned(m.date_time_of_last_calibration),
            measurement_functions: m.measurement_functions.to_vec(),
            measurement_equipment_type: owned(m.measurement_equipment_type),
            measured_characteristics: m.measured_characteristics.to_vec(),
        }
    }
}

impl From<&model::DisplaySubsystem<'_>> for OwnedDisplaySubsystem {
    fn from(m: &model::DisplaySubsystem<'_>) -> Self {
        OwnedDisplaySubsystem {
            id: m.id,
            name: owned(m.name),
            description: owned(m.description),
            manufacturer: owned(m.manufacturer),
            manufacturer_model_name: owned(m.manufacturer_model_name),
            device_serial_number: owned(m.device_serial_number),
            date_of_manufacture: m.date_of_manufacture.map(owned),
            system_status: m.system_status,
            system_status_comment: owned(m.system_status_comment),
            current_configuration_id: m.current_configuration_id,
            display_device_type: m.display_device_type.as_ref().map(From::from),
            configurations: owned_each(m.configurations),
            measurement_equipment: owned_each(m.measurement_equipment),
            qa_results: owned_each(m.qa_results),
        }
    }
}

impl From<&model::DisplaySubsystemConfiguration<'_>> for OwnedDisplaySubsystemConfiguration {
    fn from(m: &model::DisplaySubsystemConfiguration<'_>) -> Self {
        OwnedDisplaySubsystemConfiguration {
            id: m.id,
            name: owned(m.name),
            description: owned(m.description),
            target_luminance_characteristics_id: m.target_luminance_characteristics_id,
        }
    }
}

impl From<&model::DisplaySubsystemQaResults<'_>> for OwnedDisplaySubsystemQaResults {
    fn from(m: &model::DisplaySubsystemQaResults<'_>) -> Self {
        OwnedDisplaySubsystemQaResults {
            configuration_id: m.configuration_id,
            results: owned_each(m.results),
        }
    }
}

impl From<&model::ConfigurationQaResults<'_>> for OwnedConfigurationQaResults {
    fn from(m: &model::ConfigurationQaResults<'_>) -> Self {
        OwnedConfigurationQaResults {
            display_calibration: owned_each(m.display_calibration),
            visual_evaluation: owned_each(m.visual_evaluation),
            luminance_uniformity: owned_each(m.luminance_uniformity),
            luminance: owned_each(m.luminance),
        }
    }
}

impl From<&model::ResultContext<'_>> for OwnedResultContext {
    fn from(m: &model::ResultContext<'_>) -> Self {
        OwnedResultContext {
            start: owned(m.start),
            end: owned(m.end),
            performers: owned_each(m.performers),
            measurement_equipment: owned_each(m.measurement_equipment),
        }
    }
}

impl From<&model::HumanPerformer<'_>> for OwnedHumanPerformer {
    fn from(m: &model::HumanPerformer<'_>) -> Self {
        OwnedHumanPerformer {
            name: m.name.map(owned),
            organization: owned(m.organization),
            code: m.code.as_ref().map(From::from),
        }
    }
}

impl From<&model::DisplayCalibrationResult<'_>> for OwnedDisplayCalibrationResult {
    fn from(m: &model::DisplayCalibrationResult<'_>) -> Self {
        OwnedDisplayCalibrationResult {
            luminance_characteristics_id: m.luminance_characteristics_id,
            context: OwnedResultContext::from(&m.context),
        }
    }
}

impl From<&model::VisualEvaluationResult<'_>> for OwnedVisualEvaluationResult {
    fn from(m: &model::VisualEvaluationResult<'_>) -> Self {
        OwnedVisualEvaluationResult {
            method: OwnedCode::from(&m.method),
            context: OwnedResultContext::from(&m.context),
            tests: owned_each(m.tests),
        }
    }
}

impl From<&model::VisualEvaluationTest<'_>> for OwnedVisualEvaluationTest {
    fn from(m: &model::VisualEvaluationTest<'_>) -> Self {
        OwnedVisualEvaluationTest {
            result: m.result,
            comment: m.comment.map(owned),
            test_pattern: m.test_pattern.as_ref().map(From::from),
            referenced_images: owned_each(m.referenced_images),
        }
    }
}

impl From<&model::ReferencedImage<'_>> for OwnedReferencedImage {
    fn from(m: &model::ReferencedImage<'_>) -> Self {
        OwnedReferencedImage {
            sop_class_uid: owned(m.sop_class_uid),
            sop_instance_uid: owned(m.sop_instance_uid),
            validation: m.validation,
        }
    }
}

impl From<&model::LuminanceUniformityResult<'_>> for OwnedLuminanceUniformityResult {
    fn from(m: &model::LuminanceUniformityResult<'_>) -> Self {
        OwnedLuminanceUniformityResult {
            ddl_value: m.ddl_value,
            white_point_flag: m.white_point_flag,
            ambient_light: m.ambient_light.as_ref().map(From::from),
            measurement_pattern: OwnedCode::from(&m.measurement_pattern),
            context: OwnedResultContext::from(&m.context),
            points: owned_each(m.points),
        }
    }
}

impl From<&model::UniformityPoint> for OwnedUniformityPoint {
    fn from(m: &model::UniformityPoint) -> Self {
        OwnedUniformityPoint {
            luminance: m.luminance,
            cie_xy_white_point: m.cie_xy_white_point,
        }
    }
}

impl From<&model::LuminanceResult<'_>> for OwnedLuminanceResult {
    fn from(m: &model::LuminanceResult<'_>) -> Self {
        OwnedLuminanceResult {
            ambient_light: m.ambient_light.as_ref().map(From::from),
            context: OwnedResultContext::from(&m.context),
            points: owned_each(m.points),
        }
    }
}

impl From<&model::LuminanceMeasurement> for OwnedLuminanceMeasurement {
    fn from(m: &model::LuminanceMeasurement) -> Self {
        OwnedLuminanceMeasurement {
            ddl_value: m.ddl_value,
            luminance: m.luminance,
            cie_xy_white_point: m.cie_xy_white_point,
        }
    }
}
