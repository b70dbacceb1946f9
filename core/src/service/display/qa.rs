//! The QA Results module: the latest QA results of each Display Subsystem configuration
//! (PS3.3 C.32.3; PS3.4 Table EE.2.2.1-2 and the Result Context Macro, Table EE.2.2.1-1).
//!
//! The nesting follows the wire: QA Results Sequence item (one per subsystem, written by
//! [`DisplaySystem`](super::DisplaySystem) from [`DisplaySubsystem::qa_results`](super::DisplaySubsystem::qa_results))
//! → [`DisplaySubsystemQaResults`] (per configuration) → [`ConfigurationQaResults`] → the
//! four kinds of result, each carrying a [`ResultContext`].

use super::common::{
    ambient_light_source, count, optional_sequence, optional_string, reflected_ambient_light,
    sequence, AmbientLight, Code, MeasurementEquipment,
};
use super::tags;
use super::terms::{TestImageValidation, TestResult, WhitePointFlag};
use crate::dataset::{DataSetSource, Vr, WriteError, Writer};

/// One item of a Display Subsystem QA Results Sequence (0028,7010): the results for one
/// configuration of the subsystem.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DisplaySubsystemQaResults<'a> {
    /// Configuration ID (0028,700B), US, -/1: a
    /// [`DisplaySubsystemConfiguration::id`](super::DisplaySubsystemConfiguration::id).
    pub configuration_id: u16,
    /// Configuration QA Results Sequence (0028,7011), -/2.
    pub results: &'a [ConfigurationQaResults<'a>],
}

impl DataSetSource for DisplaySubsystemQaResults<'_> {
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        w.u16(tags::CONFIGURATION_ID, self.configuration_id)?;
        sequence(w, tags::CONFIGURATION_QA_RESULTS_SEQUENCE, self.results)
    }
}

/// One item of a Configuration QA Results Sequence (0028,7011): the four kinds of result,
/// each a sequence (-/2, so written even when empty).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ConfigurationQaResults<'a> {
    /// Display Calibration Result Sequence (0028,7016).
    pub display_calibration: &'a [DisplayCalibrationResult<'a>],
    /// Visual Evaluation Result Sequence (0028,7015).
    pub visual_evaluation: &'a [VisualEvaluationResult<'a>],
    /// Luminance Uniformity Result Sequence (0028,7027).
    pub luminance_uniformity: &'a [LuminanceUniformityResult<'a>],
    /// Luminance Result Sequence (0028,7024).
    pub luminance: &'a [LuminanceResult<'a>],
}

impl DataSetSource for ConfigurationQaResults<'_> {
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        sequence(
            w,
            tags::VISUAL_EVALUATION_RESULT_SEQUENCE,
            self.visual_evaluation,
        )?;
        sequence(
            w,
            tags::DISPLAY_CALIBRATION_RESULT_SEQUENCE,
            self.display_calibration,
        )?;
        sequence(w, tags::LUMINANCE_RESULT_SEQUENCE, self.luminance)?;
        sequence(
            w,
            tags::LUMINANCE_UNIFORMITY_RESULT_SEQUENCE,
            self.luminance_uniformity,
        )
    }
}

/// The Result Context Macro (PS3.4 Table EE.2.2.1-1; PS3.3 C.32.3.1 "QA Result Context"):
/// when a QA step ran, who did it, and with what equipment. Part of every result item.
///
/// Its elements are not contiguous in tag order (group 0028 and group 0040), so each result
/// writes them around its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ResultContext<'a> {
    /// Performed Procedure Step Start DateTime (0040,4050), DT, -/1.
    pub start: &'a str,
    /// Performed Procedure Step End DateTime (0040,4051), DT, -/1.
    pub end: &'a str,
    /// Actual Human Performers Sequence (0040,4035), 3/2: empty for an unattended step.
    pub performers: &'a [HumanPerformer<'a>],
    /// Measurement Equipment Sequence (0028,7012), 3/2: empty for a purely visual step.
    pub measurement_equipment: &'a [MeasurementEquipment<'a>],
}

impl ResultContext<'_> {
    fn write_equipment(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        sequence(
            w,
            tags::MEASUREMENT_EQUIPMENT_SEQUENCE,
            self.measurement_equipment,
        )
    }

    fn write_performance(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        sequence(w, tags::ACTUAL_HUMAN_PERFORMERS_SEQUENCE, self.performers)?;
        w.string(
            tags::PERFORMED_PROCEDURE_STEP_START_DATE_TIME,
            Vr::DT,
            self.start,
        )?;
        w.string(
            tags::PERFORMED_PROCEDURE_STEP_END_DATE_TIME,
            Vr::DT,
            self.end,
        )
    }
}

/// One item of the Actual Human Performers Sequence (0040,4035). At least one of `code` and
/// `name` is required (-/1C each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct HumanPerformer<'a> {
    /// Human Performer Code Sequence (0040,4009), -/1C; written only when present.
    pub code: Option<Code<'a>>,
    /// Human Performer's Name (0040,4037), PN, -/1C; written only when present.
    pub name: Option<&'a str>,
    /// Human Performer's Organization (0040,4036), LO, -/2.
    pub organization: &'a str,
}

