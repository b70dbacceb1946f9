//! The top level: the Display System module, with the Target Luminance Characteristics and
//! QA Results sequences beside it.

use super::common::{count, optional_sequence, optional_string, sequence, Code};
use super::luminance::TargetLuminanceCharacteristics;
use super::subsystem::DisplaySubsystem;
use super::tags;
use crate::dataset::{DataSetSource, Vr, WriteError, Writer};

/// The Display System SOP instance: everything an N-GET of it can return (PS3.4 Table
/// EE.2.2.1-2).
///
/// Fields follow the table's usages: an attribute the SCP must return with a value (`3/1`) is
/// a plain field and always written; one it must return but may leave empty (`3/2`) is a
/// plain field written even when empty; an optional one (`3/3`, or one that newer editions
/// added) is an `Option` or a possibly empty slice and is left out when absent. Number of
/// Display Subsystems (0028,7001) is not a field: it is the length of
/// [`display_subsystems`](Self::display_subsystems), so the two cannot disagree.
///
/// As a [`DataSetSource`] it writes the whole data set in ascending tag order; the
/// [`Writer`]'s [`AttributeFilter`](crate::dataset::AttributeFilter) keeps what the peer
/// asked for.
///
/// **It never writes SOP Class UID (0008,0016) or SOP Instance UID (0008,0018)**, although
/// the IOD includes the SOP Common module: PS3.4 §5.4.2.3 says that for an N-GET the SOP
/// instance is conveyed in the command's Requested SOP Instance UID (0000,1001) and "the SOP
/// Instance UID (0008,0018) Attribute shall not be present in the Data Set"; the class
/// likewise travels in the command (Affected/Requested SOP Class UID). See
/// [`SOP_CLASS_UID`](super::SOP_CLASS_UID) and [`SOP_INSTANCE_UID`](super::SOP_INSTANCE_UID).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DisplaySystem<'a> {
    /// Specific Character Set (0008,0005), CS 1-n, -/1C: required when a character set
    /// other than the default (ASCII) is used. Written only when not empty. The strings of
    /// the model are written byte for byte, so they must already be encoded in that
    /// character set (for ISO 2022 the escape sequences are part of the `&str`).
    pub specific_character_set: &'a [&'a str],
    /// Manufacturer (0008,0070), LO, 3/1.
    pub manufacturer: &'a str,
    /// Manufacturer's Model Name (0008,1090), LO, 3/1.
    pub manufacturer_model_name: &'a str,
    /// Device Serial Number (0018,1000), LO, 3/1.
    pub device_serial_number: &'a str,
    /// Institution Name (0008,0080), LO, 3/1.
    pub institution_name: &'a str,
    /// Institution Address (0008,0081), ST, 3/1.
    pub institution_address: &'a str,
    /// Station Name (0008,1010), SH, 3/2.
    pub station_name: &'a str,
    /// Institutional Department Name (0008,1040), LO, 3/2.
    pub institutional_department_name: &'a str,
    /// Institutional Department Type Code Sequence (0008,1041), 3/3, a single item (BCID
    /// 7030); written only when present.
    pub institutional_department_type: Option<Code<'a>>,
    /// Date of Manufacture (0018,1204), DA; written only when present. Added to the module
    /// by newer PS3.3 editions (Table C.32.1-1); the PS3.4 Table EE.2.2.1-2 this model
    /// follows gives it no SCP usage, so it is optional here.
    pub date_of_manufacture: Option<&'a str>,
    /// Date of Installation (0018,1205), DA; as `date_of_manufacture`.
    pub date_of_installation: Option<&'a str>,
    /// Equipment Administrator Sequence (0028,7000), 3/2: zero or more items.
    pub equipment_administrators: &'a [EquipmentAdministrator<'a>],
    /// Target Luminance Characteristics Sequence (0028,7008), "2/1" as printed (read as SCP
    /// mandatory): one or more target curves.
    pub target_luminance_characteristics: &'a [TargetLuminanceCharacteristics<'a>],
    /// Display Subsystem Sequence (0028,7023), 3/1: one or more items, each with a distinct
    /// ID. Also gives Number of Display Subsystems (0028,7001) and the QA Results Sequence
    /// (0028,700F), one item per subsystem.
    pub display_subsystems: &'a [DisplaySubsystem<'a>],
}

impl DisplaySystem<'static> {
    /// A system with every field empty: a base for struct update syntax in `const` items
    /// (`DisplaySystem { manufacturer: "ACME", ..DisplaySystem::EMPTY }`). The 3/1 strings
    /// must be filled in before it is served.
    pub const EMPTY: Self = DisplaySystem {
        specific_character_set: &[],
        manufacturer: "",
        manufacturer_model_name: "",
        device_serial_number: "",
        institution_name: "",
        institution_address: "",
        station_name: "",
        institutional_department_name: "",
        institutional_department_type: None,
        date_of_manufacture: None,
        date_of_installation: None,
        equipment_administrators: &[],
        target_luminance_characteristics: &[],
        display_subsystems: &[],
    };
}

