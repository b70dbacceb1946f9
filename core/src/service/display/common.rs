//! Pieces shared by several levels of the model: coded entries, measurement equipment,
//! ambient light, and the small write helpers.

use super::tags;
use super::terms::{AmbientLightValueSource, MeasuredCharacteristic, MeasurementFunction};
use crate::dataset::{DataSetSource, Tag, Vr, WriteError, Writer};

/// A coded entry: one item of a code sequence (PS3.4 Table CC.2.5-2a "UPS Code Sequence
/// Macro", PS3.3 Table 8.8-1).
///
/// Only the short form is modelled: Code Value (0008,0100) SH, at most 16 characters. Long
/// Code Value (0008,0119) and URN Code Value (0008,0120), for codes that do not fit SH, are
/// left out; none of the context groups used here (CID 7030, 8300, 8301, 8302, the DCM
/// display device types) needs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Code<'a> {
    /// Code Value (0008,0100), SH.
    pub value: &'a str,
    /// Coding Scheme Designator (0008,0102), SH: `DCM`, `SCT`, or a private `99...` scheme.
    pub scheme_designator: &'a str,
    /// Coding Scheme Version (0008,0103), SH; written only when present.
    pub scheme_version: Option<&'a str>,
    /// Code Meaning (0008,0104), LO.
    pub meaning: &'a str,
}

impl<'a> Code<'a> {
    /// A code without a scheme version (usable in `const` and `static` items).
    pub const fn new(value: &'a str, scheme_designator: &'a str, meaning: &'a str) -> Self {
        Code {
            value,
            scheme_designator,
            scheme_version: None,
            meaning,
        }
    }
}

impl DataSetSource for Code<'_> {
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        w.string(tags::CODE_VALUE, Vr::SH, self.value)?;
        w.string(
            tags::CODING_SCHEME_DESIGNATOR,
            Vr::SH,
            self.scheme_designator,
        )?;
        optional_string(w, tags::CODING_SCHEME_VERSION, Vr::SH, self.scheme_version)?;
        w.string(tags::CODE_MEANING, Vr::LO, self.meaning)
    }
}

/// One item of a Measurement Equipment Sequence (0028,7012): a photometer, colorimeter or
/// illuminometer, integrated into the display or not (PS3.3 C.32.1 and C.32.3.1).
///
/// The same item describes the equipment a Display Subsystem has and the equipment a QA
/// result was measured with. Every attribute is written: they are all -/1 or -/2, so an
/// empty string is a zero-length value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MeasurementEquipment<'a> {
    /// Manufacturer (0008,0070), LO.
    pub manufacturer: &'a str,
    /// Manufacturer's Model Name (0008,1090), LO.
    pub manufacturer_model_name: &'a str,
    /// Device Serial Number (0018,1000), LO.
    pub device_serial_number: &'a str,
    /// DateTime of Last Calibration (0018,1202), DT (`YYYYMMDDHHMMSS`, optionally with
    /// fraction and offset); empty when unknown (-/2).
    pub date_time_of_last_calibration: &'a str,
    /// Measurement Functions (0028,7013), CS 1-n: at most one of each.
    pub measurement_functions: &'a [MeasurementFunction],
    /// Measurement Equipment Type (0028,7014), CS.
    ///
    /// PS3.3 C.32.1.2 gives its Enumerated Values. This crate has no enum for them: the
    /// string is written as given and not checked, so take the value from C.32.1.2.
    pub measurement_equipment_type: &'a str,
    /// Measured Characteristics (0028,7026), CS 1-n: at most one of each.
    pub measured_characteristics: &'a [MeasuredCharacteristic],
}

impl DataSetSource for MeasurementEquipment<'_> {
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
        w.string(
            tags::DATE_TIME_OF_LAST_CALIBRATION,
            Vr::DT,
            self.date_time_of_last_calibration,
        )?;
        terms(
            w,
            tags::MEASUREMENT_FUNCTIONS,
            self.measurement_functions,
            MeasurementFunction::as_str,
        )?;
        w.string(
            tags::MEASUREMENT_EQUIPMENT_TYPE,
            Vr::CS,
            self.measurement_equipment_type,
        )?;
        terms(
            w,
            tags::MEASURED_CHARACTERISTICS,
            self.measured_characteristics,
            MeasuredCharacteristic::as_str,
        )
    }
}