impl DataSetSource for HumanPerformer<'_> {
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        optional_sequence(w, tags::HUMAN_PERFORMER_CODE_SEQUENCE, self.code.as_ref())?;
        w.string(
            tags::HUMAN_PERFORMER_ORGANIZATION,
            Vr::LO,
            self.organization,
        )?;
        optional_string(w, tags::HUMAN_PERFORMER_NAME, Vr::PN, self.name)
    }
}

/// One item of the Display Calibration Result Sequence (0028,7016): a calibration to a
/// target curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DisplayCalibrationResult<'a> {
    /// When, by whom, with what.
    pub context: ResultContext<'a>,
    /// Luminance Characteristics ID (0028,7009), US, -/1: the
    /// [`TargetLuminanceCharacteristics::id`](super::TargetLuminanceCharacteristics::id)
    /// calibrated to.
    pub luminance_characteristics_id: u16,
}

impl DataSetSource for DisplayCalibrationResult<'_> {
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        w.u16(
            tags::LUMINANCE_CHARACTERISTICS_ID,
            self.luminance_characteristics_id,
        )?;
        self.context.write_equipment(w)?;
        self.context.write_performance(w)
    }
}

/// One item of the Visual Evaluation Result Sequence (0028,7015): a session of visual tests
/// (PS3.3 C.32.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct VisualEvaluationResult<'a> {
    /// When, by whom, with what.
    pub context: ResultContext<'a>,
    /// Visual Evaluation Test Sequence (0028,7028), -/1: one or more tests, all from this
    /// session.
    pub tests: &'a [VisualEvaluationTest<'a>],
    /// Visual Evaluation Method Code Sequence (0028,702E), -/1, a single item (BCID 8300
    /// "Visual Evaluation Method"), for example (109701, DCM, "Overall image quality
    /// evaluation").
    pub method: Code<'a>,
}

impl DataSetSource for VisualEvaluationResult<'_> {
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        self.context.write_equipment(w)?;
        sequence(w, tags::VISUAL_EVALUATION_TEST_SEQUENCE, self.tests)?;
        sequence(
            w,
            tags::VISUAL_EVALUATION_METHOD_CODE_SEQUENCE,
            core::slice::from_ref(&self.method),
        )?;
        self.context.write_performance(w)
    }
}

/// One item of the Visual Evaluation Test Sequence (0028,7028): one test pattern looked at
/// and its outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct VisualEvaluationTest<'a> {
    /// Test Result (0028,7029), CS, -/1.
    pub result: TestResult,
    /// Test Result Comment (0028,702A), LO, -/3; written only when present.
    pub comment: Option<&'a str>,
    /// Test Pattern Code Sequence (0028,702C), -/3, a single item (BCID 8301 "Test Pattern"),
    /// for example (109801, DCM, "TG18-QC Pattern"); written only when present.
    pub test_pattern: Option<Code<'a>>,
    /// Referenced Image Sequence (0008,1140), -/1C: required when `test_pattern` is absent,
    /// allowed otherwise; written when not empty.
    pub referenced_images: &'a [ReferencedImage<'a>],
}

impl DataSetSource for VisualEvaluationTest<'_> {
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        if !self.referenced_images.is_empty() {
            sequence(w, tags::REFERENCED_IMAGE_SEQUENCE, self.referenced_images)?;
        }
        w.string(tags::TEST_RESULT, Vr::CS, self.result.as_str())?;
        optional_string(w, tags::TEST_RESULT_COMMENT, Vr::LO, self.comment)?;
        optional_sequence(
            w,
            tags::TEST_PATTERN_CODE_SEQUENCE,
            self.test_pattern.as_ref(),
        )
    }
}

/// One item of a Referenced Image Sequence (0008,1140): the test image shown.
///
/// Referenced Frame Number (0008,1160) and Referenced Segment Number (0062,000B), needed only
/// to point into a multi-frame image or a segmentation, are not modelled: a display test
/// image is a single frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ReferencedImage<'a> {
    /// Referenced SOP Class UID (0008,1150), UI, -/1.
    pub sop_class_uid: &'a str,
    /// Referenced SOP Instance UID (0008,1155), UI, -/1.
    pub sop_instance_uid: &'a str,
    /// Test Image Validation (0028,702B), CS, -/3; written only when present.
    pub validation: Option<TestImageValidation>,
}

impl DataSetSource for ReferencedImage<'_> {
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        w.string(tags::REFERENCED_SOP_CLASS_UID, Vr::UI, self.sop_class_uid)?;
        w.string(
            tags::REFERENCED_SOP_INSTANCE_UID,
            Vr::UI,
            self.sop_instance_uid,
        )?;
        optional_string(
            w,
            tags::TEST_IMAGE_VALIDATION,
            Vr::CS,
            self.validation.map(TestImageValidation::as_str),
        )
    }
}