impl DataSetSource for DisplaySystem<'_> {
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        if !self.specific_character_set.is_empty() {
            w.strings(
                tags::SPECIFIC_CHARACTER_SET,
                Vr::CS,
                self.specific_character_set,
            )?;
        }
        w.string(tags::MANUFACTURER, Vr::LO, self.manufacturer)?;
        w.string(tags::INSTITUTION_NAME, Vr::LO, self.institution_name)?;
        w.string(tags::INSTITUTION_ADDRESS, Vr::ST, self.institution_address)?;
        w.string(tags::STATION_NAME, Vr::SH, self.station_name)?;
        w.string(
            tags::INSTITUTIONAL_DEPARTMENT_NAME,
            Vr::LO,
            self.institutional_department_name,
        )?;
        optional_sequence(
            w,
            tags::INSTITUTIONAL_DEPARTMENT_TYPE_CODE_SEQUENCE,
            self.institutional_department_type.as_ref(),
        )?;
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
        optional_string(
            w,
            tags::DATE_OF_INSTALLATION,
            Vr::DA,
            self.date_of_installation,
        )?;
        sequence(
            w,
            tags::EQUIPMENT_ADMINISTRATOR_SEQUENCE,
            self.equipment_administrators,
        )?;
        w.u16(
            tags::NUMBER_OF_DISPLAY_SUBSYSTEMS,
            count(self.display_subsystems)?,
        )?;
        sequence(
            w,
            tags::TARGET_LUMINANCE_CHARACTERISTICS_SEQUENCE,
            self.target_luminance_characteristics,
        )?;
        w.sequence(tags::QA_RESULTS_SEQUENCE, |seq| {
            for subsystem in self.display_subsystems {
                seq.item(|w| {
                    w.u16(tags::DISPLAY_SUBSYSTEM_ID, subsystem.id)?;
                    sequence(
                        w,
                        tags::DISPLAY_SUBSYSTEM_QA_RESULTS_SEQUENCE,
                        subsystem.qa_results,
                    )
                })?;
            }
            Ok(())
        })?;
        sequence(w, tags::DISPLAY_SUBSYSTEM_SEQUENCE, self.display_subsystems)
    }
}

/// One item of the Equipment Administrator Sequence (0028,7000): a point of contact for
/// problems with the equipment (PS3.3 Table 10-1 "Person Identification Macro").
///
/// At least one of `institution_name` and `institution_code` is required (-/1C each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct EquipmentAdministrator<'a> {
    /// Person Name (0040,A123), PN, -/2: a person or a role.
    pub person_name: &'a str,
    /// Person Identification Code Sequence (0040,1101), -/1: one or more codes identifying
    /// the person.
    pub person_identification_codes: &'a [Code<'a>],
    /// Person's Address (0040,1102), ST, -/3; written only when present.
    pub address: Option<&'a str>,
    /// Person's Telephone Numbers (0040,1103), LO 1-n, -/3; written when not empty.
    pub telephone_numbers: &'a [&'a str],
    /// Person's Telecom Information (0040,1104), LT: added by newer PS3.3 editions through
    /// the Person Identification Macro (Table 10-1); not in the PS3.4 Table EE.2.2.1-2 this
    /// model follows, so optional here and written only when present.
    pub telecom_information: Option<&'a str>,
    /// Institution Name (0008,0080), LO, -/1C; written only when present.
    pub institution_name: Option<&'a str>,
    /// Institution Address (0008,0081), ST, -/3; written only when present.
    pub institution_address: Option<&'a str>,
    /// Institution Code Sequence (0008,0082), -/1C, a single item; written only when present.
    pub institution_code: Option<Code<'a>>,
}

impl DataSetSource for EquipmentAdministrator<'_> {
    fn write_to(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        optional_string(w, tags::INSTITUTION_NAME, Vr::LO, self.institution_name)?;
        optional_string(
            w,
            tags::INSTITUTION_ADDRESS,
            Vr::ST,
            self.institution_address,
        )?;
        optional_sequence(
            w,
            tags::INSTITUTION_CODE_SEQUENCE,
            self.institution_code.as_ref(),
        )?;
        sequence(
            w,
            tags::PERSON_IDENTIFICATION_CODE_SEQUENCE,
            self.person_identification_codes,
        )?;
        optional_string(w, tags::PERSON_ADDRESS, Vr::ST, self.address)?;
        if !self.telephone_numbers.is_empty() {
            w.strings(
                tags::PERSON_TELEPHONE_NUMBERS,
                Vr::LO,
                self.telephone_numbers,
            )?;
        }
        optional_string(
            w,
            tags::PERSON_TELECOM_INFORMATION,
            Vr::LT,
            self.telecom_information,
        )?;
        w.string(tags::PERSON_NAME, Vr::PN, self.person_name)
    }
}
