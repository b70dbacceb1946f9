//! [`DEMO`]: a made-up but realistic Display System, for examples, tests and `dimse serve`.

use super::terms::{
    AmbientLightValueSource, DisplayFunctionType, MeasuredCharacteristic, MeasurementFunction,
    SystemStatus, TestResult, WhitePointFlag,
};
use super::{
    AmbientLight, Code, ConfigurationQaResults, DisplayCalibrationResult, DisplaySubsystem,
    DisplaySubsystemConfiguration, DisplaySubsystemQaResults, DisplaySystem,
    EquipmentAdministrator, HumanPerformer, LuminanceMeasurement, LuminanceResult,
    LuminanceUniformityResult, MeasurementEquipment, ResultContext, TargetLuminanceCharacteristics,
    UniformityPoint, VisualEvaluationResult, VisualEvaluationTest,
};

/// **Demo data, not a real device.** A diagnostic dual-head display station as a radiology
/// reading room would have it: two 10-bit LCD heads, each with an integrated front sensor and
/// two configurations, "DICOM" (GSDF, 0.5 to 400 cd/m², D65 white) and "TEXT" (gamma 2.2,
/// 250 cd/m²).
///
/// The left head carries the latest QA results of its DICOM configuration: an overnight
/// calibration to the GSDF target and a five-point luminance response, both with its front
/// sensor and no operator; a five-point TG18-UNL80 uniformity check with a handheld
/// photometer; and a visual TG18-QC evaluation, both by a medical physicist. The right head
/// was replaced recently: its status is WARNING ("Acceptance test pending") and its QA
/// Results item has no results yet.
///
/// Every name, serial number, date and measurement is invented; the measured luminances sit
/// near the GSDF curve (PS3.14) between the two targets. The codes are DCM (PS3.16): display
/// device type 109992 "Liquid Crystal Display", test pattern 109801 "TG18-QC Pattern",
/// measurement pattern 109844 "TG18-UNL80 Pattern", evaluation method 109701 "Overall image
/// quality evaluation". Measurement Equipment Type is `INTEGRATED` for the front sensors and
/// `EXTERNAL` for the photometer; those two strings are guesses, not taken from the
/// Enumerated Values of PS3.3 C.32.1.2, so a real instance should use values from there.
///
/// It fits in 4 KiB in both encodings and with either sequence length (the sizes are in the
/// [module documentation](super#the-demo-instance)).
pub static DEMO: DisplaySystem<'static> = DisplaySystem {
    specific_character_set: &[],
    manufacturer: MANUFACTURER,
    manufacturer_model_name: "EDS-DX2 Diagnostic Station",
    device_serial_number: "EDSDX2-2023-00417",
    institution_name: "Example General Hospital",
    institution_address: "1 Example Way, Springfield",
    station_name: "RAD-READ-07",
    institutional_department_name: "Radiology",
    institutional_department_type: None,
    date_of_manufacture: Some("20230915"),
    date_of_installation: Some("20231102"),
    equipment_administrators: &[EquipmentAdministrator {
        person_name: "PACS Administrator",
        person_identification_codes: &[Code::new("PACSADM", "99EGH", "PACS Administrator")],
        address: None,
        telephone_numbers: &["+1-555-0142"],
        telecom_information: None,
        institution_name: Some("Example General Hospital"),
        institution_address: None,
        institution_code: None,
    }],
    target_luminance_characteristics: &[
        TargetLuminanceCharacteristics {
            id: 1,
            display_function_type: DisplayFunctionType::Gsdf,
            target_minimum_luminance: 0.5,
            target_maximum_luminance: 400.0,
            gamma_value: None,
            luminance_response: &[],
            luminance_response_description: None,
            cie_xy_white_point: Some(D65),
            ambient_light: None,
        },
        TargetLuminanceCharacteristics {
            id: 2,
            display_function_type: DisplayFunctionType::Gamma,
            target_minimum_luminance: 0.5,
            target_maximum_luminance: 250.0,
            gamma_value: Some(2.2),
            luminance_response: &[],
            luminance_response_description: None,
            cie_xy_white_point: Some(D65),
            ambient_light: None,
        },
    ],
    display_subsystems: &[
        DisplaySubsystem {
            id: 1,
            name: "LEFT",
            description: "Left diagnostic head",
            device_serial_number: "EDSM21-0000871",
            measurement_equipment: FRONT_SENSOR_LEFT,
            qa_results: &[DisplaySubsystemQaResults {
                configuration_id: 1,
                results: &[ConfigurationQaResults {
                    display_calibration: &[calibration(FRONT_SENSOR_LEFT)],
                    visual_evaluation: &[VISUAL_EVALUATION],
                    luminance_uniformity: &[LuminanceUniformityResult {
                        points: &[
                            uniformity(168.2),
                            uniformity(171.0),
                            uniformity(176.4),
                            uniformity(166.9),
                            uniformity(169.7),
                        ],
                        ..UNIFORMITY
                    }],
                    luminance: &[LuminanceResult {
                        context: automatic(FRONT_SENSOR_LEFT),
                        points: &[
                            measured(0, 0.51),
                            measured(256, 8.61),
                            measured(512, 39.6),
                            measured(768, 133.9),
                            measured(1023, 398.7),
                        ],
                        // A reading room's ~0.2 cd/m² is 0 as a US value.
                        ambient_light: Some(AmbientLight {
                            reflected: 0,
                            source: AmbientLightValueSource::Default,
                        }),
                    }],
                }],
            }],
            ..HEAD
        },
        DisplaySubsystem {
            id: 2,
            name: "RIGHT",
            description: "Right diagnostic head",
            device_serial_number: "EDSM21-0000872",
            system_status: SystemStatus::Warning,
            system_status_comment: "Acceptance test pending",
            measurement_equipment: FRONT_SENSOR_RIGHT,
            // Replaced last week; no QA results until its acceptance test.
            qa_results: &[],
            ..HEAD
        },
    ],
};