/// One item of the Luminance Uniformity Result Sequence (0028,7027): luminance measured at
/// several places of the screen at one DDL (PS3.3 C.32.3.3).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LuminanceUniformityResult<'a> {
    /// When, by whom, with what.
    pub context: ResultContext<'a>,
    /// Measurement Pattern Code Sequence (0028,702D), -/1, a single item (BCID 8302
    /// "Measurement Pattern"), for example (109844, DCM, "TG18-UNL80 Pattern").
    pub measurement_pattern: Code<'a>,
    /// DDL Value (0028,7017), US, -/1: the one DDL every point was measured at.
    pub ddl_value: u16,
    /// White Point Flag (0028,7021), CS, -/1: [`WhitePointFlag::Yes`] if and only if the
    /// points carry white points.
    pub white_point_flag: WhitePointFlag,
    /// Luminance Response Sequence (0028,701C), -/1, in major-row order (left to right, then
    /// top to bottom); Number of Luminance Points (0028,701B) is its length. Five points
    /// (centre and four corners) is the common case.
    pub points: &'a [UniformityPoint],
    /// Reflected Ambient Light (2010,0160), -/3, with its Ambient Light Value Source
    /// (0028,7025); written only when present.
    pub ambient_light: Option<AmbientLight>,
}

impl DataSetSource for LuminanceUniformityResult<'_> {
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        self.context.write_equipment(w)?;
        w.u16(tags::DDL_VALUE, self.ddl_value)?;
        w.u16(tags::NUMBER_OF_LUMINANCE_POINTS, count(self.points)?)?;
        sequence(w, tags::LUMINANCE_RESPONSE_SEQUENCE, self.points)?;
        w.string(
            tags::WHITE_POINT_FLAG,
            Vr::CS,
            self.white_point_flag.as_str(),
        )?;
        ambient_light_source(w, self.ambient_light.as_ref())?;
        sequence(
            w,
            tags::MEASUREMENT_PATTERN_CODE_SEQUENCE,
            core::slice::from_ref(&self.measurement_pattern),
        )?;
        self.context.write_performance(w)?;
        reflected_ambient_light(w, self.ambient_light.as_ref())
    }
}

/// One point of a luminance uniformity measurement: an item of its Luminance Response
/// Sequence (0028,701C).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct UniformityPoint {
    /// Luminance Value (0028,701F), FL, -/1, in cd/m².
    pub luminance: f32,
    /// CIExy White Point (0028,7018), FL 2 (x, y), -/1C: required when the White Point Flag
    /// is YES; written whenever present.
    pub cie_xy_white_point: Option<[f32; 2]>,
}

impl DataSetSource for UniformityPoint {
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        if let Some(white_point) = &self.cie_xy_white_point {
            w.f32s(tags::CIEXY_WHITE_POINT, white_point)?;
        }
        w.f32(tags::LUMINANCE_VALUE, self.luminance)
    }
}

/// One item of the Luminance Result Sequence (0028,7024): a measured luminance response
/// (PS3.3 C.32.3.4).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LuminanceResult<'a> {
    /// When, by whom, with what.
    pub context: ResultContext<'a>,
    /// Luminance Response Sequence (0028,701C), -/1; Number of Luminance Points (0028,701B)
    /// is its length.
    pub points: &'a [LuminanceMeasurement],
    /// Reflected Ambient Light (2010,0160), -/3, with its Ambient Light Value Source
    /// (0028,7025); written only when present.
    pub ambient_light: Option<AmbientLight>,
}

impl DataSetSource for LuminanceResult<'_> {
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        self.context.write_equipment(w)?;
        w.u16(tags::NUMBER_OF_LUMINANCE_POINTS, count(self.points)?)?;
        sequence(w, tags::LUMINANCE_RESPONSE_SEQUENCE, self.points)?;
        ambient_light_source(w, self.ambient_light.as_ref())?;
        self.context.write_performance(w)?;
        reflected_ambient_light(w, self.ambient_light.as_ref())
    }
}

/// One measured point of a luminance response: an item of the Luminance Response Sequence
/// (0028,701C) of a [`LuminanceResult`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LuminanceMeasurement {
    /// DDL Value (0028,7017), US, -/1.
    pub ddl_value: u16,
    /// Luminance Value (0028,701F), FL, -/1, in cd/m².
    pub luminance: f32,
    /// CIExy White Point (0028,7018), FL 2 (x, y), -/3; written only when present.
    pub cie_xy_white_point: Option<[f32; 2]>,
}

impl DataSetSource for LuminanceMeasurement {
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        w.u16(tags::DDL_VALUE, self.ddl_value)?;
        if let Some(white_point) = &self.cie_xy_white_point {
            w.f32s(tags::CIEXY_WHITE_POINT, white_point)?;
        }
        w.f32(tags::LUMINANCE_VALUE, self.luminance)
    }
}
