//! The Display System SOP instance (PS3.4 Annex EE): a typed, borrowing model of its N-GET
//! attribute set that writes itself as a data set.
//!
//! ## The SOP class
//!
//! The Display System Management Service Class (PS3.4 Annex EE) lets a service user, in
//! practice a display QA server, read the parameters of a display system: who made it and
//! where it stands, the display subsystems (monitors, heads) it drives, the luminance curves
//! they are calibrated to, and their latest QA results. It has one SOP class, the Display
//! System SOP Class ([`SOP_CLASS_UID`]), and one instance per system, with the well-known UID
//! [`SOP_INSTANCE_UID`], which the SCP creates at start-up. N-GET is its only service (usage
//! M/M): the SCU lists the top-level attributes it wants in the Attribute Identifier List
//! (0000,1005), or sends no list to get them all, and gets sequences back whole. The
//! attribute set is PS3.4 Table EE.2.2.1-2; its value sets are in PS3.3 C.32.
//!
//! [`DisplaySystem`] is that attribute set as plain Rust data. It implements
//! [`DataSetSource`](crate::dataset::DataSetSource): it writes every attribute it has, in
//! ascending tag order at every level, and the [`Writer`](crate::dataset::Writer) drops the
//! top-level ones the peer did not ask for and reports those it asked for and did not get.
//! It never writes SOP Class UID (0008,0016) or SOP Instance UID (0008,0018): PS3.4 §5.4.2.3
//! keeps them out of an N-GET data set (they travel in the command).
//!
//! ## The model
//!
//! Every struct has public fields, borrows its strings and lists (`&'a str`, `&'a [T]`), and
//! can be built in a `const` or `static` item, so a device's description lives in flash and
//! costs no RAM. The nesting follows the wire, with two exceptions noted below.
//!
//! | on the wire (PS3.4 Table EE.2.2.1-2) | in the model |
//! |---|---|
//! | Display System module, top level | [`DisplaySystem`] |
//! | Equipment Administrator Sequence (0028,7000) | [`EquipmentAdministrator`] |
//! | Number of Display Subsystems (0028,7001) | not a field: the length of [`DisplaySystem::display_subsystems`] |
//! | Target Luminance Characteristics Sequence (0028,7008) | [`TargetLuminanceCharacteristics`], its curve [`LuminancePoint`] |
//! | QA Results Sequence (0028,700F) | one item per [`DisplaySubsystem`], from its [`qa_results`](DisplaySubsystem::qa_results) |
//! | > Display Subsystem QA Results Sequence (0028,7010) | [`DisplaySubsystemQaResults`] (per configuration) |
//! | >> Configuration QA Results Sequence (0028,7011) | [`ConfigurationQaResults`] |
//! | >>> Display Calibration Result Sequence (0028,7016) | [`DisplayCalibrationResult`] |
//! | >>> Visual Evaluation Result Sequence (0028,7015) | [`VisualEvaluationResult`], [`VisualEvaluationTest`], [`ReferencedImage`] |
//! | >>> Luminance Uniformity Result Sequence (0028,7027) | [`LuminanceUniformityResult`], [`UniformityPoint`] |
//! | >>> Luminance Result Sequence (0028,7024) | [`LuminanceResult`], [`LuminanceMeasurement`] |
//! | >>>> Result Context Macro (Table EE.2.2.1-1) | [`ResultContext`], [`HumanPerformer`] |
//! | Display Subsystem Sequence (0028,7023) | [`DisplaySubsystem`], [`DisplaySubsystemConfiguration`] |
//! | Measurement Equipment Sequence (0028,7012), wherever it is | [`MeasurementEquipment`] |
//! | any code sequence item (Table CC.2.5-2a) | [`Code`] |
//! | Reflected Ambient Light (2010,0160) + Ambient Light Value Source (0028,7025) | [`AmbientLight`] |
//! | the value sets of PS3.3 C.32 | [`SystemStatus`], [`DisplayFunctionType`], [`MeasurementFunction`], [`MeasuredCharacteristic`], [`AmbientLightValueSource`], [`WhitePointFlag`], [`TestResult`], [`TestImageValidation`] |
//! | the tags | [`tags`] |
//!
//! A field's type follows the attribute's usage on the SCP side (PS3.4 §5.4.2.2):
//!
//! * **1** (`3/1`, `-/1`): a plain field, always written; it should not be empty.
//! * **2** (`3/2`, `-/2`): a plain field, always written, and empty is allowed: an empty
//!   string, an empty slice (a sequence with no items), or `None` for a number or a
//!   single-item sequence (a zero-length value, an empty sequence).
//! * **3** and **1C** (`3/3`, `-/3`, `-/1C`): an `Option` or a slice, left out when absent.
//!   Where two attributes go together (Reflected Ambient Light and its source) one value
//!   holds both.
//!
//! ## Your own instance, from constants
//!
//! On firmware, describe the display in a `static` and hand it to whatever sends the N-GET
//! response; [`DisplaySystem::EMPTY`] and [`DisplaySubsystem::EMPTY`] fill in the fields you
//! leave out.
//!
//! ```
//! use dimse_core::dataset::{value, Encoding, ReadEvent, Reader, Writer};
//! use dimse_core::service::display::{
//!     tags, DisplayFunctionType, DisplaySubsystem, DisplaySubsystemConfiguration,
//!     DisplaySystem, SystemStatus, TargetLuminanceCharacteristics,
//! };
//!
//! static DISPLAY: DisplaySystem<'static> = DisplaySystem {
//!     manufacturer: "ACME Displays",
//!     manufacturer_model_name: "QA-1",
//!     device_serial_number: "SN-0001",
//!     institution_name: "St. Example Clinic",
//!     institution_address: "1 Main Street",
//!     station_name: "READ1",
//!     target_luminance_characteristics: &[TargetLuminanceCharacteristics {
//!         id: 1,
//!         display_function_type: DisplayFunctionType::Gsdf,
//!         target_minimum_luminance: 0.5,
//!         target_maximum_luminance: 350.0,
//!         gamma_value: None,
//!         luminance_response: &[],
//!         luminance_response_description: None,
//!         cie_xy_white_point: None,
//!         ambient_light: None,
//!     }],
//!     display_subsystems: &[DisplaySubsystem {
//!         id: 1,
//!         name: "MAIN",
//!         system_status: SystemStatus::Ok,
//!         configurations: &[DisplaySubsystemConfiguration {
//!             id: 1,
//!             name: "DICOM",
//!             description: "GSDF 0.5-350 cd/m2",
//!             target_luminance_characteristics_id: Some(1),
//!         }],
//!         current_configuration_id: Some(1),
//!         ..DisplaySubsystem::EMPTY
//!     }],
//!     ..DisplaySystem::EMPTY
//! };
//!
//! let mut buf = [0u8; 1024];
//! let mut w = Writer::new(&mut buf, Encoding::ExplicitVrLittleEndian);
//! w.write(&DISPLAY)?;
//! let len = w.written();
//! let data = &buf[..len];
//!
//! // What a QA server reads back: one subsystem, and its status.
//! assert!(Reader::new(data, Encoding::ExplicitVrLittleEndian).all(|e| e.is_ok()));
//! let events = || Reader::new(data, Encoding::ExplicitVrLittleEndian).filter_map(Result::ok);
//! let count = events().find_map(|e| match e {
//!     ReadEvent::Element { tag, value, depth: 0, .. } if tag == tags::NUMBER_OF_DISPLAY_SUBSYSTEMS => {
//!         value::u16s(value).next()
//!     }
//!     _ => None,
//! });
//! assert_eq!(count, Some(1));
//! let status = events().find_map(|e| match e {
//!     ReadEvent::Element { tag, value, .. } if tag == tags::SYSTEM_STATUS => value::string(value),
//!     _ => None,
//! });
//! assert_eq!(status, Some("OK"));
//! # Ok::<(), dimse_core::dataset::WriteError>(())
//! ```
//!
//! Values that change at run time (a status, fresh QA results) fit the same model: keep
//! them in your own state and build a `DisplaySystem` that borrows them when a request comes
//! in, `DisplaySystem { display_subsystems: &subsystems, ..IDENTITY }`, where `IDENTITY` is
//! the constant part. Nothing is copied but a few pointers.
//!
//! The writer applies the requestor's Attribute Identifier List itself:
//!
//! ```
//! use dimse_core::dataset::{AttributeFilter, Encoding, Writer};
//! use dimse_core::service::display::{tags, DEMO};
//!
//! // The value of (0000,1005) in an N-GET-RQ: Manufacturer, Display Subsystem Sequence.
//! let mut list = [0u8; 8];
//! list[..4].copy_from_slice(&tags::MANUFACTURER.to_le_bytes());
//! list[4..].copy_from_slice(&tags::DISPLAY_SUBSYSTEM_SEQUENCE.to_le_bytes());
//! let Ok(filter) = AttributeFilter::new(&list) else {
//!     unreachable!("eight bytes are two tags")
//! };
//! let mut buf = [0u8; 4096];
//! let mut w = Writer::new(&mut buf, Encoding::ImplicitVrLittleEndian).with_filter(filter);
//! w.write(&DEMO)?;
//! assert_eq!(w.missing().count(), 0);
//! assert!(w.written() < 1400);
//! # Ok::<(), dimse_core::dataset::WriteError>(())
//! ```
//!
//! ## Choices made here
//!
//! * **QA results sit with their subsystem.** PS3.3 C.32.3 wants exactly one QA Results item
//!   per Display Subsystem, carrying its ID. [`DisplaySubsystem::qa_results`] holds the
//!   item's content and [`DisplaySystem`] writes the items, so the item count and the IDs
//!   cannot disagree with the Display Subsystem Sequence. The target curves stay at the top
//!   level: they are a library that configurations and calibration results refer to by ID.
//! * **Counts are derived.** Number of Display Subsystems (0028,7001) and every Number of
//!   Luminance Points (0028,701B) are the lengths of the slices they count.
//! * **Types enforce what they cheaply can, nothing more.** Value sets are enums and paired
//!   attributes are one value, but IDs being unique, references resolving, a White Point
//!   Flag matching its points, the "at least one of" conditions (administrator institution,
//!   human performer) and the maximum lengths of SH, LO and the other VRs are not the
//!   writer's business: it checks only what it must to encode (tag order, the length
//!   fields, no backslash inside a value), and fails with an error, never a panic.
//!   [`validate()`] checks all of them, without allocating, naming the first field that
//!   breaks one; call it once where the model is built. [`DEMO`] passes it.
//! * **What is modelled.** All of Table EE.2.2.1-2 and the Result Context Macro, except:
//!   Long Code Value (0008,0119) and URN Code Value (0008,0120) in code items (no code used
//!   here needs them), and Referenced Frame Number (0008,1160) / Referenced Segment Number
//!   (0062,000B) in a referenced test image (a test image is one frame). Added from newer
//!   PS3.3 editions (Table C.32.1-1 in PS3.3 2024d; the last through the Person
//!   Identification Macro, Table 10-1): Date of Manufacture (0018,1204) at system and
//!   subsystem level, Date of Installation (0018,1205) at system level, Person's Telecom
//!   Information (0040,1104). The PS3.4 Table EE.2.2.1-2 this model follows gives them no
//!   SCP usage, so they are treated as optional: written only when set, and an SCU that asks
//!   for one the application has not set gets it back in the missing list. Software Versions
//!   (0018,1020) is not part of the Display System module and is not modelled; an SCU that
//!   asks for it gets it back in the missing list (0107H).
//! * **Strings are bytes.** Values are written as given. With an extended character set,
//!   put its defined term in [`DisplaySystem::specific_character_set`] and the encoded bytes
//!   in the strings (for ISO 2022 the escape sequences are part of the `&str`; the tests
//!   encode the PS3.17 PPP example's Japanese name that way).
//! * **System Status and Measurement Equipment Type.** PS3.3 gives Defined Terms for System
//!   Status (C.32.1.1) and Enumerated Values for Measurement Equipment Type (C.32.1.2).
//!   [`SystemStatus`] offers OK, WARNING and FAILED, the only status values this crate
//!   writes or recognises; Measurement Equipment Type stays a `&str`, written as given and
//!   not checked, so take its value from C.32.1.2.
//!
//! ## The demo instance
//!
//! [`DEMO`] is a made-up dual-head diagnostic display (see its documentation). Its encoded
//! sizes, printed by `cargo test -p dimse-core --lib demo_fits_in_4_kib -- --nocapture`:
//!
//! | encoding | defined-length sequences (the writer's default) | undefined-length sequences |
//! |---|---|---|
//! | Implicit VR Little Endian | 3256 bytes | 3840 bytes |
//! | Explicit VR Little Endian | 3384 bytes | 3968 bytes |
//!
//! All four fit the 4 KiB buffer a test holds them to. pydicom 3.0.2 reads all four back to
//! the same data set with the VRs of its dictionary, and re-encodes the defined-length ones
//! byte for byte.