/// D65, the white point of both targets.
const D65: [f32; 2] = [0.3127, 0.3290];

const MANUFACTURER: &str = "Example Displays";

/// What the two heads share.
const HEAD: DisplaySubsystem<'static> = DisplaySubsystem {
    display_device_type: Some(Code::new("109992", "DCM", "Liquid Crystal Display")),
    manufacturer: MANUFACTURER,
    manufacturer_model_name: "EDS-M21 21.3in 3MP",
    date_of_manufacture: Some("20230901"),
    configurations: &[
        DisplaySubsystemConfiguration {
            id: 1,
            name: "DICOM",
            description: "GSDF 0.5-400 cd/m2 for diagnosis",
            target_luminance_characteristics_id: Some(1),
        },
        DisplaySubsystemConfiguration {
            id: 2,
            name: "TEXT",
            description: "Gamma 2.2 250 cd/m2 for reporting",
            target_luminance_characteristics_id: Some(2),
        },
    ],
    current_configuration_id: Some(1),
    ..DisplaySubsystem::EMPTY
};

/// The integrated front sensor of a head.
const fn front_sensor(serial: &'static str) -> MeasurementEquipment<'static> {
    MeasurementEquipment {
        manufacturer: MANUFACTURER,
        manufacturer_model_name: "IFS-2",
        device_serial_number: serial,
        date_time_of_last_calibration: "20231102093000",
        measurement_functions: &[MeasurementFunction::Photometer],
        measurement_equipment_type: "INTEGRATED",
        measured_characteristics: &[MeasuredCharacteristic::Luminance],
    }
}

const FRONT_SENSOR_LEFT: &[MeasurementEquipment<'static>] = &[front_sensor("IFS2-0000871")];
const FRONT_SENSOR_RIGHT: &[MeasurementEquipment<'static>] = &[front_sensor("IFS2-0000872")];

/// The physicist's handheld photometer.
const PHOTOMETER: MeasurementEquipment<'static> = MeasurementEquipment {
    manufacturer: "Example Instruments",
    manufacturer_model_name: "LM-100",
    device_serial_number: "LM100-55813",
    date_time_of_last_calibration: "20230614",
    measurement_functions: &[MeasurementFunction::Photometer],
    measurement_equipment_type: "EXTERNAL",
    measured_characteristics: &[
        MeasuredCharacteristic::Uniformity,
        MeasuredCharacteristic::Luminance,
    ],
};

const PHYSICIST: HumanPerformer<'static> = HumanPerformer {
    code: None,
    name: Some("Curie^Marie"),
    organization: "Medical Physics",
};

/// A step the station ran by itself overnight with a head's sensor.
const fn automatic(sensor: &'static [MeasurementEquipment<'static>]) -> ResultContext<'static> {
    ResultContext {
        start: "20240311020000",
        end: "20240311021430",
        performers: &[],
        measurement_equipment: sensor,
    }
}

/// The QA session of the physicist.
const MANUAL: ResultContext<'static> = ResultContext {
    start: "20240312081500",
    end: "20240312084000",
    performers: &[PHYSICIST],
    measurement_equipment: &[PHOTOMETER],
};

const fn calibration(
    sensor: &'static [MeasurementEquipment<'static>],
) -> DisplayCalibrationResult<'static> {
    DisplayCalibrationResult {
        context: automatic(sensor),
        luminance_characteristics_id: 1,
    }
}

const fn measured(ddl_value: u16, luminance: f32) -> LuminanceMeasurement {
    LuminanceMeasurement {
        ddl_value,
        luminance,
        cie_xy_white_point: None,
    }
}

const fn uniformity(luminance: f32) -> UniformityPoint {
    UniformityPoint {
        luminance,
        cie_xy_white_point: None,
    }
}

/// TG18-UNL80 at 80 % of the 10-bit range, centre and four corners.
const UNIFORMITY: LuminanceUniformityResult<'static> = LuminanceUniformityResult {
    context: MANUAL,
    measurement_pattern: Code::new("109844", "DCM", "TG18-UNL80 Pattern"),
    ddl_value: 818,
    white_point_flag: WhitePointFlag::No,
    points: &[],
    ambient_light: None,
};

const VISUAL_EVALUATION: VisualEvaluationResult<'static> = VisualEvaluationResult {
    context: ResultContext {
        measurement_equipment: &[],
        ..MANUAL
    },
    tests: &[VisualEvaluationTest {
        result: TestResult::Pass,
        comment: None,
        test_pattern: Some(Code::new("109801", "DCM", "TG18-QC Pattern")),
        referenced_images: &[],
    }],
    method: Code::new("109701", "DCM", "Overall image quality evaluation"),
};
