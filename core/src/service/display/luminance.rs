//! The Target Luminance Characteristics module: the library of luminance curves a Display
//! Subsystem configuration is calibrated to (PS3.3 C.32.2).

use super::common::{
    ambient_light_source, count, optional_string, reflected_ambient_light, sequence, AmbientLight,
};
use super::tags;
use super::terms::DisplayFunctionType;
use crate::dataset::{DataSetSource, Vr, WriteError, Writer};

/// One item of the Target Luminance Characteristics Sequence (0028,7008): a target curve,
/// referenced by ID from [`DisplaySubsystemConfiguration`](super::DisplaySubsystemConfiguration)
/// and from [`DisplayCalibrationResult`](super::DisplayCalibrationResult).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TargetLuminanceCharacteristics<'a> {
    /// Luminance Characteristics ID (0028,7009), US, -/1: unique within the sequence.
    pub id: u16,
    /// Display Function Type (0028,7019), CS, -/1.
    pub display_function_type: DisplayFunctionType,
    /// Target Minimum Luminance (0028,701D), FL, -/1, in cd/m².
    pub target_minimum_luminance: f32,
    /// Target Maximum Luminance (0028,701E), FL, -/1, in cd/m².
    pub target_maximum_luminance: f32,
    /// Gamma Value (0028,701A), FL, -/1C: required when the type is
    /// [`DisplayFunctionType::Gamma`]; written whenever present.
    pub gamma_value: Option<f32>,
    /// Luminance Response Sequence (0028,701C), -/1C: the curve, required when the type is
    /// [`DisplayFunctionType::UserDefined`]. It and Number of Luminance Points (0028,701B),
    /// derived from its length, are written for that type or whenever the slice is not
    /// empty. DDL Values start at 0, end at the maximum DDL and strictly increase.
    pub luminance_response: &'a [LuminancePoint],
    /// Luminance Response Description (0028,7020), LO, -/1C: required for
    /// [`DisplayFunctionType::UserDefined`], allowed otherwise; written whenever present.
    pub luminance_response_description: Option<&'a str>,
    /// CIExy White Point (0028,7018), FL 2 (x, y), -/3: the target white point; written only
    /// when present.
    pub cie_xy_white_point: Option<[f32; 2]>,
    /// Reflected Ambient Light (2010,0160), -/3, with its Ambient Light Value Source
    /// (0028,7025); written only when present.
    pub ambient_light: Option<AmbientLight>,
}

impl DataSetSource for TargetLuminanceCharacteristics<'_> {
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        w.u16(tags::LUMINANCE_CHARACTERISTICS_ID, self.id)?;
        if let Some(white_point) = &self.cie_xy_white_point {
            w.f32s(tags::CIEXY_WHITE_POINT, white_point)?;
        }
        w.string(
            tags::DISPLAY_FUNCTION_TYPE,
            Vr::CS,
            self.display_function_type.as_str(),
        )?;
        if let Some(gamma) = self.gamma_value {
            w.f32(tags::GAMMA_VALUE, gamma)?;
        }
        if self.display_function_type == DisplayFunctionType::UserDefined
            || !self.luminance_response.is_empty()
        {
            w.u16(
                tags::NUMBER_OF_LUMINANCE_POINTS,
                count(self.luminance_response)?,
            )?;
            sequence(
                w,
                tags::LUMINANCE_RESPONSE_SEQUENCE,
                self.luminance_response,
            )?;
        }
        w.f32(
            tags::TARGET_MINIMUM_LUMINANCE,
            self.target_minimum_luminance,
        )?;
        w.f32(
            tags::TARGET_MAXIMUM_LUMINANCE,
            self.target_maximum_luminance,
        )?;
        optional_string(
            w,
            tags::LUMINANCE_RESPONSE_DESCRIPTION,
            Vr::LO,
            self.luminance_response_description,
        )?;
        ambient_light_source(w, self.ambient_light.as_ref())?;
        reflected_ambient_light(w, self.ambient_light.as_ref())
    }
}

/// One point of a target luminance curve: an item of the Luminance Response Sequence
/// (0028,701C) of a [`TargetLuminanceCharacteristics`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LuminancePoint {
    /// DDL Value (0028,7017), US, -/1: the digital driving level.
    pub ddl_value: u16,
    /// Luminance Value (0028,701F), FL, -/1, in cd/m².
    pub luminance: f32,
}

impl DataSetSource for LuminancePoint {
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        w.u16(tags::DDL_VALUE, self.ddl_value)?;
        w.f32(tags::LUMINANCE_VALUE, self.luminance)
    }
}