pub mod tags;

mod common;
mod demo;
mod luminance;
mod qa;
mod subsystem;
mod system;
mod terms;
pub mod validate;

#[cfg(test)]
mod tests;

pub use common::{AmbientLight, Code, MeasurementEquipment};
pub use demo::DEMO;
pub use luminance::{LuminancePoint, TargetLuminanceCharacteristics};
pub use qa::{
    ConfigurationQaResults, DisplayCalibrationResult, DisplaySubsystemQaResults, HumanPerformer,
    LuminanceMeasurement, LuminanceResult, LuminanceUniformityResult, ReferencedImage,
    ResultContext, UniformityPoint, VisualEvaluationResult, VisualEvaluationTest,
};
pub use subsystem::{DisplaySubsystem, DisplaySubsystemConfiguration};
pub use system::{DisplaySystem, EquipmentAdministrator};
pub use terms::{
    AmbientLightValueSource, DisplayFunctionType, MeasuredCharacteristic, MeasurementFunction,
    SystemStatus, TestImageValidation, TestResult, WhitePointFlag,
};
pub use validate::{validate, Invalid, Problem};

/// The Display System SOP Class UID (PS3.4 EE.2.3), as [`super::DISPLAY_SYSTEM`].
pub use super::classes::DISPLAY_SYSTEM as SOP_CLASS_UID;

/// The well-known Display System SOP Instance UID (PS3.4 EE.2.4): the only instance, created
/// by the SCP at start-up, and the one an SCU names in its N-GET. As
/// [`super::DISPLAY_SYSTEM_INSTANCE`].
pub use super::classes::DISPLAY_SYSTEM_INSTANCE as SOP_INSTANCE_UID;