/// Reflected Ambient Light (2010,0160) with the Ambient Light Value Source (0028,7025) that
/// must accompany it (-/1C: required if Reflected Ambient Light is present). One value holds
/// both, so the condition cannot be broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AmbientLight {
    /// Reflected Ambient Light (2010,0160), US, in cd/m². PS3.6 makes it an integer, so a
    /// typical reading room's 0.2 cd/m² rounds to 0 (the PS3.17 PPP example shows 0.410,
    /// which US cannot hold).
    pub reflected: u16,
    /// Ambient Light Value Source (0028,7025).
    pub source: AmbientLightValueSource,
}

/// Writes Ambient Light Value Source (0028,7025), if there is ambient light. It sorts after
/// the rest of group 0028 of an item and before its groups 0040 and 2010.
pub(super) fn ambient_light_source(
    w: &mut Writer<'_>,
    ambient: Option<&AmbientLight>,
) -> Result<(), WriteError> {
    match ambient {
        Some(a) => w.string(tags::AMBIENT_LIGHT_VALUE_SOURCE, Vr::CS, a.source.as_str()),
        None => Ok(()),
    }
}

/// Writes Reflected Ambient Light (2010,0160), if there is ambient light: the last tag of
/// every item that has it.
pub(super) fn reflected_ambient_light(
    w: &mut Writer<'_>,
    ambient: Option<&AmbientLight>,
) -> Result<(), WriteError> {
    match ambient {
        Some(a) => w.u16(tags::REFLECTED_AMBIENT_LIGHT, a.reflected),
        None => Ok(()),
    }
}

/// A sequence with one item per element of `items`.
pub(super) fn sequence<T: DataSetSource>(
    w: &mut Writer<'_>,
    tag: Tag,
    items: &[T],
) -> Result<(), WriteError> {
    w.sequence(tag, |seq| {
        for item in items {
            seq.item(|w| item.write_to(w))?;
        }
        Ok(())
    })
}

/// A sequence of at most one item, written only if there is one (usage 3 or 1C).
pub(super) fn optional_sequence<T: DataSetSource>(
    w: &mut Writer<'_>,
    tag: Tag,
    item: Option<&T>,
) -> Result<(), WriteError> {
    match item {
        Some(item) => sequence(w, tag, core::slice::from_ref(item)),
        None => Ok(()),
    }
}

/// A string written only if present (usage 3 or 1C). Inlined as [`Writer::string`] is, so
/// that the caller's tag and VR reach it as constants.
#[cfg_attr(not(target_os = "none"), inline(always))]
pub(super) fn optional_string(
    w: &mut Writer<'_>,
    tag: Tag,
    vr: Vr,
    value: Option<&str>,
) -> Result<(), WriteError> {
    match value {
        Some(value) => w.string(tag, vr, value),
        None => Ok(()),
    }
}

/// A multi-valued CS of defined terms, joined without allocating: the terms are gathered
/// into a small array on the stack. More than [`MAX_TERMS`] values is
/// [`WriteError::InvalidValue`] (the value sets here have at most four terms, each allowed
/// once).
pub(super) fn terms<T: Copy>(
    w: &mut Writer<'_>,
    tag: Tag,
    values: &[T],
    term: fn(T) -> &'static str,
) -> Result<(), WriteError> {
    let mut joined = [""; MAX_TERMS];
    for (slot, value) in joined.iter_mut().zip(values) {
        *slot = term(*value);
    }
    let joined = joined.get(..values.len()).ok_or(WriteError::InvalidValue)?;
    w.strings(tag, Vr::CS, joined)
}

/// The most values a multi-valued CS of this model may have.
pub(super) const MAX_TERMS: usize = 4;

/// A count of items as a US value (Number of Display Subsystems, Number of Luminance
/// Points); more than 65535 items is [`WriteError::InvalidValue`].
pub(super) fn count<T>(items: &[T]) -> Result<u16, WriteError> {
    u16::try_from(items.len()).map_err(|_| WriteError::InvalidValue)
}
